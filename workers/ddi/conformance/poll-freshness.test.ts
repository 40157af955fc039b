/**
 * Poll freshness: every write that changes what a device sees on its poll (or whether it may poll at
 * all) must show on the device's very next poll, although an idle poll answers from its KV entry
 * (shared/poll-cache contract, docs/storage-schema.md "Who refreshes poll entries").
 *
 * Each test warms the device's entry with a poll first, so a writer that forgets to refresh leaves the
 * old answer in KV and the test fails. Writes go through the management and DDI APIs (the Worker's real
 * entry point), never through the query modules.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { drive } from "../../rollouts/test-fixtures";
import {
	type GivenTarget,
	givenAssignment,
	givenDistributionSet,
	givenSoftwareModule,
	givenTarget,
	givenTenant,
	uniqueName,
} from "../../testing/factories";
import { mgmtFetch } from "../../testing/mgmt-client";
import { givenUser } from "../../testing/principals";
import { ddi } from "./devices";

type PollBody = {
	config: { polling: { sleep: string } };
	_links?: Record<string, { href: string }>;
};

type Setup = GivenTarget & { auth: string };

/** A tenant (with the given configuration), a target whose entry is warm, and a tenant admin. */
async function setup(config: Record<string, unknown> = {}): Promise<Setup> {
	const tenant = await givenTenant(env, { config });
	const target = await givenTarget(env, { tenant });
	const admin = await givenUser(env, { tenant, authorities: ["ROLE_TENANT_ADMIN"] });
	// The first poll registers the target; configData ends the attribute request, so only the links a
	// test causes show; later polls are answered from KV.
	expect((await poll(target))._links).toHaveProperty("configData");
	const put = await ddi(tenant, `${target.controllerId}/configData`, {
		method: "PUT",
		token: target.token,
		headers: { "Content-Type": "application/json" },
		body: JSON.stringify({ data: { hw: "1" } }),
	});
	expect(put.status).toBe(200);
	expect(await poll(target)).not.toHaveProperty("_links");
	return { ...target, auth: admin.auth };
}

async function poll(t: GivenTarget, token = t.token): Promise<PollBody> {
	const res = await ddi(t.tenant, t.controllerId, { token });
	expect(res.status).toBe(200);
	return (await res.json()) as PollBody;
}

async function sleepOf(t: GivenTarget): Promise<string> {
	return (await poll(t)).config.polling.sleep;
}

async function links(t: GivenTarget): Promise<Record<string, string>> {
	const body = await poll(t);
	return Object.fromEntries(Object.entries(body._links ?? {}).map(([k, v]) => [k, v.href]));
}

async function mgmt(
	s: Setup,
	method: string,
	path: string,
	expected: number,
	body?: unknown,
): Promise<unknown> {
	const res = await mgmtFetch(method, path, { auth: s.auth, body });
	const text = await res.text();
	expect(res.status, `${method} ${path}: ${text}`).toBe(expected);
	return text ? JSON.parse(text) : undefined;
}

async function givenDs(tenant: string): Promise<{ id: number; name: string; version: string }> {
	const module = await givenSoftwareModule(env, { tenant });
	return givenDistributionSet(env, { tenant, modules: [module.id] });
}

const FAST = "00:00:40";
const DEFAULT = "00:05:00";

/** A tenant whose devices poll every 40 s when `query` matches them, else every 5 minutes. */
function overrideOn(query: string): Record<string, unknown> {
	return { pollingTime: `${DEFAULT}, ${query} -> ${FAST}` };
}

describe("gaps found by the consistency audit", () => {
	it("DELETE /actions/{id} of the installed action drops the installedBase link", async () => {
		const s = await setup();
		const ds = await givenDs(s.tenant);
		const { actionId } = await givenAssignment(env, {
			tenant: s.tenant,
			dsId: ds.id,
			controllerId: s.controllerId,
			offline: true,
		});
		expect((await links(s)).installedBase).toMatch(new RegExp(`/installedBase/${actionId}$`));
		await mgmt(s, "DELETE", `/actions/${actionId}`, 204);
		expect(await links(s)).not.toHaveProperty("installedBase");
	});

	it("DELETE /actions?q=… and DELETE /targets/{id}/actions?keepLast=0 drop the installedBase link", async () => {
		const s = await setup();
		const first = await givenAssignment(env, {
			tenant: s.tenant,
			dsId: (await givenDs(s.tenant)).id,
			controllerId: s.controllerId,
			offline: true,
		});
		expect((await links(s)).installedBase).toMatch(new RegExp(`/installedBase/${first.actionId}$`));
		await mgmt(s, "DELETE", `/actions?q=${encodeURIComponent(`id==${first.actionId}`)}`, 204);
		expect(await links(s)).not.toHaveProperty("installedBase");

		const second = await givenAssignment(env, {
			tenant: s.tenant,
			dsId: (await givenDs(s.tenant)).id,
			controllerId: s.controllerId,
			offline: true,
		});
		expect((await links(s)).installedBase).toMatch(
			new RegExp(`/installedBase/${second.actionId}$`),
		);
		await mgmt(s, "DELETE", `/targets/${s.controllerId}/actions?keepLast=0`, 204);
		expect(await links(s)).not.toHaveProperty("installedBase");
	});

	it("target metadata create / update / delete re-evaluates metadata pollingTime overrides", async () => {
		const s = await setup(overrideOn("metadata.ring==fast"));
		expect(await sleepOf(s)).toBe(DEFAULT);
		const base = `/targets/${s.controllerId}/metadata`;
		await mgmt(s, "POST", base, 201, [{ key: "ring", value: "fast" }]);
		expect(await sleepOf(s)).toBe(FAST);
		await mgmt(s, "PUT", `${base}/ring`, 204, { value: "slow" });
		expect(await sleepOf(s)).toBe(DEFAULT);
		await mgmt(s, "PUT", `${base}/ring`, 204, { value: "fast" });
		expect(await sleepOf(s)).toBe(FAST);
		await mgmt(s, "DELETE", `${base}/ring`, 204);
		expect(await sleepOf(s)).toBe(DEFAULT);
	});

	it("tagging with ON_WHAT_FOUND_AND_FAIL refreshes the found targets before answering 404", async () => {
		const tagName = uniqueName("fast");
		const s = await setup(overrideOn(`tag==${tagName}`));
		const [tag] = (await mgmt(s, "POST", "/targettags", 201, [{ name: tagName }])) as {
			id: number;
		}[];
		const path = `/targettags/${tag?.id}/assigned?onNotFoundPolicy=ON_WHAT_FOUND_AND_FAIL`;
		await mgmt(s, "POST", path, 404, [s.controllerId, uniqueName("unknown")]);
		expect(await sleepOf(s)).toBe(FAST);
		await mgmt(s, "DELETE", path, 404, [s.controllerId, uniqueName("unknown")]);
		expect(await sleepOf(s)).toBe(DEFAULT);
	});

	it("renaming and deleting a target tag re-evaluates tag pollingTime overrides", async () => {
		const fastName = uniqueName("fast");
		const s = await setup(overrideOn(`tag==${fastName}`));
		const [tag] = (await mgmt(s, "POST", "/targettags", 201, [{ name: uniqueName("slow") }])) as {
			id: number;
		}[];
		await mgmt(s, "POST", `/targettags/${tag?.id}/assigned/${s.controllerId}`, 204);
		expect(await sleepOf(s)).toBe(DEFAULT);
		await mgmt(s, "PUT", `/targettags/${tag?.id}`, 200, { name: fastName });
		expect(await sleepOf(s)).toBe(FAST);
		await mgmt(s, "DELETE", `/targettags/${tag?.id}`, 204);
		expect(await sleepOf(s)).toBe(DEFAULT);
	});

	it("renaming a target type re-evaluates type pollingTime overrides", async () => {
		const fastName = uniqueName("fast");
		const s = await setup(overrideOn(`type.name==${fastName}`));
		const [type] = (await mgmt(s, "POST", "/targettypes", 201, [
			{ name: uniqueName("slow"), key: uniqueName("key") },
		])) as { id: number }[];
		await mgmt(s, "POST", `/targets/${s.controllerId}/targettype`, 204, { id: type?.id });
		expect(await sleepOf(s)).toBe(DEFAULT);
		await mgmt(s, "PUT", `/targettypes/${type?.id}`, 200, { name: fastName });
		expect(await sleepOf(s)).toBe(FAST);
	});

	it("renaming a distribution set re-evaluates installed/assigned DS pollingTime overrides", async () => {
		const fastName = uniqueName("fast");
		const s = await setup(overrideOn(`installedds.name==${fastName}`));
		const ds = await givenDs(s.tenant);
		await givenAssignment(env, {
			tenant: s.tenant,
			dsId: ds.id,
			controllerId: s.controllerId,
			offline: true,
		});
		expect(await sleepOf(s)).toBe(DEFAULT);
		await mgmt(s, "PUT", `/distributionsets/${ds.id}`, 200, { name: fastName });
		expect(await sleepOf(s)).toBe(FAST);
	});

	it("auto-confirm deactivation (management and DDI) re-evaluates autoconfirm pollingTime overrides", async () => {
		const s = await setup(overrideOn("autoconfirm==true"));
		const base = `/targets/${s.controllerId}/autoConfirm`;
		await mgmt(s, "POST", `${base}/activate`, 204, {});
		expect(await sleepOf(s)).toBe(FAST);
		await mgmt(s, "POST", `${base}/deactivate`, 204);
		expect(await sleepOf(s)).toBe(DEFAULT);

		await mgmt(s, "POST", `${base}/activate`, 204, {});
		expect(await sleepOf(s)).toBe(FAST);
		const off = await ddi(s.tenant, `${s.controllerId}/confirmationBase/deactivateAutoConfirm`, {
			method: "POST",
			token: s.token,
		});
		expect(off.status).toBe(200);
		expect(await sleepOf(s)).toBe(DEFAULT);
	});
});

describe("write paths that refresh (regression)", () => {
	it("assignment, cancel and force-quit show on the next poll", async () => {
		const s = await setup();
		const ds = await givenDs(s.tenant);
		const assigned = (await mgmt(s, "POST", `/targets/${s.controllerId}/assignedDS`, 200, [
			{ id: ds.id, type: "forced" },
		])) as { assignedActions: { id: number }[] };
		const actionId = assigned.assignedActions[0]?.id;
		expect((await links(s)).deploymentBase).toContain(`/deploymentBase/${actionId}?c=`);
		const action = `/targets/${s.controllerId}/actions/${actionId}`;
		await mgmt(s, "DELETE", action, 204);
		expect((await links(s)).cancelAction).toMatch(new RegExp(`/cancelAction/${actionId}$`));
		await mgmt(s, "DELETE", `${action}?force=true`, 204);
		expect(await links(s)).toEqual({});
	});

	it("forceType and operator confirmation change the action link", async () => {
		const s = await setup({ "user.confirmation.flow.enabled": true });
		const ds = await givenDs(s.tenant);
		const { actionId } = await givenAssignment(env, {
			tenant: s.tenant,
			dsId: ds.id,
			controllerId: s.controllerId,
			type: "soft",
			confirmationRequired: true,
		});
		expect((await links(s)).confirmationBase).toContain(`/confirmationBase/${actionId}?c=`);
		const action = `/targets/${s.controllerId}/actions/${actionId}`;
		await mgmt(s, "PUT", `${action}/confirmation`, 204, { confirmation: "confirmed" });
		const confirmed = (await links(s)).deploymentBase;
		expect(confirmed).toContain(`/deploymentBase/${actionId}?c=`);
		await mgmt(s, "PUT", action, 200, { forceType: "forced" });
		const forced = (await links(s)).deploymentBase;
		expect(forced).toContain(`/deploymentBase/${actionId}?c=`);
		expect(forced).not.toBe(confirmed);
	});

	it("device feedback closing the action moves the links to installedBase", async () => {
		const s = await setup();
		const { actionId } = await givenAssignment(env, {
			tenant: s.tenant,
			dsId: (await givenDs(s.tenant)).id,
			controllerId: s.controllerId,
		});
		expect(await links(s)).toHaveProperty("deploymentBase");
		const res = await ddi(s.tenant, `${s.controllerId}/deploymentBase/${actionId}/feedback`, {
			method: "POST",
			token: s.token,
			headers: { "Content-Type": "application/json" },
			body: JSON.stringify({
				status: { execution: "closed", result: { finished: "success" } },
			}),
		});
		expect(res.status).toBe(200);
		const after = await links(s);
		expect(after).not.toHaveProperty("deploymentBase");
		expect(after.installedBase).toMatch(new RegExp(`/installedBase/${actionId}$`));
	});

	it("token change, attribute request and target delete apply at once", async () => {
		const s = await setup();
		const path = `/targets/${s.controllerId}`;
		await mgmt(s, "PUT", path, 200, { requestAttributes: true });
		expect(await links(s)).toHaveProperty("configData");
		const token = uniqueName("token");
		await mgmt(s, "PUT", path, 200, { securityToken: token });
		expect((await ddi(s.tenant, s.controllerId, { token: s.token })).status).toBe(401);
		expect((await ddi(s.tenant, s.controllerId, { token })).status).toBe(200);
		await mgmt(s, "DELETE", path, 204);
		expect((await ddi(s.tenant, s.controllerId, { token })).status).toBe(401);
	});

	it("invalidating a distribution set with force closes the device's action", async () => {
		const s = await setup();
		const ds = await givenDs(s.tenant);
		await givenAssignment(env, { tenant: s.tenant, dsId: ds.id, controllerId: s.controllerId });
		expect(await links(s)).toHaveProperty("deploymentBase");
		await mgmt(s, "POST", `/distributionsets/${ds.id}/invalidate`, 204, {
			actionCancelationType: "force",
		});
		expect(await links(s)).toEqual({});
	});

	it("rollout group start, stop and delete show on the next poll", async () => {
		const s = await setup();
		const ds = await givenDs(s.tenant);
		const rollout = (await mgmt(s, "POST", "/rollouts", 201, {
			name: uniqueName("wave"),
			distributionSetId: ds.id,
			targetFilterQuery: `controllerId==${s.controllerId}`,
			amountGroups: 1,
		})) as { id: number };
		await drive(env, s.tenant, rollout.id);
		await mgmt(s, "POST", `/rollouts/${rollout.id}/start`, 204);
		await drive(env, s.tenant, rollout.id);
		const started = (await links(s)).deploymentBase;
		expect(started).toMatch(/\/deploymentBase\/\d+\?c=/);
		const actionId = /deploymentBase\/(\d+)/.exec(started ?? "")?.[1];
		await mgmt(s, "POST", `/rollouts/${rollout.id}/stop`, 204);
		await drive(env, s.tenant, rollout.id);
		expect((await links(s)).cancelAction).toMatch(new RegExp(`/cancelAction/${actionId}$`));
		await mgmt(s, "DELETE", `/rollouts/${rollout.id}`, 204);
		await drive(env, s.tenant, rollout.id);
		expect(await links(s)).toEqual({});
	});

	it("switching target-token authentication off answers 401 at once", async () => {
		const s = await setup();
		await mgmt(s, "PUT", "/system/configs", 204, { "authentication.targettoken.enabled": false });
		expect((await ddi(s.tenant, s.controllerId, { token: s.token })).status).toBe(401);
	});
});
