import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
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
