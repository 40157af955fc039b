import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, expectEmpty, feedback, readAction, readHistory } from "../testing/ddi-client";
import {
	givenAssignedTarget,
	givenDistributionSet,
	givenSoftwareModule,
	givenTarget,
	givenTenant,
	readTarget,
} from "../testing/factories";

describe("GET /{tenant}/controller/v1/{controllerId}/installedBase/{actionId}", () => {
	it("returns the finished action like deploymentBase, without writing a status entry", async () => {
		const t = await givenAssignedTarget(env);
		await call(t.tenant, `${t.controllerId}/deploymentBase/${t.actionId}/feedback`, {
			token: t.token,
			body: feedback("closed", "success", { details: ["Update Installed."] }),
		});
		const poll = (await (await call(t.tenant, t.controllerId, { token: t.token })).json()) as {
			_links: Record<string, { href: string }>;
		};
		expect(poll._links.installedBase?.href).toBe(
			`https://ddi.test/${t.tenant}/controller/v1/${t.controllerId}/installedBase/${t.actionId}`,
		);
		const before = (await readHistory(t.actionId)).length;
		const res = await call(
			t.tenant,
			`${t.controllerId}/installedBase/${t.actionId}?actionHistory=5`,
			{
				token: t.token,
			},
		);
		expect(res.status).toBe(200);
		const body = (await res.json()) as {
			id: string;
			deployment: { download: string; update: string; chunks: { part: string }[] };
			actionHistory: { status: string; messages: string[] };
		};
		expect(body.id).toBe(String(t.actionId));
		expect(body.deployment).toMatchObject({ download: "forced", update: "forced" });
		expect(body.deployment.chunks.map((c) => c.part)).toEqual(["os"]);
		expect(body.actionHistory).toEqual({
			status: "FINISHED",
			messages: ["Update Installed.", "Assignment initiated by user 'test'"],
		});
		expect(await readHistory(t.actionId)).toHaveLength(before);
		expect((await readAction(t.actionId)).status).toBe("FINISHED");
	});

	it("answers 404 with an empty body for active and canceled actions", async () => {
		const t = await givenAssignedTarget(env);
		const active = await call(t.tenant, `${t.controllerId}/installedBase/${t.actionId}`, {
			token: t.token,
		});
		expect(active.status).toBe(404);
		await expectEmpty(active);
		await env.DB.prepare("UPDATE actions SET status = 'CANCELED', active = 0 WHERE id = ?")
			.bind(t.actionId)
			.run();
		expect(
			(await call(t.tenant, `${t.controllerId}/installedBase/${t.actionId}`, { token: t.token }))
				.status,
		).toBe(404);
	});
});

describe("PUT /{tenant}/controller/v1/{controllerId}/installedBase", () => {
	it("records an offline installation: 201 with a closed FINISHED action, then 200 for the same version", async () => {
		const tenant = await givenTenant(env);
		const target = await givenTarget(env, { tenant });
		const sm = await givenSoftwareModule(env, { tenant });
		const ds = await givenDistributionSet(env, { tenant, modules: [sm.id], version: "2.1" });
		const put = () =>
			call(tenant, `${target.controllerId}/installedBase`, {
				token: target.token,
				method: "PUT",
				body: { name: ds.name, version: "2.1", extra: "ignored" },
			});
		const created = await put();
		expect(created.status).toBe(201);
		await expectEmpty(created);
		expect(await readTarget(env, target.id)).toMatchObject({
			installedDsId: ds.id,
			assignedDsId: ds.id,
			updateStatus: "in_sync",
		});
		const poll = (await (
			await call(tenant, target.controllerId, { token: target.token })
		).json()) as {
			_links: Record<string, { href: string }>;
		};
		const actionId = Number(poll._links.installedBase?.href.split("/").at(-1));
		expect(await readAction(actionId)).toMatchObject({
			status: "FINISHED",
			active: false,
			initiatedBy: target.controllerId,
		});
		expect(await readHistory(actionId)).toMatchObject([
			{
				status: "FINISHED",
				messages: [
					`Assignment initiated by user '${target.controllerId}'`,
					"Update Server: Action reported as offline deployment",
				],
			},
		]);
		const again = await put();
		expect(again.status).toBe(200);
	});

	it("answers 404 for an unknown distribution set and 400 for a body without version", async () => {
		const tenant = await givenTenant(env);
		const target = await givenTarget(env, { tenant });
		const unknown = await call(tenant, `${target.controllerId}/installedBase`, {
			token: target.token,
			method: "PUT",
			body: { name: "nope", version: "1" },
		});
		expect(unknown.status).toBe(404);
		expect(await unknown.json()).toMatchObject({
			errorCode: "hawkbit.server.error.repo.entityNotFound",
		});
		const bad = await call(tenant, `${target.controllerId}/installedBase`, {
			token: target.token,
			method: "PUT",
			body: { name: "nope" },
		});
		expect(bad.status).toBe(400);
		expect(await bad.json()).toMatchObject({
			errorCode: "hawkbit.server.error.rest.body.notReadable",
		});
	});
});
