import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { uniqueName } from "../testing/factories";
import {
	closeActions,
	coordinatorOf,
	drive,
	givenRollout,
	givenRolloutTenant,
	givenTargets,
	groupActionCounts,
	readRollout,
} from "./test-fixtures";

async function runningRollout(
	targets: number,
	groups: number,
	extra: Record<string, unknown> = {},
) {
	const { tenant, dsId } = await givenRolloutTenant(env);
	const { prefix } = await givenTargets(env, { tenant, count: targets });
	const rolloutId = await givenRollout(env, {
		tenant,
		dsId,
		targetFilterQuery: `controllerId==${prefix}-*`,
		amountGroups: groups,
		...extra,
	});
	await drive(env, tenant, rolloutId);
	const { ref, stub } = coordinatorOf(env, tenant, rolloutId);
	expect((await stub.start(ref, "tester")).ok).toBe(true);
	await drive(env, tenant, rolloutId);
	return { tenant, dsId, rolloutId, ref, stub, prefix };
}

describe("RolloutCoordinator: creation and start", () => {
	it("fills the groups in chunks, goes READY, and on start runs the first group only", async () => {
		const { tenant, dsId } = await givenRolloutTenant(env);
		const { prefix } = await givenTargets(env, { tenant, count: 20 });
		const rolloutId = await givenRollout(env, {
			tenant,
			dsId,
			targetFilterQuery: `controllerId==${prefix}-*`,
			amountGroups: 4,
		});
		expect((await readRollout(env, rolloutId)).status).toBe("creating");
		await drive(env, tenant, rolloutId);
		const ready = await readRollout(env, rolloutId);
		expect(ready.status).toBe("ready");
		expect(ready.totalTargets).toBe(20);
		expect(ready.groups.map((g) => [g.name, g.status, g.totalTargets])).toEqual([
			["group-1", "ready", 5],
			["group-2", "ready", 5],
			["group-3", "ready", 5],
			["group-4", "ready", 5],
		]);

		const { ref, stub } = coordinatorOf(env, tenant, rolloutId);
		expect(await stub.start(ref, "tester")).toEqual({ ok: true });
		expect((await readRollout(env, rolloutId)).status).toBe("starting");
		await drive(env, tenant, rolloutId);
		const running = await readRollout(env, rolloutId);
		expect(running.status).toBe("running");
		expect(running.groups.map((g) => g.status)).toEqual([
			"running",
			"scheduled",
			"scheduled",
			"scheduled",
		]);
		const [g1, g2] = running.groups;
		expect(await groupActionCounts(env, g1?.id ?? 0)).toEqual({ RUNNING: 5 });
		expect(await groupActionCounts(env, g2?.id ?? 0)).toEqual({ SCHEDULED: 5 });
		const assigned = await env.DB.prepare(
			"SELECT count(*) AS n FROM targets WHERE assigned_ds_id = ?1 AND update_status = 'pending'",
		)
			.bind(dsId)
			.first<{ n: number }>();
		expect(assigned?.n).toBe(5);
	});

	it("answers a second start with hawkBit's illegal-state error", async () => {
		const { ref, stub } = await runningRollout(4, 2);
		expect(await stub.start(ref, "tester")).toEqual({
			ok: false,
			code: "rollout.illegalState",
			message: "Rollout can only be started in state ready but current state is running",
		});
	});
});

describe("RolloutCoordinator: cascade and emergency halt", () => {
	it("starts the next group as soon as the success threshold holds", async () => {
		const { tenant, rolloutId } = await runningRollout(20, 4);
		const [g1, g2] = (await readRollout(env, rolloutId)).groups;
		await closeActions(env, { tenant, groupId: g1?.id ?? 0, count: 2, status: "FINISHED" });
		expect((await readRollout(env, rolloutId)).groups[1]?.status).toBe("scheduled");
		await closeActions(env, { tenant, groupId: g1?.id ?? 0, count: 1, status: "FINISHED" });
		// The decision is in D1 when the notification returns; the activation follows in an alarm.
		expect((await readRollout(env, rolloutId)).groups[1]?.status).toBe("running");
		await drive(env, tenant, rolloutId);
		expect(await groupActionCounts(env, g2?.id ?? 0)).toEqual({ RUNNING: 5 });
	});

	it("pauses at the error threshold and starts nothing more", async () => {
		const { tenant, rolloutId } = await runningRollout(20, 4);
		const [g1] = (await readRollout(env, rolloutId)).groups;
		await closeActions(env, { tenant, groupId: g1?.id ?? 0, count: 2, status: "ERROR" });
		expect((await readRollout(env, rolloutId)).status).toBe("running");
		await closeActions(env, { tenant, groupId: g1?.id ?? 0, count: 1, status: "ERROR" });
		const state = await readRollout(env, rolloutId);
		expect(state.status).toBe("paused");
		expect(state.pauseReason).toContain("group-1");
		expect(state.groups.map((g) => g.status)).toEqual([
			"error",
			"scheduled",
			"scheduled",
			"scheduled",
		]);
		await closeActions(env, { tenant, groupId: g1?.id ?? 0, count: 2, status: "FINISHED" });
		await drive(env, tenant, rolloutId);
		expect((await readRollout(env, rolloutId)).groups.map((g) => g.status)).toEqual([
			"error",
			"scheduled",
			"scheduled",
			"scheduled",
		]);
	});

	it("counts a repeated notification once", async () => {
		const { tenant, rolloutId, ref, stub } = await runningRollout(10, 2);
		const [g1] = (await readRollout(env, rolloutId)).groups;
		const [id] = await closeActions(env, {
			tenant,
			groupId: g1?.id ?? 0,
			count: 1,
			status: "FINISHED",
		});
		const again = await stub.actionFinished(ref, {
			actionId: id ?? 0,
			groupId: g1?.id ?? 0,
			status: "FINISHED",
		});
		expect(again).toEqual({ counted: false });
		expect((await stub.inspect()).counts[g1?.id ?? 0]).toEqual({ FINISHED: 1 });
	});
});

describe("RolloutCoordinator: scheduling, confirmation, dynamic groups, overlapping rollouts", () => {
	it("starts a rollout on its own once startAt has come, and not earlier", async () => {
		const { tenant, dsId } = await givenRolloutTenant(env);
		const { prefix } = await givenTargets(env, { tenant, count: 4 });
		const later = Date.now() + 3_600_000;
		const scheduled = await givenRollout(env, {
			tenant,
			dsId,
			targetFilterQuery: `controllerId==${prefix}-*`,
			startAt: later,
		});
		await drive(env, tenant, scheduled);
		const { stub } = coordinatorOf(env, tenant, scheduled);
		expect((await readRollout(env, scheduled)).status).toBe("ready");
		expect((await stub.inspect()).alarm).toBe(later);
		// An early alarm changes nothing and re-arms for startAt.
		await runDurableObjectAlarm(stub);
		expect((await readRollout(env, scheduled)).status).toBe("ready");
		expect((await stub.inspect()).alarm).toBe(later);

		const due = await givenRollout(env, {
			tenant,
			dsId,
			targetFilterQuery: `controllerId==${prefix}-*`,
			startAt: Date.now() - 1,
		});
		await drive(env, tenant, due);
		const state = await readRollout(env, due);
		expect(state.status).toBe("running");
		expect(await groupActionCounts(env, state.groups[0]?.id ?? 0)).toEqual({ RUNNING: 4 });
	});

	it("starts actions waiting for confirmation when the flow is on, except for auto-confirmed targets", async () => {
		const { tenant, dsId } = await givenRolloutTenant(env, {
			"user.confirmation.flow.enabled": true,
		});
		const { prefix, ids } = await givenTargets(env, { tenant, count: 3 });
		await env.DB.prepare(
			"UPDATE targets SET auto_confirm_active = 1, auto_confirm_initiator = 'ops', auto_confirm_remark = 'night shift' WHERE id = ?1",
		)
			.bind(ids[0])
			.run();
		const rolloutId = await givenRollout(env, {
			tenant,
			dsId,
			targetFilterQuery: `controllerId==${prefix}-*`,
		});
		await drive(env, tenant, rolloutId);
		const { ref, stub } = coordinatorOf(env, tenant, rolloutId);
		await stub.start(ref, "tester");
		await drive(env, tenant, rolloutId);
		const [g1] = (await readRollout(env, rolloutId)).groups;
		expect(await groupActionCounts(env, g1?.id ?? 0)).toEqual({
			RUNNING: 1,
			WAIT_FOR_CONFIRMATION: 2,
		});
		const auto = await env.DB.prepare(
			`SELECT s.status, s.messages FROM action_statuses s JOIN actions a ON a.id = s.action_id
			 WHERE a.target_id = ?1 AND a.rollout_id = ?2`,
		)
			.bind(ids[0], rolloutId)
			.first<{ status: string; messages: string }>();
		expect(auto?.status).toBe("WAIT_FOR_CONFIRMATION");
		expect(JSON.parse(auto?.messages ?? "[]")).toEqual([
			expect.stringMatching(/^Initiated by Rollout Group 'group-1' \[Rollout .+:\d+\]$/),
			"Assignment automatically confirmed by initiator 'ops'. \n\nAuto confirmation activated by system user: 'n/a' \n\nRemark: night shift",
		]);
	});

	it("lets targets registered later join the dynamic group, then opens the next dynamic group", async () => {
		const { tenant, dsId } = await givenRolloutTenant(env);
		const { prefix } = await givenTargets(env, { tenant, count: 2, prefix: uniqueName("dyn") });
		const rolloutId = await givenRollout(env, {
			tenant,
			dsId,
			targetFilterQuery: `controllerId==${prefix}-*`,
			amountGroups: 1,
			dynamic: true,
			dynamicGroupTemplate: { nameSuffix: "-dynamic", targetCount: 3 },
		});
		await drive(env, tenant, rolloutId);
		const ready = await readRollout(env, rolloutId);
		expect(ready.groups.map((g) => [g.name, g.status, g.totalTargets])).toEqual([
			["group-1", "ready", 2],
			["group-2-dynamic", "ready", 0],
		]);
		const { ref, stub } = coordinatorOf(env, tenant, rolloutId);
		await stub.start(ref, "tester");
		await drive(env, tenant, rolloutId);

		// Four devices register after the rollout was created; the filter matches them.
		await givenTargets(env, { tenant, count: 4, prefix: `${prefix}-late`, createdAt: Date.now() });
		await stub.topUpDynamic(ref);
		await drive(env, tenant, rolloutId);
		await stub.topUpDynamic(ref);
		await drive(env, tenant, rolloutId);
		await stub.topUpDynamic(ref);
		await drive(env, tenant, rolloutId);
		const grown = await readRollout(env, rolloutId);
		expect(grown.groups.map((g) => [g.name, g.totalTargets])).toEqual([
			["group-1", 2],
			["group-2-dynamic", 3],
			["group-3-dynamic", 1],
		]);
		expect(grown.totalTargets).toBe(6);
		expect(await groupActionCounts(env, grown.groups[1]?.id ?? 0)).toEqual({ SCHEDULED: 3 });

		// Group 1 succeeds: the dynamic group starts with the devices that joined it.
		await closeActions(env, {
			tenant,
			groupId: grown.groups[0]?.id ?? 0,
			count: 1,
			status: "FINISHED",
		});
		await drive(env, tenant, rolloutId);
		expect(await groupActionCounts(env, grown.groups[1]?.id ?? 0)).toEqual({ RUNNING: 3 });
	});

	it("follows hawkBit when two rollouts address the same targets", async () => {
		const { tenant, dsId } = await givenRolloutTenant(env);
		const { prefix } = await givenTargets(env, { tenant, count: 4 });
		const filter = `controllerId==${prefix}-*`;
		const older = await givenRollout(env, {
			tenant,
			dsId,
			targetFilterQuery: filter,
			amountGroups: 2,
		});
		await drive(env, tenant, older);
		const a = coordinatorOf(env, tenant, older);
		await a.stub.start(a.ref, "tester");
		await drive(env, tenant, older);
		const [a1, a2] = (await readRollout(env, older)).groups;

		const { givenDistributionSet, givenSoftwareModule } = await import("../testing/factories");
		const sm = await givenSoftwareModule(env, { tenant, typeKey: "os" });
		const ds2 = await givenDistributionSet(env, { tenant, modules: [sm.id] });
		const newer = await givenRollout(env, {
			tenant,
			dsId: ds2.id,
			targetFilterQuery: filter,
			amountGroups: 1,
		});
		await drive(env, tenant, newer);
		const b = coordinatorOf(env, tenant, newer);
		await b.stub.start(b.ref, "tester");
		await drive(env, tenant, newer);

		// The newer rollout's schedule replaced the older one's SCHEDULED actions, and starting its
		// group canceled the older rollout's running actions (the devices must confirm).
		expect(await groupActionCounts(env, a2?.id ?? 0)).toEqual({ CANCELED: 2 });
		expect(await groupActionCounts(env, a1?.id ?? 0)).toEqual({ CANCELING: 2 });
		const [b1] = (await readRollout(env, newer)).groups;
		expect(await groupActionCounts(env, b1?.id ?? 0)).toEqual({ RUNNING: 4 });
		const assigned = await env.DB.prepare(
			"SELECT count(*) AS n FROM targets WHERE tenant = ?1 AND assigned_ds_id = ?2",
		)
			.bind(tenant, ds2.id)
			.first<{ n: number }>();
		expect(assigned?.n).toBe(4);
		// The devices acknowledge the cancellation: the older rollout's first group is complete (all
		// actions terminal), its second group has nothing left to run, and the older rollout finishes.
		await closeActions(env, { tenant, groupId: a1?.id ?? 0, count: 2, status: "CANCELED" });
		await drive(env, tenant, older);
		const end = await readRollout(env, older);
		expect(end.status).toBe("finished");
		expect(end.groups.map((g) => g.status)).toEqual(["finished", "finished"]);
		expect((await a.stub.inspect()).counts).toEqual({
			[a1?.id ?? 0]: { CANCELED: 2 },
			[a2?.id ?? 0]: { CANCELED: 2 },
		});
	});
});
