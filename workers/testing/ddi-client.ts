/**
 * A device-side caller for the deployment tests: every request goes through the Worker's real entry
 * point (`exports.default.fetch`), as a device's would.
 */
import { env, exports } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { createDb } from "../../shared/db/client";
import { actionStatuses, actions } from "../../shared/db/schema";

export type CallInit = {
	method?: string;
	token?: string;
	headers?: Record<string, string>;
	/** Objects are sent as JSON; strings as they are. */
	body?: unknown;
	origin?: string;
};

/** `path` is what follows `/{tenant}/controller/v1/`. */
export async function call(tenant: string, path: string, init: CallInit = {}): Promise<Response> {
	const headers = new Headers(init.headers);
	if (init.token !== undefined) {
		headers.set("Authorization", `TargetToken ${init.token}`);
	}
	let body: string | undefined;
	if (init.body !== undefined) {
		body = typeof init.body === "string" ? init.body : JSON.stringify(init.body);
		if (!headers.has("Content-Type")) {
			headers.set("Content-Type", "application/json");
		}
	}
	return exports.default.fetch(
		`${init.origin ?? "https://ddi.test"}/${tenant}/controller/v1/${path}`,
		{ method: init.method ?? (body === undefined ? "GET" : "POST"), headers, body },
	);
}

/** A feedback body as SWUpdate sends it (extra `id` and `time` members included). */
export function feedback(
	execution: string,
	finished: string,
	extra: { details?: unknown; code?: unknown; timestamp?: number } = {},
): Record<string, unknown> {
	const status: Record<string, unknown> = {
		result: { progress: { cnt: 0, of: 1 }, finished },
		execution,
	};
	if (extra.details !== undefined) {
		status.details = extra.details;
	}
	if (extra.code !== undefined) {
		status.code = extra.code;
	}
	const body: Record<string, unknown> = { id: 1, time: "20260101T120000", status };
	if (extra.timestamp !== undefined) {
		body.timestamp = extra.timestamp;
	}
	return body;
}

/** The action row as stored. */
export async function readAction(id: number) {
	const row = await createDb(env.DB).query.actions.findFirst({ where: eq(actions.id, id) });
	if (!row) {
		throw new Error(`action ${id} missing`);
	}
	return row;
}

/** The action's history, oldest first, messages parsed. */
export async function readHistory(actionId: number) {
	const rows = await createDb(env.DB).query.actionStatuses.findMany({
		where: eq(actionStatuses.actionId, actionId),
		orderBy: actionStatuses.id,
	});
	return rows.map((r) => ({
		status: r.status,
		messages: JSON.parse(r.messages) as string[],
		code: r.code,
		timestamp: r.timestamp,
	}));
}

/** Expects an empty body (hawkBit's bare-status answers). */
export async function expectEmpty(res: Response): Promise<void> {
	const text = await res.text();
	if (text !== "") {
		throw new Error(`expected an empty body, got ${JSON.stringify(text)}`);
	}
}
