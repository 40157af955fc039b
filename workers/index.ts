/** Updraft's one Worker: HTTP (device API, management API, UI), the poll queue consumer and cron. */
import { app } from "./app";
import { answerSignedDownload } from "./artifacts/signed-download";
import { answerIdlePoll } from "./ddi/fast-poll";
import { consumePollEvents } from "./queues/poll-events";
import { runScheduledJobs } from "./scheduled";

export { RolloutCoordinator } from "./rollouts/rollout-coordinator";

export default {
	// Idle polls (most of the traffic) and signed downloads skip the Hono app; everything else, and
	// every doubt, goes to it.
	fetch: async (req: Request, env: Env, ctx: ExecutionContext) =>
		(await answerIdlePoll(req, env, ctx)) ??
		(await answerSignedDownload(req, env, ctx)) ??
		app.fetch(req, env, ctx),
	queue: consumePollEvents,
	scheduled: runScheduledJobs,
} satisfies ExportedHandler<Env>;
