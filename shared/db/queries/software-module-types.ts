/** Software-module types. hawkBit: SoftwareModuleTypeManagement. */
import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import { entityNotFound } from "../../errors";
import type { Db } from "../client";
import { distributionSetTypeModuleTypes, softwareModules, softwareModuleTypes } from "../schema";
import {
	allOf,
	countAll,
	type Page,
	type SoftDeletedMode,
	softDeletedFilter,
	withConflict,
} from "./repository-common";

export type SmTypeRow = typeof softwareModuleTypes.$inferSelect;

export async function listSmTypes(
	db: Db,
	q: Page & { tenant: string; where?: SQL; mode?: SoftDeletedMode },
): Promise<{ rows: SmTypeRow[]; total: number }> {
	const cond = allOf(
		eq(softwareModuleTypes.tenant, q.tenant),
		softDeletedFilter(softwareModuleTypes.deleted, q.mode),
		q.where,
	);
	const [rows, count] = await db.batch([
		db
			.select()
			.from(softwareModuleTypes)
			.where(cond)
			.orderBy(q.orderBy)
			.limit(q.limit)
			.offset(q.offset),
		db.select({ n: countAll }).from(softwareModuleTypes).where(cond),
	]);
	return { rows, total: count[0]?.n ?? 0 };
}

export async function findSmType(
	db: Db,
	q: { tenant: string; id: number },
): Promise<SmTypeRow | undefined> {
	return db.query.softwareModuleTypes.findFirst({
		where: and(eq(softwareModuleTypes.tenant, q.tenant), eq(softwareModuleTypes.id, q.id)),
	});
}

/** The type or 404 `SoftwareModuleType`. */
export async function getSmType(db: Db, q: { tenant: string; id: number }): Promise<SmTypeRow> {
	const row = await findSmType(db, q);
	if (!row) {
		throw entityNotFound("SoftwareModuleType", q.id);
	}
	return row;
}

export async function findSmTypesByIds(
	db: Db,
	q: { tenant: string; ids: number[] },
): Promise<SmTypeRow[]> {
	if (q.ids.length === 0) {
		return [];
	}
	return db.query.softwareModuleTypes.findMany({
		where: and(eq(softwareModuleTypes.tenant, q.tenant), inArray(softwareModuleTypes.id, q.ids)),
	});
}

export async function findSmTypeByKey(
	db: Db,
	q: { tenant: string; key: string },
): Promise<SmTypeRow | undefined> {
	return db.query.softwareModuleTypes.findFirst({
		where: and(eq(softwareModuleTypes.tenant, q.tenant), eq(softwareModuleTypes.key, q.key)),
	});
}

export type NewSmType = {
	key: string;
	name: string;
	description?: string | null;
	colour?: string | null;
	maxAssignments: number;
	minArtifacts: number;
};

/** All or nothing (one D1 batch); a taken key or name → 409. */
export async function insertSmTypes(
	db: Db,
	q: { tenant: string; by: string; items: NewSmType[] },
): Promise<SmTypeRow[]> {
	const now = Date.now();
	const stmts = q.items.map((t) =>
		db
			.insert(softwareModuleTypes)
			.values({
				tenant: q.tenant,
				key: t.key,
				name: t.name,
				description: t.description ?? null,
				colour: t.colour ?? null,
				maxAssignments: t.maxAssignments,
				minArtifacts: t.minArtifacts,
				createdAt: now,
				createdBy: q.by,
				lastModifiedAt: now,
				lastModifiedBy: q.by,
			})
			.returning(),
	);
	const [first, ...rest] = stmts;
	if (!first) {
		return [];
	}
	const results = await withConflict(
		"Software module type with this key or name already exists.",
		() => db.batch([first, ...rest]),
	);
	return results.flat();
}

export async function updateSmType(
	db: Db,
	q: {
		tenant: string;
		id: number;
		by: string;
		description?: string | null;
		colour?: string | null;
	},
): Promise<SmTypeRow> {
	const current = await getSmType(db, q);
	const [row] = await db
		.update(softwareModuleTypes)
		.set({
			description: q.description ?? current.description,
			colour: q.colour ?? current.colour,
			lastModifiedAt: Date.now(),
			lastModifiedBy: q.by,
		})
		.where(eq(softwareModuleTypes.id, current.id))
		.returning();
	return row ?? current;
}

/**
 * Soft delete when any software module or DS type uses the type (its key stays taken), else hard
 * delete. hawkBit: SoftwareModuleTypeManagement#delete.
 */
export async function deleteSmType(db: Db, q: { tenant: string; id: number; by: string }) {
	const current = await getSmType(db, q);
	const used = await db.get<{ n: number }>(sql`
		SELECT (SELECT count(*) FROM ${softwareModules} WHERE type_id = ${current.id})
			+ (SELECT count(*) FROM ${distributionSetTypeModuleTypes} WHERE sm_type_id = ${current.id}) AS n`);
	if ((used?.n ?? 0) > 0) {
		await db
			.update(softwareModuleTypes)
			.set({ deleted: true, lastModifiedAt: Date.now(), lastModifiedBy: q.by })
			.where(eq(softwareModuleTypes.id, current.id));
		return "soft" as const;
	}
	await db.delete(softwareModuleTypes).where(eq(softwareModuleTypes.id, current.id));
	return "hard" as const;
}
