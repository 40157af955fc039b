/** Target filter queries and their auto-assignment settings. hawkBit: TargetFilterQueryManagement. */
import { and, eq, type SQL } from "drizzle-orm";
import { entityNotFound } from "../../errors";
import type { Db } from "../client";
import { type ActionType, targetFilters } from "../schema";
import { autoAssignCleared } from "./distribution-sets";
import { allOf, countAll, type Page, withConflict } from "./repository-common";

export type TargetFilterRow = typeof targetFilters.$inferSelect;

export async function listTargetFilters(
	db: Db,
	q: Page & { tenant: string; where?: SQL; autoAssignDsId?: number },
): Promise<{ rows: TargetFilterRow[]; total: number }> {
	const cond = allOf(
		eq(targetFilters.tenant, q.tenant),
		q.autoAssignDsId === undefined ? undefined : eq(targetFilters.autoAssignDsId, q.autoAssignDsId),
		q.where,
	);
	const [rows, count] = await db.batch([
		db.select().from(targetFilters).where(cond).orderBy(q.orderBy).limit(q.limit).offset(q.offset),
		db.select({ n: countAll }).from(targetFilters).where(cond),
	]);
	return { rows, total: count[0]?.n ?? 0 };
}

/** The filter or 404 `TargetFilterQuery`. */
export async function getTargetFilter(
	db: Db,
	q: { tenant: string; id: number },
): Promise<TargetFilterRow> {
	const row = await db.query.targetFilters.findFirst({
		where: and(eq(targetFilters.tenant, q.tenant), eq(targetFilters.id, q.id)),
	});
	if (!row) {
		throw entityNotFound("TargetFilterQuery", q.id);
	}
	return row;
}

const DUPLICATE = "Target filter with this name already exists.";

export async function insertTargetFilter(
	db: Db,
	q: { tenant: string; by: string; name: string; query: string },
): Promise<TargetFilterRow> {
	const now = Date.now();
	const [row] = await withConflict(DUPLICATE, () =>
		db
			.insert(targetFilters)
			.values({
				tenant: q.tenant,
				name: q.name,
				query: q.query,
				createdAt: now,
				createdBy: q.by,
				lastModifiedAt: now,
				lastModifiedBy: q.by,
			})
			.returning(),
	);
	if (!row) {
		throw new Error("target filter not created");
	}
	return row;
}

/** Partial update; a changed query restarts the auto-assignment pass from the first target. */
export async function updateTargetFilter(
	db: Db,
	q: { tenant: string; id: number; by: string; name?: string | null; query?: string | null },
): Promise<TargetFilterRow> {
	const current = await getTargetFilter(db, q);
	const query = q.query ?? current.query;
	const [row] = await withConflict(DUPLICATE, () =>
		db
			.update(targetFilters)
			.set({
				name: q.name ?? current.name,
				query,
				autoAssignCursor: query === current.query ? current.autoAssignCursor : 0,
				lastModifiedAt: Date.now(),
				lastModifiedBy: q.by,
			})
			.where(eq(targetFilters.id, current.id))
			.returning(),
	);
	return row ?? current;
}

export async function deleteTargetFilter(db: Db, q: { tenant: string; id: number }): Promise<void> {
	const current = await getTargetFilter(db, q);
	await db.delete(targetFilters).where(eq(targetFilters.id, current.id));
}

/** Sets (or replaces) the auto-assignment; the pass starts over from the first target. */
export async function setAutoAssignment(
	db: Db,
	q: {
		tenant: string;
		id: number;
		by: string;
		dsId: number;
		actionType: ActionType;
		weight: number | null;
		confirmationRequired: boolean | null;
	},
): Promise<TargetFilterRow> {
	const current = await getTargetFilter(db, q);
	const [row] = await db
		.update(targetFilters)
		.set({
			autoAssignDsId: q.dsId,
			autoAssignActionType: q.actionType,
			autoAssignWeight: q.weight,
			confirmationRequired: q.confirmationRequired,
			autoAssignInitiatedBy: q.by,
			autoAssignCursor: 0,
			lastModifiedAt: Date.now(),
			lastModifiedBy: q.by,
		})
		.where(eq(targetFilters.id, current.id))
		.returning();
	return row ?? current;
}

export async function clearAutoAssignment(
	db: Db,
	q: { tenant: string; id: number; by: string },
): Promise<void> {
	const current = await getTargetFilter(db, q);
	await db
		.update(targetFilters)
		.set({ ...autoAssignCleared(), lastModifiedAt: Date.now(), lastModifiedBy: q.by })
		.where(eq(targetFilters.id, current.id));
}
