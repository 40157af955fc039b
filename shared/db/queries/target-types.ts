/** Target types and their compatible distribution-set types. hawkBit: TargetTypeManagement. */
import { and, asc, count, eq, inArray, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { DomainError, entityNotFound } from "../../errors";
import type { Db } from "../client";
import { distributionSetTypes, targets, targetTypeDsTypes, targetTypes } from "../schema";
import { allOf, chunks, type Page, withConflict } from "./repository-common";

export type TargetTypeRow = typeof targetTypes.$inferSelect;
export type DsTypeRow = typeof distributionSetTypes.$inferSelect;

export async function listTargetTypes(
	db: Db,
	q: { tenant: string; where?: SQL } & Page,
): Promise<{ rows: TargetTypeRow[]; total: number }> {
	const cond = allOf(eq(targetTypes.tenant, q.tenant), q.where);
	const [rows, totals] = await db.batch([
		db.select().from(targetTypes).where(cond).orderBy(q.orderBy).limit(q.limit).offset(q.offset),
		db.select({ n: count() }).from(targetTypes).where(cond),
	]);
	return { rows, total: totals[0]?.n ?? 0 };
}

export async function getTargetType(
	db: Db,
	q: { tenant: string; id: number },
): Promise<TargetTypeRow> {
	const row = await db.query.targetTypes.findFirst({
		where: and(eq(targetTypes.tenant, q.tenant), eq(targetTypes.id, q.id)),
	});
	if (!row) {
		throw entityNotFound("TargetType", q.id);
	}
	return row;
}

async function assertDsTypes(db: Db, tenant: string, ids: number[]) {
	const unique = [...new Set(ids)];
	if (unique.length === 0) {
		return;
	}
	const found = await db
		.select({ id: distributionSetTypes.id })
		.from(distributionSetTypes)
		.where(
			and(
				eq(distributionSetTypes.tenant, tenant),
				inArray(distributionSetTypes.id, unique),
				eq(distributionSetTypes.deleted, false),
			),
		);
	const have = new Set(found.map((f) => f.id));
	const missing = unique.find((id) => !have.has(id));
	if (missing !== undefined) {
		throw entityNotFound("DistributionSetType", missing);
	}
}

export type TargetTypeInput = {
	key: string;
	name: string;
	description?: string | null;
	colour?: string | null;
	dsTypeIds: number[];
};

/** Creates target types (with compatible DS types) all-or-nothing; 409 on duplicate key or name. */
export async function insertTargetTypes(
	db: Db,
	q: { tenant: string; items: TargetTypeInput[]; by: string },
): Promise<TargetTypeRow[]> {
	await assertDsTypes(
		db,
		q.tenant,
		q.items.flatMap((i) => i.dsTypeIds),
	);
	const now = Date.now();
	// Types and their links go in ONE batch (all-or-nothing). A new type's id is not known inside the
	// batch, so each link statement finds it by its unique (tenant, key).
	const stmts: BatchItem<"sqlite">[] = [];
	const typeAt: number[] = [];
	for (const t of q.items) {
		typeAt.push(stmts.length);
		stmts.push(
			db
				.insert(targetTypes)
				.values({
					tenant: q.tenant,
					key: t.key,
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
		for (const ids of chunks([...new Set(t.dsTypeIds)], 90)) {
			stmts.push(linkNewType(db, q.tenant, t.key, ids));
		}
	}
	const [first, ...rest] = stmts;
	if (!first) {
		return [];
	}
	const results = await withConflict("Target type with that key or name already exists", () =>
		db.batch([first, ...rest]),
	);
	return typeAt.map((i) => (results[i] as TargetTypeRow[])[0] as TargetTypeRow);
}

/** Links a type created earlier in the same batch (found by its unique key) to DS types. */
function linkNewType(db: Db, tenant: string, key: string, dsTypeIds: number[]) {
	return db.insert(targetTypeDsTypes).select(
		db
			.select({ targetTypeId: targetTypes.id, dsTypeId: distributionSetTypes.id })
			.from(targetTypes)
			.innerJoin(
				distributionSetTypes,
				and(
					eq(distributionSetTypes.tenant, targetTypes.tenant),
					inArray(distributionSetTypes.id, dsTypeIds),
				),
			)
			.where(and(eq(targetTypes.tenant, tenant), eq(targetTypes.key, key))),
	);
}

export async function updateTargetType(
	db: Db,
	q: {
		tenant: string;
		id: number;
		patch: { name?: string | null; description?: string | null; colour?: string | null };
		by: string;
	},
): Promise<TargetTypeRow> {
	await getTargetType(db, q);
	const set: Partial<typeof targetTypes.$inferInsert> = {
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
	await withConflict("Target type with that name already exists", () =>
		db.update(targetTypes).set(set).where(eq(targetTypes.id, q.id)),
	);
	return getTargetType(db, q);
}

/** Deletes a type; 409 `target.type.used` while targets still have it. */
export async function deleteTargetType(db: Db, q: { tenant: string; id: number }) {
	await getTargetType(db, q);
	const [used] = await db
		.select({ n: count() })
		.from(targets)
		.where(and(eq(targets.tenant, q.tenant), eq(targets.targetTypeId, q.id)));
	if ((used?.n ?? 0) > 0) {
		throw new DomainError(
			"target.type.used",
			`Target type ${q.id} is still assigned to ${used?.n} target(s) and cannot be deleted`,
		);
	}
	await db.delete(targetTypes).where(eq(targetTypes.id, q.id));
}

export async function listCompatibleDsTypes(db: Db, targetTypeId: number): Promise<DsTypeRow[]> {
	const rows = await db
		.select({ t: distributionSetTypes })
		.from(targetTypeDsTypes)
		.innerJoin(distributionSetTypes, eq(distributionSetTypes.id, targetTypeDsTypes.dsTypeId))
		.where(eq(targetTypeDsTypes.targetTypeId, targetTypeId))
		.orderBy(asc(distributionSetTypes.id));
	return rows.map((r) => r.t);
}

export async function addCompatibleDsTypes(
	db: Db,
	q: { tenant: string; id: number; dsTypeIds: number[]; by: string },
) {
	await getTargetType(db, q);
	await assertDsTypes(db, q.tenant, q.dsTypeIds);
	const unique = [...new Set(q.dsTypeIds)];
	// Links and the type's audit fields in one batch, so a failure leaves none of them written.
	await db.batch([
		touchTargetType(db, q.id, q.by),
		...chunks(unique, 45).map((ids) =>
			db
				.insert(targetTypeDsTypes)
				.values(ids.map((dsTypeId) => ({ targetTypeId: q.id, dsTypeId })))
				.onConflictDoNothing(),
		),
	]);
}

function touchTargetType(db: Db, id: number, by: string) {
	return db
		.update(targetTypes)
		.set({ lastModifiedAt: Date.now(), lastModifiedBy: by })
		.where(eq(targetTypes.id, id));
}

export async function removeCompatibleDsType(
	db: Db,
	q: { tenant: string; id: number; dsTypeId: number; by: string },
) {
	await getTargetType(db, q);
	await db.batch([
		db
			.delete(targetTypeDsTypes)
			.where(
				and(eq(targetTypeDsTypes.targetTypeId, q.id), eq(targetTypeDsTypes.dsTypeId, q.dsTypeId)),
			),
		touchTargetType(db, q.id, q.by),
	]);
}
