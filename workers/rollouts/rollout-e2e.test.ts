/**
 * End to end: an operator creates and starts a rollout through the management API, simulated devices
 * poll, fetch and report through the real device API (`/{tenant}/controller/v1/…`), and the rollout
 * cascades group by group — or halts at the error threshold without starting another group.
 * Only the coordinator's alarms are driven by hand (runDurableObjectAlarm), never by sleeping.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { uniqueName } from "../testing/factories";
import { givenUser } from "../testing/principals";
import { drive, givenRolloutTenant, givenTargets } from "./test-fixtures";

type Device = { controllerId: string; token: string };
type Outcome = "success" | "failure";

/** One simulated device: poll; when there is a deployment, read it and report the outcome. */
async function deviceRound(
	tenant: string,
	device: Device,
	outcome: (d: Device) => Outcome,
): Promise<"idle" | Outcome> {
	const headers = { Authorization: `TargetToken ${device.token}`, Accept: "application/json" };
	const poll = await exports.default.fetch(
		`https://ddi.test/${tenant}/controller/v1/${device.controllerId}`,
		{ headers },
	);
	expect(poll.status).toBe(200);
	const body = (await poll.json()) as { _links?: Record<string, { href: string }> };
	const href = body._links?.deploymentBase?.href;
	if (!href) {
		return "idle";
	}
	const deployment = await exports.default.fetch(href, { headers });
	expect(deployment.status).toBe(200);
	const { id } = (await deployment.json()) as { id: string };
	const result = outcome(device);
	const fb = await exports.default.fetch(
		`https://ddi.test/${tenant}/controller/v1/${device.controllerId}/deploymentBase/${id}/feedback`,
		{
			method: "POST",
			headers: { ...headers, "Content-Type": "application/json" },
			body: JSON.stringify({ status: { execution: "closed", result: { finished: result } } }),
		},
	);
	expect(fb.status).toBe(200);
	return result;
}

async function mgmt(auth: string, method: string, path: string, body?: unknown) {
	return exports.default.fetch(`https://mgmt.test/rest/v1${path}`, {
		method,
		headers: {
			Authorization: auth,
			...(body === undefined ? {} : { "Content-Type": "application/json" }),
		},
		body: body === undefined ? undefined : JSON.stringify(body),
	});
}

type Group = { id: number; name: string; status: string; totalTargets: number };
type Rollout = { status: string; totalTargetsPerStatus: Record<string, number> };

async function fleet(count: number, rollout: Record<string, unknown>) {
	const { tenant, dsId } = await givenRolloutTenant(env);
	const operator = await givenUser(env, {
		tenant,
		authorities: ["ROLE_ROLLOUT_ADMIN", "READ_TARGET", "READ_DISTRIBUTION_SET"],
	});
	const { prefix } = await givenTargets(env, { tenant, count });
	const created = await mgmt(operator.auth, "POST", "/rollouts", {
		name: uniqueName("wave"),
		distributionSetId: dsId,
		targetFilterQuery: `controllerId==${prefix}-*`,
		...rollout,
	});
	expect(created.status).toBe(201);
	const { id } = (await created.json()) as { id: number };
	await drive(env, tenant, id);
	expect((await mgmt(operator.auth, "POST", `/rollouts/${id}/start`)).status).toBe(204);
	await drive(env, tenant, id);
	const groups = (
		(await (await mgmt(operator.auth, "GET", `/rollouts/${id}/deploygroups`)).json()) as {
			content: Group[];
		}
	).content;
	const members = new Map<number, Device[]>();
	for (const g of groups) {
		const page = (await (
			await mgmt(operator.auth, "GET", `/rollouts/${id}/deploygroups/${g.id}/targets?limit=500`)
		).json()) as { content: { controllerId: string }[] };
		members.set(
			g.id,
			page.content.map((t) => ({ controllerId: t.controllerId, token: `tok-${t.controllerId}` })),
		);
	}
	const read = async () => ({
		rollout: (await (await mgmt(operator.auth, "GET", `/rollouts/${id}`)).json()) as Rollout,
		groups: (
			(await (await mgmt(operator.auth, "GET", `/rollouts/${id}/deploygroups`)).json()) as {
				content: Group[];
			}
		).content,
	});
	return { tenant, id, operator, groups, members, read };
}

describe("rollout driven by devices through the DDI API", () => {
	it("cascades through every group until the rollout is finished", async () => {
		const f = await fleet(30, { amountGroups: 3 });
		const devices = f.groups.flatMap((g) => f.members.get(g.id) ?? []);
		expect(devices).toHaveLength(30);
		const startedOrder: string[] = [];
		/** Order in which devices reported their (successful) deployment. */
		const reports: string[] = [];
		for (let round = 1; round <= 10; round++) {
			for (const d of devices) {
				if ((await deviceRound(f.tenant, d, () => "success")) !== "idle") {
					reports.push(d.controllerId);
				}
			}
			await drive(env, f.tenant, f.id);
			const state = await f.read();
			for (const g of state.groups) {
				if (g.status !== "scheduled" && !startedOrder.includes(g.name)) {
					startedOrder.push(g.name);
				}
			}
			if (state.rollout.status === "finished") {
				break;
			}
		}
		const end = await f.read();
		expect(end.rollout.status).toBe("finished");
		expect(end.rollout.totalTargetsPerStatus).toEqual({
			scheduled: 0,
			running: 0,
			error: 0,
			finished: 30,
			cancelled: 0,
			notstarted: 0,
		});
		expect(end.groups.map((g) => g.status)).toEqual(["finished", "finished", "finished"]);
		expect(startedOrder).toEqual(["group-1", "group-2", "group-3"]);
		// Every device deployed once, and no device of group k got its deployment before half of
		// group k-1 had succeeded (the success threshold): the next group starts right then, even in
		// the middle of a polling round.
		expect(new Set(reports).size).toBe(30);
		expect(reports).toHaveLength(30);
		const groupOf = new Map(
			f.groups.flatMap((g, i) =>
				(f.members.get(g.id) ?? []).map((d) => [d.controllerId, i] as const),
			),
		);
		for (let k = 1; k < f.groups.length; k++) {
			const firstOfK = reports.findIndex((c) => groupOf.get(c) === k);
			const previousBefore = reports.slice(0, firstOfK).filter((c) => groupOf.get(c) === k - 1);
			expect(previousBefore.length, `group-${k + 1}`).toBeGreaterThanOrEqual(5);
		}
		const inSync = await env.DB.prepare(
			"SELECT count(*) AS n FROM targets WHERE tenant = ?1 AND update_status = 'in_sync'",
		)
			.bind(f.tenant)
			.first<{ n: number }>();
		expect(inSync?.n).toBe(30);
	});

	it("halts at the error threshold with zero overshoot while running actions continue", async () => {
		const f = await fleet(30, {
			amountGroups: 3,
			errorCondition: { condition: "THRESHOLD", expression: "20" },
		});
		const [g1, g2, g3] = f.groups;
		const first = f.members.get(g1?.id ?? 0) ?? [];
		const later = [...(f.members.get(g2?.id ?? 0) ?? []), ...(f.members.get(g3?.id ?? 0) ?? [])];
		const failing = new Set(first.slice(0, 3).map((d) => d.controllerId));

		// The three failures come first; the third (30 % > 20 %) pauses the rollout at once.
		for (const d of first.slice(0, 2)) {
			expect(await deviceRound(f.tenant, d, () => "failure")).toBe("failure");
		}
		expect((await f.read()).rollout.status).toBe("running");
		expect(await deviceRound(f.tenant, first[2] as Device, () => "failure")).toBe("failure");
		const halted = await f.read();
		expect(halted.rollout.status).toBe("paused");
		expect(halted.groups.map((g) => g.status)).toEqual(["error", "scheduled", "scheduled"]);

		// The rest of group 1 keeps going and succeeds — 70 % would pass the success threshold,
		// but a paused rollout starts nothing.
		for (let round = 0; round < 3; round++) {
			for (const d of [...first, ...later]) {
				const r = await deviceRound(f.tenant, d, (x) =>
					failing.has(x.controllerId) ? "failure" : "success",
				);
				if (later.includes(d)) {
					expect(r, `${d.controllerId} must not get a deployment`).toBe("idle");
				}
			}
			await drive(env, f.tenant, f.id);
		}
		const end = await f.read();
		expect(end.rollout.status).toBe("paused");
		expect(end.groups.map((g) => g.status)).toEqual(["error", "scheduled", "scheduled"]);
		expect(end.rollout.totalTargetsPerStatus).toEqual({
			scheduled: 20,
			running: 0,
			error: 3,
			finished: 7,
			cancelled: 0,
			notstarted: 0,
		});
		const overshoot = await env.DB.prepare(
			"SELECT count(*) AS n FROM actions WHERE rollout_id = ?1 AND rollout_group_id <> ?2 AND status <> 'SCHEDULED'",
		)
			.bind(f.id, g1?.id ?? 0)
			.first<{ n: number }>();
		expect(overshoot?.n).toBe(0);
		const detail = (await (await mgmt(f.operator.auth, "GET", `/rollouts/${f.id}`)).json()) as {
			pauseReason?: string;
		};
		expect(detail.pauseReason).toContain("group-1");

		// hawkBit resumes a rollout whose last started group errored by starting the next group.
		expect((await mgmt(f.operator.auth, "POST", `/rollouts/${f.id}/resume`)).status).toBe(204);
		await drive(env, f.tenant, f.id);
		const resumed = await f.read();
		expect(resumed.groups.map((g) => g.status)).toEqual(["error", "running", "scheduled"]);
		expect(await deviceRound(f.tenant, later[0] as Device, () => "success")).toBe("success");
	});
});
