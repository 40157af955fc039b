/**
 * Reads and cursor writes of the auto-assignment job (hawkBit: AutoAssignChecker /
 * TargetFilterQueryManagement#findWithAutoAssignDS). Every query is bounded: a window of target ids
 * after the filter's cursor, or the targets created within a recent time window, LIMITed.
 */
import { and, eq, gt, gte, isNotNull, lte, ne, or, type SQL, sql } from "drizzle-orm";
import type { Db } from "../client";
import { distributionSets, targetFilters, targets } from "../schema";
import type { TargetFilterRow } from "./target-filters";

/** Filters with an auto-assign DS, in random order so that no filter starves when there are many. */
export async function listAutoAssignFilters(db: Db, limit: number): Promise<TargetFilterRow[]> {
	return db
		.select()
		.from(targetFilters)
		.where(isNotNull(targetFilters.autoAssignDsId))
		.orderBy(sql`random()`)
		.limit(limit);
}

/**
 * The upper id of the next window of `size` target ids after `cursor` in the tenant, or undefined
 * when no target lies beyond the cursor (the pass is complete).
 */
export async function nextTargetWindow(
	db: Db,
	q: { tenant: string; cursor: number; size: number },
): Promise<number | undefined> {
	const row = await db.get<{ upper: number | null }>(sql`
		SELECT max(id) AS upper FROM (
			SELECT id FROM targets WHERE tenant = ${q.tenant} AND id > ${q.cursor} ORDER BY id LIMIT ${q.size}
		)`);
	return row?.upper ?? undefined;
}

/**
 * Targets the DS may be auto-assigned to, among those selected by `range`: matching the filter
 * query, not assigned the DS now, never given an action for it (failed or canceled ones included),
 * and with a target type compatible with the DS type (or none).
 */
export async function findAutoAssignCandidates(
	db: Db,
	q: { tenant: string; dsId: number; query: SQL; range: SQL; limit: number },
): Promise<{ id: number; controllerId: string }[]> {
	const ds = await db.query.distributionSets.findFirst({
		columns: { typeId: true },
		where: eq(distributionSets.id, q.dsId),
	});
	if (!ds) {
		return [];
	}
	return db
		.select({ id: targets.id, controllerId: targets.controllerId })
		.from(targets)
		.where(
			and(
				eq(targets.tenant, q.tenant),
				q.range,
				q.query,
				or(sql`${targets.assignedDsId} IS NULL`, ne(targets.assignedDsId, q.dsId)),
				sql`NOT EXISTS (SELECT 1 FROM actions a WHERE a.target_id = ${targets.id} AND a.ds_id = ${q.dsId})`,
				sql`(${targets.targetTypeId} IS NULL OR EXISTS (SELECT 1 FROM target_type_ds_types c
					WHERE c.target_type_id = ${targets.targetTypeId} AND c.ds_type_id = ${ds.typeId}))`,
			),
		)
		.orderBy(targets.id)
		.limit(q.limit);
}

/** `id ∈ (after, upTo]`. */
export function idWindow(after: number, upTo: number): SQL {
	return and(gt(targets.id, after), lte(targets.id, upTo)) as SQL;
}

/** Targets created at or after `since` (registrations since the last ticks). */
export function createdSince(since: number): SQL {
	return gte(targets.createdAt, since);
}

/**
 * Moves the filter's cursor, unless the filter changed meanwhile (new query or DS reset the cursor
 * to 0, or a concurrent tick moved it): compare-and-set on the old cursor and DS.
 */
export async function advanceAutoAssignCursor(
	db: Db,
	q: { filterId: number; dsId: number; from: number; to: number },
): Promise<boolean> {
	const res = await db
		.update(targetFilters)
		.set({ autoAssignCursor: q.to })
		.where(
			and(
				eq(targetFilters.id, q.filterId),
				eq(targetFilters.autoAssignDsId, q.dsId),
				eq(targetFilters.autoAssignCursor, q.from),
			),
		)
		.returning({ id: targetFilters.id });
	return res.length === 1;
}
