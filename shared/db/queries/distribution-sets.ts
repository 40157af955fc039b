/**
 * Distribution sets: CRUD, modules, metadata, invalidation, deletion and statistics.
 * hawkBit: DistributionSetManagement, DistributionSetInvalidationManagement.
 */
import { and, asc, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import {
	checkDsModulesChangeable,
	checkModuleAssignment,
	type ModuleTypeInfo,
} from "../../domain/repository-rules";
import { DomainError, entityNotFound } from "../../errors";
import type { Db } from "../client";
import {
	actions,
	distributionSetMetadata,
	distributionSetModules,
	distributionSets,
	distributionSetTypeModuleTypes,
	distributionSetTypes,
	rollouts,
	softwareModules,
	softwareModuleTypes,
	targetFilters,
	tenants,
} from "../schema";
import {
	allOf,
	countAll,
	type Page,
	type SoftDeletedMode,
	softDeletedFilter,
	withConflict,
} from "./repository-common";
import { findSoftwareModulesByIds, type SmView } from "./software-modules";

/** hawkBit quotas: modules per DS, metadata entries per DS. */
export const MAX_MODULES_PER_DS = 100;
export const MAX_DS_METADATA = 100;

export type DsRow = typeof distributionSets.$inferSelect;
export type DsView = DsRow & {
	typeKey: string;
	typeName: string;
	modules: SmView[];
	complete: boolean;
};

/** Adds type, modules and completeness to DS rows (three queries for any number of sets). */
async function toViews(db: Db, tenant: string, rows: DsRow[]): Promise<DsView[]> {
	if (rows.length === 0) {
		return [];
	}
	const dsIds = rows.map((r) => r.id);
	const typeIds = [...new Set(rows.map((r) => r.typeId))];
	const [types, links, mandatory] = await db.batch([
		db.select().from(distributionSetTypes).where(inArray(distributionSetTypes.id, typeIds)),
		db
			.select()
			.from(distributionSetModules)
			.where(inArray(distributionSetModules.dsId, dsIds))
			.orderBy(asc(distributionSetModules.smId)),
		db
			.select()
			.from(distributionSetTypeModuleTypes)
			.where(
				and(
					inArray(distributionSetTypeModuleTypes.dsTypeId, typeIds),
					eq(distributionSetTypeModuleTypes.mandatory, true),
				),
			),
	]);
	const modules = await findSoftwareModulesByIds(db, {
		tenant,
		ids: [...new Set(links.map((l) => l.smId))],
	});
	const moduleById = new Map(modules.map((m) => [m.id, m]));
	return rows.map((r) => {
		const type = types.find((t) => t.id === r.typeId);
		const dsModules = links
			.filter((l) => l.dsId === r.id)
			.map((l) => moduleById.get(l.smId))
			.filter((m): m is SmView => !!m);
		const present = new Set(dsModules.map((m) => m.typeId));
		const complete =
			dsModules.length > 0 &&
			mandatory.filter((m) => m.dsTypeId === r.typeId).every((m) => present.has(m.smTypeId)) &&
			dsModules.every((m) => m.complete);
		return {
			...r,
			typeKey: type?.key ?? "",
			typeName: type?.name ?? "",
			modules: dsModules,
			complete,
		};
	});
}

export async function listDistributionSets(
	db: Db,
	q: Page & { tenant: string; where?: SQL; mode?: SoftDeletedMode },
): Promise<{ rows: DsView[]; total: number }> {
	const cond = allOf(
		eq(distributionSets.tenant, q.tenant),
		softDeletedFilter(distributionSets.deleted, q.mode),
		q.where,
	);
	const [rows, count] = await db.batch([
		db
			.select()
			.from(distributionSets)
			.where(cond)
			.orderBy(q.orderBy)
			.limit(q.limit)
			.offset(q.offset),
		db.select({ n: countAll }).from(distributionSets).where(cond),
	]);
	return { rows: await toViews(db, q.tenant, rows), total: count[0]?.n ?? 0 };
}

export async function findDistributionSetView(
	db: Db,
	q: { tenant: string; id: number },
): Promise<DsView | undefined> {
	const row = await db.query.distributionSets.findFirst({
		where: and(eq(distributionSets.tenant, q.tenant), eq(distributionSets.id, q.id)),
	});
	return row ? (await toViews(db, q.tenant, [row]))[0] : undefined;
}

/** The DS (soft-deleted ones included) or 404 `DistributionSet`. */
export async function getDistributionSet(
	db: Db,
	q: { tenant: string; id: number },
): Promise<DsView> {
	const ds = await findDistributionSetView(db, q);
	if (!ds) {
		throw entityNotFound("DistributionSet", q.id);
	}
	return ds;
}

async function moduleTypeInfo(db: Db, typeIds: number[]): Promise<Map<number, ModuleTypeInfo>> {
	if (typeIds.length === 0) {
		return new Map();
	}
	const rows = await db
		.select()
		.from(softwareModuleTypes)
		.where(inArray(softwareModuleTypes.id, [...new Set(typeIds)]));
	return new Map(
		rows.map((t) => [
			t.id,
			{ id: t.id, key: t.key, maxAssignments: t.maxAssignments, minArtifacts: t.minArtifacts },
		]),
	);
}

async function dsTypeInfo(db: Db, dsTypeId: number) {
	const rows = await db
		.select()
		.from(distributionSetTypeModuleTypes)
		.where(eq(distributionSetTypeModuleTypes.dsTypeId, dsTypeId));
	return {
		mandatory: rows.filter((r) => r.mandatory).map((r) => r.smTypeId),
		optional: rows.filter((r) => !r.mandatory).map((r) => r.smTypeId),
	};
}

/** Modules by id in the tenant, not deleted; 404 `SoftwareModule` for any missing id. */
async function requireModules(db: Db, tenant: string, ids: number[]): Promise<SmView[]> {
	const unique = [...new Set(ids)];
	const found = await findSoftwareModulesByIds(db, { tenant, ids: unique });
	for (const id of unique) {
		const m = found.find((f) => f.id === id);
		if (!m || m.deleted) {
			throw entityNotFound("SoftwareModule", id);
		}
	}
	return found;
}

export type NewDistributionSet = {
	name: string;
	version: string;
	description?: string | null;
	typeKey?: string | null;
	moduleIds: number[];
	requiredMigrationStep?: boolean | null;
	locked?: boolean | null;
};

/**
 * Creates sets with their modules in one D1 batch. The type defaults to the tenant's default DS
 * type; an unknown type → 404, a deleted one → 400; modules must fit the type (400) and exist
 * (404); name+version taken → 409.
 */
export async function insertDistributionSets(
	db: Db,
	q: { tenant: string; by: string; items: NewDistributionSet[] },
): Promise<DsView[]> {
	const tenantRow = await db.query.tenants.findFirst({ where: eq(tenants.name, q.tenant) });
	const now = Date.now();
	const stmts: BatchItem<"sqlite">[] = [];
	const keys: { name: string; version: string }[] = [];
	for (const item of q.items) {
		const type = item.typeKey
			? await db.query.distributionSetTypes.findFirst({
					where: and(
						eq(distributionSetTypes.tenant, q.tenant),
						eq(distributionSetTypes.key, item.typeKey),
					),
				})
			: await db.query.distributionSetTypes.findFirst({
					where: eq(distributionSetTypes.id, tenantRow?.defaultDsTypeId ?? -1),
				});
		if (!type) {
			throw entityNotFound("DistributionSetType", item.typeKey ?? "default");
		}
		if (type.deleted) {
			throw new DomainError(
				"repo.constraintViolation",
				`Distribution set type ${type.key} is deleted and cannot be used.`,
			);
		}
		const modules = await requireModules(db, q.tenant, item.moduleIds);
		const refusal = checkModuleAssignment(
			await dsTypeInfo(db, type.id),
			[],
			modules.map((m) => ({ id: m.id, typeId: m.typeId })),
			await moduleTypeInfo(
				db,
				modules.map((m) => m.typeId),
			),
			MAX_MODULES_PER_DS,
		);
		if (refusal) {
			throw refusal;
		}
		keys.push({ name: item.name, version: item.version });
		stmts.push(
			db.insert(distributionSets).values({
				tenant: q.tenant,
				typeId: type.id,
				name: item.name,
				version: item.version,
				description: item.description ?? null,
				requiredMigrationStep: item.requiredMigrationStep ?? false,
				locked: item.locked ?? false,
				createdAt: now,
				createdBy: q.by,
				lastModifiedAt: now,
				lastModifiedBy: q.by,
			}),
		);
		for (const m of modules) {
			// The new set's id is not known inside the batch; find it by its unique (tenant, name, version).
			stmts.push(
				db.insert(distributionSetModules).select(
					db
						.select({ dsId: distributionSets.id, smId: sql<number>`${m.id}`.as("sm_id") })
						.from(distributionSets)
						.where(
							and(
								eq(distributionSets.tenant, q.tenant),
								eq(distributionSets.name, item.name),
								eq(distributionSets.version, item.version),
							),
						),
				),
			);
		}
	}
	const [first, ...rest] = stmts;
	if (!first) {
		return [];
	}
	await withConflict("Distribution set with this name and version already exists.", () =>
		db.batch([first, ...rest]),
	);
	const created: DsView[] = [];
	for (const k of keys) {
		const row = await db.query.distributionSets.findFirst({
			where: and(
				eq(distributionSets.tenant, q.tenant),
				eq(distributionSets.name, k.name),
				eq(distributionSets.version, k.version),
			),
		});
		if (row) {
			created.push(...(await toViews(db, q.tenant, [row])));
		}
	}
	return created;
}

/** Statements locking a DS and its modules (hawkBit's lock cascades to the modules). */
function lockStatements(db: Db, dsId: number): BatchItem<"sqlite">[] {
	return [
		db.update(distributionSets).set({ locked: true }).where(eq(distributionSets.id, dsId)),
		db
			.update(softwareModules)
			.set({ locked: true })
			.where(
				inArray(
					softwareModules.id,
					db
						.select({ id: distributionSetModules.smId })
						.from(distributionSetModules)
						.where(eq(distributionSetModules.dsId, dsId)),
				),
			),
	];
}

export async function updateDistributionSet(
	db: Db,
	q: {
		tenant: string;
		id: number;
		by: string;
		name?: string | null;
		version?: string | null;
		description?: string | null;
		locked?: boolean | null;
		requiredMigrationStep?: boolean | null;
	},
): Promise<DsView> {
	const current = await getDistributionSet(db, q);
	if (current.deleted) {
		throw new DomainError("repo.entityReadOnly", `Distribution set ${current.id} is deleted.`);
	}
	if (
		q.requiredMigrationStep !== undefined &&
		q.requiredMigrationStep !== null &&
		q.requiredMigrationStep !== current.requiredMigrationStep &&
		(await hasActions(db, current.id))
	) {
		throw new DomainError(
			"repo.entityReadOnly",
			`requiredMigrationStep of distribution set ${current.id} cannot change once it was assigned.`,
		);
	}
	const stmts: BatchItem<"sqlite">[] = [
		db
			.update(distributionSets)
			.set({
				name: q.name ?? current.name,
				version: q.version ?? current.version,
				description: q.description ?? current.description,
				requiredMigrationStep: q.requiredMigrationStep ?? current.requiredMigrationStep,
				locked: q.locked === false ? false : current.locked,
				lastModifiedAt: Date.now(),
				lastModifiedBy: q.by,
			})
			.where(eq(distributionSets.id, current.id)),
	];
	if (q.locked === true && !current.locked) {
		stmts.push(...lockStatements(db, current.id));
	}
	const [first, ...rest] = stmts as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]];
	await withConflict("Distribution set with this name and version already exists.", () =>
		db.batch([first, ...rest]),
	);
	return getDistributionSet(db, q);
}

async function hasActions(db: Db, dsId: number): Promise<boolean> {
	const row = await db.get<{ n: number }>(
		sql`SELECT EXISTS (SELECT 1 FROM actions WHERE ds_id = ${dsId}) AS n`,
	);
	return (row?.n ?? 0) === 1;
}

/**
 * hawkBit's DistributionSetManagement#delete: auto-assignments using it are removed first; soft
 * delete when any action or rollout references it, else hard delete.
 */
export async function deleteDistributionSet(
	db: Db,
	q: { tenant: string; id: number; by: string },
): Promise<"soft" | "hard"> {
	const current = await getDistributionSet(db, q);
	const referenced = await db.get<{ n: number }>(sql`
		SELECT EXISTS (SELECT 1 FROM actions WHERE ds_id = ${current.id})
			OR EXISTS (SELECT 1 FROM rollouts WHERE ds_id = ${current.id}) AS n`);
	const clearAutoAssign = db
		.update(targetFilters)
		.set(autoAssignCleared())
		.where(and(eq(targetFilters.tenant, q.tenant), eq(targetFilters.autoAssignDsId, current.id)));
	if ((referenced?.n ?? 0) === 1) {
		await db.batch([
			clearAutoAssign,
			db
				.update(distributionSets)
				.set({ deleted: true, lastModifiedAt: Date.now(), lastModifiedBy: q.by })
				.where(eq(distributionSets.id, current.id)),
		]);
		return "soft";
	}
	await db.batch([
		clearAutoAssign,
		db.delete(distributionSets).where(eq(distributionSets.id, current.id)),
	]);
	return "hard";
}

/** Target-filter columns that make up an auto-assignment, cleared. */
export function autoAssignCleared() {
	return {
		autoAssignDsId: null,
		autoAssignActionType: null,
		autoAssignWeight: null,
		confirmationRequired: null,
		autoAssignInitiatedBy: null,
		autoAssignCursor: 0,
	};
}

/** Page of the modules of a DS, over SM fields. */
export async function listDsModules(
	db: Db,
	q: Page & { tenant: string; id: number },
): Promise<{ rows: SmView[]; total: number }> {
	const ds = await getDistributionSet(db, q);
	const cond = and(
		eq(softwareModules.tenant, q.tenant),
		inArray(
			softwareModules.id,
			db
				.select({ id: distributionSetModules.smId })
				.from(distributionSetModules)
				.where(eq(distributionSetModules.dsId, ds.id)),
		),
	);
	const [ids, count] = await db.batch([
		db
			.select({ id: softwareModules.id })
			.from(softwareModules)
			.where(cond)
			.orderBy(q.orderBy)
			.limit(q.limit)
			.offset(q.offset),
		db.select({ n: countAll }).from(softwareModules).where(cond),
	]);
	const views = await findSoftwareModulesByIds(db, { tenant: q.tenant, ids: ids.map((r) => r.id) });
	const ordered = ids.map((r) => views.find((v) => v.id === r.id)).filter((v): v is SmView => !!v);
	return { rows: ordered, total: count[0]?.n ?? 0 };
}

/** POST assignedSM: 423 when locked, 404 unknown modules, 400 when the type does not fit. */
export async function addDsModules(
	db: Db,
	q: { tenant: string; id: number; by: string; moduleIds: number[] },
): Promise<void> {
	const ds = await getDistributionSet(db, q);
	const locked = checkDsModulesChangeable(ds);
	if (locked) {
		throw locked;
	}
	const adding = await requireModules(db, q.tenant, q.moduleIds);
	const current = ds.modules.map((m) => ({ id: m.id, typeId: m.typeId }));
	const refusal = checkModuleAssignment(
		await dsTypeInfo(db, ds.typeId),
		current,
		adding.map((m) => ({ id: m.id, typeId: m.typeId })),
		await moduleTypeInfo(
			db,
			[...current, ...adding].map((m) => m.typeId),
		),
		MAX_MODULES_PER_DS,
	);
	if (refusal) {
		throw refusal;
	}
	const [first, ...rest]: BatchItem<"sqlite">[] = [
		...adding.map((m) =>
			db.insert(distributionSetModules).values({ dsId: ds.id, smId: m.id }).onConflictDoNothing(),
		),
		db
			.update(distributionSets)
			.set({ lastModifiedAt: Date.now(), lastModifiedBy: q.by })
			.where(eq(distributionSets.id, ds.id)),
	];
	if (first) {
		await db.batch([first, ...rest]);
	}
}

/** DELETE assignedSM/{smId}: 423 when locked, 404 when the module is not in the set. */
export async function removeDsModule(
	db: Db,
	q: { tenant: string; id: number; by: string; smId: number },
): Promise<void> {
	const ds = await getDistributionSet(db, q);
	if (!ds.modules.some((m) => m.id === q.smId)) {
		throw entityNotFound("SoftwareModule", q.smId);
	}
	const locked = checkDsModulesChangeable(ds);
	if (locked) {
		throw locked;
	}
	await db.batch([
		db
			.delete(distributionSetModules)
			.where(and(eq(distributionSetModules.dsId, ds.id), eq(distributionSetModules.smId, q.smId))),
		db
			.update(distributionSets)
			.set({ lastModifiedAt: Date.now(), lastModifiedBy: q.by })
			.where(eq(distributionSets.id, ds.id)),
	]);
}

export type DsMetadataRow = typeof distributionSetMetadata.$inferSelect;

export async function listDsMetadata(
	db: Db,
	q: { tenant: string; id: number },
): Promise<DsMetadataRow[]> {
	const ds = await getDistributionSet(db, q);
	return db.query.distributionSetMetadata.findMany({
		where: eq(distributionSetMetadata.dsId, ds.id),
		orderBy: distributionSetMetadata.key,
	});
}

export async function findDsMetadata(
	db: Db,
	q: { tenant: string; id: number; key: string },
): Promise<DsMetadataRow> {
	const ds = await getDistributionSet(db, q);
	const row = await db.query.distributionSetMetadata.findFirst({
		where: and(eq(distributionSetMetadata.dsId, ds.id), eq(distributionSetMetadata.key, q.key)),
	});
	if (!row) {
		throw entityNotFound("DistributionSetMetadata", q.key);
	}
	return row;
}

/** Adds entries in one batch; existing key → 409; more than 100 entries → 429. */
export async function insertDsMetadata(
	db: Db,
	q: { tenant: string; id: number; by: string; items: { key: string; value: string }[] },
): Promise<void> {
	const ds = await getDistributionSet(db, q);
	const [{ n } = { n: 0 }] = await db
		.select({ n: countAll })
		.from(distributionSetMetadata)
		.where(eq(distributionSetMetadata.dsId, ds.id));
	if (n + q.items.length > MAX_DS_METADATA) {
		throw new DomainError(
			"quota.tooManyEntries",
			`Quota exceeded: a distribution set may hold at most ${MAX_DS_METADATA} metadata entries.`,
		);
	}
	const [first, ...rest]: BatchItem<"sqlite">[] = [
		...q.items.map((m) => db.insert(distributionSetMetadata).values({ dsId: ds.id, ...m })),
		db
			.update(distributionSets)
			.set({ lastModifiedAt: Date.now(), lastModifiedBy: q.by })
			.where(eq(distributionSets.id, ds.id)),
	];
	if (first && q.items.length > 0) {
		await withConflict("Metadata entry with this key already exists.", () =>
			db.batch([first, ...rest]),
		);
	}
}

export async function updateDsMetadata(
	db: Db,
	q: { tenant: string; id: number; key: string; value: string },
): Promise<void> {
	const current = await findDsMetadata(db, q);
	await db
		.update(distributionSetMetadata)
		.set({ value: q.value })
		.where(
			and(eq(distributionSetMetadata.dsId, current.dsId), eq(distributionSetMetadata.key, q.key)),
		);
}

export async function deleteDsMetadata(
	db: Db,
	q: { tenant: string; id: number; key: string },
): Promise<void> {
	const current = await findDsMetadata(db, q);
	await db
		.delete(distributionSetMetadata)
		.where(
			and(eq(distributionSetMetadata.dsId, current.dsId), eq(distributionSetMetadata.key, q.key)),
		);
}

/**
 * Marks the DS invalid and removes its auto-assignments (one batch). hawkBit requires the DS to be
 * complete (400 `distributionset.incomplete`); invalidation is irreversible. Answers the ids of the
 * DS's active actions, for the caller to cancel or force-quit.
 */
export async function invalidateDistributionSet(
	db: Db,
	q: { tenant: string; id: number; by: string },
): Promise<{ activeActionIds: number[] }> {
	const ds = await getDistributionSet(db, q);
	if (!ds.complete) {
		throw new DomainError(
			"distributionset.incomplete",
			`Distribution set of type ${ds.typeKey} is incomplete: ${ds.id}`,
		);
	}
	await db.batch([
		db
			.update(distributionSets)
			.set({ valid: false, lastModifiedAt: Date.now(), lastModifiedBy: q.by })
			.where(eq(distributionSets.id, ds.id)),
		db
			.update(targetFilters)
			.set(autoAssignCleared())
			.where(and(eq(targetFilters.tenant, q.tenant), eq(targetFilters.autoAssignDsId, ds.id))),
	]);
	const active = await db
		.select({ id: actions.id })
		.from(actions)
		.where(and(eq(actions.tenant, q.tenant), eq(actions.dsId, ds.id), eq(actions.active, true)));
	return { activeActionIds: active.map((a) => a.id) };
}

/** Counts for GET …/statistics: actions and rollouts per status, auto-assignments using the DS. */
export async function distributionSetStatistics(db: Db, q: { tenant: string; id: number }) {
	const ds = await getDistributionSet(db, q);
	const [actionRows, rolloutRows, filters] = await db.batch([
		db
			.select({ status: actions.status, n: countAll })
			.from(actions)
			.where(and(eq(actions.tenant, q.tenant), eq(actions.dsId, ds.id)))
			.groupBy(actions.status),
		db
			.select({ status: rollouts.status, n: countAll })
			.from(rollouts)
			.where(
				and(eq(rollouts.tenant, q.tenant), eq(rollouts.dsId, ds.id), eq(rollouts.deleted, false)),
			)
			.groupBy(rollouts.status),
		db
			.select({ n: countAll })
			.from(targetFilters)
			.where(and(eq(targetFilters.tenant, q.tenant), eq(targetFilters.autoAssignDsId, ds.id))),
	]);
	return {
		actions: actionRows.map((r) => ({ status: r.status as string, n: r.n })),
		rollouts: rolloutRows.map((r) => ({ status: r.status as string, n: r.n })),
		autoAssignments: filters[0]?.n ?? 0,
	};
}
