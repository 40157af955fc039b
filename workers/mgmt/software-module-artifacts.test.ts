import { env, exports } from "cloudflare:workers";
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { artifactKey } from "../../shared/artifacts/keys";
import { sweepStaging } from "../../shared/artifacts/sweeper";
import { runAuthMatrix } from "../testing/auth-matrix";
import { ADMIN_AUTH } from "../testing/principals";
import { api, BASE, createModule, errorCode, json } from "./repository-testing";

const MiB = 1024 * 1024;

function bytes(n: number, seed: number): Uint8Array {
	const b = new Uint8Array(n);
	for (let i = 0; i < n; i++) {
		b[i] = (i * 13 + seed) & 0xff;
	}
	return b;
}

const hex = (alg: string, ...parts: Uint8Array[]) => {
	const h = createHash(alg);
	for (const p of parts) {
		h.update(p);
	}
	return h.digest("hex");
};

async function putPart(path: string, n: number, body: Uint8Array) {
	return exports.default.fetch(`${BASE}${path}/parts/${n}`, {
		method: "PUT",
		headers: { Authorization: ADMIN_AUTH, "Content-Type": "application/octet-stream" },
		body,
	});
}

async function openUpload(smId: number, filename: string) {
	const session = await json(
		await api("POST", `/softwaremodules/${smId}/artifacts/uploads`, { filename }),
		201,
	);
	return { session, path: `/softwaremodules/${smId}/artifacts/uploads/${session.uploadId}` };
}

describe("resumable artifact uploads (Updraft extension)", () => {
	it("assembles parts, re-hashes server-side and creates the artifact", async () => {
		const sm = await createModule({ type: "application" });
		const { session, path } = await openUpload(sm.id, "big.swu");
		expect(session).toMatchObject({
			filename: "big.swu",
			minPartSize: 5 * MiB,
			maxPartNumber: 10000,
		});
		const p1 = bytes(5 * MiB, 1);
		const p2 = bytes(1234, 2);
		const r1 = await json(await putPart(path, 1, p1), 200);
		const r2 = await json(await putPart(path, 2, p2), 200);
		const art = await json(
			await api("POST", `${path}/complete`, {
				parts: [r2, r1],
				sha1sum: hex("sha1", p1, p2),
				sha256sum: hex("sha256", p1, p2),
			}),
			201,
		);
		expect(art).toMatchObject({
			providedFilename: "big.swu",
			size: p1.length + p2.length,
			hashes: { sha1: hex("sha1", p1, p2), md5: hex("md5", p1, p2), sha256: hex("sha256", p1, p2) },
		});
		expect((await env.ARTIFACTS.head(artifactKey("DEFAULT", hex("sha1", p1, p2))))?.size).toBe(
			p1.length + p2.length,
		);
		expect(
			(await env.ARTIFACTS.list({ prefix: `staging/DEFAULT/${session.uploadId}` })).objects,
		).toEqual([]);
		expect((await api("POST", `${path}/complete`, { parts: [r1], sha1sum: "x" })).status).toBe(404);
	});

	it("refuses a wrong client hash after assembly and leaves no bytes behind", async () => {
		const sm = await createModule({ type: "application" });
		const { session, path } = await openUpload(sm.id, "liar.bin");
		const p1 = bytes(4000, 3);
		const r1 = await json(await putPart(path, 1, p1), 200);
		const res = await api("POST", `${path}/complete`, { parts: [r1], sha1sum: "0".repeat(40) });
		expect(res.status).toBe(400);
		expect(await errorCode(res)).toBe("artifact.uploadFailed.checksum.sha1.match");
		expect(await env.ARTIFACTS.head(artifactKey("DEFAULT", hex("sha1", p1)))).toBeNull();
		expect(
			(await env.ARTIFACTS.list({ prefix: `staging/DEFAULT/${session.uploadId}` })).objects,
		).toEqual([]);
		expect(await json(await api("GET", `/softwaremodules/${sm.id}/artifacts`), 200)).toEqual([]);
	});

	it("aborts on DELETE, and refuses a duplicate filename or a locked module up front", async () => {
		const sm = await createModule({ type: "application" });
		const { path } = await openUpload(sm.id, "gone.bin");
		await json(await putPart(path, 1, bytes(100, 4)), 200);
		expect((await api("DELETE", path)).status).toBe(204);
		expect((await putPart(path, 2, bytes(100, 5))).status).toBe(404);
		const form = new FormData();
		form.append("file", new File(["x"], "taken.bin"));
		await exports.default.fetch(`${BASE}/softwaremodules/${sm.id}/artifacts`, {
			method: "POST",
			headers: { Authorization: ADMIN_AUTH },
			body: form,
		});
		const dup = await api("POST", `/softwaremodules/${sm.id}/artifacts/uploads`, {
			filename: "taken.bin",
		});
		expect(dup.status).toBe(409);
		await json(await api("PUT", `/softwaremodules/${sm.id}`, { locked: true }), 200);
		expect(
			(await api("POST", `/softwaremodules/${sm.id}/artifacts/uploads`, { filename: "n.bin" }))
				.status,
		).toBe(423);
	});

	it("sweeps abandoned sessions and orphaned staging objects, keeping fresh ones", async () => {
		const sm = await createModule({ type: "application" });
		const { session, path } = await openUpload(sm.id, "abandoned.bin");
		await json(await putPart(path, 1, bytes(100, 6)), 200);
		await env.ARTIFACTS.put("staging/DEFAULT/orphan-form-upload/data", "half");
		const early = await sweepStaging(env.ARTIFACTS, { now: Date.now() });
		expect(early.deleted + early.sessionsAborted).toBe(0);
		const later = await sweepStaging(env.ARTIFACTS, { now: Date.now() + 25 * 60 * 60 * 1000 });
		expect(later.sessionsAborted).toBe(1);
		expect(later.deleted).toBe(1);
		expect((await env.ARTIFACTS.list({ prefix: "staging/DEFAULT/" })).objects).toEqual([]);
		expect((await putPart(path, 2, bytes(100, 7))).status).toBe(404);
		expect(session.uploadId).toBeTruthy();
	});
});

runAuthMatrix({
	method: "POST",
	path: async () =>
		`/rest/v1/softwaremodules/${(await createModule({ type: "application" })).id}/artifacts/uploads`,
	body: { filename: "m.bin" },
	permissions: ["CREATE_SOFTWARE_MODULE"],
});

describe("GET /rest/v1/softwaremodules/{id}/artifacts/{artifactId}/download", () => {
	it("streams the bytes with ETag, Range support and Content-Disposition", async () => {
		const sm = await createModule({ type: "application" });
		const form = new FormData();
		form.append("file", new File(["0123456789"], "digits.txt"));
		const art = await json(
			await exports.default.fetch(`${BASE}/softwaremodules/${sm.id}/artifacts`, {
				method: "POST",
				headers: { Authorization: ADMIN_AUTH },
				body: form,
			}),
			201,
		);
		const url = `${BASE}/softwaremodules/${sm.id}/artifacts/${art.id}/download`;
		const full = await exports.default.fetch(url, { headers: { Authorization: ADMIN_AUTH } });
		expect(full.status).toBe(200);
		expect(await full.text()).toBe("0123456789");
		expect(full.headers.get("ETag")).toBe(`"${art.hashes.sha1}"`);
		expect(full.headers.get("Content-Disposition")).toContain("digits.txt");
		const part = await exports.default.fetch(url, {
			headers: { Authorization: ADMIN_AUTH, Range: "bytes=2-4" },
		});
		expect(part.status).toBe(206);
		expect(await part.text()).toBe("234");
	});

	it("answers 410 binaryDeleted for a soft-deleted module and 404 for an unknown artifact", async () => {
		const sm = await createModule({ type: "application" });
		const form = new FormData();
		form.append("file", new File(["gone soon"], "g.bin"));
		const art = await json(
			await exports.default.fetch(`${BASE}/softwaremodules/${sm.id}/artifacts`, {
				method: "POST",
				headers: { Authorization: ADMIN_AUTH },
				body: form,
			}),
			201,
		);
		expect((await api("GET", `/softwaremodules/${sm.id}/artifacts/999999/download`)).status).toBe(
			404,
		);
		await json(
			await api("POST", "/distributionsets", [
				{ name: `keep-${sm.id}`, version: "1", modules: [{ id: sm.id }] },
			]),
			201,
		);
		expect((await api("DELETE", `/softwaremodules/${sm.id}`)).status).toBe(204);
		const res = await api("GET", `/softwaremodules/${sm.id}/artifacts/${art.id}/download`);
		expect(res.status).toBe(410);
		expect(await errorCode(res)).toBe("artifact.binaryDeleted");
	});
});

runAuthMatrix({
	method: "GET",
	path: async () => {
		const sm = await createModule({ type: "application" });
		const form = new FormData();
		form.append("file", new File([`auth ${sm.id}`], "a.bin"));
		const res = await exports.default.fetch(`${BASE}/softwaremodules/${sm.id}/artifacts`, {
			method: "POST",
			headers: { Authorization: ADMIN_AUTH },
			body: form,
		});
		const art = (await res.json()) as { id: number };
		return `/rest/v1/softwaremodules/${sm.id}/artifacts/${art.id}/download`;
	},
	permissions: ["READ_SOFTWARE_MODULE_ARTIFACT"],
	permittedStatus: 200,
});
