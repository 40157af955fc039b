import { describe, expect, it } from "vitest";
import { runAuthMatrix } from "../testing/auth-matrix";
import { api, errorCode, json, uniq } from "./repository-testing";

async function smType(): Promise<{ id: number; key: string }> {
	const key = uniq("smt");
	return (await json(await api("POST", "/softwaremoduletypes", [{ key, name: key }]), 201))[0];
}

async function dsType(mandatory: number[] = [], optional: number[] = []) {
	const key = uniq("dst");
	return (
		await json(
			await api("POST", "/distributionsettypes", [
				{
					key,
					name: key,
					mandatorymodules: mandatory.map((id) => ({ id })),
					optionalmodules: optional.map((id) => ({ id })),
				},
			]),
			201,
		)
	)[0];
}

describe("POST /rest/v1/distributionsettypes", () => {
	it("creates a type with mandatory and optional module types and links to both lists", async () => {
		const m = await smType();
		const o = await smType();
		const t = await dsType([m.id], [o.id]);
		expect(t).toMatchObject({ deleted: false });
		expect(Object.keys(t._links).sort()).toEqual(["mandatorymodules", "optionalmodules", "self"]);
		const mandatory = await json(
			await api("GET", `/distributionsettypes/${t.id}/mandatorymoduletypes`),
			200,
		);
		expect(mandatory.map((x: { id: number }) => x.id)).toEqual([m.id]);
		const optional = await json(
			await api("GET", `/distributionsettypes/${t.id}/optionalmoduletypes`),
			200,
		);
		expect(optional.map((x: { id: number }) => x.id)).toEqual([o.id]);
		expect(
			await json(
				await api("GET", `/distributionsettypes/${t.id}/optionalmoduletypes/${o.id}`),
				200,
			),
		).toMatchObject({ key: o.key });
		expect(
			(await api("GET", `/distributionsettypes/${t.id}/mandatorymoduletypes/${o.id}`)).status,
		).toBe(404);
	});

	it("answers 404 for an unknown module type and 409 for a taken key", async () => {
		const key = uniq("dst");
		const missing = await api("POST", "/distributionsettypes", [
			{ key, name: key, mandatorymodules: [{ id: 987654 }] },
		]);
		expect(missing.status).toBe(404);
		const t = await dsType();
		const dup = await api("POST", "/distributionsettypes", [{ key: t.key, name: uniq("n") }]);
		expect(dup.status).toBe(409);
	});
});

describe("module type lists of /rest/v1/distributionsettypes/{id}", () => {
	it("can change while unused and answers 403 entityReadOnly once a set uses the type", async () => {
		const m = await smType();
		const extra = await smType();
		const t = await dsType([m.id]);
		expect(
			(await api("POST", `/distributionsettypes/${t.id}/optionalmoduletypes`, { id: extra.id }))
				.status,
		).toBe(204);
		expect(
			(await api("DELETE", `/distributionsettypes/${t.id}/optionalmoduletypes/${extra.id}`)).status,
		).toBe(204);
		await json(
			await api("POST", "/distributionsets", [{ name: uniq("ds"), version: "1", type: t.key }]),
			201,
		);
		const add = await api("POST", `/distributionsettypes/${t.id}/optionalmoduletypes`, {
			id: extra.id,
		});
		expect(add.status).toBe(403);
		expect(await errorCode(add)).toBe("repo.entityReadOnly");
		const del = await api("DELETE", `/distributionsettypes/${t.id}/mandatorymoduletypes/${m.id}`);
		expect(del.status).toBe(403);
	});
});

describe("PUT/DELETE /rest/v1/distributionsettypes/{id}", () => {
	it("updates description/colour, hard-deletes unused and soft-deletes used types", async () => {
		const unused = await dsType();
		expect(
			await json(
				await api("PUT", `/distributionsettypes/${unused.id}`, { description: "x", colour: "red" }),
				200,
			),
		).toMatchObject({ description: "x", colour: "red" });
		expect((await api("DELETE", `/distributionsettypes/${unused.id}`)).status).toBe(204);
		expect((await api("GET", `/distributionsettypes/${unused.id}`)).status).toBe(404);

		const used = await dsType([], []);
		await json(
			await api("POST", "/distributionsets", [{ name: uniq("ds"), version: "1", type: used.key }]),
			201,
		);
		expect((await api("DELETE", `/distributionsettypes/${used.id}`)).status).toBe(204);
		expect(await json(await api("GET", `/distributionsettypes/${used.id}`), 200)).toMatchObject({
			deleted: true,
		});
		const reuse = await api("POST", "/distributionsets", [
			{ name: uniq("ds"), version: "1", type: used.key },
		]);
		expect(reuse.status).toBe(400);
		const listed = await json(
			await api(
				"GET",
				`/distributionsettypes?q=key==${used.key}&soft_deleted_mode=ONLY_SOFT_DELETED`,
			),
			200,
		);
		expect(listed.total).toBe(1);
	});
});

const someType = async () => `/rest/v1/distributionsettypes/${(await dsType()).id}`;
runAuthMatrix({
	method: "GET",
	path: "/rest/v1/distributionsettypes",
	permissions: ["READ_DISTRIBUTION_SET_TYPE"],
	foreignTenant: async (res) => {
		const body = (await res.json()) as { content: { key: string }[] };
		expect(body.content.map((t) => t.key).sort()).toEqual(["app", "os", "os_app"]);
	},
});
runAuthMatrix({ method: "GET", path: someType, permissions: ["READ_DISTRIBUTION_SET_TYPE"] });
runAuthMatrix({
	method: "POST",
	path: "/rest/v1/distributionsettypes",
	body: () => Promise.resolve([{ key: uniq("am"), name: uniq("am") }]),
	permissions: ["CREATE_DISTRIBUTION_SET_TYPE"],
	foreignTenant: 201,
});
runAuthMatrix({
	method: "PUT",
	path: someType,
	body: { colour: "x" },
	permissions: ["UPDATE_DISTRIBUTION_SET_TYPE"],
});
runAuthMatrix({ method: "DELETE", path: someType, permissions: ["DELETE_DISTRIBUTION_SET_TYPE"] });
runAuthMatrix({
	method: "POST",
	path: async () => `${await someType()}/mandatorymoduletypes`,
	body: { id: 1 },
	permissions: ["UPDATE_DISTRIBUTION_SET_TYPE"],
});
