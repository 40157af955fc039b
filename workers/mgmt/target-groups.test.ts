import { describe, expect, it } from "vitest";
import { runAuthMatrix } from "../testing/auth-matrix";
import { uniqueName } from "../testing/factories";
import { mgmtFetch, mgmtJson } from "../testing/mgmt-client";

type Page<T> = { content: T[]; total: number; size: number };
type Target = { controllerId: string; group?: string };

async function createTargets(n: number, body: Record<string, unknown> = {}): Promise<string[]> {
	const ids = Array.from({ length: n }, () => uniqueName("grp"));
	await mgmtJson("POST", "/targets", 201, {
		body: ids.map((controllerId) => ({ controllerId, ...body })),
	});
	return ids;
}

const ids = (p: Page<Target>) => p.content.map((t) => t.controllerId).sort();

describe("/rest/v1/targetgroups", () => {
	it("lists group names and the targets of a group, with or without sub-groups", async () => {
		const root = uniqueName("Region");
		const [a] = await createTargets(1, { group: root });
		const [b] = await createTargets(1, { group: `${root}/East` });
		const names = await mgmtJson<string[]>("GET", "/targetgroups", 200);
		expect(names).toEqual(expect.arrayContaining([root, `${root}/East`]));
		expect(
			ids(await mgmtJson("GET", `/targetgroups/${encodeURIComponent(root)}/assigned`, 200)),
		).toEqual([a]);
		expect(
			ids(
				await mgmtJson(
					"GET",
					`/targetgroups/assigned?group=${encodeURIComponent(root)}&subgroups=true`,
					200,
				),
			),
		).toEqual([a, b].sort());
		expect(
			ids(
				await mgmtJson("GET", `/targetgroups/${encodeURIComponent(`${root}/East`)}/assigned`, 200),
			),
		).toEqual([b]);
		const viaRsql = await mgmtJson<Page<Target>>(
			"GET",
			`/targets?q=${encodeURIComponent(`group==${root}*`)}`,
			200,
		);
		expect(ids(viaRsql)).toEqual([a, b].sort());
	});

	it("assigns by controller ids (path or parameter), by RSQL, and unassigns", async () => {
		const g = uniqueName("G");
		const [a, b, c] = await createTargets(3);
		expect((await mgmtFetch("PUT", `/targetgroups/${g}/assigned`, { body: [a] })).status).toBe(204);
		expect(
			(await mgmtFetch("PUT", `/targetgroups/assigned?group=${g}`, { body: [b] })).status,
		).toBe(204);
		expect(ids(await mgmtJson("GET", `/targetgroups/${g}/assigned`, 200))).toEqual([a, b].sort());
		expect(
			(await mgmtFetch("PUT", `/targetgroups/${g}-2?q=${encodeURIComponent(`id==${c}`)}`)).status,
		).toBe(204);
		expect(ids(await mgmtJson("GET", `/targetgroups/${g}-2/assigned`, 200))).toEqual([c]);
		expect(
			(await mgmtFetch("PUT", `/targetgroups?group=${g}-2&q=${encodeURIComponent(`id==${a}`)}`))
				.status,
		).toBe(204);
		expect(ids(await mgmtJson("GET", `/targetgroups/${g}-2/assigned`, 200))).toEqual([a, c].sort());
		expect((await mgmtFetch("DELETE", "/targetgroups/assigned", { body: [a] })).status).toBe(204);
		expect(
			(await mgmtFetch("DELETE", `/targetgroups?q=${encodeURIComponent(`id==${c}`)}`)).status,
		).toBe(204);
		expect((await mgmtJson<Page<Target>>("GET", `/targetgroups/${g}-2/assigned`, 200)).total).toBe(
			0,
		);
		const target = await mgmtJson<Target>("GET", `/targets/${a}`, 200);
		expect(target).not.toHaveProperty("group");
	});

	it("answers 400 for an RSQL error in a filter assignment", async () => {
		const res = await mgmtFetch("PUT", `/targetgroups/x?q=${encodeURIComponent("nope==1")}`);
		expect(res.status).toBe(400);
		expect(await res.json()).toMatchObject({
			errorCode: "hawkbit.server.error.rest.param.rsqlInvalidField",
		});
	});

	it("assigns a group to more targets than one statement holds, all in one go", async () => {
		// 95 ids span two update chunks (90 per statement), which run in one D1 batch.
		const many = [...(await createTargets(50)), ...(await createTargets(45))];
		const g = uniqueName("Many");
		expect((await mgmtFetch("PUT", `/targetgroups/${g}/assigned`, { body: many })).status).toBe(
			204,
		);
		const page = await mgmtJson<Page<Target>>("GET", `/targetgroups/${g}/assigned?limit=100`, 200);
		expect(page.total).toBe(95);
		expect(ids(page)).toEqual([...many].sort());
	});
});

const noTargets = async (res: Response) => {
	expect(res.status).toBe(200);
	expect(((await res.json()) as Page<unknown>).total).toBe(0);
};
const groupWithTarget = async () => {
	const g = uniqueName("AM");
	await createTargets(1, { group: g });
	return g;
};
runAuthMatrix({
	method: "GET",
	path: "/rest/v1/targetgroups",
	permissions: ["READ_TARGET"],
	foreignTenant: async (r) => expect(await r.json()).toEqual([]),
});
runAuthMatrix({
	method: "GET",
	path: async () => `/rest/v1/targetgroups/${await groupWithTarget()}/assigned`,
	permissions: ["READ_TARGET"],
	foreignTenant: noTargets,
});
runAuthMatrix({
	method: "GET",
	path: async () => `/rest/v1/targetgroups/assigned?group=${await groupWithTarget()}`,
	permissions: ["READ_TARGET"],
	foreignTenant: noTargets,
});
runAuthMatrix({
	method: "PUT",
	path: "/rest/v1/targetgroups/x/assigned",
	body: ["nobody"],
	permissions: ["UPDATE_TARGET"],
	foreignTenant: 204,
});
runAuthMatrix({
	method: "PUT",
	path: "/rest/v1/targetgroups/assigned?group=x",
	body: ["nobody"],
	permissions: ["UPDATE_TARGET"],
	foreignTenant: 204,
});
runAuthMatrix({
	method: "PUT",
	path: "/rest/v1/targetgroups/x?q=id==nobody",
	permissions: ["UPDATE_TARGET"],
	foreignTenant: 204,
});
runAuthMatrix({
	method: "PUT",
	path: "/rest/v1/targetgroups?group=x&q=id==nobody",
	permissions: ["UPDATE_TARGET"],
	foreignTenant: 204,
});
runAuthMatrix({
	method: "DELETE",
	path: "/rest/v1/targetgroups/assigned",
	body: ["nobody"],
	permissions: ["UPDATE_TARGET"],
	foreignTenant: 204,
});
runAuthMatrix({
	method: "DELETE",
	path: "/rest/v1/targetgroups?q=id==nobody",
	permissions: ["UPDATE_TARGET"],
	foreignTenant: 204,
});
