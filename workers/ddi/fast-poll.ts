/**
 * The idle-poll fast path: the most frequent request Updraft serves (a registered device with a target
 * token polling `GET /{tenant}/controller/v1/{controllerId}` while nothing changed) answered without
 * the Hono app, so it costs little more than its one KV read.
 *
 * It produces exactly what the app would (same body from `controllerBaseBody`, same shallow ETag and 304,
 * same HAL/JSON negotiation, same `X-Request-Id`, same write-behind of the poll time) and it only takes
 * requests it is sure about. Anything else — other paths or methods, another auth scheme, header auth
 * switched on and offered, an unknown or stale poll entry, a wrong token, a device still `unknown`, a
 * lapsed maintenance window, percent-encoded path segments — returns `undefined` without side effects,
 * and the full app (workers/app.ts) answers it. Every DDI test goes through this function first, so the
 * whole suite checks that the two agree; fast-poll.test.ts compares them directly.
 *
 * Measured in BENCHMARKS.md (idle-poll throughput).
 */
import { normaliseTenant } from "../../shared/db/queries/tenants";
import { maintenanceWindowAt } from "../../shared/domain/maintenance-window";
import { formatDuration } from "../../shared/domain/polling-time";
import { readPollEntry } from "../../shared/poll-cache";
import { readTenantConfigSnapshot } from "../../shared/tenant-config";
import { secretMatches } from "../middleware/ddi-auth";
import { controllerBaseBody, pollingSleep } from "./controller-base";
import { encodePathSegment, originOf } from "./links";
import { clientAddress, recordedRecently, recordPoll } from "./poll-events";
import { ifNoneMatchHits, negotiateJsonType, shallowEtag } from "./shallow-etag";

const TARGET_TOKEN = "TargetToken ";

/** The part of an execution context the write-behind needs. */
type Background = { waitUntil(promise: Promise<unknown>): void };

// Quiet devices of a tenant mostly get identical bodies, so their shallow ETags repeat: remember a few.
const etags = new Map<string, string>();
const ETAG_MEMO_LIMIT = 512;

async function etagOf(json: string): Promise<string> {
	let etag = etags.get(json);
	if (etag === undefined) {
		etag = await shallowEtag(new TextEncoder().encode(json).buffer as ArrayBuffer);
		if (etags.size >= ETAG_MEMO_LIMIT) {
			etags.clear();
		}
		etags.set(json, etag);
	}
	return etag;
}

/**
 * Answers an idle poll, or returns `undefined` (having changed nothing) when the request is anything
 * else; the caller then hands it to the app.
 */
export async function answerIdlePoll(
	req: Request,
	env: Env,
	ctx: Background,
): Promise<Response | undefined> {
	try {
		return await idlePoll(req, env, ctx);
	} catch {
		// Whatever failed (a binding, say) fails again in the app, which renders hawkBit's error body.
		return undefined;
	}
}

async function idlePoll(req: Request, env: Env, ctx: Background): Promise<Response | undefined> {
	if (req.method !== "GET") {
		return undefined;
	}
	const authorization = req.headers.get("Authorization");
	if (authorization === null || !authorization.startsWith(TARGET_TOKEN)) {
		return undefined;
	}
	const url = new URL(req.url);
	const parts = url.pathname.split("/");
	// ["", tenant, "controller", "v1", controllerId]; encoded segments are left to the app's decoding.
	const typedTenant = parts[1] ?? "";
	const controllerId = parts[4] ?? "";
	if (
		parts.length !== 5 ||
		parts[2] !== "controller" ||
		parts[3] !== "v1" ||
		typedTenant === "" ||
		controllerId === "" ||
		typedTenant.includes("%") ||
		controllerId.includes("%")
	) {
		return undefined;
	}
	const tenant = normaliseTenant(typedTenant);
	const snapshot = await readTenantConfigSnapshot(env, tenant);
	const config = snapshot.values;
	if (
		!config["authentication.targettoken.enabled"] ||
		// Header authentication is tried first by hawkBit; leave such requests to the app.
		(config["authentication.header.enabled"] && req.headers.has("X-Controller-Id"))
	) {
		return undefined;
	}
	const entry = await readPollEntry(env, tenant, controllerId);
	if (
		!entry ||
		entry.gen !== snapshot.gen ||
		entry.updateStatus === "unknown" ||
		!(await secretMatches(authorization.slice(TARGET_TOKEN.length), entry.tokenSha256))
	) {
		return undefined;
	}
	const now = Date.now();
	const action = entry.action;
	if (
		action?.maintenance &&
		action.link !== "cancelAction" &&
		maintenanceWindowAt(action.maintenance, now).lapsed
	) {
		return undefined;
	}
	const { sleepMs, intervalMs, maintenanceWindowOpen } = pollingSleep(entry, snapshot, now);
	const base = `${originOf(url, req.headers)}/${encodePathSegment(typedTenant)}/controller/v1/${encodePathSegment(controllerId)}`;
	const json = JSON.stringify(
		controllerBaseBody(base, entry, formatDuration(sleepMs), now, maintenanceWindowOpen),
	);
	const address = clientAddress(req.headers);
	if (!recordedRecently(tenant, controllerId, address, now)) {
		ctx.waitUntil(
			recordPoll(env, { tenant, controllerId, targetId: entry.targetId, address, intervalMs, now }),
		);
	}
	const etag = await etagOf(json);
	const requestId = req.headers.get("x-request-id") ?? crypto.randomUUID();
	if (ifNoneMatchHits(req.headers.get("If-None-Match") ?? undefined, etag)) {
		return new Response(null, { status: 304, headers: { ETag: etag, "X-Request-Id": requestId } });
	}
	return new Response(json, {
		status: 200,
		headers: {
			"Content-Type": negotiateJsonType(req.headers.get("Accept") ?? undefined),
			ETag: etag,
			"X-Request-Id": requestId,
		},
	});
}
