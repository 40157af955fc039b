import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runAuthMatrix } from "../testing/auth-matrix";
import {
	givenAssignedTarget,
	givenDistributionSet,
	givenSoftwareModule,
	givenTarget,
	givenTenant,
	readTarget,
} from "../testing/factories";
import { mgmtFetch, mgmtJson } from "../testing/mgmt-client";
import { givenUser } from "../testing/principals";

type Action = Record<string, unknown> & {
	id: number;
	_links: Record<string, { href: string; name?: string }>;
};
type Page<T> = { content: T[]; total: number; size: number };

/** A tenant with an assigned target, plus an admin of that tenant. */
async function setup(o: Parameters<typeof givenAssignedTarget>[1] = {}) {
	const t = await givenAssignedTarget(env, o);
	const admin = await givenUser(env, { tenant: t.tenant, authorities: ["ROLE_TENANT_ADMIN"] });
	const base = `/targets/${t.controllerId}`;
	return { ...t, auth: admin.auth, base };
}

describe("GET /rest/v1/targets/{targetId}/actions[/{actionId}]", () => {
	it("lists the target's actions compactly and reads one with full links", async () => {
		const s = await setup();
		const page = await mgmtJson<Page<Action>>("GET", `${s.base}/actions`, 200, { auth: s.auth });
		expect(page.total).toBe(1);
		expect(page.content[0]).toMatchObject({
			id: s.actionId,
			type: "update",
			status: "running",
			active: true,
			forceType: "forced",
		});
		expect(Object.keys(page.content[0]?._links ?? {})).toEqual(["self"]);
		const a = await mgmtJson<Action>("GET", `${s.base}/actions/${s.actionId}`, 200, {
			auth: s.auth,
		});
		expect(a._links.self?.href).toBe(`https://mgmt.test/rest/v1${s.base}/actions/${s.actionId}`);
		expect(a._links.target).toEqual({
			href: `https://mgmt.test/rest/v1${s.base}`,
			name: s.controllerId,
		});
		expect(a._links.distributionset?.href).toBe(
			`https://mgmt.test/rest/v1/distributionsets/${s.dsId}`,
		);
		expect(a._links.distributionset?.name).toMatch(/:/);
		expect(a._links.status?.href).toContain("/status?offset=0&limit=50&sort=id%3ADESC");
		expect(a).not.toHaveProperty("detailStatus");
	});

	it("answers 404 for an action of another target", async () => {
		const s = await setup();
		const other = await givenTarget(env, { tenant: s.tenant });
		const res = await mgmtFetch("GET", `/targets/${other.controllerId}/actions/${s.actionId}`, {
			auth: s.auth,
		});
		expect(res.status).toBe(404);
	});

	it("lists the status history newest first with lower-case types", async () => {
		const s = await setup();
		const page = await mgmtJson<Page<{ id: number; type: string; messages: string[] }>>(
			"GET",
			`${s.base}/actions/${s.actionId}/status`,
			200,
			{ auth: s.auth },
		);
		expect(page.total).toBeGreaterThanOrEqual(1);
		expect(page.content[0]?.type).toBe("running");
		expect(page.content[0]?.messages.join(" ")).toContain("Assignment initiated by user");
		const ids = page.content.map((x) => x.id);
		expect([...ids].sort((a, b) => b - a)).toEqual(ids);
	});
});

describe("DELETE /rest/v1/targets/{targetId}/actions/{actionId}", () => {
	it("cancels (→ canceling), refuses a second cancel with 405, force-quits with ?force=true", async () => {
		const s = await setup();
		const path = `${s.base}/actions/${s.actionId}`;
		expect((await mgmtFetch("DELETE", path, { auth: s.auth })).status).toBe(204);
		const canceling = await mgmtJson<Action>("GET", path, 200, { auth: s.auth });
		expect(canceling).toMatchObject({ type: "cancel", status: "canceling", active: true });
		expect(canceling._links.canceledaction).toBeDefined();
		const again = await mgmtFetch("DELETE", path, { auth: s.auth });
		expect(again.status).toBe(405);
		expect(await again.json()).toMatchObject({
			errorCode: "hawkbit.server.error.action.notCancelable",
		});
		expect((await mgmtFetch("DELETE", `${path}?force=true`, { auth: s.auth })).status).toBe(204);
		expect(await mgmtJson<Action>("GET", path, 200, { auth: s.auth })).toMatchObject({
			status: "canceled",
			active: false,
		});
	});

	it("refuses to force-quit an action that is not canceling (405)", async () => {
		const s = await setup();
		const res = await mgmtFetch("DELETE", `${s.base}/actions/${s.actionId}?force=true`, {
			auth: s.auth,
		});
		expect(res.status).toBe(405);
		expect(await res.json()).toMatchObject({
			errorCode: "hawkbit.server.error.action.notForceQuitable",
		});
	});
});

describe("PUT /rest/v1/targets/{targetId}/actions/{actionId}", () => {
	it("switches a soft action to forced and refuses any other forceType", async () => {
		const s = await setup({ assignment: { type: "soft" } });
		const path = `${s.base}/actions/${s.actionId}`;
		expect(await mgmtJson<Action>("GET", path, 200, { auth: s.auth })).toMatchObject({
			forceType: "soft",
		});
		expect(
			await mgmtJson<Action>("PUT", path, 200, { auth: s.auth, body: { forceType: "forced" } }),
		).toMatchObject({
			forceType: "forced",
		});
		expect(
			(await mgmtFetch("PUT", path, { auth: s.auth, body: { forceType: "soft" } })).status,
		).toBe(400);
	});
});

describe("PUT /rest/v1/targets/{targetId}/actions/{actionId}/confirmation", () => {
	it("confirms a waiting action (204), then answers 404 as it no longer waits", async () => {
		const s = await setup({ config: { "user.confirmation.flow.enabled": true } });
		const path = `${s.base}/actions/${s.actionId}`;
		expect(await mgmtJson<Action>("GET", path, 200, { auth: s.auth })).toMatchObject({
			status: "wait_for_confirmation",
		});
		const body = { confirmation: "confirmed", code: 10, details: ["ok by ops"] };
		expect((await mgmtFetch("PUT", `${path}/confirmation`, { auth: s.auth, body })).status).toBe(
			204,
		);
		expect(await mgmtJson<Action>("GET", path, 200, { auth: s.auth })).toMatchObject({
			status: "running",
		});
		expect((await mgmtFetch("PUT", `${path}/confirmation`, { auth: s.auth, body })).status).toBe(
			404,
		);
		const target = await mgmtJson<Record<string, unknown>>("GET", s.base, 200, { auth: s.auth });
		expect(target.autoConfirmActive).toBe(false);
	});

	it("answers 410 for a closed action", async () => {
		const s = await setup({ config: { "user.confirmation.flow.enabled": true } });
		const path = `${s.base}/actions/${s.actionId}`;
		await mgmtFetch("DELETE", path, { auth: s.auth });
		await mgmtFetch("DELETE", `${path}?force=true`, { auth: s.auth });
		const res = await mgmtFetch("PUT", `${path}/confirmation`, {
			auth: s.auth,
			body: { confirmation: "denied" },
		});
		expect(res.status).toBe(410);
	});
});

describe("POST/GET /rest/v1/targets/{targetId}/assignedDS, GET installedDS", () => {
	async function newDs(tenant: string) {
		const m = await givenSoftwareModule(env, { tenant });
		return givenDistributionSet(env, { tenant, modules: [m.id] });
	}

	it("assigns a DS, counts an identical second assignment as alreadyAssigned", async () => {
		const s = await setup();
		const ds = await newDs(s.tenant);
		const res = await mgmtJson<{
			assigned: number;
			alreadyAssigned: number;
			total: number;
			assignedActions: Action[];
		}>("POST", `${s.base}/assignedDS`, 200, {
			auth: s.auth,
			body: { id: ds.id, type: "soft", weight: 600 },
		});
		expect(res).toMatchObject({ assigned: 1, alreadyAssigned: 0, total: 1 });
		const actionId = res.assignedActions[0]?.id;
		expect(res.assignedActions[0]?._links.self?.href).toBe(
			`https://mgmt.test/rest/v1${s.base}/actions/${actionId}`,
		);
		const again = await mgmtJson<{ assigned: number; alreadyAssigned: number }>(
			"POST",
			`${s.base}/assignedDS`,
			200,
			{
				auth: s.auth,
				body: [{ id: ds.id }],
			},
		);
		expect(again).toMatchObject({ assigned: 0, alreadyAssigned: 1 });
		const assigned = await mgmtJson<{ id: number }>("GET", `${s.base}/assignedDS`, 200, {
			auth: s.auth,
		});
		expect(assigned.id).toBe(ds.id);
		const previous = await mgmtJson<Action>("GET", `${s.base}/actions/${s.actionId}`, 200, {
			auth: s.auth,
		});
		expect(previous.status).toBe("canceling");
	});

	it("refuses two DS for one target (multiAssignmentNotEnabled) and unknown targets (404)", async () => {
		const s = await setup();
		const a = await newDs(s.tenant);
		const b = await newDs(s.tenant);
		const res = await mgmtFetch("POST", `${s.base}/assignedDS`, {
			auth: s.auth,
			body: [{ id: a.id }, { id: b.id }],
		});
		expect(res.status).toBe(400);
		expect(await res.json()).toMatchObject({
			errorCode: "hawkbit.server.error.multiAssignmentNotEnabled",
		});
		expect(
			(
				await mgmtFetch("POST", "/targets/nobody-here/assignedDS", {
					auth: s.auth,
					body: { id: a.id },
				})
			).status,
		).toBe(404);
	});

	it("answers 204 for assignedDS/installedDS of a fresh target and records offline installs", async () => {
		const tenant = await givenTenant(env);
		const admin = await givenUser(env, { tenant, authorities: ["ROLE_TENANT_ADMIN"] });
		const t = await givenTarget(env, { tenant });
		const base = `/targets/${t.controllerId}`;
		expect((await mgmtFetch("GET", `${base}/assignedDS`, { auth: admin.auth })).status).toBe(204);
		expect((await mgmtFetch("GET", `${base}/installedDS`, { auth: admin.auth })).status).toBe(204);
		const ds = await newDs(tenant);
		await mgmtJson("POST", `${base}/assignedDS?offline=true`, 200, {
			auth: admin.auth,
			body: { id: ds.id },
		});
		const installed = await mgmtJson<{ id: number }>("GET", `${base}/installedDS`, 200, {
			auth: admin.auth,
		});
		expect(installed.id).toBe(ds.id);
		expect((await readTarget(env, t.id))?.updateStatus).toBe("in_sync");
	});
});

describe("DELETE /rest/v1/targets/{targetId}/actions (purge)", () => {
	it("needs exactly one of keepLast and a body, and deletes only allowed statuses", async () => {
		const s = await setup();
		const both = await mgmtFetch("DELETE", `${s.base}/actions?keepLast=1`, {
			auth: s.auth,
			body: [s.actionId],
		});
		expect(both.status).toBe(400);
		expect((await mgmtFetch("DELETE", `${s.base}/actions`, { auth: s.auth })).status).toBe(400);
		const running = await mgmtFetch("DELETE", `${s.base}/actions`, {
			auth: s.auth,
			body: [s.actionId],
		});
		expect(running.status).toBe(405);
		await mgmtFetch("DELETE", `${s.base}/actions/${s.actionId}`, { auth: s.auth });
		await mgmtFetch("DELETE", `${s.base}/actions/${s.actionId}?force=true`, { auth: s.auth });
		expect(
			(await mgmtFetch("DELETE", `${s.base}/actions?keepLast=0`, { auth: s.auth })).status,
		).toBe(204);
		expect(
			(await mgmtJson<Page<Action>>("GET", `${s.base}/actions`, 200, { auth: s.auth })).total,
		).toBe(0);
	});
});

describe("/rest/v1/actions", () => {
	it("lists actions with RSQL over target and status, compact or full", async () => {
		const s = await setup();
		const q = encodeURIComponent(`target.controllerId==${s.controllerId};status==RUNNING`);
		const page = await mgmtJson<Page<Action>>("GET", `/actions?q=${q}`, 200, { auth: s.auth });
		expect(page.content.map((a) => a.id)).toEqual([s.actionId]);
		const full = await mgmtJson<Page<Action>>("GET", `/actions?q=${q}&representation=full`, 200, {
			auth: s.auth,
		});
		expect(full.content[0]?._links.target).toBeDefined();
		expect(
			await mgmtJson<Action>("GET", `/actions/${s.actionId}`, 200, { auth: s.auth }),
		).toMatchObject({ id: s.actionId });
	});

	it("deletes only deletable actions (405 otherwise), by id or by query", async () => {
		const s = await setup();
		expect((await mgmtFetch("DELETE", `/actions/${s.actionId}`, { auth: s.auth })).status).toBe(
			405,
		);
		await mgmtFetch("DELETE", `${s.base}/actions/${s.actionId}`, { auth: s.auth });
		await mgmtFetch("DELETE", `${s.base}/actions/${s.actionId}?force=true`, { auth: s.auth });
		const q = encodeURIComponent(`target.controllerId==${s.controllerId}`);
		expect((await mgmtFetch("DELETE", `/actions?q=${q}`, { auth: s.auth })).status).toBe(204);
		expect((await mgmtFetch("GET", `/actions/${s.actionId}`, { auth: s.auth })).status).toBe(404);
	});

	it("keeps actions of other tenants invisible", async () => {
		const s = await setup();
		expect((await mgmtFetch("GET", `/actions/${s.actionId}`)).status).toBe(404);
		expect((await mgmtFetch("DELETE", `/actions/${s.actionId}`)).status).toBe(404);
	});
});

/** An assigned target in tenant DEFAULT (the auth matrix's home tenant). */
async function defaultAssigned() {
	const t = await givenAssignedTarget(env, { tenant: "DEFAULT" });
	return { base: `/rest/v1/targets/${t.controllerId}`, actionId: t.actionId };
}

runAuthMatrix({
	method: "GET",
	path: async () => `${(await defaultAssigned()).base}/actions`,
	permissions: ["READ_TARGET"],
});
runAuthMatrix({
	method: "GET",
	path: async () => {
		const a = await defaultAssigned();
		return `${a.base}/actions/${a.actionId}`;
	},
	permissions: ["READ_TARGET"],
});
runAuthMatrix({
	method: "DELETE",
	path: async () => {
		const a = await defaultAssigned();
		return `${a.base}/actions/${a.actionId}`;
	},
	permissions: ["UPDATE_TARGET"],
});
runAuthMatrix({
	method: "PUT",
	path: async () => {
		const a = await defaultAssigned();
		return `${a.base}/actions/${a.actionId}`;
	},
	body: { forceType: "forced" },
	permissions: ["UPDATE_TARGET"],
});
runAuthMatrix({
	method: "PUT",
	path: async () => {
		const a = await defaultAssigned();
		return `${a.base}/actions/${a.actionId}/confirmation`;
	},
	body: { confirmation: "confirmed" },
	permissions: ["UPDATE_TARGET"],
});
runAuthMatrix({
	method: "GET",
	path: async () => {
		const a = await defaultAssigned();
		return `${a.base}/actions/${a.actionId}/status`;
	},
	permissions: ["READ_TARGET"],
});
runAuthMatrix({
	method: "DELETE",
	path: async () => `${(await defaultAssigned()).base}/actions?keepLast=5`,
	permissions: ["UPDATE_TARGET"],
});
runAuthMatrix({
	method: "GET",
	path: async () => `${(await defaultAssigned()).base}/assignedDS`,
	permissions: ["READ_TARGET", "READ_DISTRIBUTION_SET"],
});
runAuthMatrix({
	method: "GET",
	path: async () => `${(await defaultAssigned()).base}/installedDS`,
	permissions: ["READ_TARGET", "READ_DISTRIBUTION_SET"],
});
runAuthMatrix({
	method: "POST",
	path: async () => `${(await defaultAssigned()).base}/assignedDS`,
	body: { id: 1 },
	permissions: ["UPDATE_TARGET", "READ_DISTRIBUTION_SET"],
});
runAuthMatrix({
	method: "GET",
	path: "/rest/v1/actions?q=id==-1",
	permissions: ["READ_TARGET"],
	foreignTenant: async (res) => {
		expect(res.status).toBe(200);
	},
});
runAuthMatrix({
	method: "GET",
	path: async () => `/rest/v1/actions/${(await defaultAssigned()).actionId}`,
	permissions: ["READ_TARGET"],
});
runAuthMatrix({
	method: "DELETE",
	path: async () => `/rest/v1/actions/${(await defaultAssigned()).actionId}`,
	permissions: ["UPDATE_TARGET"],
});
runAuthMatrix({
	method: "DELETE",
	path: "/rest/v1/actions?q=id==-1",
	permissions: ["UPDATE_TARGET"],
	foreignTenant: 204,
});
