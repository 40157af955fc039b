import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../shared/db/client";
import { cancelAction } from "../../shared/db/queries/deployments";
import { call, expectEmpty, feedback, readAction, readHistory } from "../testing/ddi-client";
import {
	givenAssignedTarget,
	givenAssignment,
	givenDistributionSet,
	givenSoftwareModule,
	readTarget,
} from "../testing/factories";

type Device = Awaited<ReturnType<typeof givenAssignedTarget>>;

async function givenCanceling(): Promise<Device> {
	const t = await givenAssignedTarget(env);
	await cancelAction(createDb(env.DB), env, {
		tenant: t.tenant,
		actionId: t.actionId,
		user: "ops",
	});
	return t;
}

const cancelFeedback = (t: Device, body: unknown) =>
	call(t.tenant, `${t.controllerId}/cancelAction/${t.actionId}/feedback`, {
		token: t.token,
		body,
	});

describe("GET /{tenant}/controller/v1/{controllerId}/cancelAction/{actionId}", () => {
	it("answers the cancel request with string ids and documents the read once", async () => {
		const t = await givenCanceling();
		const poll = (await (await call(t.tenant, t.controllerId, { token: t.token })).json()) as {
			_links: Record<string, { href: string }>;
		};
		const href = poll._links.cancelAction?.href ?? "";
		expect(href).toBe(
			`https://ddi.test/${t.tenant}/controller/v1/${t.controllerId}/cancelAction/${t.actionId}`,
		);
		const res = await call(t.tenant, `${t.controllerId}/cancelAction/${t.actionId}`, {
			token: t.token,
		});
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({
			id: String(t.actionId),
			cancelAction: { stopId: String(t.actionId) },
		});
		await call(t.tenant, `${t.controllerId}/cancelAction/${t.actionId}`, { token: t.token });
		const history = await readHistory(t.actionId);
		expect(history.map((h) => h.status)).toEqual(["RUNNING", "CANCELING", "RETRIEVED"]);
		expect(history[2]?.messages).toEqual([
			"Update Server: Target retrieved cancel action and should start now the cancellation.",
		]);
		// The action itself stays CANCELING, so the device keeps getting the cancel link.
		expect((await readAction(t.actionId)).status).toBe("CANCELING");
	});

	it("answers 404 with an empty body for an action that is not being canceled", async () => {
		const t = await givenAssignedTarget(env);
		const res = await call(t.tenant, `${t.controllerId}/cancelAction/${t.actionId}`, {
			token: t.token,
		});
		expect(res.status).toBe(404);
		await expectEmpty(res);
		expect((await readHistory(t.actionId)).map((h) => h.status)).toEqual(["RUNNING"]);
	});

	it("answers 404 error JSON for an unknown action", async () => {
		const t = await givenAssignedTarget(env);
		const res = await call(t.tenant, `${t.controllerId}/cancelAction/77777777`, { token: t.token });
		expect(res.status).toBe(404);
		expect(await res.json()).toMatchObject({
			errorCode: "hawkbit.server.error.repo.entityNotFound",
		});
	});
});

describe("POST /{tenant}/controller/v1/{controllerId}/cancelAction/{actionId}/feedback", () => {
	it("closes the action on closed+success (SWUpdate's ack) and falls back to the installed DS", async () => {
		const t = await givenCanceling();
		const res = await cancelFeedback(
			t,
			feedback("closed", "success", { details: ["cancellation acknowledged."] }),
		);
		expect(res.status).toBe(200);
		await expectEmpty(res);
		expect(await readAction(t.actionId)).toMatchObject({ status: "CANCELED", active: false });
		expect((await readHistory(t.actionId)).at(-1)).toMatchObject({
			status: "CANCELED",
			messages: [
				"Update Server: Cancellation confirmed.",
				"cancellation acknowledged.",
				"Update Server: Cancellation completion is finished successfully.",
			],
		});
		expect(await readTarget(env, t.id)).toMatchObject({
			assignedDsId: null,
			updateStatus: "in_sync",
		});
		const poll = (await (await call(t.tenant, t.controllerId, { token: t.token })).json()) as {
			_links?: Record<string, unknown>;
		};
		expect(poll._links?.cancelAction).toBeUndefined();
		expect(poll._links?.deploymentBase).toBeUndefined();
	});

	it("hands over to the newer assignment once the old action's cancellation is confirmed", async () => {
		const t = await givenAssignedTarget(env);
		const sm = await givenSoftwareModule(env, { tenant: t.tenant });
		const ds2 = await givenDistributionSet(env, { tenant: t.tenant, modules: [sm.id] });
		const next = await givenAssignment(env, {
			tenant: t.tenant,
			dsId: ds2.id,
			controllerId: t.controllerId,
		});
		const before = (await (await call(t.tenant, t.controllerId, { token: t.token })).json()) as {
			_links: Record<string, { href: string }>;
		};
		// The old action is canceling and has the lower id: the device must cancel it first.
		expect(before._links.cancelAction?.href).toContain(`/cancelAction/${t.actionId}`);
		expect((await cancelFeedback(t, feedback("closed", "none"))).status).toBe(200);
		expect(await readTarget(env, t.id)).toMatchObject({
			assignedDsId: ds2.id,
			updateStatus: "pending",
		});
		const after = (await (await call(t.tenant, t.controllerId, { token: t.token })).json()) as {
			_links: Record<string, { href: string }>;
		};
		expect(after._links.deploymentBase?.href).toContain(`/deploymentBase/${next.actionId}?c=`);
	});

	it.each([
		["rejected", "success", "CANCEL_REJECTED"],
		["closed", "failure", "ERROR"],
	] as const)("puts the action back to RUNNING on %s+%s", async (execution, finished, status) => {
		const t = await givenCanceling();
		expect((await cancelFeedback(t, feedback(execution, finished))).status).toBe(200);
		expect(await readAction(t.actionId)).toMatchObject({ status: "RUNNING", active: true });
		expect((await readHistory(t.actionId)).at(-1)?.status).toBe(status);
	});

	it("treats canceled as a WARNING and other reports as information", async () => {
		const t = await givenCanceling();
		await cancelFeedback(t, feedback("canceled", "none"));
		await cancelFeedback(t, feedback("proceeding", "none", { code: 3 }));
		const history = await readHistory(t.actionId);
		expect(history.slice(-2)).toMatchObject([
			{
				status: "WARNING",
				messages: [
					"Update Server: Target reported cancel for a cancel which is not supported by the server.",
				],
			},
			{ status: "RUNNING", messages: ["Device reported status code: 3"], code: 3 },
		]);
		expect((await readAction(t.actionId)).status).toBe("CANCELING");
	});

	it("answers 405 action.notCancelable when the action is not being canceled", async () => {
		const t = await givenAssignedTarget(env);
		const res = await cancelFeedback(t, feedback("closed", "success"));
		expect(res.status).toBe(405);
		expect(await res.json()).toMatchObject({
			errorCode: "hawkbit.server.error.action.notCancelable",
			message: "The action is not in canceling state.",
		});
		expect(await readAction(t.actionId)).toMatchObject({ status: "RUNNING", active: true });
	});

	it("answers 400 for a malformed body and 404 for another target's action", async () => {
		const t = await givenCanceling();
		const bad = await cancelFeedback(t, { status: { execution: "closed" } });
		expect(bad.status).toBe(400);
		const other = await givenCanceling();
		const res = await call(t.tenant, `${t.controllerId}/cancelAction/${other.actionId}/feedback`, {
			token: t.token,
			body: feedback("closed", "success"),
		});
		expect(res.status).toBe(404);
		expect((await readAction(other.actionId)).status).toBe("CANCELING");
	});
});
