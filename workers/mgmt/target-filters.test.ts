import { describe, expect, it } from "vitest";
import { runAuthMatrix } from "../testing/auth-matrix";
import { api, createCompleteDs, createDs, errorCode, json, uniq } from "./repository-testing";

async function filter(query = "name==x*") {
	return json(await api("POST", "/targetfilters", { name: uniq("flt"), query }), 201);
}

describe("/rest/v1/targetfilters", () => {
	it("creates a filter (single object) and serialises every field, nulls included", async () => {
		const f = await filter("updatestatus==pending");
		expect(f).toMatchObject({
			query: "updatestatus==pending",
			autoAssignDistributionSet: null,
			autoAssignActionType: null,
			autoAssignWeight: null,
			confirmationRequired: null,
			createdBy: "admin",
		});
		expect(Object.keys(f._links).sort()).toEqual(["autoAssignDS", "self"]);
	});

	it("answers 400 for an invalid query, 409 for a taken name", async () => {
		const syntax = await api("POST", "/targetfilters", { name: uniq("f"), query: "name==" });
		expect(await errorCode(syntax)).toBe("rest.param.rsqlParamSyntax");
		const field = await api("POST", "/targetfilters", { name: uniq("f"), query: "nosuch==1" });
		expect(await errorCode(field)).toBe("rest.param.rsqlInvalidField");
		const f = await filter();
		expect((await api("POST", "/targetfilters", { name: f.name, query: "name==y" })).status).toBe(
			409,
		);
	});

	it("updates, lists with RSQL and deletes", async () => {
		const f = await filter();
		expect(
			await json(await api("PUT", `/targetfilters/${f.id}`, { query: "name==z" }), 200),
		).toMatchObject({
			name: f.name,
			query: "name==z",
		});
		const listed = await json(await api("GET", `/targetfilters?q=name==${f.name}`), 200);
		expect(listed.total).toBe(1);
		expect((await api("DELETE", `/targetfilters/${f.id}`)).status).toBe(204);
		expect((await api("GET", `/targetfilters/${f.id}`)).status).toBe(404);
	});
});

describe("/rest/v1/targetfilters/{id}/autoAssignDS", () => {
	it("answers 204 without one, sets a valid complete DS with type and weight, and removes it", async () => {
		const f = await filter();
		expect((await api("GET", `/targetfilters/${f.id}/autoAssignDS`)).status).toBe(204);
		const ds = await createCompleteDs();
		const set = await json(
			await api("POST", `/targetfilters/${f.id}/autoAssignDS`, {
				id: ds.id,
				type: "soft",
				weight: 600,
			}),
			200,
		);
		expect(set).toMatchObject({
			autoAssignDistributionSet: ds.id,
			autoAssignActionType: "soft",
			autoAssignWeight: 600,
			confirmationRequired: null,
		});
		expect(await json(await api("GET", `/targetfilters/${f.id}/autoAssignDS`), 200)).toMatchObject({
			id: ds.id,
		});
		const usedBy = await json(
			await api("GET", `/distributionsets/${ds.id}/autoAssignTargetFilters`),
			200,
		);
		expect(usedBy.content.map((x: { id: number }) => x.id)).toEqual([f.id]);
		const byDs = await json(
			await api("GET", `/targetfilters?q=autoassigndistributionset.name==${ds.name}`),
			200,
		);
		expect(byDs.total).toBe(1);
		expect((await api("DELETE", `/targetfilters/${f.id}/autoAssignDS`)).status).toBe(204);
		expect(
			(await json(await api("GET", `/targetfilters/${f.id}`), 200)).autoAssignDistributionSet,
		).toBeNull();
	});

	it("refuses timeforced, an incomplete DS and an out-of-range weight", async () => {
		const f = await filter();
		const ds = await createCompleteDs();
		const tf = await api("POST", `/targetfilters/${f.id}/autoAssignDS`, {
			id: ds.id,
			type: "timeforced",
		});
		expect(tf.status).toBe(400);
		expect(await errorCode(tf)).toBe("repo.invalidAutoAssignActionType");
		const incomplete = await createDs();
		const inc = await api("POST", `/targetfilters/${f.id}/autoAssignDS`, { id: incomplete.id });
		expect(await errorCode(inc)).toBe("distributionset.incomplete");
		const heavy = await api("POST", `/targetfilters/${f.id}/autoAssignDS`, {
			id: ds.id,
			weight: 1001,
		});
		expect(await errorCode(heavy)).toBe("repo.constraintViolation");
		expect(
			(await api("POST", `/targetfilters/${f.id}/autoAssignDS`, { id: 99999999 })).status,
		).toBe(404);
	});
});

const someFilter = async () => `/rest/v1/targetfilters/${(await filter()).id}`;
runAuthMatrix({
	method: "GET",
	path: "/rest/v1/targetfilters",
	permissions: ["READ_TARGET"],
	foreignTenant: async (res) => expect(((await res.json()) as { total: number }).total).toBe(0),
});
runAuthMatrix({ method: "GET", path: someFilter, permissions: ["READ_TARGET"] });
runAuthMatrix({
	method: "POST",
	path: "/rest/v1/targetfilters",
	body: () => Promise.resolve({ name: uniq("am"), query: "name==a" }),
	permissions: ["CREATE_TARGET"],
	foreignTenant: 201,
});
runAuthMatrix({
	method: "PUT",
	path: someFilter,
	body: { query: "name==b" },
	permissions: ["UPDATE_TARGET"],
});
runAuthMatrix({ method: "DELETE", path: someFilter, permissions: ["DELETE_TARGET"] });
runAuthMatrix({
	method: "POST",
	path: async () => `${await someFilter()}/autoAssignDS`,
	body: { id: 1 },
	permissions: ["UPDATE_TARGET", "READ_DISTRIBUTION_SET"],
});
