/** Distribution-set tags and their assignment to sets. hawkBit: DistributionSetTagManagement. */
import { and, eq, inArray, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { DomainError, entityNotFound } from "../../errors";
import type { Db } from "../client";
import { distributionSets, distributionSetTagAssignments, distributionSetTags } from "../schema";
import { allOf, chunks, countAll, type Page, withConflict } from "./repository-common";

export type DsTagRow = typeof distributionSetTags.$inferSelect;
export type NotFoundPolicy = "FAIL" | "ON_WHAT_FOUND_AND_FAIL" | "ON_WHAT_FOUND_AND_SUCCESS";

const DUPLICATE = "Distribution set tag with this name already exists.";

export async function listDsTags(
	db: Db,
	q: Page & { tenant: string; where?: SQL },
): Promise<{ rows: DsTagRow[]; total: number }> {
	const cond = allOf(eq(distributionSetTags.tenant, q.tenant), q.where);
	const [rows, count] = await db.batch([
		db
			.select()
			.from(distributionSetTags)
			.where(cond)
			.orderBy(q.orderBy)
			.limit(q.limit)
			.offset(q.offset),
		db.select({ n: countAll }).from(distributionSetTags).where(cond),
	]);
	return { rows, total: count[0]?.n ?? 0 };
}

/** The tag or 404 `DistributionSetTag`. */
export async function getDsTag(db: Db, q: { tenant: string; id: number }): Promise<DsTagRow> {
	const row = await db.query.distributionSetTags.findFirst({
		where: and(eq(distributionSetTags.tenant, q.tenant), eq(distributionSetTags.id, q.id)),
	});
	if (!row) {
		throw entityNotFound("DistributionSetTag", q.id);
	}
	return row;
}

export async function insertDsTags(
	db: Db,
	q: {
		tenant: string;
		by: string;
		items: { name: string; description?: string | null; colour?: string | null }[];
	},
): Promise<DsTagRow[]> {
	const now = Date.now();
	const [first, ...rest] = q.items.map((t) =>
		db
			.insert(distributionSetTags)
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
	if (!first) {
		return [];
	}
	const results = await withConflict(DUPLICATE, () => db.batch([first, ...rest]));
	return results.flat();
}

export async function updateDsTag(
	db: Db,
	q: {
		tenant: string;
		id: number;
		by: string;
		name?: string | null;
		description?: string | null;
		colour?: string | null;
	},
): Promise<DsTagRow> {
	const current = await getDsTag(db, q);
	const [row] = await withConflict(DUPLICATE, () =>
		db
			.update(distributionSetTags)
			.set({
				name: q.name ?? current.name,
				description: q.description ?? current.description,
				colour: q.colour ?? current.colour,
				lastModifiedAt: Date.now(),
				lastModifiedBy: q.by,
			})
			.where(eq(distributionSetTags.id, current.id))
			.returning(),
	);
	return row ?? current;
}

export async function deleteDsTag(db: Db, q: { tenant: string; id: number }): Promise<void> {
	const current = await getDsTag(db, q);
	await db.delete(distributionSetTags).where(eq(distributionSetTags.id, current.id));
}

/** `distribution_sets.id IN (sets tagged with tagId)`, for listing a tag's sets. */
export function taggedSetsCondition(db: Db, tagId: number): SQL {
	return inArray(
		distributionSets.id,
		db
			.select({ id: distributionSetTagAssignments.dsId })
			.from(distributionSetTagAssignments)
			.where(eq(distributionSetTagAssignments.tagId, tagId)),
	);
}

/**
 * Tags or untags sets by id in one D1 batch. Unknown ids: FAIL → 404 before any change;
 * ON_WHAT_FOUND_AND_FAIL → change the found ones, then 404; ON_WHAT_FOUND_AND_SUCCESS → ignore.
 */
export async function changeDsTagAssignment(
	db: Db,
	q: { tenant: string; tagId: number; dsIds: number[]; assign: boolean; policy: NotFoundPolicy },
): Promise<void> {
	const tag = await getDsTag(db, { tenant: q.tenant, id: q.tagId });
	const unique = [...new Set(q.dsIds)];
	const found = new Set<number>();
	for (const chunk of chunks(unique, 90)) {
		const rows = await db
			.select({ id: distributionSets.id })
			.from(distributionSets)
			.where(and(eq(distributionSets.tenant, q.tenant), inArray(distributionSets.id, chunk)));
		for (const r of rows) {
			found.add(r.id);
		}
	}
	const missing = unique.filter((id) => !found.has(id));
	const notFound = () =>
		new DomainError(
			"repo.entityNotFound",
			`DistributionSet with given identifiers {${missing.join(", ")}} does not exist.`,
			{ type: "DistributionSet", entityId: missing },
		);
	if (missing.length > 0 && q.policy === "FAIL") {
		throw notFound();
	}
	const ids = [...found];
	const stmts: BatchItem<"sqlite">[] = chunks(ids, 45).map((chunk) =>
		q.assign
			? db
					.insert(distributionSetTagAssignments)
					.values(chunk.map((dsId) => ({ dsId, tagId: tag.id })))
					.onConflictDoNothing()
			: db
					.delete(distributionSetTagAssignments)
					.where(
						and(
							eq(distributionSetTagAssignments.tagId, tag.id),
							inArray(distributionSetTagAssignments.dsId, chunk),
						),
					),
	);
	const [first, ...rest] = stmts;
	if (first) {
		await db.batch([first, ...rest]);
	}
	if (missing.length > 0 && q.policy === "ON_WHAT_FOUND_AND_FAIL") {
		throw notFound();
	}
}
