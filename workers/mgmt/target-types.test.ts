import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../../shared/db/client";
import { ensureTenant } from "../../shared/db/queries/tenants";
import { runAuthMatrix } from "../testing/auth-matrix";
import { dsTypeId, uniqueName } from "../testing/factories";
import { mgmtFetch, mgmtJson } from "../testing/mgmt-client";

type TargetType = {
	id: number;
	name: string;
	key: string;
	deleted: boolean;
	_links: Record<string, { href: string }>;
};
type Page<T> = { content: T[]; total: number; size: number };

async function createType(body: Record<string, unknown> = {}): Promise<TargetType> {
	const [t] = await mgmtJson<TargetType[]>("POST", "/targettypes", 201, {
		body: [{ name: uniqueName("type"), ...body }],
	});
	return t as TargetType;
}

describe("/rest/v1/targettypes", () => {
	beforeAll(async () => {
		await ensureTenant(createDb(env.DB), env.DB, "DEFAULT");
	});

	it("creates a type with compatible DS types; key defaults to the name", async () => {
		const os = await dsTypeId(env, "DEFAULT", "os");
		const name = uniqueName("gw");
		const t = await createType({ name, compatibledistributionsettypes: [{ id: os }] });
		expect(t).toMatchObject({ name, key: name, deleted: false });
		expect(t._links.compatibledistributionsettypes?.href).toBe(
			`https://mgmt.test/rest/v1/targettypes/${t.id}/compatibledistributionsettypes`,
		);
		const compatible = await mgmtJson<{ id: number; key: string }[]>(
			"GET",
			`/targettypes/${t.id}/compatibledistributionsettypes`,
			200,
		);
		expect(compatible.map((d) => d.key)).toEqual(["os"]);
	});

	it("answers keyOrNameRequired without both, 409 for a duplicate key, 404 for unknown DS types", async () => {
		const res = await mgmtFetch("POST", "/targettypes", { body: [{ description: "x" }] });
		expect(res.status).toBe(400);
		expect(await res.json()).toMatchObject({
			errorCode: "hawkbit.server.error.target.type.keyOrNameRequired",
		});
		const t = await createType();
		expect(
			(await mgmtFetch("POST", "/targettypes", { body: [{ key: t.key, name: uniqueName("n") }] }))
				.status,
		).toBe(409);
		const unknown = await mgmtFetch("POST", "/targettypes", {
			body: [{ name: uniqueName("n"), compatibledistributionsettypes: [{ id: 999999 }] }],
		});
		expect(unknown.status).toBe(404);
	});

	it("a failing create leaves none of its types or links behind", async () => {
		const os = await dsTypeId(env, "DEFAULT", "os");
		const existing = await createType();
		const a = uniqueName("atomic");
		const exists = async (name: string) =>
			(await mgmtJson<Page<TargetType>>("GET", `/targettypes?q=name==${name}`, 200)).total;
		// Unknown DS type on the second item: refused before anything is written.
		const unknown = await mgmtFetch("POST", "/targettypes", {
			body: [
				{ name: a, compatibledistributionsettypes: [{ id: os }] },
				{ name: uniqueName("atomic"), compatibledistributionsettypes: [{ id: 999999 }] },
			],
		});
		expect(unknown.status).toBe(404);
		expect(await exists(a)).toBe(0);
		// Name clash on the second item: only the write batch detects it, after the first type and
		// its links were inserted, so this checks the batch rolls them back.
		const clash = await mgmtFetch("POST", "/targettypes", {
			body: [
				{ name: a, compatibledistributionsettypes: [{ id: os }] },
				{ key: uniqueName("atomic"), name: existing.name },
			],
		});
		expect(clash.status).toBe(409);
		expect(await exists(a)).toBe(0);
		// Afterwards the same type can be created, with exactly its own link.
		const ok = await createType({ name: a, compatibledistributionsettypes: [{ id: os }] });
		const compatible = await mgmtJson<{ id: number }[]>(
			"GET",
			`/targettypes/${ok.id}/compatibledistributionsettypes`,
			200,
		);
		expect(compatible.map((d) => d.id)).toEqual([os]);
	});

	it("adding [valid, unknown] compatible DS types adds neither", async () => {
		const t = await createType();
		const app = await dsTypeId(env, "DEFAULT", "app");
		const res = await mgmtFetch("POST", `/targettypes/${t.id}/compatibledistributionsettypes`, {
			body: [{ id: app }, { id: 999999 }],
		});
		expect(res.status).toBe(404);
		expect(
			await mgmtJson("GET", `/targettypes/${t.id}/compatibledistributionsettypes`, 200),
		).toEqual([]);
	});

	it("updates, adds/removes compatible types, searches and deletes", async () => {
		const t = await createType();
		expect(
			await mgmtJson<TargetType>("PUT", `/targettypes/${t.id}`, 200, {
				body: { description: "d2", colour: "red" },
			}),
		).toMatchObject({
			description: "d2",
			colour: "red",
		});
		const app = await dsTypeId(env, "DEFAULT", "app");
		expect(
			(
				await mgmtFetch("POST", `/targettypes/${t.id}/compatibledistributionsettypes`, {
					body: [{ id: app }],
				})
			).status,
		).toBe(204);
		expect(
			(await mgmtJson<unknown[]>("GET", `/targettypes/${t.id}/compatibledistributionsettypes`, 200))
				.length,
		).toBe(1);
		expect(
			(await mgmtFetch("DELETE", `/targettypes/${t.id}/compatibledistributionsettypes/${app}`))
				.status,
		).toBe(204);
		expect(
			await mgmtJson("GET", `/targettypes/${t.id}/compatibledistributionsettypes`, 200),
		).toEqual([]);
		const page = await mgmtJson<Page<TargetType>>("GET", `/targettypes?q=key==${t.key}`, 200);
		expect(page.content.map((x) => x.id)).toEqual([t.id]);
		expect((await mgmtFetch("DELETE", `/targettypes/${t.id}`)).status).toBe(204);
		expect((await mgmtFetch("GET", `/targettypes/${t.id}`)).status).toBe(404);
	});

	it("refuses to delete a type still in use (409 target.type.used)", async () => {
		const t = await createType();
		await mgmtJson("POST", "/targets", 201, {
			body: [{ controllerId: uniqueName("dev"), targetType: t.id }],
		});
		const res = await mgmtFetch("DELETE", `/targettypes/${t.id}`);
		expect(res.status).toBe(409);
		expect(await res.json()).toMatchObject({ errorCode: "hawkbit.server.error.target.type.used" });
	});
});

const typePath = async () => `/rest/v1/targettypes/${(await createType()).id}`;
runAuthMatrix({
	method: "GET",
	path: "/rest/v1/targettypes?q=key==never-xyz",
	permissions: ["READ_TARGET_TYPE"],
	foreignTenant: 200,
});
runAuthMatrix({
	method: "POST",
	path: "/rest/v1/targettypes",
	body: async () => [{ name: uniqueName("am") }],
	permissions: ["CREATE_TARGET_TYPE"],
	foreignTenant: 201,
});
runAuthMatrix({ method: "GET", path: typePath, permissions: ["READ_TARGET_TYPE"] });
runAuthMatrix({
	method: "PUT",
	path: typePath,
	body: { description: "x" },
	permissions: ["UPDATE_TARGET_TYPE"],
});
runAuthMatrix({ method: "DELETE", path: typePath, permissions: ["DELETE_TARGET_TYPE"] });
runAuthMatrix({
	method: "GET",
	path: async () => `${await typePath()}/compatibledistributionsettypes`,
	permissions: ["READ_TARGET_TYPE", "READ_DISTRIBUTION_SET_TYPE"],
});
runAuthMatrix({
	method: "POST",
	path: async () => `${await typePath()}/compatibledistributionsettypes`,
	body: [],
	permissions: ["UPDATE_TARGET_TYPE", "READ_DISTRIBUTION_SET_TYPE"],
});
runAuthMatrix({
	method: "DELETE",
	path: async () => `${await typePath()}/compatibledistributionsettypes/1`,
	permissions: ["UPDATE_TARGET_TYPE", "READ_DISTRIBUTION_SET_TYPE"],
});
