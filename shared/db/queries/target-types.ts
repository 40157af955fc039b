/** Target types and their compatible distribution-set types. hawkBit: TargetTypeManagement. */
import { and, asc, count, eq, inArray, type SQL } from "drizzle-orm";
import { DomainError, entityNotFound } from "../../errors";
import type { Db } from "../client";
import { distributionSetTypes, targets, targetTypeDsTypes, targetTypes } from "../schema";
import { allOf, type Page, withConflict } from "./repository-common";

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
	const created: TargetTypeRow[] = [];
	const now = Date.now();
	// Each type needs its id before its DS-type links: one insert per type, then the links in a batch.
	await withConflict("Target type with that key or name already exists", async () => {
		const inserts = q.items.map((t) =>
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
		if (inserts.length === 0) {
			return;
		}
		const results = await db.batch(inserts as [(typeof inserts)[0], ...typeof inserts]);
		for (const r of results) {
			created.push(r[0] as TargetTypeRow);
		}
	});
	const links = created.flatMap((row, i) =>
		[...new Set(q.items[i]?.dsTypeIds ?? [])].map((dsTypeId) => ({
			targetTypeId: row.id,
			dsTypeId,
		})),
	);
	for (let i = 0; i < links.length; i += 45) {
		await db
			.insert(targetTypeDsTypes)
			.values(links.slice(i, i + 45))
			.onConflictDoNothing();
	}
	return created;
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
	for (let i = 0; i < unique.length; i += 45) {
		await db
			.insert(targetTypeDsTypes)
			.values(unique.slice(i, i + 45).map((dsTypeId) => ({ targetTypeId: q.id, dsTypeId })))
			.onConflictDoNothing();
	}
	await db
		.update(targetTypes)
		.set({ lastModifiedAt: Date.now(), lastModifiedBy: q.by })
		.where(eq(targetTypes.id, q.id));
}

export async function removeCompatibleDsType(
	db: Db,
	q: { tenant: string; id: number; dsTypeId: number; by: string },
) {
	await getTargetType(db, q);
	await db
		.delete(targetTypeDsTypes)
		.where(
			and(eq(targetTypeDsTypes.targetTypeId, q.id), eq(targetTypeDsTypes.dsTypeId, q.dsTypeId)),
		);
	await db
		.update(targetTypes)
		.set({ lastModifiedAt: Date.now(), lastModifiedBy: q.by })
		.where(eq(targetTypes.id, q.id));
}
