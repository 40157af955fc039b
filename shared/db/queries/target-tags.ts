/** Target tags and their assignment to targets. hawkBit: TargetTagManagement, TargetManagement#assignTag/unassignTag. */
import { and, count, eq, inArray, type SQL, sql } from "drizzle-orm";
import { DomainError, entityNotFound } from "../../errors";
import type { Db } from "../client";
import { targets, targetTagAssignments, targetTags } from "../schema";
import { allOf, chunks, type Page, withConflict } from "./repository-common";

export type TargetTagRow = typeof targetTags.$inferSelect;

export async function listTargetTags(
	db: Db,
	q: { tenant: string; where?: SQL } & Page,
): Promise<{ rows: TargetTagRow[]; total: number }> {
	const cond = allOf(eq(targetTags.tenant, q.tenant), q.where);
	const [rows, totals] = await db.batch([
		db.select().from(targetTags).where(cond).orderBy(q.orderBy).limit(q.limit).offset(q.offset),
		db.select({ n: count() }).from(targetTags).where(cond),
	]);
	return { rows, total: totals[0]?.n ?? 0 };
}

export async function getTargetTag(
	db: Db,
	q: { tenant: string; id: number },
): Promise<TargetTagRow> {
	const row = await db.query.targetTags.findFirst({
		where: and(eq(targetTags.tenant, q.tenant), eq(targetTags.id, q.id)),
	});
	if (!row) {
		throw entityNotFound("TargetTag", q.id);
	}
	return row;
}

export type TagInput = { name: string; description?: string | null; colour?: string | null };

/** Creates tags all-or-nothing; 409 when a name exists in the tenant (or repeats). */
export async function insertTargetTags(
	db: Db,
	q: { tenant: string; items: TagInput[]; by: string },
): Promise<TargetTagRow[]> {
	if (q.items.length === 0) {
		return [];
	}
	const now = Date.now();
	const stmts = q.items.map((t) =>
		db
			.insert(targetTags)
			.values({
				tenant: q.tenant,
				name: t.name,
				description: t.description ?? null,
				colour: t.colour ?? null,
				createdAt: now,
				createdBy: q.by,
				lastModifiedAt: now,
				lastModifiedBy: q.by,
			})
			.returning(),
	);
	const results = await withConflict("Tag with that name already exists", () =>
		db.batch(stmts as [(typeof stmts)[0], ...typeof stmts]),
	);
	return results.map((r) => r[0] as TargetTagRow);
}

export async function updateTargetTag(
	db: Db,
	q: {
		tenant: string;
		id: number;
		patch: { name?: string | null; description?: string | null; colour?: string | null };
		by: string;
	},
): Promise<TargetTagRow> {
	await getTargetTag(db, q);
	const set: Partial<typeof targetTags.$inferInsert> = {
		lastModifiedAt: Date.now(),
		lastModifiedBy: q.by,
	};
	if (q.patch.name != null) {
		set.name = q.patch.name;
	}
	if (q.patch.description != null) {
		set.description = q.patch.description;
	}
	if (q.patch.colour != null) {
		set.colour = q.patch.colour;
	}
	await withConflict("Tag with that name already exists", () =>
		db.update(targetTags).set(set).where(eq(targetTags.id, q.id)),
	);
	return getTargetTag(db, q);
}

export async function deleteTargetTag(db: Db, q: { tenant: string; id: number }) {
	await getTargetTag(db, q);
	await db.delete(targetTags).where(eq(targetTags.id, q.id));
}

/** Condition on `targets`: tagged with the tag (for the paged `…/assigned` list). */
export function taggedCondition(tagId: number): SQL {
	return sql`EXISTS (SELECT 1 FROM "target_tag_assignments" "x" WHERE "x"."target_id" = "targets"."id" AND "x"."tag_id" = ${tagId})`;
}

export type NotFoundPolicy = "FAIL" | "ON_WHAT_FOUND_AND_FAIL" | "ON_WHAT_FOUND_AND_SUCCESS";

/**
 * Assigns or unassigns a tag for targets by controller id, in one D1 batch. Unknown ids: FAIL → 404
 * before any change; ON_WHAT_FOUND_AND_FAIL → change the found ones, then 404 (returned as `notFound`
 * for the caller to throw once it has refreshed the changed targets' poll entries);
 * ON_WHAT_FOUND_AND_SUCCESS → ignore. hawkBit: MgmtTargetTagResource#assignTargets / #unassignTargets.
 */
export async function changeTagAssignment(
	db: Db,
	q: {
		tenant: string;
		tagId: number;
		controllerIds: string[];
		assign: boolean;
		policy: NotFoundPolicy;
	},
): Promise<{ targetIds: number[]; notFound?: DomainError }> {
	await getTargetTag(db, { tenant: q.tenant, id: q.tagId });
	const unique = [...new Set(q.controllerIds)];
	const ids = new Map<string, number>();
	for (const chunk of chunks(unique, 90)) {
		const rows = await db
			.select({ id: targets.id, controllerId: targets.controllerId })
			.from(targets)
			.where(and(eq(targets.tenant, q.tenant), inArray(targets.controllerId, chunk)));
		for (const r of rows) {
			ids.set(r.controllerId, r.id);
		}
	}
	const missing = unique.filter((c) => !ids.has(c));
	const notFound = () =>
		new DomainError(
			"repo.entityNotFound",
			`Target with given identifiers {${missing.join(", ")}} does not exist.`,
			{ type: "Target", entityId: missing },
		);
	if (missing.length > 0 && q.policy === "FAIL") {
		throw notFound();
	}
	const targetIds = [...ids.values()];
	// Two bound values per assignment row: 45 rows per statement stays under D1's 100.
	const stmts = chunks(targetIds, 45).map((chunk) =>
		q.assign
			? db
					.insert(targetTagAssignments)
					.values(chunk.map((targetId) => ({ targetId, tagId: q.tagId })))
					.onConflictDoNothing()
			: db
					.delete(targetTagAssignments)
					.where(
						and(
							eq(targetTagAssignments.tagId, q.tagId),
							inArray(targetTagAssignments.targetId, chunk),
						),
					),
	);
	const [first, ...rest] = stmts;
	if (first) {
		await db.batch([first, ...rest]);
	}
	if (missing.length > 0 && q.policy === "ON_WHAT_FOUND_AND_FAIL") {
		return { targetIds, notFound: notFound() };
	}
	return { targetIds };
}
