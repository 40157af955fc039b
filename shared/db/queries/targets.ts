/**
 * Targets as the management API sees them: list/search, create, update, delete, target type,
 * attributes, metadata, tags. hawkBit: TargetManagement (management side).
 */
import { and, asc, count, eq, inArray, type SQL, sql } from "drizzle-orm";
import { DomainError, entityNotFound } from "../../errors";
import type { Db } from "../client";
import {
	targetAttributes,
	targetMetadata,
	targets,
	targetTagAssignments,
	targetTags,
	targetTypes,
} from "../schema";
import { generateSecurityToken } from "./controller";
import { allOf, chunks, isUniqueViolation, type Page } from "./repository-common";

export type TargetRow = typeof targets.$inferSelect;
/** A target with its type's name (MgmtTarget shows both id and name). */
export type TargetView = TargetRow & { targetTypeName: string | null };

/** hawkBit's quota `maxMetaDataEntriesPerTarget`. */
export const MAX_METADATA_PER_TARGET = 100;

const viewColumns = { target: targets, typeName: targetTypes.name };

function toView(r: { target: TargetRow; typeName: string | null }): TargetView {
	return { ...r.target, targetTypeName: r.typeName };
}

/** One page of the tenant's targets matching `where` (RSQL on TARGETS), plus the total. */
export async function listTargets(
	db: Db,
	q: { tenant: string; where?: SQL } & Page,
): Promise<{ rows: TargetView[]; total: number }> {
	const cond = allOf(eq(targets.tenant, q.tenant), q.where);
	// Not one D1 batch: batched rows come back by column name, and target_types.name (null for
	// untyped targets) overwrote targets.name.
	const [rows, totals] = await Promise.all([
		db
			.select(viewColumns)
			.from(targets)
			.leftJoin(targetTypes, eq(targetTypes.id, targets.targetTypeId))
			.where(cond)
			.orderBy(q.orderBy)
			.limit(q.limit)
			.offset(q.offset),
		db.select({ n: count() }).from(targets).where(cond),
	]);
	return { rows: rows.map(toView), total: totals[0]?.n ?? 0 };
}

export async function findTarget(
	db: Db,
	q: { tenant: string; controllerId: string },
): Promise<TargetView | undefined> {
	const [row] = await db
		.select(viewColumns)
		.from(targets)
		.leftJoin(targetTypes, eq(targetTypes.id, targets.targetTypeId))
		.where(and(eq(targets.tenant, q.tenant), eq(targets.controllerId, q.controllerId)));
	return row ? toView(row) : undefined;
}

/** The target or hawkBit's 404 `Target with given identifier {…} does not exist.` */
export async function getTarget(
	db: Db,
	q: { tenant: string; controllerId: string },
): Promise<TargetView> {
	const t = await findTarget(db, q);
	if (!t) {
		throw entityNotFound("Target", q.controllerId);
	}
	return t;
}

export type NewTarget = {
	controllerId: string;
	name?: string | null;
	description?: string | null;
	address?: string | null;
	securityToken?: string | null;
	requestAttributes?: boolean | null;
	targetType?: number | null;
	group?: string | null;
};

async function assertTargetTypes(db: Db, tenant: string, ids: number[]) {
	const unique = [...new Set(ids)];
	if (unique.length === 0) {
		return;
	}
	const found = await db
		.select({ id: targetTypes.id })
		.from(targetTypes)
		.where(and(eq(targetTypes.tenant, tenant), inArray(targetTypes.id, unique)));
	const have = new Set(found.map((f) => f.id));
	const missing = unique.find((id) => !have.has(id));
	if (missing !== undefined) {
		throw entityNotFound("TargetType", missing);
	}
}

function alreadyExists(controllerId: string): DomainError {
	return new DomainError(
		"repo.entityAlreadyExists",
		`Target with controllerId ${controllerId} already exists`,
	);
}

/**
 * Creates targets all-or-nothing (one D1 batch). 409 `repo.entityAlreadyExists` when a controllerId
 * exists or repeats; 404 for an unknown target type. hawkBit: TargetManagement#create(Collection).
 */
export async function insertTargets(
	db: Db,
	q: { tenant: string; items: NewTarget[]; by: string },
): Promise<TargetView[]> {
	const seen = new Set<string>();
	for (const t of q.items) {
		if (seen.has(t.controllerId)) {
			throw alreadyExists(t.controllerId);
		}
		seen.add(t.controllerId);
	}
	await assertTargetTypes(
		db,
		q.tenant,
		q.items.map((t) => t.targetType).filter((id): id is number => typeof id === "number"),
	);
	const existing = await findTargetIds(db, { tenant: q.tenant, controllerIds: [...seen] });
	const [first] = existing.keys();
	if (first !== undefined) {
		throw alreadyExists(first);
	}
	const now = Date.now();
	const statements = q.items.map((t) =>
		db
			.insert(targets)
			.values({
				tenant: q.tenant,
				controllerId: t.controllerId,
				name: t.name ?? t.controllerId,
				description: t.description ?? null,
				address: t.address ?? null,
				securityToken: t.securityToken ?? generateSecurityToken(),
				requestControllerAttributes: t.requestAttributes ?? true,
				targetTypeId: t.targetType ?? null,
				group: t.group ?? null,
				createdAt: now,
				createdBy: q.by,
				lastModifiedAt: now,
				lastModifiedBy: q.by,
			})
			.returning({ id: targets.id }),
	);
	if (statements.length === 0) {
		return [];
	}
	try {
		await db.batch(statements as [(typeof statements)[0], ...typeof statements]);
	} catch (err) {
		if (isUniqueViolation(err)) {
			throw alreadyExists(q.items[0]?.controllerId ?? "");
		}
		throw err;
	}
	const rows: TargetView[] = [];
	for (const t of q.items) {
		rows.push(await getTarget(db, { tenant: q.tenant, controllerId: t.controllerId }));
	}
	return rows;
}

export type TargetPatch = {
	name?: string | null;
	description?: string | null;
	address?: string | null;
	securityToken?: string | null;
	requestAttributes?: boolean | null;
	/** -1 unassigns the type. */
	targetType?: number | null;
};

/** Partial update (absent/null = unchanged). hawkBit: TargetManagement#update. */
export async function updateTarget(
	db: Db,
	q: { tenant: string; controllerId: string; patch: TargetPatch; by: string },
): Promise<TargetView> {
	const current = await getTarget(db, q);
	const p = q.patch;
	if (typeof p.targetType === "number" && p.targetType !== -1) {
		await assertTargetTypes(db, q.tenant, [p.targetType]);
	}
	const set: Partial<typeof targets.$inferInsert> = {
		lastModifiedAt: Date.now(),
		lastModifiedBy: q.by,
	};
	if (p.name != null) {
		set.name = p.name;
	}
	if (p.description != null) {
		set.description = p.description;
	}
	if (p.address != null) {
		set.address = p.address;
	}
	if (p.securityToken != null) {
		set.securityToken = p.securityToken;
	}
	if (p.requestAttributes === true) {
		set.requestControllerAttributes = true;
	}
	if (typeof p.targetType === "number") {
		set.targetTypeId = p.targetType === -1 ? null : p.targetType;
	}
	await db.update(targets).set(set).where(eq(targets.id, current.id));
	return getTarget(db, q);
}

/** Deletes a target (attributes, metadata, tags, actions cascade); its row id, or undefined. */
export async function deleteTarget(db: Db, q: { tenant: string; controllerId: string }) {
	const rows = await db
		.delete(targets)
		.where(and(eq(targets.tenant, q.tenant), eq(targets.controllerId, q.controllerId)))
		.returning({ id: targets.id });
	return rows[0]?.id;
}

/** Assigns (or with null removes) a target type. 404 for unknown target or type. */
export async function setTargetType(
	db: Db,
	q: { tenant: string; controllerId: string; targetTypeId: number | null; by: string },
): Promise<TargetView> {
	const t = await getTarget(db, q);
	if (q.targetTypeId !== null) {
		await assertTargetTypes(db, q.tenant, [q.targetTypeId]);
	}
	await db
		.update(targets)
		.set({ targetTypeId: q.targetTypeId, lastModifiedAt: Date.now(), lastModifiedBy: q.by })
		.where(eq(targets.id, t.id));
	return { ...t, targetTypeId: q.targetTypeId };
}

export async function listTargetAttributes(
	db: Db,
	targetId: number,
): Promise<Record<string, string>> {
	const rows = await db
		.select({ key: targetAttributes.key, value: targetAttributes.value })
		.from(targetAttributes)
		.where(eq(targetAttributes.targetId, targetId))
		.orderBy(asc(targetAttributes.key));
	return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

export async function listTargetMetadata(db: Db, targetId: number) {
	return db
		.select({ key: targetMetadata.key, value: targetMetadata.value })
		.from(targetMetadata)
		.where(eq(targetMetadata.targetId, targetId))
		.orderBy(asc(targetMetadata.key));
}

export async function findTargetMetadata(db: Db, q: { targetId: number; key: string }) {
	const [row] = await db
		.select({ key: targetMetadata.key, value: targetMetadata.value })
		.from(targetMetadata)
		.where(and(eq(targetMetadata.targetId, q.targetId), eq(targetMetadata.key, q.key)));
	return row;
}

/**
 * Adds metadata entries: 409 if a key exists (or repeats), 429 `quota.tooManyEntries` above
 * {@link MAX_METADATA_PER_TARGET}. hawkBit: TargetManagement#createMetadata.
 */
export async function insertTargetMetadata(
	db: Db,
	q: { targetId: number; controllerId: string; entries: { key: string; value: string }[] },
) {
	const keys = new Set<string>();
	for (const e of q.entries) {
		if (keys.has(e.key)) {
			throw metadataExists(e.key, q.controllerId);
		}
		keys.add(e.key);
	}
	const existing = await listTargetMetadata(db, q.targetId);
	const clash = existing.find((e) => keys.has(e.key));
	if (clash) {
		throw metadataExists(clash.key, q.controllerId);
	}
	if (existing.length + q.entries.length > MAX_METADATA_PER_TARGET) {
		throw new DomainError(
			"quota.tooManyEntries",
			`Quota exceeded: cannot assign ${q.entries.length} more metadata entries to target ${q.controllerId}; maximum is ${MAX_METADATA_PER_TARGET}`,
		);
	}
	if (q.entries.length === 0) {
		return;
	}
	const stmts = q.entries.map((e) =>
		db.insert(targetMetadata).values({ targetId: q.targetId, key: e.key, value: e.value }),
	);
	await db.batch(stmts as [(typeof stmts)[0], ...typeof stmts]);
}

function metadataExists(key: string, controllerId: string): DomainError {
	return new DomainError(
		"repo.entityAlreadyExists",
		`Metadata with key ${key} already exists for target ${controllerId}`,
	);
}

/** Creates or replaces one entry (hawkBit PUT …/metadata/{key} since 1.0). */
export async function upsertTargetMetadata(
	db: Db,
	q: { targetId: number; controllerId: string; key: string; value: string },
) {
	const existing = await findTargetMetadata(db, q);
	if (!existing) {
		const count = (await listTargetMetadata(db, q.targetId)).length;
		if (count + 1 > MAX_METADATA_PER_TARGET) {
			throw new DomainError(
				"quota.tooManyEntries",
				`Quota exceeded: target ${q.controllerId} has ${MAX_METADATA_PER_TARGET} metadata entries`,
			);
		}
	}
	await db
		.insert(targetMetadata)
		.values({ targetId: q.targetId, key: q.key, value: q.value })
		.onConflictDoUpdate({
			target: [targetMetadata.targetId, targetMetadata.key],
			set: { value: q.value },
		});
}

/** Deletes one entry; false when it did not exist. */
export async function deleteTargetMetadata(db: Db, q: { targetId: number; key: string }) {
	const rows = await db
		.delete(targetMetadata)
		.where(and(eq(targetMetadata.targetId, q.targetId), eq(targetMetadata.key, q.key)))
		.returning({ key: targetMetadata.key });
	return rows.length > 0;
}

/** Tags of one target, by name. */
export async function listTagsOfTarget(db: Db, targetId: number) {
	return db
		.select({ tag: targetTags })
		.from(targetTagAssignments)
		.innerJoin(targetTags, eq(targetTags.id, targetTagAssignments.tagId))
		.where(eq(targetTagAssignments.targetId, targetId))
		.orderBy(asc(targetTags.id))
		.then((rows) => rows.map((r) => r.tag));
}

/** Row ids of the tenant's targets by controller id (unknown ids are absent from the map). */
export async function findTargetIds(
	db: Db,
	q: { tenant: string; controllerIds: string[] },
): Promise<Map<string, number>> {
	const out = new Map<string, number>();
	const unique = [...new Set(q.controllerIds)];
	for (let i = 0; i < unique.length; i += 90) {
		const chunk = unique.slice(i, i + 90);
		const rows = await db
			.select({ id: targets.id, controllerId: targets.controllerId })
			.from(targets)
			.where(and(eq(targets.tenant, q.tenant), inArray(targets.controllerId, chunk)));
		for (const r of rows) {
			out.set(r.controllerId, r.id);
		}
	}
	return out;
}

/** Distinct group names of the tenant, sorted. hawkBit: TargetManagement#findGroups. */
export async function listTargetGroups(db: Db, tenant: string): Promise<string[]> {
	const rows = await db
		.selectDistinct({ group: targets.group })
		.from(targets)
		.where(and(eq(targets.tenant, tenant), sql`${targets.group} IS NOT NULL`))
		.orderBy(asc(targets.group));
	return rows.map((r) => r.group as string);
}

/** Sets (or with null clears) the group of the given targets; returns how many changed. */
export async function setTargetGroup(
	db: Db,
	q: { tenant: string; targetIds: number[]; group: string | null; by: string },
): Promise<number> {
	const now = Date.now();
	// All chunks in one batch: a failing chunk leaves no target regrouped.
	const [first, ...rest] = chunks(q.targetIds, 90).map((chunk) =>
		db
			.update(targets)
			.set({ group: q.group, lastModifiedAt: now, lastModifiedBy: q.by })
			.where(and(eq(targets.tenant, q.tenant), inArray(targets.id, chunk)))
			.returning({ id: targets.id }),
	);
	if (!first) {
		return 0;
	}
	const results = await db.batch([first, ...rest]);
	return results.reduce((n, rows) => n + rows.length, 0);
}

/**
 * Sets (or clears) the group of every target of the tenant matching `where`, in one statement;
 * returns the changed row ids (their poll entries may need a refresh).
 */
export async function setTargetGroupWhere(
	db: Db,
	q: { tenant: string; where?: SQL; group: string | null; by: string },
): Promise<number[]> {
	const rows = await db
		.update(targets)
		.set({ group: q.group, lastModifiedAt: Date.now(), lastModifiedBy: q.by })
		.where(allOf(eq(targets.tenant, q.tenant), q.where))
		.returning({ id: targets.id });
	return rows.map((r) => r.id);
}

/** Condition for a group, optionally with its sub-groups (`Parent/Child` and `Parent/Child/…`). */
export function groupCondition(group: string, subgroups: boolean): SQL {
	if (!subgroups) {
		return eq(targets.group, group);
	}
	const prefix = `${group.replace(/[\\%_]/g, (ch) => `\\${ch}`)}/%`;
	return sql`(${targets.group} = ${group} OR ${targets.group} LIKE ${prefix} ESCAPE '\\')`;
}
