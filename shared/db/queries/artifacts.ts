/**
 * Artifact rows of software modules. hawkBit: ArtifactManagement (create / get / delete) and its
 * quota checks (QuotaManagement: artifacts per module, storage per tenant).
 */
import { and, asc, eq, sql } from "drizzle-orm";
import type { ArtifactLimits } from "../../artifacts/limits";
import type { Db } from "../client";
import { artifacts, softwareModules } from "../schema";

export type ArtifactRow = typeof artifacts.$inferSelect;

export type NewArtifact = {
	tenant: string;
	softwareModuleId: number;
	filename: string;
	size: number;
	sha1: string;
	md5: string;
	sha256: string;
	r2Key: string;
	createdBy: string;
};

/** Why an artifact row could not be written; the caller turns it into hawkBit's error. */
export type InsertArtifactRefusal =
	| "moduleNotFound"
	| "locked"
	| "duplicateFilename"
	| "tooManyArtifacts"
	| "storageExceeded";

/** The module an upload targets, if it exists and is not soft-deleted. */
export async function findUploadTarget(db: Db, q: { tenant: string; softwareModuleId: number }) {
	return db.query.softwareModules.findFirst({
		columns: { id: true, locked: true, deleted: true, encrypted: true },
		where: and(eq(softwareModules.tenant, q.tenant), eq(softwareModules.id, q.softwareModuleId)),
	});
}

export async function listArtifacts(
	db: Db,
	q: { tenant: string; softwareModuleId: number },
): Promise<ArtifactRow[]> {
	return db.query.artifacts.findMany({
		where: and(eq(artifacts.tenant, q.tenant), eq(artifacts.softwareModuleId, q.softwareModuleId)),
		orderBy: asc(artifacts.id),
	});
}

export async function findArtifact(
	db: Db,
	q: { tenant: string; softwareModuleId: number; artifactId: number },
): Promise<ArtifactRow | undefined> {
	return db.query.artifacts.findFirst({
		where: and(
			eq(artifacts.tenant, q.tenant),
			eq(artifacts.softwareModuleId, q.softwareModuleId),
			eq(artifacts.id, q.artifactId),
		),
	});
}

/** Bytes counted against the tenant's storage quota: artifacts of modules that are not deleted. */
export async function tenantStorageBytes(db: Db, tenant: string): Promise<number> {
	const row = await db.get<{ total: number }>(sql`
		SELECT coalesce(sum(a.size), 0) AS total FROM artifacts a
		JOIN software_modules m ON m.id = a.software_module_id
		WHERE a.tenant = ${tenant} AND m.deleted = 0`);
	return row?.total ?? 0;
}

/**
 * Inserts the row only if every rule still holds at that instant: the module exists, is neither
 * deleted nor locked, has no artifact of that filename, is below the per-module count and the
 * tenant stays within its storage quota. One INSERT … SELECT … WHERE, so two concurrent uploads
 * cannot both squeeze past a quota (D1 runs statements one at a time).
 */
export async function insertArtifact(
	db: Db,
	a: NewArtifact,
	limits: ArtifactLimits,
): Promise<{ ok: true; artifact: ArtifactRow } | { ok: false; reason: InsertArtifactRefusal }> {
	const now = Date.now();
	let rows: { id: number }[] = [];
	try {
		rows = await db.all<{ id: number }>(sql`
			INSERT INTO artifacts (tenant, software_module_id, filename, sha1, md5, sha256, size, r2_key,
				created_at, created_by, last_modified_at, last_modified_by)
			SELECT ${a.tenant}, sm.id, ${a.filename}, ${a.sha1}, ${a.md5}, ${a.sha256}, ${a.size}, ${a.r2Key},
				${now}, ${a.createdBy}, ${now}, ${a.createdBy}
			FROM software_modules sm
			WHERE sm.id = ${a.softwareModuleId} AND sm.tenant = ${a.tenant} AND sm.deleted = 0 AND sm.locked = 0
				AND NOT EXISTS (SELECT 1 FROM artifacts x WHERE x.software_module_id = sm.id AND x.filename = ${a.filename})
				AND (SELECT count(*) FROM artifacts x WHERE x.software_module_id = sm.id) < ${limits.maxArtifactsPerModule}
				AND (SELECT coalesce(sum(x.size), 0) FROM artifacts x JOIN software_modules m ON m.id = x.software_module_id
					WHERE x.tenant = ${a.tenant} AND m.deleted = 0) + ${a.size} <= ${limits.maxTenantStorageBytes}
			RETURNING id`);
	} catch (err) {
		// The unique (module, filename) index still guards the race the NOT EXISTS cannot see.
		if (String(err).includes("UNIQUE constraint failed")) {
			return { ok: false, reason: "duplicateFilename" };
		}
		throw err;
	}
	const id = rows[0]?.id;
	if (id !== undefined) {
		const artifact = await db.query.artifacts.findFirst({ where: eq(artifacts.id, id) });
		if (artifact) {
			return { ok: true, artifact };
		}
	}
	return { ok: false, reason: await diagnoseRefusal(db, a, limits) };
}

async function diagnoseRefusal(
	db: Db,
	a: NewArtifact,
	limits: ArtifactLimits,
): Promise<InsertArtifactRefusal> {
	const sm = await findUploadTarget(db, a);
	if (!sm || sm.deleted) {
		return "moduleNotFound";
	}
	if (sm.locked) {
		return "locked";
	}
	const existing = await db.query.artifacts.findMany({
		columns: { filename: true },
		where: eq(artifacts.softwareModuleId, a.softwareModuleId),
	});
	if (existing.some((x) => x.filename === a.filename)) {
		return "duplicateFilename";
	}
	if (existing.length >= limits.maxArtifactsPerModule) {
		return "tooManyArtifacts";
	}
	return "storageExceeded";
}

/** Removes the row; answers the deleted row (undefined if there was none). */
export async function deleteArtifact(
	db: Db,
	q: { tenant: string; softwareModuleId: number; artifactId: number },
): Promise<ArtifactRow | undefined> {
	const [row] = await db
		.delete(artifacts)
		.where(
			and(
				eq(artifacts.tenant, q.tenant),
				eq(artifacts.softwareModuleId, q.softwareModuleId),
				eq(artifacts.id, q.artifactId),
			),
		)
		.returning();
	return row;
}

/**
 * Whether any artifact of a non-deleted module still points at these bytes. hawkBit keeps a
 * binary only while such a reference exists (ArtifactManagement#clearArtifactBinary).
 */
export async function isContentReferenced(
	db: Db,
	q: { tenant: string; sha1: string },
): Promise<boolean> {
	const row = await db.get<{ n: number }>(sql`
		SELECT count(*) AS n FROM artifacts a JOIN software_modules m ON m.id = a.software_module_id
		WHERE a.tenant = ${q.tenant} AND a.sha1 = ${q.sha1} AND m.deleted = 0`);
	return (row?.n ?? 0) > 0;
}
