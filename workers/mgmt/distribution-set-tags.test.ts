import { describe, expect, it } from "vitest";
import { runAuthMatrix } from "../testing/auth-matrix";
import { api, createDs, errorCode, json, uniq } from "./repository-testing";

async function tag() {
	return (
		await json(
			await api("POST", "/distributionsettags", [{ name: uniq("tag"), colour: "blue" }]),
			201,
		)
	)[0];
}

describe("/rest/v1/distributionsettags", () => {
	it("creates, reads, updates and deletes tags", async () => {
		const t = await tag();
		expect(t).toMatchObject({ colour: "blue" });
		expect(Object.keys(t._links).sort()).toEqual(["assignedDistributionSets", "self"]);
		expect(
			await json(await api("PUT", `/distributionsettags/${t.id}`, { description: "d" }), 200),
		).toMatchObject({
			name: t.name,
			description: "d",
		});
		const listed = await json(await api("GET", `/distributionsettags?q=name==${t.name}`), 200);
		expect(listed.total).toBe(1);
		expect((await api("POST", "/distributionsettags", [{ name: t.name }])).status).toBe(409);
		expect((await api("DELETE", `/distributionsettags/${t.id}`)).status).toBe(204);
		expect((await api("GET", `/distributionsettags/${t.id}`)).status).toBe(404);
	});

	it("tags and untags sets by id, lists them, and applies onNotFoundPolicy", async () => {
		const t = await tag();
		const a = await createDs();
		const b = await createDs();
		expect((await api("POST", `/distributionsettags/${t.id}/assigned`, [a.id, b.id])).status).toBe(
			204,
		);
		const sets = await json(await api("GET", `/distributionsettags/${t.id}/assigned`), 200);
		expect(sets.content.map((d: { id: number }) => d.id).sort()).toEqual([a.id, b.id].sort());
		const filtered = await json(
			await api("GET", `/distributionsettags/${t.id}/assigned?q=name==${a.name}`),
			200,
		);
		expect(filtered.total).toBe(1);
		const byTag = await json(await api("GET", `/distributionsets?q=tag==${t.name}`), 200);
		expect(byTag.total).toBe(2);
		expect((await api("DELETE", `/distributionsettags/${t.id}/assigned/${a.id}`)).status).toBe(204);
		expect((await json(await api("GET", `/distributionsettags/${t.id}/assigned`), 200)).total).toBe(
			1,
		);

		const fail = await api("POST", `/distributionsettags/${t.id}/assigned`, [a.id, 99999999]);
		expect(fail.status).toBe(404);
		expect(await errorCode(fail)).toBe("repo.entityNotFound");
		expect((await json(await api("GET", `/distributionsettags/${t.id}/assigned`), 200)).total).toBe(
			1,
		);
		const lenient = await api(
			"POST",
			`/distributionsettags/${t.id}/assigned?onNotFoundPolicy=ON_WHAT_FOUND_AND_SUCCESS`,
			[a.id, 99999999],
		);
		expect(lenient.status).toBe(204);
		expect((await json(await api("GET", `/distributionsettags/${t.id}/assigned`), 200)).total).toBe(
			2,
		);
	});
});

const someTag = async () => `/rest/v1/distributionsettags/${(await tag()).id}`;
runAuthMatrix({
	method: "GET",
	path: "/rest/v1/distributionsettags",
	permissions: ["READ_DISTRIBUTION_SET"],
	foreignTenant: async (res) => expect(((await res.json()) as { total: number }).total).toBe(0),
});
runAuthMatrix({ method: "GET", path: someTag, permissions: ["READ_DISTRIBUTION_SET"] });
runAuthMatrix({
	method: "POST",
	path: "/rest/v1/distributionsettags",
	body: () => Promise.resolve([{ name: uniq("am") }]),
	permissions: ["CREATE_DISTRIBUTION_SET"],
	foreignTenant: 201,
});
runAuthMatrix({ method: "DELETE", path: someTag, permissions: ["DELETE_DISTRIBUTION_SET"] });
runAuthMatrix({
	method: "POST",
	path: async () => `${await someTag()}/assigned`,
	body: [],
	permissions: ["UPDATE_DISTRIBUTION_SET"],
});
