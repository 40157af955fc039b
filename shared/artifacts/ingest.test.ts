import { env } from "cloudflare:workers";
import { createHash } from "node:crypto";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../db/client";
import { listArtifacts } from "../db/queries/artifacts";
import { ensureTenant } from "../db/queries/tenants";
import { softwareModules } from "../db/schema";
import { DomainError } from "../errors";
import { commitStagedArtifact, releaseContent } from "./ingest";
import { artifactKey, stagingDataKey } from "./keys";
import { DEFAULT_ARTIFACT_LIMITS } from "./limits";
import { hashStoredObject, stageBytes } from "./staging";

const db = createDb(env.DB);
const MiB = 1024 * 1024;

function bytes(n: number, seed: number): Uint8Array {
	const b = new Uint8Array(n);
	for (let i = 0; i < n; i++) {
		b[i] = (i * 7 + seed) & 0xff;
	}
	return b;
}

async function* chunked(b: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
	for (let i = 0; i < b.length; i += size) {
		yield b.subarray(i, i + size);
	}
}

const hex = (alg: string, b: Uint8Array) => createHash(alg).update(b).digest("hex");

async function givenModule(tenant: string, opts: { locked?: boolean } = {}) {
	await ensureTenant(db, env.DB, tenant);
	const type = await db.query.softwareModuleTypes.findFirst({
		where: (t, { and, eq }) => and(eq(t.tenant, tenant), eq(t.key, "os")),
	});
	const [sm] = await db
		.insert(softwareModules)
		.values({
			tenant,
			typeId: type?.id ?? 0,
			name: `sm-${crypto.randomUUID()}`,
			version: "1",
			locked: opts.locked ?? false,
		})
		.returning();
	if (!sm) {
		throw new Error("no module");
	}
	return sm;
}

async function stagingKeys(tenant: string) {
	const listed = await env.ARTIFACTS.list({ prefix: `staging/${tenant}/` });
	return listed.objects.map((o) => o.key);
}

describe("stageBytes", () => {
	it("hashes in one pass and stores a single-part file with one put", async () => {
		const data = bytes(1000, 1);
		const staged = await stageBytes(env.ARTIFACTS, "staging/T1/a/data", chunked(data, 33), {
			maxBytes: MiB,
		});
		expect(staged.size).toBe(1000);
		expect(staged.hashes).toEqual({
			md5: hex("md5", data),
			sha1: hex("sha1", data),
			sha256: hex("sha256", data),
		});
		const stored = await env.ARTIFACTS.get("staging/T1/a/data");
		expect(new Uint8Array((await stored?.arrayBuffer()) ?? new ArrayBuffer(0))).toEqual(data);
	});

	it("switches to an R2 multipart upload when the file exceeds one part", async () => {
		const data = bytes(12 * MiB + 123, 2);
		const staged = await stageBytes(env.ARTIFACTS, "staging/T1/b/data", chunked(data, 64 * 1024), {
			maxBytes: 100 * MiB,
			partSize: 5 * MiB,
		});
		expect(staged.hashes.sha1).toBe(hex("sha1", data));
		const again = await hashStoredObject(env.ARTIFACTS, "staging/T1/b/data");
		expect(again).toEqual({ size: data.length, hashes: staged.hashes });
	});

	it("stops at the size limit and leaves nothing in R2", async () => {
		const data = bytes(11 * MiB, 3);
		const err = await stageBytes(env.ARTIFACTS, "staging/T1/c/data", chunked(data, MiB), {
			maxBytes: 10 * MiB,
			partSize: 5 * MiB,
		}).catch((e: unknown) => e);
		expect(err).toBeInstanceOf(DomainError);
		expect((err as DomainError).code).toBe("quota.fileSizeExceeded");
		expect(await env.ARTIFACTS.head("staging/T1/c/data")).toBeNull();
	});
});

describe("commitStagedArtifact", () => {
	it("moves verified bytes to the SHA-1 key and stores identical content once per tenant", async () => {
		const tenant = "INGEST-DEDUPE";
		const sm1 = await givenModule(tenant);
		const sm2 = await givenModule(tenant);
		const data = bytes(5000, 4);
		for (const sm of [sm1, sm2]) {
			const key = stagingDataKey(tenant, crypto.randomUUID());
			const staged = await stageBytes(env.ARTIFACTS, key, chunked(data, 512), { maxBytes: MiB });
			const row = await commitStagedArtifact(db, env.ARTIFACTS, {
				tenant,
				softwareModuleId: sm.id,
				filename: "fw.bin",
				createdBy: "tester",
				staged,
				expected: { sha1: hex("sha1", data).toUpperCase(), md5: hex("md5", data) },
				limits: DEFAULT_ARTIFACT_LIMITS,
			});
			expect(row).toMatchObject({ filename: "fw.bin", size: 5000, sha1: hex("sha1", data) });
		}
		const contentKey = artifactKey(tenant, hex("sha1", data));
		expect((await env.ARTIFACTS.head(contentKey))?.size).toBe(5000);
		expect(await stagingKeys(tenant)).toEqual([]);
		const listed = await env.ARTIFACTS.list({ prefix: `artifacts/${tenant}/` });
		expect(listed.objects).toHaveLength(1);
		// Bytes stay while the other module still references them.
		const [a1] = await listArtifacts(db, { tenant, softwareModuleId: sm1.id });
		await db.delete(softwareModules).where(eq(softwareModules.id, sm1.id));
		expect(a1).toBeDefined();
		expect(await releaseContent(db, env.ARTIFACTS, { tenant, sha1: hex("sha1", data) })).toBe(
			false,
		);
	});

	it("refuses a wrong hash with hawkBit's code and keeps neither row nor bytes", async () => {
		const tenant = "INGEST-MISMATCH";
		const sm = await givenModule(tenant);
		const data = bytes(2000, 5);
		for (const alg of ["md5", "sha1", "sha256"] as const) {
			const staged = await stageBytes(
				env.ARTIFACTS,
				stagingDataKey(tenant, crypto.randomUUID()),
				chunked(data, 100),
				{ maxBytes: MiB },
			);
			const err = await commitStagedArtifact(db, env.ARTIFACTS, {
				tenant,
				softwareModuleId: sm.id,
				filename: `f-${alg}`,
				createdBy: "tester",
				staged,
				expected: { [alg]: "00" },
				limits: DEFAULT_ARTIFACT_LIMITS,
			}).catch((e: unknown) => e);
			expect((err as DomainError).code).toBe(`artifact.uploadFailed.checksum.${alg}.match`);
		}
		expect(await listArtifacts(db, { tenant, softwareModuleId: sm.id })).toEqual([]);
		expect(await env.ARTIFACTS.head(artifactKey(tenant, hex("sha1", data)))).toBeNull();
		expect(await stagingKeys(tenant)).toEqual([]);
	});

	it("answers duplicate filename, lock, count and storage quotas and cleans up", async () => {
		const tenant = "INGEST-RULES";
		const sm = await givenModule(tenant);
		const locked = await givenModule(tenant, { locked: true });
		const commit = async (smId: number, filename: string, seed: number, limits = {}) => {
			const data = bytes(100, seed);
			const staged = await stageBytes(
				env.ARTIFACTS,
				stagingDataKey(tenant, crypto.randomUUID()),
				chunked(data, 100),
				{ maxBytes: MiB },
			);
			return commitStagedArtifact(db, env.ARTIFACTS, {
				tenant,
				softwareModuleId: smId,
				filename,
				createdBy: "tester",
				staged,
				expected: {},
				limits: { ...DEFAULT_ARTIFACT_LIMITS, ...limits },
			}).then(
				() => "ok",
				(e: DomainError) => e.code,
			);
		};
		expect(await commit(sm.id, "a", 10)).toBe("ok");
		expect(await commit(sm.id, "a", 11)).toBe("repo.entityAlreadyExists");
		expect(await commit(locked.id, "a", 12)).toBe("locked");
		expect(await commit(sm.id, "b", 13, { maxArtifactsPerModule: 1 })).toBe("quota.tooManyEntries");
		expect(await commit(sm.id, "c", 14, { maxTenantStorageBytes: 150 })).toBe(
			"quota.storageExceeded",
		);
		expect(await commit(999_999, "a", 15)).toBe("repo.entityNotFound");
		const listed = await env.ARTIFACTS.list({ prefix: `artifacts/${tenant}/` });
		expect(listed.objects.map((o) => o.key)).toEqual([
			artifactKey(tenant, hex("sha1", bytes(100, 10))),
		]);
		expect(await stagingKeys(tenant)).toEqual([]);
	});
});
