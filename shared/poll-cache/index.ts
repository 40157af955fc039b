/**
 * The per-device poll entry in KV (`poll:{TENANT}:{controllerId}`): everything an idle DDI poll and DDI
 * authentication need, so that poll makes no D1 query. See docs/storage-schema.md for the contract.
 *
 * Contract for every writer: a D1 write that changes what a device sees on its poll (assignment, cancel,
 * rollout group start, confirmation, auto-confirm, action feedback that closes or changes an action,
 * target token/attribute-request/type/tag/name changes, target creation) calls
 * {@link refreshPollEntries} with the affected target ids after the write; a target delete calls
 * {@link deletePollEntry}. Tenant configuration writes go through shared/tenant-config.ts, which takes
 * care of the rest.
 */
import { findPollStates, type PollStates } from "../db/queries/controller";
import { normaliseTenant } from "../db/queries/tenants";
import type { PollingOverride } from "../domain/polling-time";
import {
	bumpPollGeneration,
	readTenantConfigSnapshot,
	snapshotPollingTime,
	type TenantConfigSnapshot,
} from "../tenant-config";
import { buildPollEntry, type PollEntry } from "./entry";
import { pollEntryKey } from "./keys";

export type { PollAction, PollActionLink, PollEntry } from "./entry";
export { pollEntryKey } from "./keys";

/** The bindings poll-cache functions need (a subset of `Env`). */
export type PollCacheBindings = { DB: D1Database; POLL_CACHE: KVNamespace };

/**
 * Poll entries expire after a day even if nobody refreshes them, so a missed refresh heals itself; a
 * device polling every 5 minutes then pays one D1 read per 288 polls.
 */
export const POLL_ENTRY_TTL_SECONDS = 86_400;

/**
 * Above this many targets, {@link refreshPollEntries} does not write entries one by one (a Worker
 * invocation may make about 1000 KV operations) but starts a new poll-entry generation for the tenant:
 * every entry becomes stale and is recomputed on that device's next poll.
 */
export const MAX_DIRECT_REFRESH = 500;

/**
 * Matches targets against the RSQL of `pollingTime` overrides. Registered by the RSQL module; without it
 * every target gets the default interval.
 */
export type PollingOverrideMatcher = (
	d1: D1Database,
	tenant: string,
	targetIds: number[],
	override: PollingOverride,
) => Promise<Set<number>>;

let overrideMatcher: PollingOverrideMatcher | undefined;

/** Installs the RSQL-based matcher for `pollingTime` overrides (called once at module load by its owner). */
export function setPollingOverrideMatcher(matcher: PollingOverrideMatcher): void {
	overrideMatcher = matcher;
}

async function sha256Hex(text: string): Promise<string> {
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
	return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function overrideIndexes(
	env: PollCacheBindings,
	tenant: string,
	targetIds: number[],
	snapshot: TenantConfigSnapshot,
): Promise<Map<number, number>> {
	const result = new Map<number, number>();
	const { overrides } = snapshotPollingTime(snapshot);
	if (overrides.length === 0 || !overrideMatcher || targetIds.length === 0) {
		return result;
	}
	// hawkBit tries overrides in order and the first match wins; a broken query is skipped.
	let remaining = targetIds;
	for (const [index, override] of overrides.entries()) {
		if (remaining.length === 0) {
			break;
		}
		let matched: Set<number>;
		try {
			matched = await overrideMatcher(env.DB, tenant, remaining, override);
		} catch (err) {
			console.warn("pollingTime override not evaluated", { tenant, query: override.query, err });
			continue;
		}
		for (const id of matched) {
			result.set(id, index);
		}
		remaining = remaining.filter((id) => !matched.has(id));
	}
	return result;
}

async function entriesFromStates(
	env: PollCacheBindings,
	tenant: string,
	states: PollStates,
	snapshot: TenantConfigSnapshot,
): Promise<PollEntry[]> {
	const overrides = await overrideIndexes(
		env,
		tenant,
		states.targets.map((t) => t.id),
		snapshot,
	);
	const installed = new Map(states.installed.map((r) => [r.targetId, r.actionId]));
	const now = Date.now();
	return Promise.all(
		states.targets.map(async (target) =>
			buildPollEntry({
				gen: snapshot.gen,
				target,
				tokenSha256: await sha256Hex(target.securityToken),
				activeActions: states.activeActions.filter((a) => a.targetId === target.id),
				installedActionId: installed.get(target.id),
				pollingOverride: overrides.get(target.id) ?? -1,
				now,
			}),
		),
	);
}

async function writeEntries(env: PollCacheBindings, tenant: string, entries: PollEntry[]) {
	await Promise.all(
		entries.map((e) =>
			env.POLL_CACHE.put(pollEntryKey(tenant, e.controllerId), JSON.stringify(e), {
				expirationTtl: POLL_ENTRY_TTL_SECONDS,
			}),
		),
	);
}

/**
 * Recomputes the poll entries of the given targets from D1 (one D1 round trip per call, plus one per
 * `pollingTime` override when the tenant has overrides) and writes them to KV before returning.
 * Unknown ids are ignored. Idempotent; call it after the D1 write has committed.
 * With more than {@link MAX_DIRECT_REFRESH} targets it invalidates every entry of the tenant instead.
 */
export async function refreshPollEntries(
	env: PollCacheBindings,
	tenant: string,
	targetIds: number[],
): Promise<void> {
	const name = normaliseTenant(tenant);
	const ids = [...new Set(targetIds)];
	if (ids.length === 0) {
		return;
	}
	if (ids.length > MAX_DIRECT_REFRESH) {
		await bumpPollGeneration(env, name);
		return;
	}
	const snapshot = await readTenantConfigSnapshot(env, name, { fresh: true });
	const states = await findPollStates(env.DB, name, { targetIds: ids });
	await writeEntries(env, name, await entriesFromStates(env, name, states, snapshot));
}

/**
 * For writes that change nothing an entry holds except, possibly, which `pollingTime` override matches
 * (target metadata, auto-confirm, tag / target type / distribution set names): with `targetIds` those
 * targets are refreshed, without them (a rename reaching many targets) a new generation starts. Nothing
 * happens when the tenant has no overrides, the common case. Call it after the D1 write has committed.
 */
export async function refreshPollingOverrides(
	env: PollCacheBindings,
	tenant: string,
	targetIds?: number[],
): Promise<void> {
	const name = normaliseTenant(tenant);
	const snapshot = await readTenantConfigSnapshot(env, name, { fresh: true });
	if (snapshotPollingTime(snapshot).overrides.length === 0) {
		return;
	}
	if (targetIds === undefined) {
		await bumpPollGeneration(env, name);
		return;
	}
	await refreshPollEntries(env, name, targetIds);
}

/**
 * Recomputes one device's entry by controller id from D1 and writes it; `undefined` when the target does
 * not exist (nothing is cached for unknown devices).
 */
export async function rebuildPollEntry(
	env: PollCacheBindings,
	tenant: string,
	controllerId: string,
	snapshot?: TenantConfigSnapshot,
): Promise<PollEntry | undefined> {
	const name = normaliseTenant(tenant);
	const snap = snapshot ?? (await readTenantConfigSnapshot(env, name));
	const states = await findPollStates(env.DB, name, { controllerId });
	const [entry] = await entriesFromStates(env, name, states, snap);
	if (entry) {
		await writeEntries(env, name, [entry]);
	}
	return entry;
}

/** The device's entry as stored in KV, without any staleness check (no D1). */
export async function readPollEntry(
	env: Pick<PollCacheBindings, "POLL_CACHE">,
	tenant: string,
	controllerId: string,
): Promise<PollEntry | undefined> {
	const entry = await env.POLL_CACHE.get<PollEntry>(
		pollEntryKey(normaliseTenant(tenant), controllerId),
		"json",
	);
	return entry?.v === 1 ? entry : undefined;
}

/**
 * The device's current poll entry: from KV when it is of the tenant's current generation (no D1),
 * otherwise recomputed from D1 and stored. `undefined` when the target does not exist.
 */
export async function loadPollEntry(
	env: PollCacheBindings,
	tenant: string,
	controllerId: string,
	snapshot: TenantConfigSnapshot,
): Promise<{ entry: PollEntry | undefined; snapshot: TenantConfigSnapshot; fromCache: boolean }> {
	const name = normaliseTenant(tenant);
	const cached = await readPollEntry(env, name, controllerId);
	let snap = snapshot;
	if (cached && cached.gen !== snap.gen) {
		// The isolate's memo may simply be older than the entry: look at KV before recomputing.
		snap = await readTenantConfigSnapshot(env, name, { fresh: true });
	}
	if (cached && cached.gen === snap.gen) {
		return { entry: cached, snapshot: snap, fromCache: true };
	}
	return {
		entry: await rebuildPollEntry(env, name, controllerId, snap),
		snapshot: snap,
		fromCache: false,
	};
}

/**
 * Removes devices' poll entries; call after deleting targets (their ids no longer lead to a controller id).
 */
export async function deletePollEntry(
	env: Pick<PollCacheBindings, "POLL_CACHE">,
	tenant: string,
	controllerIds: string | string[],
): Promise<void> {
	const name = normaliseTenant(tenant);
	const ids = Array.isArray(controllerIds) ? controllerIds : [controllerIds];
	await Promise.all(ids.map((id) => env.POLL_CACHE.delete(pollEntryKey(name, id))));
}
