import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, expectEmpty, feedback, readAction, readHistory } from "../testing/ddi-client";
import { givenAssignedTarget, givenTarget, givenTenant, readTarget } from "../testing/factories";

const FLOW = { "user.confirmation.flow.enabled": true };

type ConfirmationBase = {
	autoConfirm: { active: boolean; initiator?: string; remark?: string; activatedAt: number };
	_links: Record<string, { href: string }>;
};

describe("GET /{tenant}/controller/v1/{controllerId}/confirmationBase", () => {
	it("shows auto-confirm off, the activate link and the waiting action with ?c=", async () => {
		const t = await givenAssignedTarget(env, { config: FLOW });
		const res = await call(t.tenant, `${t.controllerId}/confirmationBase`, { token: t.token });
		expect(res.status).toBe(200);
		const body = (await res.json()) as ConfirmationBase;
		const base = `https://ddi.test/${t.tenant}/controller/v1/${t.controllerId}`;
		expect(body.autoConfirm).toEqual({ active: false, activatedAt: 0 });
		expect(body._links.activateAutoConfirm).toEqual({
			href: `${base}/confirmationBase/activateAutoConfirm`,
		});
		expect(body._links.confirmationBase?.href).toMatch(
			new RegExp(`^${base}/confirmationBase/${t.actionId}\\?c=-?\\d+$`),
		);
		// The poll offers the same link, and only that one.
		const poll = (await (await call(t.tenant, t.controllerId, { token: t.token })).json()) as {
			_links: Record<string, { href: string }>;
		};
		expect(poll._links.confirmationBase?.href).toBe(body._links.confirmationBase?.href);
		expect(poll._links.deploymentBase).toBeUndefined();
	});

	it("registers an unknown controller with a gateway token, as the root poll does", async () => {
		const tenant = await givenTenant(env, {
			config: {
				"authentication.gatewaytoken.enabled": true,
				"authentication.gatewaytoken.key": "gw-secret",
			},
		});
		const res = await call(tenant, "brand-new-device/confirmationBase", {
			headers: { Authorization: "GatewayToken gw-secret" },
		});
		expect(res.status).toBe(200);
		expect(((await res.json()) as ConfirmationBase)._links.confirmationBase).toBeUndefined();
		const row = await env.DB.prepare(
			"SELECT update_status FROM targets WHERE tenant = ? AND controller_id = 'brand-new-device'",
		)
			.bind(tenant)
			.first<{ update_status: string }>();
		expect(row?.update_status).toBe("registered");
	});
});

describe("GET /{tenant}/controller/v1/{controllerId}/confirmationBase/{actionId}", () => {
	it("returns the deployment under the key confirmation and writes no RETRIEVED", async () => {
		const t = await givenAssignedTarget(env, { config: FLOW });
		const res = await call(t.tenant, `${t.controllerId}/confirmationBase/${t.actionId}?c=1`, {
			token: t.token,
		});
		expect(res.status).toBe(200);
		const body = (await res.json()) as {
			id: string;
			confirmation: { download: string; chunks: unknown[] };
		};
		expect(body.id).toBe(String(t.actionId));
		expect(body.confirmation).toMatchObject({ download: "forced", update: "forced" });
		expect(body.confirmation.chunks).toHaveLength(1);
		expect((await readHistory(t.actionId)).map((h) => h.status)).toEqual(["WAIT_FOR_CONFIRMATION"]);
	});

	it("answers 404 with an empty body when the action is not waiting", async () => {
		const t = await givenAssignedTarget(env);
		const res = await call(t.tenant, `${t.controllerId}/confirmationBase/${t.actionId}`, {
			token: t.token,
		});
		expect(res.status).toBe(404);
		await expectEmpty(res);
	});
});

describe("POST /{tenant}/controller/v1/{controllerId}/confirmationBase/{actionId}/feedback", () => {
	it("confirmed: RUNNING with hawkBit's messages, then served as deploymentBase", async () => {
		const t = await givenAssignedTarget(env, { config: FLOW });
		const res = await call(t.tenant, `${t.controllerId}/confirmationBase/${t.actionId}/feedback`, {
			token: t.token,
			body: { confirmation: "confirmed", code: 200, details: ["User accepted"] },
		});
		expect(res.status).toBe(200);
		await expectEmpty(res);
		expect(await readAction(t.actionId)).toMatchObject({
			status: "RUNNING",
			lastActionStatusCode: 200,
		});
		expect((await readHistory(t.actionId)).at(-1)).toMatchObject({
			status: "RUNNING",
			code: 200,
			messages: [
				"User accepted",
				"Update Server: Target confirmed action. Therefore, it will be set to the running state to proceed with the deployment.",
				"Confirmation status code: 200",
			],
		});
		const poll = (await (await call(t.tenant, t.controllerId, { token: t.token })).json()) as {
			_links: Record<string, { href: string }>;
		};
		expect(poll._links.deploymentBase?.href).toContain(`/deploymentBase/${t.actionId}?c=`);
		expect(
			(await call(t.tenant, `${t.controllerId}/deploymentBase/${t.actionId}`, { token: t.token }))
				.status,
		).toBe(200);
		// Confirming again: the action is no longer waiting.
		const again = await call(
			t.tenant,
			`${t.controllerId}/confirmationBase/${t.actionId}/feedback`,
			{
				token: t.token,
				body: { confirmation: "confirmed" },
			},
		);
		expect(again.status).toBe(404);
		await expectEmpty(again);
	});

	it("denied: stays waiting; a confirmed but unfinished action goes back to waiting", async () => {
		const t = await givenAssignedTarget(env, { config: FLOW });
		const path = `${t.controllerId}/confirmationBase/${t.actionId}/feedback`;
		expect(
			(await call(t.tenant, path, { token: t.token, body: { confirmation: "denied" } })).status,
		).toBe(200);
		expect((await readAction(t.actionId)).status).toBe("WAIT_FOR_CONFIRMATION");
		expect((await readHistory(t.actionId)).at(-1)?.messages).toEqual([
			"Update Server: Target rejected action. Action will stay in confirmation pending state.",
		]);
		await call(t.tenant, path, { token: t.token, body: { confirmation: "confirmed" } });
		expect(
			(
				await call(t.tenant, path, {
					token: t.token,
					body: { confirmation: "denied", details: "changed my mind" },
				})
			).status,
		).toBe(200);
		expect((await readAction(t.actionId)).status).toBe("WAIT_FOR_CONFIRMATION");
	});

	it("answers 410 once the action is closed", async () => {
		const t = await givenAssignedTarget(env, { config: FLOW });
		const path = `${t.controllerId}/confirmationBase/${t.actionId}/feedback`;
		await call(t.tenant, path, { token: t.token, body: { confirmation: "confirmed" } });
		await call(t.tenant, `${t.controllerId}/deploymentBase/${t.actionId}/feedback`, {
			token: t.token,
			body: feedback("closed", "success"),
		});
		const res = await call(t.tenant, path, { token: t.token, body: { confirmation: "denied" } });
		expect(res.status).toBe(410);
		await expectEmpty(res);
	});

	it.each([
		["missing confirmation", { code: 1 }],
		["upper case", { confirmation: "CONFIRMED" }],
		["unknown value", { confirmation: "maybe" }],
	])("answers 400 for %s and writes nothing", async (_name, body) => {
		const t = await givenAssignedTarget(env, { config: FLOW });
		const res = await call(t.tenant, `${t.controllerId}/confirmationBase/${t.actionId}/feedback`, {
			token: t.token,
			body,
		});
		expect(res.status).toBe(400);
		expect((await readHistory(t.actionId)).map((h) => h.status)).toEqual(["WAIT_FOR_CONFIRMATION"]);
	});
});

describe("POST /{tenant}/controller/v1/{controllerId}/confirmationBase/activateAutoConfirm and deactivateAutoConfirm", () => {
	it("activating confirms the waiting action, shows the state, and refuses a second activation with 409", async () => {
		const t = await givenAssignedTarget(env, { config: FLOW });
		const res = await call(t.tenant, `${t.controllerId}/confirmationBase/activateAutoConfirm`, {
			token: t.token,
			body: { initiator: "exampleUser", remark: "exampleRemark" },
		});
		expect(res.status).toBe(200);
		await expectEmpty(res);
		expect((await readAction(t.actionId)).status).toBe("RUNNING");
		expect((await readHistory(t.actionId)).at(-1)).toMatchObject({
			status: "RUNNING",
			messages: [
				"Assignment automatically confirmed by initiator 'exampleUser'. \n\nAuto confirmation activated by system user: 'CONTROLLER_PLUG_AND_PLAY' \n\nRemark: exampleRemark",
			],
		});
		const base = (await (
			await call(t.tenant, `${t.controllerId}/confirmationBase`, { token: t.token })
		).json()) as ConfirmationBase;
		expect(base.autoConfirm).toMatchObject({
			active: true,
			initiator: "exampleUser",
			remark: "exampleRemark",
		});
		expect(base.autoConfirm.activatedAt).toBeGreaterThan(0);
		expect(Object.keys(base._links)).toEqual(["deactivateAutoConfirm"]);

		const twice = await call(t.tenant, `${t.controllerId}/confirmationBase/activateAutoConfirm`, {
			token: t.token,
			method: "POST",
		});
		expect(twice.status).toBe(409);
		expect(await twice.json()).toMatchObject({
			errorCode: "hawkbit.server.error.repo.autoConfAlreadyActive",
		});

		const off = await call(t.tenant, `${t.controllerId}/confirmationBase/deactivateAutoConfirm`, {
			token: t.token,
			method: "POST",
		});
		expect(off.status).toBe(200);
		await expectEmpty(off);
		expect((await readTarget(env, t.id))?.autoConfirmActive).toBe(false);
	});

	it("stores hawkBit's fallback remark when the device sends no body", async () => {
		const tenant = await givenTenant(env);
		const target = await givenTarget(env, { tenant });
		const res = await call(tenant, `${target.controllerId}/confirmationBase/activateAutoConfirm`, {
			token: target.token,
			method: "POST",
		});
		expect(res.status).toBe(200);
		expect(await readTarget(env, target.id)).toMatchObject({
			autoConfirmActive: true,
			autoConfirmInitiator: null,
			autoConfirmRemark:
				"Initiated using the Device Direct Integration API without providing a remark.",
		});
	});

	it("answers 404 error JSON for an unknown controller (gateway token)", async () => {
		const tenant = await givenTenant(env, {
			config: {
				"authentication.gatewaytoken.enabled": true,
				"authentication.gatewaytoken.key": "gw-key",
			},
		});
		for (const op of ["activateAutoConfirm", "deactivateAutoConfirm"]) {
			const res = await call(tenant, `nobody-${op}/confirmationBase/${op}`, {
				method: "POST",
				headers: { Authorization: "GatewayToken gw-key" },
			});
			expect(res.status).toBe(404);
			expect(await res.json()).toMatchObject({
				errorCode: "hawkbit.server.error.repo.entityNotFound",
			});
		}
	});

	it("answers 400 for a malformed body", async () => {
		const tenant = await givenTenant(env);
		const target = await givenTarget(env, { tenant });
		const res = await call(tenant, `${target.controllerId}/confirmationBase/activateAutoConfirm`, {
			token: target.token,
			body: "{oops",
		});
		expect(res.status).toBe(400);
		expect((await readTarget(env, target.id))?.autoConfirmActive).toBe(false);
	});
});
