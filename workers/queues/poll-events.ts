/**
 * Consumer of the poll write-behind queue (POLL_EVENTS): device last-seen times and addresses, many
 * targets per statement (one UPDATE … FROM json_each per batch of up to 100 messages). Producer:
 * workers/ddi/poll-events.ts. Messages are idempotent (times only move forward), so redelivery is harmless.
 */
import { type PollSeen, recordPollsSeen } from "../../shared/db/queries/controller";

function isPollSeen(body: unknown): body is PollSeen {
	const b = body as Partial<PollSeen> | null;
	return (
		typeof b === "object" &&
		b !== null &&
		typeof b.tenant === "string" &&
		typeof b.targetId === "number" &&
		typeof b.at === "number" &&
		(b.address === undefined || b.address === null || typeof b.address === "string")
	);
}

export async function consumePollEvents(
	batch: MessageBatch<unknown>,
	env: Pick<Env, "DB">,
): Promise<void> {
	const polls: PollSeen[] = [];
	for (const message of batch.messages) {
		if (isPollSeen(message.body)) {
			polls.push(message.body);
		} else {
			// A malformed message would fail every retry; drop it instead of blocking the batch.
			console.warn("dropping malformed poll event", { id: message.id });
		}
	}
	// One statement for the whole batch; if it throws, the runtime retries the batch.
	await recordPollsSeen(env.DB, polls);
}
