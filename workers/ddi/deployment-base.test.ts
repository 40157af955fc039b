import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, expectEmpty, feedback, readAction, readHistory } from "../testing/ddi-client";
import {
	givenAssignedTarget,
	givenAssignment,
	givenDistributionSet,
	givenSoftwareModule,
	givenTarget,
	givenTenant,
	readTarget,
} from "../testing/factories";

type DeploymentBody = {
	id: string;
	deployment: {
		download: string;
		update: string;
		maintenanceWindow?: string;
		chunks: {
			part: string;
			version: string;
			name: string;
			encrypted?: boolean;
			artifacts: {
				filename: string;
				hashes: Record<string, string>;
				size: number;
				_links: Record<string, { href: string }>;
			}[];
			metadata?: { key: string; value: string }[];
		}[];
	};
	actionHistory?: { status: string; messages: string[] };
};

const get = (t: { tenant: string; controllerId: string; token: string }, path: string, init = {}) =>
	call(t.tenant, `${t.controllerId}/${path}`, { token: t.token, ...init });
const post = (
	t: { tenant: string; controllerId: string; token: string },
	path: string,
	body: unknown,
	init = {},
) => call(t.tenant, `${t.controllerId}/${path}`, { token: t.token, body, method: "POST", ...init });

describe("GET /{tenant}/controller/v1/{controllerId}/deploymentBase/{actionId}", () => {
	it("returns the chunks with hashes, integer sizes and download links from Host and X-Forwarded-Proto", async () => {
		const t = await givenAssignedTarget(env);
		const res = await get(t, `deploymentBase/${t.actionId}?c=-1`, {
			headers: { Host: "upd.example.com:8443", "X-Forwarded-Proto": "https" },
		});
		expect(res.status).toBe(200);
		const body = (await res.json()) as DeploymentBody;
		const href = `https://upd.example.com:8443/${t.tenant}/controller/v1/${t.controllerId}/softwaremodules/${t.module.id}/artifacts/image.swu`;
		expect(body).toEqual({
			id: String(t.actionId),
			deployment: {
				download: "forced",
				update: "forced",
				chunks: [
					{
						part: "os",
						version: "1.0.0",
						name: t.module.name,
						artifacts: [
							{
								filename: "image.swu",
								hashes: {
									sha1: t.artifact.sha1,
									md5: t.artifact.md5,
									sha256: t.artifact.sha256,
								},
								size: 4096,
								_links: {
									"download-http": { href },
									"md5sum-http": { href: `${href}.MD5SUM` },
								},
							},
						],
					},
				],
			},
		});
		expect(res.headers.get("ETag")).toMatch(/^"0[0-9a-f]{32}"$/);
	});

	it("renames application → bApp, shows encrypted and only target-visible metadata, form-encodes names", async () => {
		const tenant = await givenTenant(env);
		const target = await givenTarget(env, { tenant });
		const os = await givenSoftwareModule(env, {
			tenant,
			encrypted: true,
			metadata: [
				{ key: "installer", value: "swupdate", targetVisible: true },
				{ key: "secret", value: "internal" },
			],
		});
		const app = await givenSoftwareModule(env, {
			tenant,
			typeKey: "application",
			artifacts: [{ filename: "my app (1).tar", content: "app" }],
		});
		const ds = await givenDistributionSet(env, { tenant, modules: [os.id, app.id] });
		const { actionId } = await givenAssignment(env, {
			tenant,
			dsId: ds.id,
			controllerId: target.controllerId,
		});
		const body = (await (
			await get({ ...target }, `deploymentBase/${actionId}`, {
				origin: "http://10.0.0.1:8080",
			})
		).json()) as DeploymentBody;
		const chunks = [...body.deployment.chunks].sort((a, b) => a.part.localeCompare(b.part));
		expect(chunks.map((c) => c.part)).toEqual(["bApp", "os"]);
		expect(chunks[1]).toMatchObject({
			encrypted: true,
			artifacts: [],
			metadata: [{ key: "installer", value: "swupdate" }],
		});
		expect(chunks[0]?.encrypted).toBeUndefined();
		expect(chunks[0]?.metadata).toBeUndefined();
		expect(chunks[0]?.artifacts[0]?._links["download-http"]?.href).toBe(
			`http://10.0.0.1:8080/${tenant}/controller/v1/${target.controllerId}/softwaremodules/${app.id}/artifacts/my+app+%281%29.tar`,
		);
	});

	it.each([
		["soft", undefined, "attempt", "attempt"],
		["downloadonly", undefined, "forced", "skip"],
		["timeforced", Date.now() + 3_600_000, "attempt", "attempt"],
		["timeforced", Date.now() - 1_000, "forced", "forced"],
	] as const)(
		"maps action type %s (forcetime %s) to %s/%s",
		async (type, forcetime, download, update) => {
			const t = await givenAssignedTarget(env, { assignment: { type, forcetime } });
			const body = (await (await get(t, `deploymentBase/${t.actionId}`)).json()) as DeploymentBody;
			expect(body.deployment).toMatchObject({ download, update });
			expect(body.deployment.maintenanceWindow).toBeUndefined();
		},
	);

	it("reports the maintenance window and skips the update while it is closed", async () => {
		const open = await givenAssignedTarget(env, {
			assignment: {
				maintenanceWindow: { schedule: "* * * ? * *", duration: "00:10:00", timezone: "+00:00" },
			},
		});
		expect(
			((await (await get(open, `deploymentBase/${open.actionId}`)).json()) as DeploymentBody)
				.deployment,
		).toMatchObject({ download: "forced", update: "forced", maintenanceWindow: "available" });
		const closed = await givenAssignedTarget(env, {
			assignment: {
				type: "soft",
				maintenanceWindow: {
					schedule: "0 0 0 1 1 ? 2098",
					duration: "01:00:00",
					timezone: "+01:00",
				},
			},
		});
		expect(
			((await (await get(closed, `deploymentBase/${closed.actionId}`)).json()) as DeploymentBody)
				.deployment,
		).toMatchObject({ download: "attempt", update: "skip", maintenanceWindow: "unavailable" });
	});

	it("cancels an action whose maintenance schedule has lapsed and answers 404", async () => {
		const t = await givenAssignedTarget(env, {
			assignment: {
				maintenanceWindow: {
					schedule: "0 0 0 1 1 ? 2098",
					duration: "01:00:00",
					timezone: "+00:00",
				},
			},
		});
		await env.DB.prepare(
			"UPDATE actions SET maintenance_schedule = '0 0 0 1 1 ? 2020' WHERE id = ?",
		)
			.bind(t.actionId)
			.run();
		const res = await get(t, `deploymentBase/${t.actionId}`);
		expect(res.status).toBe(404);
		await expectEmpty(res);
		expect((await readAction(t.actionId)).status).toBe("CANCELING");
		expect((await readHistory(t.actionId)).at(-1)).toMatchObject({
			status: "CANCELING",
			messages: ["manual cancelation requested"],
		});
	});

	it("adds RETRIEVED once and moves the action to RETRIEVED", async () => {
		const t = await givenAssignedTarget(env);
		expect((await get(t, `deploymentBase/${t.actionId}`)).status).toBe(200);
		expect((await get(t, `deploymentBase/${t.actionId}`)).status).toBe(200);
		const history = await readHistory(t.actionId);
		expect(history.map((h) => h.status)).toEqual(["RUNNING", "RETRIEVED"]);
		expect(history[1]?.messages).toEqual([
			"Update Server: Target retrieved update action and should start now the download.",
		]);
		expect((await readAction(t.actionId)).status).toBe("RETRIEVED");
		// The poll shows a new `c` once the action changed, so ETag-caching devices re-read.
		const poll = (await (await call(t.tenant, t.controllerId, { token: t.token })).json()) as {
			_links: Record<string, { href: string }>;
		};
		expect(poll._links.deploymentBase?.href).toContain(`/deploymentBase/${t.actionId}?c=`);
	});

	it("still returns a finished action's deployment, without marking it RETRIEVED", async () => {
		const t = await givenAssignedTarget(env);
		await post(t, `deploymentBase/${t.actionId}/feedback`, feedback("closed", "success"));
		const res = await get(t, `deploymentBase/${t.actionId}`);
		expect(res.status).toBe(200);
		expect(((await res.json()) as DeploymentBody).id).toBe(String(t.actionId));
		expect(await readAction(t.actionId)).toMatchObject({ status: "FINISHED", active: false });
		expect((await readHistory(t.actionId)).at(-1)?.status).toBe("FINISHED");
	});

	it("returns the device's messages newest first with actionHistory, without server messages", async () => {
		const t = await givenAssignedTarget(env);
		for (const detail of ["Download done", "Write firmware", "Reboot"]) {
			expect(
				(
					await post(
						t,
						`deploymentBase/${t.actionId}/feedback`,
						feedback("proceeding", "none", { details: [detail] }),
					)
				).status,
			).toBe(200);
		}
		const full = (await (
			await get(t, `deploymentBase/${t.actionId}?actionHistory=-1`)
		).json()) as DeploymentBody;
		// The initial assignment message has no "Update Server: " prefix, so hawkBit shows it too.
		expect(full.actionHistory).toEqual({
			status: "RUNNING",
			messages: [
				"Reboot",
				"Write firmware",
				"Download done",
				"Assignment initiated by user 'test'",
			],
		});
		const two = (await (
			await get(t, `deploymentBase/${t.actionId}?actionHistory=2`)
		).json()) as DeploymentBody;
		expect(two.actionHistory).toEqual({
			status: "RETRIEVED",
			messages: ["Reboot", "Write firmware"],
		});
		const none = (await (await get(t, `deploymentBase/${t.actionId}`)).json()) as DeploymentBody;
		expect(none.actionHistory).toBeUndefined();
		expect((await get(t, `deploymentBase/${t.actionId}?actionHistory=x`)).status).toBe(400);
	});

	it("answers 404 with an empty body while the action is canceling or waiting for confirmation", async () => {
		const t = await givenAssignedTarget(env);
		await env.DB.prepare("UPDATE actions SET status = 'CANCELING' WHERE id = ?")
			.bind(t.actionId)
			.run();
		const canceling = await get(t, `deploymentBase/${t.actionId}`);
		expect(canceling.status).toBe(404);
		await expectEmpty(canceling);

		const w = await givenAssignedTarget(env, {
			config: { "user.confirmation.flow.enabled": true },
		});
		expect((await readAction(w.actionId)).status).toBe("WAIT_FOR_CONFIRMATION");
		const waiting = await get(w, `deploymentBase/${w.actionId}`);
		expect(waiting.status).toBe(404);
		await expectEmpty(waiting);
	});

	it("answers 404 error JSON for an unknown action, another target's action and an unknown target", async () => {
		const t = await givenAssignedTarget(env);
		const unknown = await get(t, "deploymentBase/99999999");
		expect(unknown.status).toBe(404);
		expect(await unknown.json()).toMatchObject({
			errorCode: "hawkbit.server.error.repo.entityNotFound",
			exceptionClass: "org.eclipse.hawkbit.repository.exception.EntityNotFoundException",
		});
		const other = await givenAssignedTarget(env, { tenant: t.tenant });
		const foreign = await get(t, `deploymentBase/${other.actionId}`);
		expect(foreign.status).toBe(404);
		expect(await foreign.json()).toMatchObject({
			errorCode: "hawkbit.server.error.repo.entityNotFound",
			message: `Not a valid action (${other.actionId}) for target: ${t.controllerId}`,
		});
		// Nothing was written to the other target's action.
		expect((await readHistory(other.actionId)).map((h) => h.status)).toEqual(["RUNNING"]);
		expect((await get(t, "deploymentBase/not-a-number")).status).toBe(400);
	});

	it("answers 401 with an empty body without, or with a foreign, target token", async () => {
		const t = await givenAssignedTarget(env);
		const anonymous = await call(t.tenant, `${t.controllerId}/deploymentBase/${t.actionId}`);
		expect(anonymous.status).toBe(401);
		await expectEmpty(anonymous);
		const other = await givenAssignedTarget(env);
		const foreign = await call(t.tenant, `${t.controllerId}/deploymentBase/${t.actionId}`, {
			token: other.token,
		});
		expect(foreign.status).toBe(401);
		const otherTenant = await call(other.tenant, `${t.controllerId}/deploymentBase/${t.actionId}`, {
			token: t.token,
		});
		expect(otherTenant.status).toBe(401);
		expect((await readHistory(t.actionId)).map((h) => h.status)).toEqual(["RUNNING"]);
	});
});

describe("POST /{tenant}/controller/v1/{controllerId}/deploymentBase/{actionId}/feedback", () => {
	it.each([
		["proceeding", "none", "RUNNING", "Update Server: Target reported PROCEEDING."],
		["scheduled", "none", "RUNNING", "Update Server: Target reported SCHEDULED."],
		["resumed", "none", "RUNNING", "Update Server: Target reported RESUMED."],
		["download", "none", "DOWNLOAD", "Update Server: Target confirmed download start."],
		["downloaded", "none", "DOWNLOADED", "Update Server: Target confirmed download finished."],
		["canceled", "none", "CANCELED", "Update Server: Target confirmed cancellation.."],
		["rejected", "none", "WARNING", "Update Server: Target REJECTED update."],
	] as const)(
		"stores %s+%s as an informational %s entry",
		async (execution, finished, status, message) => {
			const t = await givenAssignedTarget(env);
			const res = await post(
				t,
				`deploymentBase/${t.actionId}/feedback`,
				feedback(execution, finished),
			);
			expect(res.status).toBe(200);
			await expectEmpty(res);
			expect((await readHistory(t.actionId)).at(-1)).toMatchObject({ status, messages: [message] });
			expect(await readAction(t.actionId)).toMatchObject({ status: "RUNNING", active: true });
		},
	);

	it("closes with success: FINISHED, installed DS, in_sync, attributes requested, 410 afterwards", async () => {
		const t = await givenAssignedTarget(env);
		const at = Date.now() - 5_000;
		const res = await post(
			t,
			`deploymentBase/${t.actionId}/feedback`,
			feedback("closed", "success", { details: ["Update Installed."], timestamp: at }),
		);
		expect(res.status).toBe(200);
		expect(await readAction(t.actionId)).toMatchObject({ status: "FINISHED", active: false });
		expect(await readTarget(env, t.id)).toMatchObject({
			installedDsId: t.dsId,
			assignedDsId: t.dsId,
			installationDate: at,
			updateStatus: "in_sync",
			requestControllerAttributes: true,
		});
		expect((await readHistory(t.actionId)).at(-1)).toMatchObject({
			status: "FINISHED",
			messages: ["Update Installed."],
			timestamp: at,
		});
		const poll = (await (await call(t.tenant, t.controllerId, { token: t.token })).json()) as {
			_links: Record<string, unknown>;
		};
		expect(Object.keys(poll._links).sort()).toEqual(["configData", "installedBase"]);
		const gone = await post(
			t,
			`deploymentBase/${t.actionId}/feedback`,
			feedback("proceeding", "none"),
		);
		expect(gone.status).toBe(410);
		await expectEmpty(gone);
	});

	it("treats closed+none as success and closed+failure as error that clears the assigned DS", async () => {
		const ok = await givenAssignedTarget(env);
		await post(ok, `deploymentBase/${ok.actionId}/feedback`, feedback("closed", "none"));
		expect((await readAction(ok.actionId)).status).toBe("FINISHED");

		const bad = await givenAssignedTarget(env);
		const res = await post(
			bad,
			`deploymentBase/${bad.actionId}/feedback`,
			feedback("closed", "failure", { details: ["No suitable .swu image found"], code: 404 }),
		);
		expect(res.status).toBe(200);
		expect(await readAction(bad.actionId)).toMatchObject({
			status: "ERROR",
			active: false,
			lastActionStatusCode: 404,
		});
		expect(await readTarget(env, bad.id)).toMatchObject({
			updateStatus: "error",
			assignedDsId: null,
		});
		expect((await readHistory(bad.actionId)).at(-1)).toMatchObject({
			status: "ERROR",
			code: 404,
			messages: ["No suitable .swu image found", "Device reported status code: 404"],
		});
	});

	it("closes a download-only action on downloaded, and then answers 410 to the final closed", async () => {
		const t = await givenAssignedTarget(env, { assignment: { type: "downloadonly" } });
		expect(
			(await post(t, `deploymentBase/${t.actionId}/feedback`, feedback("downloaded", "success")))
				.status,
		).toBe(200);
		expect(await readAction(t.actionId)).toMatchObject({ status: "DOWNLOADED", active: false });
		expect(await readTarget(env, t.id)).toMatchObject({
			updateStatus: "in_sync",
			requestControllerAttributes: true,
		});
		expect(
			(await post(t, `deploymentBase/${t.actionId}/feedback`, feedback("closed", "success")))
				.status,
		).toBe(410);
	});

	it("answers 404 with an empty body while the action waits for confirmation", async () => {
		const t = await givenAssignedTarget(env, {
			config: { "user.confirmation.flow.enabled": true },
		});
		const res = await post(
			t,
			`deploymentBase/${t.actionId}/feedback`,
			feedback("closed", "success"),
		);
		expect(res.status).toBe(404);
		await expectEmpty(res);
		expect((await readAction(t.actionId)).status).toBe("WAIT_FOR_CONFIRMATION");
	});

	it("accepts a scalar detail, numeric strings and unknown members like Jackson", async () => {
		const t = await givenAssignedTarget(env);
		const res = await post(t, `deploymentBase/${t.actionId}/feedback`, {
			id: "x",
			time: "20260101T000000",
			timestamp: "1700000000000",
			extra: { nested: true },
			status: {
				execution: "proceeding",
				result: { finished: "none", progress: { cnt: 2, of: 5 }, more: 1 },
				code: "201",
				details: "just one",
				other: [],
			},
		});
		expect(res.status).toBe(200);
		expect((await readHistory(t.actionId)).at(-1)).toEqual({
			status: "RUNNING",
			code: 201,
			timestamp: 1_700_000_000_000,
			messages: ["just one", "Device reported status code: 201"],
		});
		expect((await readAction(t.actionId)).lastActionStatusCode).toBe(201);
	});

	it.each([
		["malformed JSON", "{not json"],
		["no status", { timestamp: 1 }],
		["no execution", { status: { result: { finished: "none" } } }],
		["no result", { status: { execution: "closed" } }],
		["no finished", { status: { execution: "closed", result: {} } }],
		["upper-case enum", { status: { execution: "CLOSED", result: { finished: "success" } } }],
		["unknown execution", { status: { execution: "done", result: { finished: "success" } } }],
		["unknown result", { status: { execution: "closed", result: { finished: "ok" } } }],
		[
			"non-numeric code",
			{ status: { execution: "closed", result: { finished: "none" }, code: "x" } },
		],
	])("answers 400 notReadable for %s and writes nothing", async (_name, body) => {
		const t = await givenAssignedTarget(env);
		const res = await post(t, `deploymentBase/${t.actionId}/feedback`, body);
		expect(res.status).toBe(400);
		expect(await res.json()).toMatchObject({
			errorCode: "hawkbit.server.error.rest.body.notReadable",
		});
		expect((await readHistory(t.actionId)).map((h) => h.status)).toEqual(["RUNNING"]);
		expect((await readAction(t.actionId)).status).toBe("RUNNING");
	});

	it("answers 429 when the action already has 1000 status entries, or with more than 50 messages", async () => {
		const t = await givenAssignedTarget(env);
		await env.DB.prepare(
			`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
			 INSERT INTO action_statuses (tenant, action_id, status, timestamp, messages, created_at, last_modified_at)
			 SELECT ?1, ?2, 'RUNNING', i, '[]', i, i FROM n`,
		)
			.bind(t.tenant, t.actionId)
			.run();
		const full = await post(
			t,
			`deploymentBase/${t.actionId}/feedback`,
			feedback("proceeding", "none"),
		);
		expect(full.status).toBe(429);
		expect(await full.json()).toMatchObject({
			errorCode: "hawkbit.server.error.quota.tooManyEntries",
		});
		// Final results are not intermediate: they still get through.
		expect(
			(await post(t, `deploymentBase/${t.actionId}/feedback`, feedback("closed", "success")))
				.status,
		).toBe(200);

		const chatty = await givenAssignedTarget(env);
		const res = await post(
			chatty,
			`deploymentBase/${chatty.actionId}/feedback`,
			feedback("proceeding", "none", {
				details: Array.from({ length: 51 }, (_, i) => `line ${i}`),
			}),
		);
		expect(res.status).toBe(429);
	});

	it("splits messages longer than 512 characters like hawkBit", async () => {
		const t = await givenAssignedTarget(env);
		await post(
			t,
			`deploymentBase/${t.actionId}/feedback`,
			feedback("proceeding", "none", { details: ["y".repeat(600)] }),
		);
		expect((await readHistory(t.actionId)).at(-1)?.messages.map((m) => m.length)).toEqual([
			512, 88,
		]);
	});

	it("keeps the assigned DS of a newer assignment when the old action still finishes", async () => {
		const t = await givenAssignedTarget(env);
		const sm = await givenSoftwareModule(env, { tenant: t.tenant });
		const ds2 = await givenDistributionSet(env, { tenant: t.tenant, modules: [sm.id] });
		await givenAssignment(env, { tenant: t.tenant, dsId: ds2.id, controllerId: t.controllerId });
		// The old action is canceling, but a closed report still finishes it.
		expect(
			(await post(t, `deploymentBase/${t.actionId}/feedback`, feedback("closed", "success")))
				.status,
		).toBe(200);
		expect((await readAction(t.actionId)).status).toBe("FINISHED");
		expect(await readTarget(env, t.id)).toMatchObject({
			assignedDsId: ds2.id,
			installedDsId: t.dsId,
			updateStatus: "pending",
		});
	});
});
