import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../shared/db/client";
import { ensureTenant } from "../../shared/db/queries/tenants";
import { setTenantConfigs } from "../../shared/tenant-config";
import { drive, givenTargets } from "../rollouts/test-fixtures";
import { runAuthMatrix } from "../testing/auth-matrix";
import { givenDistributionSet, givenSoftwareModule, uniqueName } from "../testing/factories";
import { ADMIN_AUTH, givenUser, uniqueTenant } from "../testing/principals";

const BASE = "https://mgmt.test/rest/v1";
const TENANT = "DEFAULT";

async function api(
	method: string,
	path: string,
	o: { body?: unknown; auth?: string } = {},
): Promise<Response> {
	const headers: Record<string, string> = { Authorization: o.auth ?? ADMIN_AUTH };
	if (o.body !== undefined) {
		headers["Content-Type"] = "application/json";
	}
	return exports.default.fetch(`${BASE}${path}`, {
		method,
		headers,
		body: o.body === undefined ? undefined : JSON.stringify(o.body),
	});
}

async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
	return (await res.json()) as T;
}

async function givenDs(tenant = TENANT) {
	await ensureTenant(createDb(env.DB), env.DB, tenant);
	const sm = await givenSoftwareModule(env, { tenant, typeKey: "os" });
	return givenDistributionSet(env, { tenant, modules: [sm.id] });
}

/** A DS and `count` fresh targets; the filter matches exactly them. */
async function givenFleet(count: number, tenant = TENANT) {
	const ds = await givenDs(tenant);
	const { prefix } = await givenTargets(env, { tenant, count });
	return { ds, prefix, filter: `controllerId==${prefix}-*` };
}

async function createRollout(body: Record<string, unknown>, auth?: string) {
	return api("POST", "/rollouts", { body: { name: uniqueName("r"), ...body }, auth });
}

async function readyRollout(count: number, extra: Record<string, unknown> = {}) {
	const fleet = await givenFleet(count);
	const res = await createRollout({
		distributionSetId: fleet.ds.id,
		targetFilterQuery: fleet.filter,
		amountGroups: 2,
		...extra,
	});
	expect(res.status).toBe(201);
	const rollout = await json<{ id: number }>(res);
	await drive(env, TENANT, rollout.id);
	return { ...fleet, id: rollout.id };
}

describe("POST /rest/v1/rollouts", () => {
	it("creates the rollout (201, full representation, status creating) with hawkBit's defaults", async () => {
		const { ds, filter } = await givenFleet(6);
		const res = await createRollout({
			description: "firmware wave",
			distributionSetId: ds.id,
			targetFilterQuery: filter,
			amountGroups: 3,
		});
		expect(res.status).toBe(201);
		const body = await json(res);
		const id = body.id as number;
		expect(body).toMatchObject({
			description: "firmware wave",
			targetFilterQuery: filter,
			distributionSetId: ds.id,
			status: "creating",
			totalTargets: 6,
			totalTargetsPerStatus: {
				scheduled: 0,
				running: 0,
				error: 0,
				finished: 0,
				cancelled: 0,
				notstarted: 6,
			},
			totalGroups: 3,
			forcetime: 0,
			deleted: false,
			type: "forced",
			weight: 1000,
			dynamic: false,
			createdBy: "admin",
		});
		expect(body).not.toHaveProperty("approvalRemark");
		expect(body).not.toHaveProperty("startAt");
		const links = body._links as Record<string, { href: string; name?: string }>;
		expect(Object.keys(links).sort()).toEqual(
			[
				"approve",
				"deny",
				"distributionset",
				"groups",
				"pause",
				"resume",
				"self",
				"start",
				"triggerNextGroup",
			].sort(),
		);
		expect(links.self?.href).toBe(`https://mgmt.test/rest/v1/rollouts/${id}`);
		expect(links.groups?.href).toBe(
			`https://mgmt.test/rest/v1/rollouts/${id}/deploygroups?offset=0&limit=50`,
		);
		expect(links.distributionset).toEqual({
			href: `https://mgmt.test/rest/v1/distributionsets/${ds.id}`,
			name: `${ds.name}:${ds.version}`,
		});
	});

	it("refuses what hawkBit refuses, with its codes", async () => {
		const { ds, filter } = await givenFleet(2);
		const cases: [Record<string, unknown>, number, string][] = [
			[{ distributionSetId: ds.id }, 400, "hawkbit.server.error.rest.param.rsqlParamSyntax"],
			[
				{ distributionSetId: ds.id, targetFilterQuery: "nosuchfield==1" },
				400,
				"hawkbit.server.error.rest.param.rsqlInvalidField",
			],
			[
				{ distributionSetId: ds.id, targetFilterQuery: "controllerId==nobody-at-all" },
				400,
				"hawkbit.server.error.repo.constraintViolation",
			],
			[
				{ distributionSetId: 987654, targetFilterQuery: filter },
				404,
				"hawkbit.server.error.repo.entityNotFound",
			],
			[
				{
					distributionSetId: ds.id,
					targetFilterQuery: filter,
					amountGroups: 2,
					groups: [{ name: "a", targetPercentage: 100 }],
				},
				400,
				"hawkbit.server.error.repo.constraintViolation",
			],
			[
				{ distributionSetId: ds.id, targetFilterQuery: filter, amountGroups: 501 },
				429,
				"hawkbit.server.error.quota.tooManyEntries",
			],
			[
				{
					distributionSetId: ds.id,
					targetFilterQuery: filter,
					groups: [
						{ name: "only-canaries", targetFilterQuery: "name==none", targetPercentage: 100 },
					],
				},
				400,
				"hawkbit.server.error.repo.constraintViolation",
			],
			[
				{ distributionSetId: ds.id, targetFilterQuery: filter, type: "sometimes" },
				400,
				"hawkbit.server.error.rest.body.notReadable",
			],
		];
		for (const [body, status, code] of cases) {
			const res = await createRollout(body);
			expect({ body, status: res.status }).toEqual({ body, status });
			expect((await json(res)).errorCode).toBe(code);
		}
		const missing = await createRollout({ distributionSetId: ds.id, targetFilterQuery: filter });
		expect(missing.status).toBe(201);
		const name = ((await json(missing)).name as string) ?? "";
		const duplicate = await api("POST", "/rollouts", {
			body: { name, distributionSetId: ds.id, targetFilterQuery: filter },
		});
		expect(duplicate.status).toBe(409);
	});

	it("answers 403 for a scheduled rollout created without HANDLE_ROLLOUT", async () => {
		const { ds, filter } = await givenFleet(1);
		const user = await givenUser(env, {
			authorities: ["CREATE_ROLLOUT", "READ_ROLLOUT", "READ_DISTRIBUTION_SET", "READ_TARGET"],
		});
		const res = await createRollout(
			{ distributionSetId: ds.id, targetFilterQuery: filter, startAt: Date.now() + 60_000 },
			user.auth,
		);
		expect(res.status).toBe(403);
		expect((await json(res)).errorCode).toBe("hawkbit.server.error.insufficientPermission");
	});

	it("accepts explicit groups with their own filter and percentages relative to it", async () => {
		const ds = await givenDs();
		const { prefix } = await givenTargets(env, {
			tenant: TENANT,
			count: 10,
			ring: (i) => (i <= 4 ? "canary" : undefined),
		});
		const res = await createRollout({
			distributionSetId: ds.id,
			targetFilterQuery: `controllerId==${prefix}-*`,
			successCondition: { condition: "THRESHOLD", expression: "80" },
			groups: [
				{
					name: "canary",
					targetFilterQuery: "attribute.ring==canary",
					targetPercentage: 50,
					errorCondition: { condition: "THRESHOLD", expression: "0" },
				},
				{ name: "rest", targetPercentage: 100 },
			],
		});
		expect(res.status).toBe(201);
		const { id } = await json<{ id: number }>(res);
		await drive(env, TENANT, id);
		const groups = await json<{ content: Record<string, unknown>[] }>(
			await api("GET", `/rollouts/${id}/deploygroups?representation=full`),
		);
		expect(
			groups.content.map((g) => [
				g.name,
				g.totalTargets,
				g.targetFilterQuery,
				g.targetPercentage,
				(g.successCondition as { expression: string }).expression,
				(g.errorCondition as { expression: string }).expression,
			]),
		).toEqual([
			["canary", 2, "attribute.ring==canary", 50, "80", "0"],
			["rest", 8, "", 100, "80", "50"],
		]);
		const canaryId = groups.content[0]?.id as number;
		const targets = await json<{ total: number; content: { controllerId: string }[] }>(
			await api("GET", `/rollouts/${id}/deploygroups/${canaryId}/targets`),
		);
		expect(targets.total).toBe(2);
		expect(targets.content.map((t) => t.controllerId)).toEqual([`${prefix}-1`, `${prefix}-2`]);
	});
});

describe("GET /rest/v1/rollouts", () => {
	it("lists compact by default and with totals in full representation", async () => {
		const { id, filter } = await readyRollout(4);
		const compact = await json<{ content: Record<string, unknown>[]; total: number; size: number }>(
			await api("GET", `/rollouts?q=${encodeURIComponent(`id==${id}`)}`),
		);
		expect(compact.total).toBe(1);
		expect(compact.size).toBe(1);
		const item = compact.content[0] ?? {};
		expect(item).toMatchObject({ id, status: "ready", targetFilterQuery: filter, totalTargets: 4 });
		expect(item).not.toHaveProperty("totalTargetsPerStatus");
		expect(item).not.toHaveProperty("totalGroups");
		expect(Object.keys(item._links as object)).toEqual(["self"]);

		const full = await json<{ content: Record<string, unknown>[] }>(
			await api("GET", `/rollouts?q=${encodeURIComponent(`id==${id}`)}&representation=full`),
		);
		expect(full.content[0]).toMatchObject({
			totalGroups: 2,
			totalTargetsPerStatus: { notstarted: 4, scheduled: 0, running: 0 },
		});
	});

	it("answers 404 for an unknown rollout and for another tenant's rollout", async () => {
		expect((await api("GET", "/rollouts/99999999")).status).toBe(404);
		const { id } = await readyRollout(1);
		const foreign = await givenUser(env, { tenant: uniqueTenant(), authorities: ["READ_ROLLOUT"] });
		const res = await api("GET", `/rollouts/${id}`, { auth: foreign.auth });
		expect(res.status).toBe(404);
		expect((await json(res)).errorCode).toBe("hawkbit.server.error.repo.entityNotFound");
	});
});

describe("deploy groups", () => {
	it("shows each group with the rollout's conditions and its totals", async () => {
		const { id } = await readyRollout(4);
		const page = await json<{ content: Record<string, unknown>[]; total: number }>(
			await api("GET", `/rollouts/${id}/deploygroups`),
		);
		expect(page.total).toBe(2);
		const [g1] = page.content;
		expect(g1).toMatchObject({
			name: "group-1",
			description: "group-1",
			status: "ready",
			totalTargets: 2,
			targetPercentage: 50,
			dynamic: false,
			successCondition: { condition: "THRESHOLD", expression: "50" },
			successAction: { action: "NEXTGROUP", expression: "" },
			errorCondition: { condition: "THRESHOLD", expression: "50" },
			errorAction: { action: "PAUSE", expression: "" },
		});
		expect(g1).not.toHaveProperty("totalTargetsPerStatus");
		expect(g1).not.toHaveProperty("confirmationRequired");
		const one = await json(await api("GET", `/rollouts/${id}/deploygroups/${g1?.id}`));
		expect(one.totalTargetsPerStatus).toEqual({
			scheduled: 0,
			running: 0,
			error: 0,
			finished: 0,
			cancelled: 0,
			notstarted: 2,
		});
		expect((await api("GET", `/rollouts/${id}/deploygroups/99999999`)).status).toBe(404);
	});
});

describe("rollout operations", () => {
	it("starts (204), refuses a second start (400) and a pause when not running", async () => {
		const { id } = await readyRollout(4);
		expect((await api("POST", `/rollouts/${id}/pause`)).status).toBe(400);
		expect((await api("POST", `/rollouts/${id}/start`)).status).toBe(204);
		const again = await api("POST", `/rollouts/${id}/start`);
		expect(again.status).toBe(400);
		expect((await json(again)).errorCode).toBe("hawkbit.server.error.rollout.illegalState");
		await drive(env, TENANT, id);
		const running = await json(await api("GET", `/rollouts/${id}`));
		expect(running).toMatchObject({
			status: "running",
			totalTargetsPerStatus: { running: 2, scheduled: 2, notstarted: 0 },
		});
		expect((await api("POST", `/rollouts/${id}/pause`)).status).toBe(204);
		const paused = await json(await api("GET", `/rollouts/${id}`));
		expect(paused.status).toBe("paused");
		expect(paused.pauseReason).toBe("Paused by admin");
		expect((await api("POST", `/rollouts/${id}/resume`)).status).toBe(204);
		expect((await json(await api("GET", `/rollouts/${id}`))).status).toBe("running");
		expect((await api("POST", `/rollouts/${id}/triggerNextGroup`)).status).toBe(204);
		await drive(env, TENANT, id);
		expect((await json(await api("GET", `/rollouts/${id}`))).totalTargetsPerStatus).toMatchObject({
			running: 4,
			scheduled: 0,
		});
		const none = await api("POST", `/rollouts/${id}/triggerNextGroup`);
		expect(none.status).toBe(400);
	});

	it("stops a running rollout: scheduled actions removed, running ones canceling, then stopped", async () => {
		const { id } = await readyRollout(4);
		await api("POST", `/rollouts/${id}/start`);
		await drive(env, TENANT, id);
		expect((await api("POST", `/rollouts/${id}/stop`)).status).toBe(204);
		await drive(env, TENANT, id);
		const stopped = await json(await api("GET", `/rollouts/${id}`));
		expect(stopped.status).toBe("stopped");
		expect(stopped.totalTargetsPerStatus).toMatchObject({
			running: 2,
			scheduled: 0,
			notstarted: 2,
		});
		const statuses = await env.DB.prepare(
			"SELECT DISTINCT status FROM actions WHERE rollout_id = ?1",
		)
			.bind(id)
			.all<{ status: string }>();
		expect(statuses.results.map((r) => r.status)).toEqual(["CANCELING"]);
		expect((await api("POST", `/rollouts/${id}/stop`)).status).toBe(400);
	});

	it("deletes a never-started rollout completely (hard delete)", async () => {
		const { id } = await readyRollout(2);
		expect((await api("DELETE", `/rollouts/${id}`)).status).toBe(204);
		expect((await json(await api("GET", `/rollouts/${id}`))).status).toBe("deleting");
		await drive(env, TENANT, id);
		expect((await api("GET", `/rollouts/${id}`)).status).toBe(404);
	});

	it("soft-deletes a started rollout: force-quits its actions, keeps it as deleted", async () => {
		const { id, ds } = await readyRollout(2);
		await api("POST", `/rollouts/${id}/start`);
		await drive(env, TENANT, id);
		expect((await api("DELETE", `/rollouts/${id}`)).status).toBe(204);
		await drive(env, TENANT, id);
		const deleted = await json(await api("GET", `/rollouts/${id}`));
		expect(deleted).toMatchObject({ status: "deleted", deleted: true });
		const listed = await json<{ total: number }>(
			await api("GET", `/rollouts?q=${encodeURIComponent(`id==${id}`)}`),
		);
		expect(listed.total).toBe(0);
		const withDeleted = await json<{ total: number }>(
			await api(
				"GET",
				`/rollouts?q=${encodeURIComponent(`id==${id}`)}&soft_deleted_mode=INCLUDE_SOFT_DELETED`,
			),
		);
		expect(withDeleted.total).toBe(1);
		const assigned = await env.DB.prepare(
			"SELECT count(*) AS n FROM targets WHERE assigned_ds_id = ?1",
		)
			.bind(ds.id)
			.first<{ n: number }>();
		expect(assigned?.n).toBe(0);
		const put = await api("PUT", `/rollouts/${id}`, { body: { name: "renamed" } });
		expect(put.status).toBe(403);
	});

	it("renames with PUT (200, full body)", async () => {
		const { id } = await readyRollout(1);
		const res = await api("PUT", `/rollouts/${id}`, {
			body: { name: uniqueName("renamed"), description: "new text" },
		});
		expect(res.status).toBe(200);
		expect(await json(res)).toMatchObject({ id, description: "new text", totalGroups: 2 });
		const other = await readyRollout(1);
		const taken = await json<{ name: string }>(await api("GET", `/rollouts/${other.id}`));
		const clash = await api("PUT", `/rollouts/${id}`, { body: { name: taken.name } });
		expect(clash.status).toBe(409);
	});
});

describe("approval workflow", () => {
	it("waits for approval when the creator lacks APPROVE_ROLLOUT, then records the decision", async () => {
		const tenant = uniqueTenant();
		const creator = await givenUser(env, {
			tenant,
			authorities: ["CREATE_ROLLOUT", "READ_ROLLOUT", "READ_DISTRIBUTION_SET", "READ_TARGET"],
		});
		const approver = await givenUser(env, {
			tenant,
			authorities: ["APPROVE_ROLLOUT", "READ_ROLLOUT"],
			username: uniqueName("boss"),
		});
		await setTenantConfigs(env, tenant, { "rollout.approval.enabled": true }, "test");
		const { ds, filter } = await givenFleet(2, tenant);
		const res = await createRollout(
			{ distributionSetId: ds.id, targetFilterQuery: filter },
			creator.auth,
		);
		expect(res.status).toBe(201);
		const { id } = await json<{ id: number }>(res);
		await drive(env, tenant, id);
		const waiting = await json(await api("GET", `/rollouts/${id}`, { auth: approver.auth }));
		expect(waiting.status).toBe("waiting_for_approval");
		expect((await api("POST", `/rollouts/${id}/approve`, { auth: creator.auth })).status).toBe(403);
		const approved = await api("POST", `/rollouts/${id}/approve?remark=looks%20good`, {
			auth: approver.auth,
		});
		expect(approved.status).toBe(204);
		expect(await json(await api("GET", `/rollouts/${id}`, { auth: approver.auth }))).toMatchObject({
			status: "ready",
			approvalRemark: "looks good",
			approveDecidedBy: approver.username,
		});
		expect((await api("POST", `/rollouts/${id}/deny`, { auth: approver.auth })).status).toBe(400);
	});
});

describe("POST /rest/v1/rollouts/{id}/retry", () => {
	it("refuses an unfinished rollout and retries the failed targets of a finished one", async () => {
		const { id } = await readyRollout(4, { amountGroups: 1 });
		const early = await api("POST", `/rollouts/${id}/retry`);
		expect(early.status).toBe(400);
		await api("POST", `/rollouts/${id}/start`);
		await drive(env, TENANT, id);
		const actions = await env.DB.prepare(
			"SELECT id, rollout_group_id AS g FROM actions WHERE rollout_id = ?1 ORDER BY id",
		)
			.bind(id)
			.all<{ id: number; g: number }>();
		const [a, b, c, d] = actions.results;
		await env.DB.prepare(
			"UPDATE actions SET status = CASE WHEN id IN (?1, ?2) THEN 'ERROR' ELSE 'FINISHED' END, active = 0 WHERE rollout_id = ?3",
		)
			.bind(a?.id, b?.id, id)
			.run();
		const { notifyRolloutActionFinished } = await import("../rollouts/notify");
		for (const [x, status] of [
			[a, "ERROR"],
			[b, "ERROR"],
			[c, "FINISHED"],
			[d, "FINISHED"],
		] as const) {
			await notifyRolloutActionFinished(env, {
				tenant: TENANT,
				id: x?.id ?? 0,
				status,
				rolloutId: id,
				rolloutGroupId: x?.g ?? 0,
			});
		}
		// 50 % errors is not above the 50 % threshold: the group completes and the rollout finishes.
		expect((await json(await api("GET", `/rollouts/${id}`))).status).toBe("finished");
		const retry = await api("POST", `/rollouts/${id}/retry`);
		expect(retry.status).toBe(201);
		const body = await json(retry);
		expect(body).toMatchObject({
			targetFilterQuery: `failedrollout==${id}`,
			totalTargets: 2,
			status: "creating",
		});
		expect(String(body.name)).toMatch(/_retry$/);
		await drive(env, TENANT, body.id as number);
		expect((await json(await api("GET", `/rollouts/${body.id}`))).status).toBe("ready");
		expect((await api("POST", `/rollouts/${id}/retry`)).status).toBe(409);
	});
});

runAuthMatrix({
	method: "GET",
	path: "/rest/v1/rollouts",
	permissions: ["READ_ROLLOUT"],
	foreignTenant: async (res) => expect((await json<{ total: number }>(res)).total).toBe(0),
});
runAuthMatrix({
	method: "GET",
	path: async () => `/rest/v1/rollouts/${(await readyRollout(1)).id}`,
	permissions: ["READ_ROLLOUT"],
});
runAuthMatrix({
	method: "POST",
	path: async () => `/rest/v1/rollouts/${(await readyRollout(1)).id}/start`,
	permissions: ["HANDLE_ROLLOUT"],
});
runAuthMatrix({
	method: "POST",
	path: async () => `/rest/v1/rollouts/${(await readyRollout(1)).id}/stop`,
	permissions: ["UPDATE_ROLLOUT"],
});
runAuthMatrix({
	method: "DELETE",
	path: async () => `/rest/v1/rollouts/${(await readyRollout(1)).id}`,
	permissions: ["DELETE_ROLLOUT"],
});
runAuthMatrix({
	method: "GET",
	path: async () => {
		const { id } = await readyRollout(1);
		const groups = await json<{ content: { id: number }[] }>(
			await api("GET", `/rollouts/${id}/deploygroups`),
		);
		return `/rest/v1/rollouts/${id}/deploygroups/${groups.content[0]?.id}/targets`;
	},
	permissions: ["READ_ROLLOUT", "READ_TARGET"],
});
