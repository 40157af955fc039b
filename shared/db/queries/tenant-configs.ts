/** SQL of tenant configuration overrides. hawkBit: TenantConfigurationRepository, TenantMetaData#defaultDsType. */
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../client";
import { distributionSetTypes, tenantConfigs, tenants } from "../schema";

/** A stored override: `value` is the JSON encoding of the typed value. */
export type TenantConfigRow = typeof tenantConfigs.$inferSelect;

/** Overrides of a tenant, optionally only the given keys. */
export async function listTenantConfigRows(
	db: Db,
	tenant: string,
	keys?: string[],
): Promise<TenantConfigRow[]> {
	return db
		.select()
		.from(tenantConfigs)
		.where(
			keys
				? and(eq(tenantConfigs.tenant, tenant), inArray(tenantConfigs.key, keys))
				: eq(tenantConfigs.tenant, tenant),
		);
}

/** The overrides of a tenant and whether the tenant exists, in one D1 round trip. */
export async function readTenantConfigState(
	db: Db,
	tenant: string,
): Promise<{ exists: boolean; rows: TenantConfigRow[] }> {
	const [rows, found] = await db.batch([
		db.select().from(tenantConfigs).where(eq(tenantConfigs.tenant, tenant)),
		db.select({ id: tenants.id }).from(tenants).where(eq(tenants.name, tenant)).limit(1),
	]);
	return { exists: found.length > 0, rows };
}

/**
 * Writes overrides (insert or update, keeping the creation audit fields) and optionally the default DS
 * type, as one D1 batch: D1 has no interactive transactions, a batch is atomic.
 */
export async function writeTenantConfig(
	db: Db,
	tenant: string,
	change: {
		rows: { key: string; value: boolean | number | string }[];
		defaultDsTypeId?: number;
	},
	user: string,
	now = Date.now(),
): Promise<void> {
	const statements = change.rows.map((r) =>
		db
			.insert(tenantConfigs)
			.values({
				tenant,
				key: r.key,
				value: JSON.stringify(r.value),
				createdAt: now,
				createdBy: user,
				lastModifiedAt: now,
				lastModifiedBy: user,
			})
			.onConflictDoUpdate({
				target: [tenantConfigs.tenant, tenantConfigs.key],
				set: {
					value: sql`excluded.value`,
					lastModifiedAt: now,
					lastModifiedBy: user,
				},
			}),
	);
	const all = [
		...statements,
		...(change.defaultDsTypeId === undefined
			? []
			: [
					db
						.update(tenants)
						.set({ defaultDsTypeId: change.defaultDsTypeId })
						.where(eq(tenants.name, tenant)),
				]),
	];
	const [first, ...rest] = all;
	if (first) {
		await db.batch([first, ...rest]);
	}
}

/** Removes one override; a missing row is not an error. */
export async function deleteTenantConfigRow(db: Db, tenant: string, key: string): Promise<void> {
	await db
		.delete(tenantConfigs)
		.where(and(eq(tenantConfigs.tenant, tenant), eq(tenantConfigs.key, key)));
}

/** The tenant's default DS type id, if the tenant exists and has one. */
export async function findDefaultDsType(db: Db, tenant: string): Promise<number | undefined> {
	const row = await db
		.select({ id: tenants.defaultDsTypeId })
		.from(tenants)
		.where(eq(tenants.name, tenant))
		.get();
	return row?.id ?? undefined;
}

/** A DS type of the tenant by id (soft-deleted ones excluded: they cannot be used for new entities). */
export async function findDistributionSetType(
	db: Db,
	tenant: string,
	id: number,
): Promise<{ id: number } | undefined> {
	return db
		.select({ id: distributionSetTypes.id })
		.from(distributionSetTypes)
		.where(
			and(
				eq(distributionSetTypes.tenant, tenant),
				eq(distributionSetTypes.id, id),
				eq(distributionSetTypes.deleted, false),
			),
		)
		.get();
}
