/**
 * Test factories: tenants, targets, software modules with artifacts in R2, distribution sets and
 * assignments, built on the real query modules (tenant bootstrap, tenant config, TargetManagement,
 * SoftwareModule(Type)Management, DistributionSetManagement, artifact insert, assignDistributionSet) so
 * the rows look exactly like production ones. Every name is unique, because storage is shared by all
 * tests of a file.
 */
import { eq } from "drizzle-orm";
import { artifactKey } from "../../shared/artifacts/keys";
import { DEFAULT_ARTIFACT_LIMITS } from "../../shared/artifacts/limits";
import { createDb } from "../../shared/db/client";
import { type ArtifactRow, insertArtifact } from "../../shared/db/queries/artifacts";
import { generateSecurityToken } from "../../shared/db/queries/controller";
import {
	type AssignmentRequest,
	type AssignmentResult,
	assignDistributionSet,
} from "../../shared/db/queries/deployments";
import { insertDistributionSets } from "../../shared/db/queries/distribution-sets";
import { insertSmTypes } from "../../shared/db/queries/software-module-types";
import { insertSmMetadata, insertSoftwareModules } from "../../shared/db/queries/software-modules";
import { insertTargets } from "../../shared/db/queries/targets";
import { ensureTenant, normaliseTenant } from "../../shared/db/queries/tenants";
import { distributionSets, softwareModules, targets } from "../../shared/db/schema";
import { refreshPollEntries } from "../../shared/poll-cache";
import { setTenantConfigs } from "../../shared/tenant-config";

let counter = 0;

/** A name no other test of the file uses. */
export function uniqueName(prefix: string): string {
	counter += 1;
	return `${prefix}-${Date.now().toString(36)}-${counter}-${crypto.randomUUID().slice(0, 6)}`;
}

/**
 * A fresh tenant with hawkBit's default types and target-token authentication switched on (off by
 * default, as in hawkBit). `config` sets further tenant configuration keys.
 */
export async function givenTenant(
	env: Env,
	o: { name?: string; targetToken?: boolean; config?: Record<string, unknown> } = {},
): Promise<string> {
	const tenant = normaliseTenant(o.name ?? uniqueName("T"));
	await ensureTenant(createDb(env.DB), env.DB, tenant);
	await setTenantConfigs(
		env,
		tenant,
		{ "authentication.targettoken.enabled": o.targetToken ?? true, ...o.config },
		"test",
	);
	return tenant;
}

export type GivenTarget = {
	tenant: string;
	id: number;
	controllerId: string;
	token: string;
	/** `Authorization` header value for DDI calls. */
	auth: string;
};

/** A target created through TargetManagement (status `unknown`, attributes requested), as the API does. */
export async function givenTarget(
	env: Env,
	o: { tenant: string; controllerId?: string; token?: string; targetTypeId?: number | null },
): Promise<GivenTarget> {
	const tenant = normaliseTenant(o.tenant);
	const controllerId = o.controllerId ?? uniqueName("dev");
	const token = o.token ?? generateSecurityToken();
	const [row] = await insertTargets(createDb(env.DB), {
		tenant,
		by: "test",
		items: [{ controllerId, securityToken: token, targetType: o.targetTypeId ?? null }],
	});
	if (!row) {
		throw new Error("target not created");
	}
	// Target creation changes what the device sees (its poll entry), like every other write.
	await refreshPollEntries(env, tenant, [row.id]);
	return { tenant, id: row.id, controllerId, token, auth: `TargetToken ${token}` };
}

/** A software-module type (defaults: one per DS, no minimum of artifacts). */
export async function givenSoftwareModuleType(
	env: Env,
	o: { tenant: string; key?: string; maxAssignments?: number; minArtifacts?: number },
): Promise<{ id: number; key: string }> {
	const key = o.key ?? uniqueName("smtype");
	const [row] = await insertSmTypes(createDb(env.DB), {
		tenant: normaliseTenant(o.tenant),
		by: "test",
		items: [
			{ key, name: key, maxAssignments: o.maxAssignments ?? 1, minArtifacts: o.minArtifacts ?? 0 },
		],
	});
	if (!row) {
		throw new Error("software module type not created");
	}
	return { id: row.id, key };
}

async function hex(algorithm: string, bytes: Uint8Array): Promise<string> {
	const digest = await crypto.subtle.digest(algorithm, bytes);
	return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Deterministic pseudo-random bytes (so a broken download cannot accidentally look right). */
export function testBytes(size: number, seed = 1): Uint8Array {
	const out = new Uint8Array(size);
	let x = seed >>> 0 || 1;
	for (let i = 0; i < size; i++) {
		x ^= x << 13;
		x ^= x >>> 17;
		x ^= x << 5;
		out[i] = x & 0xff;
	}
	return out;
}

/**
 * An artifact: bytes into R2 under the tenant's SHA-1 key (as the upload path stores them), row through
 * the real insert (which enforces the module's lock, duplicates and quotas).
 */
export async function givenArtifact(
	env: Env,
	o: { tenant: string; softwareModuleId: number; filename: string; content: Uint8Array | string },
): Promise<ArtifactRow> {
	const tenant = normaliseTenant(o.tenant);
	const bytes = typeof o.content === "string" ? new TextEncoder().encode(o.content) : o.content;
	const sha1 = await hex("SHA-1", bytes);
	const key = artifactKey(tenant, sha1);
	await env.ARTIFACTS.put(key, bytes);
	const result = await insertArtifact(
		createDb(env.DB),
		{
			tenant,
			softwareModuleId: o.softwareModuleId,
			filename: o.filename,
			size: bytes.byteLength,
			sha1,
			md5: await hex("MD5", bytes),
			sha256: await hex("SHA-256", bytes),
			r2Key: key,
			createdBy: "test",
		},
		DEFAULT_ARTIFACT_LIMITS,
	);
	if (!result.ok) {
		throw new Error(`artifact not created: ${result.reason}`);
	}
	return result.artifact;
}

/**
 * A software module of a type (by key, default `os`) with optional artifacts and metadata, through
 * SoftwareModuleManagement. `encrypted` is set directly: Updraft refuses to create encrypted modules
 * (no encryption provider), but DDI must still show the flag of one.
 */
export async function givenSoftwareModule(
	env: Env,
	o: {
		tenant: string;
		typeKey?: string;
		name?: string;
		version?: string;
		encrypted?: boolean;
		artifacts?: { filename: string; content: Uint8Array | string }[];
		metadata?: { key: string; value: string; targetVisible?: boolean }[];
	},
): Promise<{
	id: number;
	typeKey: string;
	name: string;
	version: string;
	artifacts: ArtifactRow[];
}> {
	const tenant = normaliseTenant(o.tenant);
	const db = createDb(env.DB);
	const typeKey = o.typeKey ?? "os";
	const name = o.name ?? uniqueName("module");
	const version = o.version ?? "1.0.0";
	const [row] = await insertSoftwareModules(db, {
		tenant,
		by: "test",
		items: [{ name, version, typeKey }],
	});
	if (!row) {
		throw new Error("software module not created");
	}
	if (o.encrypted) {
		await db.update(softwareModules).set({ encrypted: true }).where(eq(softwareModules.id, row.id));
	}
	if (o.metadata?.length) {
		await insertSmMetadata(db, {
			tenant,
			id: row.id,
			by: "test",
			items: o.metadata.map((m) => ({
				key: m.key,
				value: m.value,
				targetVisible: m.targetVisible ?? false,
			})),
		});
	}
	const artifacts: ArtifactRow[] = [];
	for (const a of o.artifacts ?? []) {
		artifacts.push(await givenArtifact(env, { tenant, softwareModuleId: row.id, ...a }));
	}
	return { id: row.id, typeKey, name, version, artifacts };
}

/**
 * A distribution set of a type (by key, default `os_app`) holding the given modules, through
 * DistributionSetManagement. `valid: false` / `deleted: true` are set directly, to test assignment
 * refusals without going through invalidation or deletion.
 */
export async function givenDistributionSet(
	env: Env,
	o: {
		tenant: string;
		modules: number[];
		typeKey?: string;
		name?: string;
		version?: string;
		requiredMigrationStep?: boolean;
		valid?: boolean;
		deleted?: boolean;
	},
): Promise<{ id: number; name: string; version: string; typeId: number }> {
	const tenant = normaliseTenant(o.tenant);
	const db = createDb(env.DB);
	const name = o.name ?? uniqueName("ds");
	const version = o.version ?? "1.0";
	await insertDistributionSets(db, {
		tenant,
		by: "test",
		items: [
			{
				name,
				version,
				typeKey: o.typeKey ?? "os_app",
				moduleIds: o.modules,
				requiredMigrationStep: o.requiredMigrationStep ?? false,
			},
		],
	});
	const row = await db.query.distributionSets.findFirst({
		where: (d, { and, eq: equals }) =>
			and(equals(d.tenant, tenant), equals(d.name, name), equals(d.version, version)),
	});
	if (!row) {
		throw new Error("distribution set not created");
	}
	if (o.valid === false || o.deleted) {
		await db
			.update(distributionSets)
			.set({ valid: o.valid ?? true, deleted: o.deleted ?? false })
			.where(eq(distributionSets.id, row.id));
	}
	return { id: row.id, name, version, typeId: row.typeId };
}

/** The id of a distribution set type of the tenant by key. */
export async function dsTypeId(env: Env, tenant: string, key: string): Promise<number> {
	const type = await createDb(env.DB).query.distributionSetTypes.findFirst({
		where: (t, { and, eq: equals }) =>
			and(equals(t.tenant, normaliseTenant(tenant)), equals(t.key, key)),
	});
	if (!type) {
		throw new Error(`no distribution set type ${key}`);
	}
	return type.id;
}

/** Assigns a DS to one target through the real DeploymentManagement. */
export async function givenAssignment(
	env: Env,
	o: { tenant: string; dsId: number; user?: string; offline?: boolean } & AssignmentRequest,
): Promise<AssignmentResult & { actionId: number }> {
	const { tenant, dsId, user, offline, ...request } = o;
	const result = await assignDistributionSet(createDb(env.DB), env, {
		tenant,
		dsId,
		initiatedBy: user ?? "test",
		offline,
		assignments: [request],
	});
	const actionId = result.assignedActions[0]?.id;
	if (actionId === undefined) {
		throw new Error("nothing assigned");
	}
	return { ...result, actionId };
}

export type GivenAssignedTarget = GivenTarget & {
	dsId: number;
	actionId: number;
	module: Awaited<ReturnType<typeof givenSoftwareModule>>;
	artifact: ArtifactRow;
	content: Uint8Array;
};

/**
 * The common DDI starting point: a tenant with target tokens on, a target, an `os` module with one
 * artifact (`image.swu`, pseudo-random bytes), a DS with it, and an assignment of that DS.
 */
export async function givenAssignedTarget(
	env: Env,
	o: {
		tenant?: string;
		size?: number;
		filename?: string;
		assignment?: Omit<AssignmentRequest, "controllerId">;
		config?: Record<string, unknown>;
	} = {},
): Promise<GivenAssignedTarget> {
	const tenant = o.tenant ?? (await givenTenant(env, { config: o.config }));
	const target = await givenTarget(env, { tenant });
	const content = testBytes(o.size ?? 4096, target.id);
	const module = await givenSoftwareModule(env, {
		tenant,
		artifacts: [{ filename: o.filename ?? "image.swu", content }],
	});
	const ds = await givenDistributionSet(env, { tenant, modules: [module.id] });
	const { actionId } = await givenAssignment(env, {
		tenant,
		dsId: ds.id,
		controllerId: target.controllerId,
		...o.assignment,
	});
	const artifact = module.artifacts[0];
	if (!artifact) {
		throw new Error("artifact missing");
	}
	return { ...target, dsId: ds.id, actionId, module, artifact, content };
}

/** Reads a target row back (tests assert on update status, assigned/installed DS …). */
export async function readTarget(env: Env, id: number) {
	return createDb(env.DB).query.targets.findFirst({ where: eq(targets.id, id) });
}
