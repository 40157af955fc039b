/** Distribution-set types and their mandatory/optional module types. hawkBit: DistributionSetTypeManagement. */
import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { checkDsTypeModulesChangeable, type DsTypeInfo } from "../../domain/repository-rules";
import { DomainError, entityNotFound } from "../../errors";
import type { Db } from "../client";
import {
	distributionSets,
	distributionSetTypeModuleTypes,
	distributionSetTypes,
	softwareModuleTypes,
	targetTypeDsTypes,
} from "../schema";
import {
	allOf,
	countAll,
	type Page,
	type SoftDeletedMode,
	softDeletedFilter,
	withConflict,
} from "./repository-common";
import type { SmTypeRow } from "./software-module-types";

export type DsTypeRow = typeof distributionSetTypes.$inferSelect;

/** hawkBit's maxSoftwareModuleTypesPerDistributionSetType. */
export const MAX_SM_TYPES_PER_DS_TYPE = 50;

export async function listDsTypes(
	db: Db,
	q: Page & { tenant: string; where?: SQL; mode?: SoftDeletedMode },
): Promise<{ rows: DsTypeRow[]; total: number }> {
	const cond = allOf(
		eq(distributionSetTypes.tenant, q.tenant),
		softDeletedFilter(distributionSetTypes.deleted, q.mode),
		q.where,
	);
	const [rows, count] = await db.batch([
		db
			.select()
			.from(distributionSetTypes)
			.where(cond)
			.orderBy(q.orderBy)
			.limit(q.limit)
			.offset(q.offset),
		db.select({ n: countAll }).from(distributionSetTypes).where(cond),
	]);
	return { rows, total: count[0]?.n ?? 0 };
}

/** The type or 404 `DistributionSetType`. */
export async function getDsType(db: Db, q: { tenant: string; id: number }): Promise<DsTypeRow> {
	const row = await db.query.distributionSetTypes.findFirst({
		where: and(eq(distributionSetTypes.tenant, q.tenant), eq(distributionSetTypes.id, q.id)),
	});
	if (!row) {
		throw entityNotFound("DistributionSetType", q.id);
	}
	return row;
}

export async function findDsTypeByKey(
	db: Db,
	q: { tenant: string; key: string },
): Promise<DsTypeRow | undefined> {
	return db.query.distributionSetTypes.findFirst({
		where: and(eq(distributionSetTypes.tenant, q.tenant), eq(distributionSetTypes.key, q.key)),
	});
}

/** Mandatory and optional SM type ids of a DS type. */
export async function dsTypeModuleTypes(db: Db, dsTypeId: number): Promise<DsTypeInfo> {
	const rows = await db
		.select()
		.from(distributionSetTypeModuleTypes)
		.where(eq(distributionSetTypeModuleTypes.dsTypeId, dsTypeId));
	return {
		mandatory: rows.filter((r) => r.mandatory).map((r) => r.smTypeId),
		optional: rows.filter((r) => !r.mandatory).map((r) => r.smTypeId),
	};
}

/** The SM types of one list (mandatory or optional), in id order. */
export async function listDsTypeModuleTypes(
	db: Db,
	q: { tenant: string; id: number; mandatory: boolean },
): Promise<SmTypeRow[]> {
	await getDsType(db, q);
	const rows = await db
		.select({ t: softwareModuleTypes })
		.from(distributionSetTypeModuleTypes)
		.innerJoin(
			softwareModuleTypes,
			eq(softwareModuleTypes.id, distributionSetTypeModuleTypes.smTypeId),
		)
		.where(
			and(
				eq(distributionSetTypeModuleTypes.dsTypeId, q.id),
				eq(distributionSetTypeModuleTypes.mandatory, q.mandatory),
			),
		)
		.orderBy(softwareModuleTypes.id);
	return rows.map((r) => r.t);
}

async function requireSmTypes(db: Db, tenant: string, ids: number[]): Promise<void> {
	const unique = [...new Set(ids)];
	if (unique.length === 0) {
		return;
	}
	const found = await db
		.select({ id: softwareModuleTypes.id, deleted: softwareModuleTypes.deleted })
		.from(softwareModuleTypes)
		.where(and(eq(softwareModuleTypes.tenant, tenant), inArray(softwareModuleTypes.id, unique)));
	for (const id of unique) {
		const t = found.find((f) => f.id === id);
		if (!t) {
			throw entityNotFound("SoftwareModuleType", id);
		}
		if (t.deleted) {
			throw new DomainError(
				"repo.constraintViolation",
				`Software module type ${id} is deleted and cannot be used.`,
			);
		}
	}
}

export type NewDsType = {
	key: string;
	name: string;
	description?: string | null;
	colour?: string | null;
	mandatory: number[];
	optional: number[];
};

/** Types and their module-type lists in one D1 batch; a taken key or name → 409. */
export async function insertDsTypes(
	db: Db,
	q: { tenant: string; by: string; items: NewDsType[] },
): Promise<DsTypeRow[]> {
	for (const item of q.items) {
		if (item.mandatory.length + item.optional.length > MAX_SM_TYPES_PER_DS_TYPE) {
			throw new DomainError(
				"quota.tooManyEntries",
				`Quota exceeded: a distribution set type may hold at most ${MAX_SM_TYPES_PER_DS_TYPE} module types.`,
			);
		}
		await requireSmTypes(db, q.tenant, [...item.mandatory, ...item.optional]);
	}
	const now = Date.now();
	const stmts: BatchItem<"sqlite">[] = q.items.flatMap((item) => {
		const links = [
			...item.optional.map((id) => ({ id, mandatory: false })),
			// Mandatory wins if a client names a type in both lists.
			...item.mandatory.map((id) => ({ id, mandatory: true })),
		];
		return [
			db.insert(distributionSetTypes).values({
				tenant: q.tenant,
				key: item.key,
				name: item.name,
				description: item.description ?? null,
				colour: item.colour ?? null,
				createdAt: now,
				createdBy: q.by,
				lastModifiedAt: now,
				lastModifiedBy: q.by,
			}),
			// The new type's id is not known inside the batch; find it by its (tenant, key).
			...links.map((l) =>
				db
					.insert(distributionSetTypeModuleTypes)
					.select(
						db
							.select({
								dsTypeId: distributionSetTypes.id,
								smTypeId: sql<number>`${l.id}`.as("sm_type_id"),
								mandatory: sql<boolean>`${l.mandatory ? 1 : 0}`.as("mandatory"),
							})
							.from(distributionSetTypes)
							.where(
								and(
									eq(distributionSetTypes.tenant, q.tenant),
									eq(distributionSetTypes.key, item.key),
								),
							),
					)
					.onConflictDoUpdate({
						target: [
							distributionSetTypeModuleTypes.dsTypeId,
							distributionSetTypeModuleTypes.smTypeId,
						],
						set: { mandatory: l.mandatory },
					}),
			),
		];
	});
	const [first, ...rest] = stmts;
	if (!first) {
		return [];
	}
	await withConflict("Distribution set type with this key or name already exists.", () =>
		db.batch([first, ...rest]),
	);
	const keys = q.items.map((i) => i.key);
	const rows = await db.query.distributionSetTypes.findMany({
		where: and(eq(distributionSetTypes.tenant, q.tenant), inArray(distributionSetTypes.key, keys)),
	});
	return keys.map((k) => rows.find((r) => r.key === k)).filter((r): r is DsTypeRow => !!r);
}

export async function updateDsType(
	db: Db,
	q: {
		tenant: string;
		id: number;
		by: string;
		description?: string | null;
		colour?: string | null;
	},
): Promise<DsTypeRow> {
	const current = await getDsType(db, q);
	const [row] = await db
		.update(distributionSetTypes)
		.set({
			description: q.description ?? current.description,
			colour: q.colour ?? current.colour,
			lastModifiedAt: Date.now(),
			lastModifiedBy: q.by,
		})
		.where(eq(distributionSetTypes.id, current.id))
		.returning();
	return row ?? current;
}

async function isDsTypeInUse(db: Db, id: number): Promise<boolean> {
	const [row] = await db
		.select({ n: countAll })
		.from(distributionSets)
		.where(eq(distributionSets.typeId, id));
	return (row?.n ?? 0) > 0;
}

/** Soft delete while a DS uses it, else hard delete (also leaving every target type's list). */
export async function deleteDsType(db: Db, q: { tenant: string; id: number; by: string }) {
	const current = await getDsType(db, q);
	if (await isDsTypeInUse(db, current.id)) {
		await db
			.update(distributionSetTypes)
			.set({ deleted: true, lastModifiedAt: Date.now(), lastModifiedBy: q.by })
			.where(eq(distributionSetTypes.id, current.id));
		return "soft" as const;
	}
	await db.batch([
		db.delete(targetTypeDsTypes).where(eq(targetTypeDsTypes.dsTypeId, current.id)),
		db.delete(distributionSetTypes).where(eq(distributionSetTypes.id, current.id)),
	]);
	return "hard" as const;
}

/** Adds (or moves) an SM type to the mandatory/optional list; 403 once a DS uses the type. */
export async function addDsTypeModuleType(
	db: Db,
	q: { tenant: string; id: number; smTypeId: number; mandatory: boolean; by: string },
): Promise<void> {
	const current = await getDsType(db, q);
	const readOnly = checkDsTypeModulesChangeable({
		id: current.id,
		inUse: await isDsTypeInUse(db, current.id),
	});
	if (readOnly) {
		throw readOnly;
	}
	await requireSmTypes(db, q.tenant, [q.smTypeId]);
	const info = await dsTypeModuleTypes(db, current.id);
	if (info.mandatory.length + info.optional.length >= MAX_SM_TYPES_PER_DS_TYPE) {
		throw new DomainError(
			"quota.tooManyEntries",
			`Quota exceeded: a distribution set type may hold at most ${MAX_SM_TYPES_PER_DS_TYPE} module types.`,
		);
	}
	await db.batch([
		db
			.insert(distributionSetTypeModuleTypes)
			.values({ dsTypeId: current.id, smTypeId: q.smTypeId, mandatory: q.mandatory })
			.onConflictDoUpdate({
				target: [distributionSetTypeModuleTypes.dsTypeId, distributionSetTypeModuleTypes.smTypeId],
				set: { mandatory: q.mandatory },
			}),
		db
			.update(distributionSetTypes)
			.set({ lastModifiedAt: Date.now(), lastModifiedBy: q.by })
			.where(eq(distributionSetTypes.id, current.id)),
	]);
}

/** Removes an SM type from one list; 404 when it is not in that list, 403 once a DS uses the type. */
export async function removeDsTypeModuleType(
	db: Db,
	q: { tenant: string; id: number; smTypeId: number; mandatory: boolean; by: string },
): Promise<void> {
	const current = await getDsType(db, q);
	const info = await dsTypeModuleTypes(db, current.id);
	if (!(q.mandatory ? info.mandatory : info.optional).includes(q.smTypeId)) {
		throw entityNotFound("SoftwareModuleType", q.smTypeId);
	}
	const readOnly = checkDsTypeModulesChangeable({
		id: current.id,
		inUse: await isDsTypeInUse(db, current.id),
	});
	if (readOnly) {
		throw readOnly;
	}
	await db
		.delete(distributionSetTypeModuleTypes)
		.where(
			and(
				eq(distributionSetTypeModuleTypes.dsTypeId, current.id),
				eq(distributionSetTypeModuleTypes.smTypeId, q.smTypeId),
			),
		);
}
