/** Software modules and their metadata. hawkBit: SoftwareModuleManagement. */
import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import { isModuleComplete } from "../../domain/repository-rules";
import { DomainError, entityNotFound } from "../../errors";
import type { Db } from "../client";
import {
	artifacts,
	distributionSetModules,
	distributionSets,
	softwareModuleMetadata,
	softwareModules,
	softwareModuleTypes,
} from "../schema";
import {
	allOf,
	countAll,
	type Page,
	type SoftDeletedMode,
	softDeletedFilter,
	withConflict,
} from "./repository-common";

/** hawkBit's maxMetaDataEntriesPerSoftwareModule. */
export const MAX_SM_METADATA = 100;

export type SmRow = typeof softwareModules.$inferSelect;
/** A module with what its wire form needs: type key/name and completeness. */
export type SmView = SmRow & { typeKey: string; typeName: string; complete: boolean };

const viewColumns = {
	sm: softwareModules,
	typeKey: softwareModuleTypes.key,
	typeName: softwareModuleTypes.name,
	minArtifacts: softwareModuleTypes.minArtifacts,
	artifactCount:
		sql<number>`(SELECT count(*) FROM ${artifacts} WHERE ${artifacts.softwareModuleId} = ${softwareModules.id})`.mapWith(
			Number,
		),
};

function toView(r: {
	sm: SmRow;
	typeKey: string;
	typeName: string;
	minArtifacts: number;
	artifactCount: number;
}): SmView {
	return {
		...r.sm,
		typeKey: r.typeKey,
		typeName: r.typeName,
		complete: isModuleComplete(r.artifactCount, r.minArtifacts),
	};
}

function selectViews(db: Db) {
	return db
		.select(viewColumns)
		.from(softwareModules)
		.innerJoin(softwareModuleTypes, eq(softwareModuleTypes.id, softwareModules.typeId));
}

export async function listSoftwareModules(
	db: Db,
	q: Page & { tenant: string; where?: SQL; mode?: SoftDeletedMode },
): Promise<{ rows: SmView[]; total: number }> {
	const cond = allOf(
		eq(softwareModules.tenant, q.tenant),
		softDeletedFilter(softwareModules.deleted, q.mode),
		q.where,
	);
	// Not db.batch: D1 batch results come back as objects keyed by column name, so the joined
	// type's `name` overwrote the module's (drizzle maps them by position).
	const [rows, count] = await Promise.all([
		selectViews(db).where(cond).orderBy(q.orderBy).limit(q.limit).offset(q.offset),
		db.select({ n: countAll }).from(softwareModules).where(cond),
	]);
	return { rows: rows.map(toView), total: count[0]?.n ?? 0 };
}

/** Modules by id (any state), as views, in id order. */
export async function findSoftwareModulesByIds(
	db: Db,
	q: { tenant: string; ids: number[] },
): Promise<SmView[]> {
	if (q.ids.length === 0) {
		return [];
	}
	const rows = await selectViews(db)
		.where(and(eq(softwareModules.tenant, q.tenant), inArray(softwareModules.id, q.ids)))
		.orderBy(softwareModules.id);
	return rows.map(toView);
}

/** The module (soft-deleted ones included) or 404 `SoftwareModule`. */
export async function getSoftwareModule(
	db: Db,
	q: { tenant: string; id: number },
): Promise<SmView> {
	const [row] = await findSoftwareModulesByIds(db, { tenant: q.tenant, ids: [q.id] });
	if (!row) {
		throw entityNotFound("SoftwareModule", q.id);
	}
	return row;
}

export type NewSoftwareModule = {
	name: string;
	version: string;
	typeKey: string;
	description?: string | null;
	vendor?: string | null;
	encrypted?: boolean | null;
};

/**
 * Creates modules in one D1 batch (all or nothing). Unknown type key → 404; soft-deleted type →
 * 400; name+version+type taken → 409; `encrypted` → 400 (no encryption provider in Updraft).
 */
export async function insertSoftwareModules(
	db: Db,
	q: { tenant: string; by: string; items: NewSoftwareModule[] },
): Promise<SmView[]> {
	const keys = [...new Set(q.items.map((i) => i.typeKey))];
	const types =
		keys.length === 0
			? []
			: await db.query.softwareModuleTypes.findMany({
					where: and(
						eq(softwareModuleTypes.tenant, q.tenant),
						inArray(softwareModuleTypes.key, keys),
					),
				});
	const byKey = new Map(types.map((t) => [t.key, t]));
	for (const item of q.items) {
		const type = byKey.get(item.typeKey);
		if (!type) {
			throw entityNotFound("SoftwareModuleType", item.typeKey);
		}
		if (type.deleted) {
			throw new DomainError(
				"repo.constraintViolation",
				`Software module type ${item.typeKey} is deleted and cannot be used.`,
			);
		}
		if (item.encrypted) {
			throw new DomainError(
				"artifact.encryptionNotSupported",
				"Artifact encryption is not supported by this server.",
			);
		}
	}
	const now = Date.now();
	const stmts = q.items.map((item) =>
		db
			.insert(softwareModules)
			.values({
				tenant: q.tenant,
				typeId: byKey.get(item.typeKey)?.id ?? 0,
				name: item.name,
				version: item.version,
				description: item.description ?? null,
				vendor: item.vendor ?? null,
				encrypted: false,
				createdAt: now,
				createdBy: q.by,
				lastModifiedAt: now,
				lastModifiedBy: q.by,
			})
			.returning({ id: softwareModules.id }),
	);
	const [first, ...rest] = stmts;
	if (!first) {
		return [];
	}
	const results = await withConflict(
		"Software module with this name, version and type already exists.",
		() => db.batch([first, ...rest]),
	);
	const ids = results.flat().map((r) => r.id);
	const views = await findSoftwareModulesByIds(db, { tenant: q.tenant, ids });
	return ids.map((id) => views.find((v) => v.id === id)).filter((v): v is SmView => !!v);
}

export async function updateSoftwareModule(
	db: Db,
	q: {
		tenant: string;
		id: number;
		by: string;
		description?: string | null;
		vendor?: string | null;
		locked?: boolean | null;
	},
): Promise<SmView> {
	const current = await getSoftwareModule(db, q);
	await db
		.update(softwareModules)
		.set({
			description: q.description ?? current.description,
			vendor: q.vendor ?? current.vendor,
			locked: q.locked ?? current.locked,
			lastModifiedAt: Date.now(),
			lastModifiedBy: q.by,
		})
		.where(eq(softwareModules.id, current.id));
	return getSoftwareModule(db, q);
}

/**
 * hawkBit's SoftwareModuleManagement#delete: 423 when part of a locked, non-deleted DS; soft delete
 * when part of any DS; else hard delete. Answers the SHA-1s whose binaries may now be unreferenced.
 */
export async function deleteSoftwareModule(
	db: Db,
	q: { tenant: string; id: number; by: string },
): Promise<{ kind: "soft" | "hard"; sha1s: string[] }> {
	const current = await getSoftwareModule(db, q);
	const sets = await db
		.select({ locked: distributionSets.locked, deleted: distributionSets.deleted })
		.from(distributionSetModules)
		.innerJoin(distributionSets, eq(distributionSets.id, distributionSetModules.dsId))
		.where(eq(distributionSetModules.smId, current.id));
	if (sets.some((s) => s.locked && !s.deleted)) {
		throw new DomainError(
			"locked",
			`Software module ${current.id} is part of a locked distribution set and cannot be deleted.`,
		);
	}
	const arts = await db
		.select({ sha1: artifacts.sha1 })
		.from(artifacts)
		.where(eq(artifacts.softwareModuleId, current.id));
	const sha1s = [...new Set(arts.map((a) => a.sha1))];
	if (sets.length > 0) {
		await db
			.update(softwareModules)
			.set({ deleted: true, lastModifiedAt: Date.now(), lastModifiedBy: q.by })
			.where(eq(softwareModules.id, current.id));
		return { kind: "soft", sha1s };
	}
	await db.delete(softwareModules).where(eq(softwareModules.id, current.id));
	return { kind: "hard", sha1s };
}

export type SmMetadataRow = typeof softwareModuleMetadata.$inferSelect;

export async function listSmMetadata(
	db: Db,
	q: { tenant: string; id: number },
): Promise<SmMetadataRow[]> {
	await getSoftwareModule(db, q);
	return db.query.softwareModuleMetadata.findMany({
		where: eq(softwareModuleMetadata.softwareModuleId, q.id),
		orderBy: softwareModuleMetadata.key,
	});
}

export async function findSmMetadata(
	db: Db,
	q: { tenant: string; id: number; key: string },
): Promise<SmMetadataRow> {
	await getSoftwareModule(db, q);
	const row = await db.query.softwareModuleMetadata.findFirst({
		where: and(
			eq(softwareModuleMetadata.softwareModuleId, q.id),
			eq(softwareModuleMetadata.key, q.key),
		),
	});
	if (!row) {
		throw entityNotFound("SoftwareModuleMetadata", q.key);
	}
	return row;
}

/** Adds entries (one batch). Existing key → 409; more than 100 entries → 429. */
export async function insertSmMetadata(
	db: Db,
	q: {
		tenant: string;
		id: number;
		by: string;
		items: { key: string; value: string; targetVisible: boolean }[];
	},
): Promise<void> {
	const sm = await getSoftwareModule(db, q);
	const [{ n } = { n: 0 }] = await db
		.select({ n: countAll })
		.from(softwareModuleMetadata)
		.where(eq(softwareModuleMetadata.softwareModuleId, sm.id));
	if (n + q.items.length > MAX_SM_METADATA) {
		throw new DomainError(
			"quota.tooManyEntries",
			`Quota exceeded: a software module may hold at most ${MAX_SM_METADATA} metadata entries.`,
		);
	}
	const [first, ...rest] = q.items.map((m) =>
		db.insert(softwareModuleMetadata).values({ softwareModuleId: sm.id, ...m }),
	);
	if (!first) {
		return;
	}
	await withConflict("Metadata entry with this key already exists.", () =>
		db.batch([
			first,
			...rest,
			db
				.update(softwareModules)
				.set({ lastModifiedAt: Date.now(), lastModifiedBy: q.by })
				.where(eq(softwareModules.id, sm.id)),
		]),
	);
}

export async function updateSmMetadata(
	db: Db,
	q: {
		tenant: string;
		id: number;
		key: string;
		value?: string | null;
		targetVisible?: boolean | null;
	},
): Promise<SmMetadataRow> {
	const current = await findSmMetadata(db, q);
	const [row] = await db
		.update(softwareModuleMetadata)
		.set({
			value: q.value ?? current.value,
			targetVisible: q.targetVisible ?? current.targetVisible,
		})
		.where(
			and(eq(softwareModuleMetadata.softwareModuleId, q.id), eq(softwareModuleMetadata.key, q.key)),
		)
		.returning();
	return row ?? current;
}

export async function deleteSmMetadata(
	db: Db,
	q: { tenant: string; id: number; key: string },
): Promise<void> {
	await findSmMetadata(db, q);
	await db
		.delete(softwareModuleMetadata)
		.where(
			and(eq(softwareModuleMetadata.softwareModuleId, q.id), eq(softwareModuleMetadata.key, q.key)),
		);
}
