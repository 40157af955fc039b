import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runAuthMatrix } from "../testing/auth-matrix";
import { uniqueName } from "../testing/factories";
import { mgmtFetch, mgmtJson } from "../testing/mgmt-client";
import { givenUser, uniqueTenant } from "../testing/principals";

type Tag = {
	id: number;
	name: string;
	description?: string;
	colour?: string;
	_links: Record<string, { href: string }>;
};
type Page<T> = { content: T[]; total: number; size: number };

async function createTag(body: Record<string, unknown> = {}): Promise<Tag> {
	const [t] = await mgmtJson<Tag[]>("POST", "/targettags", 201, {
		body: [{ name: uniqueName("tag"), ...body }],
	});
	return t as Tag;
}

async function createTargets(n: number): Promise<string[]> {
	const ids = Array.from({ length: n }, () => uniqueName("tt"));
	await mgmtJson("POST", "/targets", 201, { body: ids.map((controllerId) => ({ controllerId })) });
	return ids;
}

describe("/rest/v1/targettags", () => {
	it("creates, reads, updates and deletes tags with hawkBit's links", async () => {
		const t = await createTag({ description: "d", colour: "#ff0000" });
		expect(t).toMatchObject({ description: "d", colour: "#ff0000", createdBy: "admin" });
		expect(t._links.self?.href).toBe(`https://mgmt.test/rest/v1/targettags/${t.id}`);
		expect(t._links.assignedTargets?.href).toContain(`/targettags/${t.id}/assigned`);
		const updated = await mgmtJson<Tag>("PUT", `/targettags/${t.id}`, 200, {
			body: { description: "new" },
		});
		expect(updated).toMatchObject({ name: t.name, description: "new", colour: "#ff0000" });
		expect((await mgmtFetch("DELETE", `/targettags/${t.id}`)).status).toBe(204);
		expect((await mgmtFetch("GET", `/targettags/${t.id}`)).status).toBe(404);
	});

	it("answers 409 for a duplicate name and 400 without a name", async () => {
		const t = await createTag();
		expect((await mgmtFetch("POST", "/targettags", { body: [{ name: t.name }] })).status).toBe(409);
		const res = await mgmtFetch("POST", "/targettags", { body: [{ description: "x" }] });
		expect(res.status).toBe(400);
		expect(await res.json()).toMatchObject({
			errorCode: "hawkbit.server.error.repo.constraintViolation",
		});
	});

	it("searches tags by RSQL and sorts by name", async () => {
		const prefix = uniqueName("srch");
		await createTag({ name: `${prefix}-b` });
		await createTag({ name: `${prefix}-a`, colour: "blue" });
		const page = await mgmtJson<Page<Tag>>(
			"GET",
			`/targettags?q=name==${prefix}*&sort=name:ASC`,
			200,
		);
		expect(page.content.map((t) => t.name)).toEqual([`${prefix}-a`, `${prefix}-b`]);
		const blue = await mgmtJson<Page<Tag>>(
			"GET",
			`/targettags?q=name==${prefix}*;colour==BLUE`,
			200,
		);
		expect(blue.total).toBe(1);
	});

	it("assigns and unassigns targets, lists them, and applies onNotFoundPolicy", async () => {
		const t = await createTag();
		const [a, b] = await createTargets(2);
		expect((await mgmtFetch("POST", `/targettags/${t.id}/assigned`, { body: [a, b] })).status).toBe(
			204,
		);
		const assigned = await mgmtJson<Page<{ controllerId: string }>>(
			"GET",
			`/targettags/${t.id}/assigned`,
			200,
		);
		expect(assigned.content.map((x) => x.controllerId).sort()).toEqual([a, b].sort());
		const filtered = await mgmtJson<Page<{ controllerId: string }>>(
			"GET",
			`/targettags/${t.id}/assigned?q=id==${a}`,
			200,
		);
		expect(filtered.total).toBe(1);
		const viaTargets = await mgmtJson<Page<unknown>>(
			"GET",
			`/targets?q=tag==${encodeURIComponent(t.name)}`,
			200,
		);
		expect(viaTargets.total).toBe(2);

		const missing = await mgmtFetch("DELETE", `/targettags/${t.id}/assigned`, {
			body: [a, "nobody-1"],
		});
		expect(missing.status).toBe(404);
		expect((await mgmtJson<Page<unknown>>("GET", `/targettags/${t.id}/assigned`, 200)).total).toBe(
			2,
		);
		const lenient = await mgmtFetch(
			"DELETE",
			`/targettags/${t.id}/assigned?onNotFoundPolicy=ON_WHAT_FOUND_AND_SUCCESS`,
			{
				body: [a, "nobody-1"],
			},
		);
		expect(lenient.status).toBe(204);
		expect((await mgmtJson<Page<unknown>>("GET", `/targettags/${t.id}/assigned`, 200)).total).toBe(
			1,
		);
		const partial = await mgmtFetch(
			"POST",
			`/targettags/${t.id}/assigned?onNotFoundPolicy=ON_WHAT_FOUND_AND_FAIL`,
			{
				body: [a, "nobody-2"],
			},
		);
		expect(partial.status).toBe(404);
		expect((await mgmtJson<Page<unknown>>("GET", `/targettags/${t.id}/assigned`, 200)).total).toBe(
			2,
		);
		expect((await mgmtFetch("DELETE", `/targettags/${t.id}/assigned/${b}`)).status).toBe(204);
		expect((await mgmtJson<Page<unknown>>("GET", `/targettags/${t.id}/assigned`, 200)).total).toBe(
			1,
		);
	});

	it("never lets another tenant see or tag with this tenant's tag", async () => {
		const t = await createTag();
		const other = await givenUser(env, {
			tenant: uniqueTenant(),
			authorities: ["ROLE_TENANT_ADMIN"],
		});
		expect((await mgmtFetch("GET", `/targettags/${t.id}`, { auth: other.auth })).status).toBe(404);
		expect(
			(await mgmtFetch("POST", `/targettags/${t.id}/assigned`, { auth: other.auth, body: ["x"] }))
				.status,
		).toBe(404);
	});
});

const tagPath = async () => `/rest/v1/targettags/${(await createTag()).id}`;
runAuthMatrix({
	method: "GET",
	path: "/rest/v1/targettags?q=name==never-xyz",
	permissions: ["READ_TARGET"],
	foreignTenant: async (r) => expect(((await r.json()) as Page<unknown>).total).toBe(0),
});
runAuthMatrix({
	method: "POST",
	path: "/rest/v1/targettags",
	body: async () => [{ name: uniqueName("am") }],
	permissions: ["CREATE_TARGET"],
	foreignTenant: 201,
});
runAuthMatrix({ method: "GET", path: tagPath, permissions: ["READ_TARGET"] });
runAuthMatrix({
	method: "PUT",
	path: tagPath,
	body: { description: "x" },
	permissions: ["UPDATE_TARGET"],
});
runAuthMatrix({ method: "DELETE", path: tagPath, permissions: ["DELETE_TARGET"] });
runAuthMatrix({
	method: "GET",
	path: async () => `${await tagPath()}/assigned`,
	permissions: ["READ_TARGET"],
});
runAuthMatrix({
	method: "POST",
	path: async () => `${await tagPath()}/assigned?onNotFoundPolicy=ON_WHAT_FOUND_AND_SUCCESS`,
	body: ["x"],
	permissions: ["UPDATE_TARGET"],
});
runAuthMatrix({
	method: "DELETE",
	path: async () => `${await tagPath()}/assigned?onNotFoundPolicy=ON_WHAT_FOUND_AND_SUCCESS`,
	body: ["x"],
	permissions: ["UPDATE_TARGET"],
});
runAuthMatrix({
	method: "POST",
	path: async () => `${await tagPath()}/assigned/${(await createTargets(1))[0]}`,
	permissions: ["UPDATE_TARGET"],
});
runAuthMatrix({
	method: "DELETE",
	path: async () => `${await tagPath()}/assigned/${(await createTargets(1))[0]}`,
	permissions: ["UPDATE_TARGET"],
});
