/**
 * Plugs RSQL into the `pollingTime` overrides (`<interval>, <rsql> -> <interval>, …`, §3): validation
 * when the tenant config is written, and the matcher the poll cache uses to pick a target's interval.
 * Registered at module load (the DDI-edge helper's modules expose the hooks).
 */
import { and, eq, inArray } from "drizzle-orm";
import { createDb } from "../db/client";
import { targets } from "../db/schema";
import type { PollingOverride } from "../domain/polling-time";
import { setPollingOverrideMatcher } from "../poll-cache";
import { setPollingOverrideQueryValidator } from "../tenant-config";
import { predicateToSql } from "./compile";
import { TARGETS } from "./entities";
import { resolveRsql } from "./resolve";

/** Target ids per statement: leaves room under D1's bound-parameter limit for the query's own values. */
const CHUNK = 40;

/**
 * The subset of `targetIds` (of one tenant) that match the override's query, evaluated in D1 so
 * attributes, tags and metadata count. Invalid stored queries match nothing.
 */
export async function matchPollingOverride(
	d1: D1Database,
	tenant: string,
	targetIds: number[],
	override: PollingOverride,
): Promise<Set<number>> {
	const matched = new Set<number>();
	let where: ReturnType<typeof predicateToSql>;
	try {
		where = predicateToSql(resolveRsql(override.query, TARGETS));
	} catch {
		return matched;
	}
	const db = createDb(d1);
	for (let i = 0; i < targetIds.length; i += CHUNK) {
		const chunk = targetIds.slice(i, i + CHUNK);
		const rows = await db
			.select({ id: targets.id })
			.from(targets)
			.where(and(eq(targets.tenant, tenant), inArray(targets.id, chunk), where));
		for (const r of rows) {
			matched.add(r.id);
		}
	}
	return matched;
}

setPollingOverrideQueryValidator((query) => {
	resolveRsql(query, TARGETS, { now: 0, overdueTs: 0 });
});
setPollingOverrideMatcher(matchPollingOverride);
