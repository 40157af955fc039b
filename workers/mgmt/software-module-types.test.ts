import { describe, expect, it } from "vitest";
import { runAuthMatrix } from "../testing/auth-matrix";
import { api, createModule, errorCode, json, uniq } from "./repository-testing";

async function createType(extra: Record<string, unknown> = {}) {
	const key = uniq("k");
	return (
		await json(await api("POST", "/softwaremoduletypes", [{ key, name: key, ...extra }]), 201)
	)[0];
}

describe("POST /rest/v1/softwaremoduletypes", () => {
	it("creates types from an array or a single object and answers 201 with the created items", async () => {
		const key = uniq("fw");
		const created = await json(
			await api("POST", "/softwaremoduletypes", [
				{ key, name: `${key} name`, description: "Firmware", maxAssignments: 1, minArtifacts: 1 },
			]),
			201,
		);
		expect(created).toHaveLength(1);
		expect(created[0]).toMatchObject({
			key,
			name: `${key} name`,
			description: "Firmware",
			maxAssignments: 1,
			minArtifacts: 1,
			deleted: false,
			createdBy: "admin",
		});
		expect(created[0]).not.toHaveProperty("colour");
		expect(created[0]._links.self.href).toBe(
			`https://repo.test/rest/v1/softwaremoduletypes/${created[0].id}`,
		);
		const single = uniq("single");
		const res = await json(
			await api("POST", "/softwaremoduletypes", { key: single, name: single }),
			201,
		);
		expect(res).toMatchObject([{ key: single, maxAssignments: 1, minArtifacts: 0 }]);
	});

	it("answers 409 for a taken key and writes nothing of the request", async () => {
		const t = await createType();
		const fresh = uniq("fresh");
		const res = await api("POST", "/softwaremoduletypes", [
			{ key: fresh, name: fresh },
			{ key: t.key, name: uniq("other") },
		]);
		expect(res.status).toBe(409);
		expect(await errorCode(res)).toBe("repo.entityAlreadyExists");
		const list = await json(await api("GET", `/softwaremoduletypes?q=key==${fresh}`), 200);
		expect(list.total).toBe(0);
	});

	it("answers 400 constraintViolation for oversized or HTML values, notReadable for bad JSON", async () => {
		const res = await api("POST", "/softwaremoduletypes", [{ key: "x".repeat(65), name: "ok" }]);
		expect(res.status).toBe(400);
		expect(await errorCode(res)).toBe("repo.constraintViolation");
		const html = await api("POST", "/softwaremoduletypes", [
			{ key: uniq("h"), name: "<script>x</script>" },
		]);
		expect(await errorCode(html)).toBe("repo.constraintViolation");
		const missing = await api("POST", "/softwaremoduletypes", [{ name: "no key" }]);
		expect(missing.status).toBe(400);
		expect(await errorCode(missing)).toBe("rest.body.notReadable");
	});
});

describe("GET /rest/v1/softwaremoduletypes", () => {
	it("pages, sorts and filters with RSQL; lists the tenant's default types", async () => {
		const a = await createType({ maxAssignments: 7 });
		const page = await json(
			await api("GET", `/softwaremoduletypes?q=maxassignments==7;key==${a.key}&limit=5`),
			200,
		);
		expect(page).toMatchObject({ total: 1, size: 1, content: [{ id: a.id }] });
		const defaults = await json(
			await api("GET", "/softwaremoduletypes?q=key=in=(os,application)&sort=key:ASC"),
			200,
		);
		expect(defaults.content.map((t: { key: string }) => t.key)).toEqual(["application", "os"]);
		const bad = await api("GET", "/softwaremoduletypes?q=nofield==1");
		expect(await errorCode(bad)).toBe("rest.param.rsqlInvalidField");
	});
});

describe("GET/PUT/DELETE /rest/v1/softwaremoduletypes/{id}", () => {
	it("updates description and colour only", async () => {
		const t = await createType();
		const updated = await json(
			await api("PUT", `/softwaremoduletypes/${t.id}`, {
				description: "new",
				colour: "#fff",
				key: "ignored",
			}),
			200,
		);
		expect(updated).toMatchObject({ id: t.id, key: t.key, description: "new", colour: "#fff" });
		expect(await json(await api("GET", `/softwaremoduletypes/${t.id}`), 200)).toMatchObject({
			description: "new",
		});
	});

	it("hard-deletes an unused type and soft-deletes a used one (listed with soft_deleted_mode)", async () => {
		const unused = await createType();
		expect((await api("DELETE", `/softwaremoduletypes/${unused.id}`)).status).toBe(204);
		expect((await api("GET", `/softwaremoduletypes/${unused.id}`)).status).toBe(404);

		const used = await createType();
		await createModule({ type: used.key });
		expect((await api("DELETE", `/softwaremoduletypes/${used.id}`)).status).toBe(204);
		expect(await json(await api("GET", `/softwaremoduletypes/${used.id}`), 200)).toMatchObject({
			deleted: true,
		});
		const hidden = await json(await api("GET", `/softwaremoduletypes?q=id==${used.id}`), 200);
		expect(hidden.total).toBe(0);
		const only = await json(
			await api("GET", `/softwaremoduletypes?q=id==${used.id}&soft_deleted_mode=ONLY_SOFT_DELETED`),
			200,
		);
		expect(only.total).toBe(1);
		const reuse = await api("POST", "/softwaremodules", [
			{ name: uniq("x"), version: "1", type: used.key },
		]);
		expect(reuse.status).toBe(400);
	});

	it("answers 404 with hawkBit's body for an unknown id", async () => {
		const res = await api("GET", "/softwaremoduletypes/987654");
		expect(res.status).toBe(404);
		expect(await res.json()).toMatchObject({
			errorCode: "hawkbit.server.error.repo.entityNotFound",
			info: { type: "SoftwareModuleType", entityId: 987654 },
		});
	});
});

const someType = async () => `/rest/v1/softwaremoduletypes/${(await createType()).id}`;
runAuthMatrix({
	method: "GET",
	path: "/rest/v1/softwaremoduletypes",
	permissions: ["READ_SOFTWARE_MODULE_TYPE"],
	foreignTenant: async (res) => {
		const body = (await res.json()) as { content: { key: string }[] };
		expect(body.content.every((t) => ["os", "application"].includes(t.key))).toBe(true);
	},
});
runAuthMatrix({ method: "GET", path: someType, permissions: ["READ_SOFTWARE_MODULE_TYPE"] });
runAuthMatrix({
	method: "POST",
	path: "/rest/v1/softwaremoduletypes",
	body: () => Promise.resolve([{ key: uniq("am"), name: uniq("am") }]),
	permissions: ["CREATE_SOFTWARE_MODULE_TYPE"],
	foreignTenant: 201,
});
runAuthMatrix({
	method: "PUT",
	path: someType,
	body: { description: "d" },
	permissions: ["UPDATE_SOFTWARE_MODULE_TYPE"],
});
runAuthMatrix({ method: "DELETE", path: someType, permissions: ["DELETE_SOFTWARE_MODULE_TYPE"] });
