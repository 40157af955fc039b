import { env, exports } from "cloudflare:workers";
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { artifactKey } from "../../shared/artifacts/keys";
import { runAuthMatrix } from "../testing/auth-matrix";
import { ADMIN_AUTH } from "../testing/principals";
import {
	api,
	BASE,
	createDs,
	createModule,
	errorCode,
	json,
	uniq,
	uploadArtifact,
} from "./repository-testing";

const hex = (alg: string, s: string) => createHash(alg).update(s).digest("hex");

describe("POST /rest/v1/softwaremodules", () => {
	it("creates modules with type key, typeName and complete", async () => {
		const name = uniq("fw");
		const [sm] = await json(
			await api("POST", "/softwaremodules", [
				{ name, version: "1.0.44", type: "os", vendor: "ACME", description: "d", unknown: 1 },
			]),
			201,
		);
		expect(sm).toMatchObject({
			name,
			version: "1.0.44",
			type: "os",
			typeName: "OS",
			vendor: "ACME",
			encrypted: false,
			locked: false,
			deleted: false,
			complete: true,
		});
		expect(Object.keys(sm._links).sort()).toEqual(["artifacts", "metadata", "self", "type"]);
	});

	it("answers 409 for name+version+type taken, 404 for an unknown type, 400 for encrypted", async () => {
		const sm = await createModule();
		const dup = await api("POST", "/softwaremodules", [
			{ name: sm.name, version: sm.version, type: "os" },
		]);
		expect(dup.status).toBe(409);
		const again = await api("POST", "/softwaremodules", [
			{ name: sm.name, version: sm.version, type: "application" },
		]);
		expect(again.status).toBe(201);
		const unknown = await api("POST", "/softwaremodules", [
			{ name: uniq("x"), version: "1", type: "nope" },
		]);
		expect(unknown.status).toBe(404);
		const enc = await api("POST", "/softwaremodules", [
			{ name: uniq("x"), version: "1", type: "os", encrypted: true },
		]);
		expect(await errorCode(enc)).toBe("artifact.encryptionNotSupported");
	});
});

describe("GET /rest/v1/softwaremodules", () => {
	it("filters by RSQL type and name and pages", async () => {
		const vendorless = await createModule({ type: "application", name: uniq("appfilter") });
		const page = await json(
			await api("GET", `/softwaremodules?q=type==application;name==${vendorless.name}`),
			200,
		);
		expect(page).toMatchObject({
			total: 1,
			size: 1,
			content: [
				{ id: vendorless.id, name: vendorless.name, type: "application", typeName: "Application" },
			],
		});
		expect(Object.keys(page.content[0]._links)).toEqual(["self"]);
	});
});

describe("PUT/DELETE /rest/v1/softwaremodules/{id}", () => {
	it("updates description, vendor and lock", async () => {
		const sm = await createModule();
		const up = await json(
			await api("PUT", `/softwaremodules/${sm.id}`, {
				vendor: "V2",
				locked: true,
				name: "ignored",
			}),
			200,
		);
		expect(up).toMatchObject({ vendor: "V2", locked: true, name: sm.name });
	});

	it("hard-deletes a free module, soft-deletes one in a DS, 423 when the DS is locked", async () => {
		const free = await createModule();
		expect((await api("DELETE", `/softwaremodules/${free.id}`)).status).toBe(204);
		expect((await api("GET", `/softwaremodules/${free.id}`)).status).toBe(404);

		const used = await createModule();
		await createDs({ modules: [used.id] });
		expect((await api("DELETE", `/softwaremodules/${used.id}`)).status).toBe(204);
		expect(await json(await api("GET", `/softwaremodules/${used.id}`), 200)).toMatchObject({
			deleted: true,
		});

		const inLocked = await createModule();
		const ds = await createDs({ modules: [inLocked.id] });
		await json(await api("PUT", `/distributionsets/${ds.id}`, { locked: true }), 200);
		const res = await api("DELETE", `/softwaremodules/${inLocked.id}`);
		expect(res.status).toBe(423);
		expect(await errorCode(res)).toBe("locked");
	});
});

describe("/rest/v1/softwaremodules/{id}/metadata", () => {
	it("creates, lists, reads, updates and deletes entries with targetVisible", async () => {
		const sm = await createModule();
		const path = `/softwaremodules/${sm.id}/metadata`;
		const created = await api("POST", path, [
			{ key: "k1", value: "v1", targetVisible: true },
			{ key: "k2", value: "v2" },
		]);
		expect(created.status).toBe(201);
		expect(await created.text()).toBe("");
		expect(await json(await api("GET", path), 200)).toEqual({
			content: [
				{ key: "k1", value: "v1", targetVisible: true },
				{ key: "k2", value: "v2", targetVisible: false },
			],
			total: 2,
			size: 2,
		});
		expect((await api("POST", path, [{ key: "k1", value: "x" }])).status).toBe(409);
		expect((await api("PUT", `${path}/k2`, { value: "v2b", targetVisible: true })).status).toBe(
			204,
		);
		expect(await json(await api("GET", `${path}/k2`), 200)).toEqual({
			key: "k2",
			value: "v2b",
			targetVisible: true,
		});
		expect((await api("DELETE", `${path}/k1`)).status).toBe(204);
		expect((await api("GET", `${path}/k1`)).status).toBe(404);
	});

	it("refuses more than 100 entries with 429", async () => {
		const sm = await createModule();
		const many = Array.from({ length: 101 }, (_, i) => ({ key: `k${i}`, value: "v" }));
		const res = await api("POST", `/softwaremodules/${sm.id}/metadata`, many);
		expect(res.status).toBe(429);
		expect(await errorCode(res)).toBe("quota.tooManyEntries");
	});
});

describe("POST /rest/v1/softwaremodules/{id}/artifacts", () => {
	it("stores the file with all three hashes, verifies supplied hashes and lists it", async () => {
		const sm = await createModule({ type: "application" });
		const content = `firmware ${uniq("c")}`;
		const res = await uploadArtifact(sm.id, content, {
			filename: "ignored.bin",
			fields: {
				filename: "image.swu",
				sha1sum: hex("sha1", content).toUpperCase(),
				md5sum: hex("md5", content),
			},
		});
		const art = await json(res, 201);
		expect(art).toMatchObject({
			providedFilename: "image.swu",
			size: content.length,
			hashes: {
				sha1: hex("sha1", content),
				md5: hex("md5", content),
				sha256: hex("sha256", content),
			},
			createdBy: "admin",
		});
		expect(art._links.download.href).toBe(
			`${BASE}/softwaremodules/${sm.id}/artifacts/${art.id}/download`,
		);
		const stored = await env.ARTIFACTS.get(artifactKey("DEFAULT", hex("sha1", content)));
		expect(await stored?.text()).toBe(content);
		const list = await json(await api("GET", `/softwaremodules/${sm.id}/artifacts`), 200);
		expect(list).toHaveLength(1);
		expect(Object.keys(list[0]._links)).toEqual(["self"]);
		const full = await json(
			await api("GET", `/softwaremodules/${sm.id}/artifacts?representation=full`),
			200,
		);
		expect(Object.keys(full[0]._links).sort()).toEqual(["download", "self"]);
		expect(
			await json(await api("GET", `/softwaremodules/${sm.id}/artifacts/${art.id}`), 200),
		).toMatchObject({ id: art.id });
	});

	it("answers 400 checksum.<alg>.match on a wrong hash and stores nothing", async () => {
		const sm = await createModule({ type: "application" });
		const content = `bad ${uniq("c")}`;
		for (const [field, alg] of [
			["md5sum", "md5"],
			["sha1sum", "sha1"],
			["sha256sum", "sha256"],
		] as const) {
			const res = await uploadArtifact(sm.id, content, { fields: { [field]: "0123" } });
			expect(res.status).toBe(400);
			expect(await errorCode(res)).toBe(`artifact.uploadFailed.checksum.${alg}.match`);
		}
		expect(await json(await api("GET", `/softwaremodules/${sm.id}/artifacts`), 200)).toEqual([]);
		expect(await env.ARTIFACTS.head(artifactKey("DEFAULT", hex("sha1", content)))).toBeNull();
		const staging = await env.ARTIFACTS.list({ prefix: "staging/DEFAULT/" });
		expect(staging.objects).toEqual([]);
	});

	it("answers 409 for a filename already in the module, 423 when locked, 404 for no module", async () => {
		const sm = await createModule({ type: "application" });
		expect((await uploadArtifact(sm.id, "one", { filename: "a.bin" })).status).toBe(201);
		const dup = await uploadArtifact(sm.id, "two", { filename: "a.bin" });
		expect(dup.status).toBe(409);
		expect(await errorCode(dup)).toBe("repo.entityAlreadyExists");
		await json(await api("PUT", `/softwaremodules/${sm.id}`, { locked: true }), 200);
		const locked = await uploadArtifact(sm.id, "three", { filename: "b.bin" });
		expect(locked.status).toBe(423);
		expect((await uploadArtifact(9_999_999, "x")).status).toBe(404);
	});

	it("answers 400 for an empty file or a missing file part, 415 for a non-multipart body", async () => {
		const sm = await createModule({ type: "application" });
		expect((await uploadArtifact(sm.id, "")).status).toBe(400);
		const form = new FormData();
		form.append("filename", "x");
		const noFile = await exports.default.fetch(`${BASE}/softwaremodules/${sm.id}/artifacts`, {
			method: "POST",
			headers: { Authorization: ADMIN_AUTH },
			body: form,
		});
		expect(noFile.status).toBe(400);
		const json415 = await api("POST", `/softwaremodules/${sm.id}/artifacts`, { file: "x" });
		expect(json415.status).toBe(415);
	});

	it("enforces 50 artifacts per module with 429 quota.tooManyEntries", async () => {
		const sm = await createModule({ type: "application" });
		for (let i = 0; i < 50; i++) {
			expect((await uploadArtifact(sm.id, `c${i}`, { filename: `f${i}` })).status).toBe(201);
		}
		const res = await uploadArtifact(sm.id, "c50", { filename: "f50" });
		expect(res.status).toBe(429);
		expect(await errorCode(res)).toBe("quota.tooManyEntries");
	});

	it("marks a module incomplete until its type's minArtifacts are uploaded", async () => {
		const key = uniq("needs1");
		await json(
			await api("POST", "/softwaremoduletypes", [{ key, name: key, minArtifacts: 1 }]),
			201,
		);
		const sm = await createModule({ type: key });
		expect(sm.complete).toBe(false);
		await json(await uploadArtifact(sm.id, "payload"), 201);
		expect(await json(await api("GET", `/softwaremodules/${sm.id}`), 200)).toMatchObject({
			complete: true,
		});
	});
});

describe("DELETE /rest/v1/softwaremodules/{id}/artifacts/{artifactId}", () => {
	it("removes the row and the bytes once no other module references them", async () => {
		const content = `shared ${uniq("c")}`;
		const key = artifactKey("DEFAULT", hex("sha1", content));
		const a = await createModule({ type: "application" });
		const b = await createModule({ type: "application" });
		const artA = await json(await uploadArtifact(a.id, content), 201);
		const artB = await json(await uploadArtifact(b.id, content), 201);
		expect((await api("DELETE", `/softwaremodules/${a.id}/artifacts/${artA.id}`)).status).toBe(204);
		expect(await env.ARTIFACTS.head(key)).not.toBeNull();
		expect((await api("DELETE", `/softwaremodules/${b.id}/artifacts/${artB.id}`)).status).toBe(204);
		expect(await env.ARTIFACTS.head(key)).toBeNull();
		expect((await api("GET", `/softwaremodules/${b.id}/artifacts/${artB.id}`)).status).toBe(404);
	});
});

const someModule = async () => `/rest/v1/softwaremodules/${(await createModule()).id}`;
runAuthMatrix({
	method: "GET",
	path: "/rest/v1/softwaremodules",
	permissions: ["READ_SOFTWARE_MODULE"],
	foreignTenant: async (res) => expect(((await res.json()) as { total: number }).total).toBe(0),
});
runAuthMatrix({ method: "GET", path: someModule, permissions: ["READ_SOFTWARE_MODULE"] });
runAuthMatrix({
	method: "POST",
	path: "/rest/v1/softwaremodules",
	body: () => Promise.resolve([{ name: uniq("am"), version: "1", type: "os" }]),
	permissions: ["CREATE_SOFTWARE_MODULE"],
	foreignTenant: 201,
});
runAuthMatrix({
	method: "PUT",
	path: someModule,
	body: { vendor: "v" },
	permissions: ["UPDATE_SOFTWARE_MODULE"],
});
runAuthMatrix({ method: "DELETE", path: someModule, permissions: ["DELETE_SOFTWARE_MODULE"] });
runAuthMatrix({
	method: "GET",
	path: async () => `${await someModule()}/metadata`,
	permissions: ["READ_SOFTWARE_MODULE"],
});
runAuthMatrix({
	method: "GET",
	path: async () => `${await someModule()}/artifacts`,
	permissions: ["READ_SOFTWARE_MODULE"],
});
runAuthMatrix({
	method: "POST",
	path: async () => `${await someModule()}/artifacts`,
	body: { not: "multipart" },
	permissions: ["CREATE_SOFTWARE_MODULE"],
});
