import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
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

async function readyRollout(targets: number, groups: number, extra: Record<string, unknown> = {}) {
	const { tenant, dsId } = await givenRolloutTenant(env);
	const { prefix } = await givenTargets(env, { tenant, count: targets });
	const rolloutId = await givenRollout(env, {
		tenant,
		dsId,
		targetFilterQuery: `controllerId==${prefix}-*`,
		amountGroups: groups,
		...extra,
	});
	const { ref, stub } = coordinatorOf(env, tenant, rolloutId);
	return { tenant, rolloutId, ref, stub };
}

async function runningRollout(
	targets: number,
	groups: number,
	extra: Record<string, unknown> = {},
) {
	const r = await readyRollout(targets, groups, extra);
	await drive(env, r.tenant, r.rolloutId);
	expect((await r.stub.start(r.ref, "tester")).ok).toBe(true);
	await drive(env, r.tenant, r.rolloutId);
	return r;
}

/** Closes actions in D1 without telling the coordinator; returns their ids. */
async function closeSilently(groupId: number, count: number, status: "FINISHED" | "ERROR") {
	const rows = await env.DB.prepare(
		`UPDATE actions SET status = ?2, active = 0 WHERE id IN (
		   SELECT id FROM actions WHERE rollout_group_id = ?1 AND active = 1 ORDER BY id LIMIT ?3)
		 RETURNING id`,
	)
		.bind(groupId, status, count)
		.all<{ id: number }>();
	return rows.results.map((r) => r.id);
}

/** Deterministic shuffle (seeded), so a failing order can be replayed. */
function shuffle<T>(items: T[], seed: number): T[] {
	const out = [...items];
	let s = seed;
	for (let i = out.length - 1; i > 0; i--) {
		s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
		const j = s % (i + 1);
		[out[i], out[j]] = [out[j] as T, out[i] as T];
	}
	return out;
}

describe("RolloutCoordinator under concurrency", () => {
	it("counts 1,000 simultaneous device outcomes exactly once, each delivered twice", async () => {
		const { rolloutId, ref, stub } = await runningRollout(2000, 2, {
			successCondition: { condition: "THRESHOLD", expression: "100" },
		});
		const [g1, g2] = (await readRollout(env, rolloutId)).groups;
		const groupId = g1?.id ?? 0;
		const ids = await closeSilently(groupId, 1000, "FINISHED");
		expect(ids).toHaveLength(1000);
		const results = await Promise.all(
			[...ids, ...ids].map((actionId) =>
				stub.actionFinished(ref, { actionId, groupId, status: "FINISHED" }),
			),
		);
		expect(results.filter((r) => r.counted)).toHaveLength(1000);
		expect((await stub.inspect()).counts[groupId]).toEqual({ FINISHED: 1000 });
		// 100 % reached only with every single outcome counted: the next group started once.
		const state = await readRollout(env, rolloutId);
		expect(state.groups.map((g) => g.status)).toEqual(["finished", "running"]);
		await drive(env, (await stub.inspect()).ref?.tenant ?? "", rolloutId);
		expect(await groupActionCounts(env, g2?.id ?? 0)).toEqual({ RUNNING: 1000 });
		expect((await stub.inspect()).counts[groupId]).toEqual({ FINISHED: 1000 });
	});

	it("ends in one consistent state when pause and resume race a cascade", async () => {
		for (const seed of [1, 2, 3, 4, 5, 6]) {
			const { tenant, rolloutId, ref, stub } = await runningRollout(40, 4);
			const [g1, g2] = (await readRollout(env, rolloutId)).groups;
			const groupId = g1?.id ?? 0;
			const ids = await closeSilently(groupId, 5, "FINISHED");
			const calls: (() => Promise<unknown>)[] = [
				...ids.map(
					(actionId) => () => stub.actionFinished(ref, { actionId, groupId, status: "FINISHED" }),
				),
				() => stub.pause(ref, "racer"),
				() => stub.resume(ref, "racer"),
				() => stub.pause(ref, "racer"),
				() => runDurableObjectAlarm(stub),
			];
			await Promise.all(shuffle(calls, seed).map((call) => call()));
			await stub.settle();
			await drive(env, tenant, rolloutId);

			const state = await readRollout(env, rolloutId);
			const [s1, s2, s3, s4] = state.groups.map((g) => g.status);
			const label = { seed, state };
			expect(["running", "paused"], JSON.stringify(label)).toContain(state.status);
			expect([s1, s3, s4], JSON.stringify(label)).toEqual(["running", "scheduled", "scheduled"]);
			expect(state.pauseReason === null, JSON.stringify(label)).toBe(state.status === "running");
			// Success held before the end: a running rollout must have started group 2.
			if (state.status === "running") {
				expect(s2, JSON.stringify(label)).toBe("running");
			}
			// A started group is started completely, an unstarted one not at all.
			expect(await groupActionCounts(env, g2?.id ?? 0), JSON.stringify(label)).toEqual(
				s2 === "running" ? { RUNNING: 10 } : { SCHEDULED: 10 },
			);
			expect((await stub.inspect()).counts[groupId]).toEqual({ FINISHED: 5 });
			if (state.status === "paused") {
				expect((await stub.resume(ref, "tester")).ok).toBe(true);
				await drive(env, tenant, rolloutId);
			}
			expect((await readRollout(env, rolloutId)).groups[1]?.status).toBe("running");
			expect(await groupActionCounts(env, g2?.id ?? 0)).toEqual({ RUNNING: 10 });
		}
	});

	it("loses and duplicates nothing when evicted between every alarm of a cascade", async () => {
		const { tenant, rolloutId, ref, stub } = await readyRollout(60, 3);
		// One chunk of 6 targets per alarm, so every phase spans several alarms.
		await stub.tune(ref, { chunk: 6, queries: 1 });
		const evictingDrive = async () => {
			for (let i = 0; i < 200; i++) {
				await stub.settle();
				if (!(await stub.inspect()).workPending) {
					return;
				}
				await runDurableObjectAlarm(stub);
				await stub.inspect(); // make sure it is running, then throw its memory away
				await evictDurableObject(stub);
			}
			throw new Error("coordinator never settled");
		};

		await evictingDrive();
		const ready = await readRollout(env, rolloutId);
		expect(ready.status).toBe("ready");
		expect(ready.groups.map((g) => g.totalTargets)).toEqual([20, 20, 20]);
		// 60 targets in chunks of 6: the fill alone took at least 10 alarms.
		expect((await stub.inspect()).ticks).toBeGreaterThanOrEqual(10);

		expect((await stub.start(ref, "tester")).ok).toBe(true);
		await evictDurableObject(stub);
		await evictingDrive();
		const [g1, g2, g3] = (await readRollout(env, rolloutId)).groups;
		expect(await groupActionCounts(env, g1?.id ?? 0)).toEqual({ RUNNING: 20 });
		expect(await groupActionCounts(env, g2?.id ?? 0)).toEqual({ SCHEDULED: 20 });

		// Half of group 1 succeeds, with an eviction after every device outcome.
		for (let i = 0; i < 10; i++) {
			await closeActions(env, { tenant, groupId: g1?.id ?? 0, count: 1, status: "FINISHED" });
			await evictDurableObject(stub);
		}
		expect((await readRollout(env, rolloutId)).groups[1]?.status).toBe("running");
		await evictingDrive();
		expect(await groupActionCounts(env, g2?.id ?? 0)).toEqual({ RUNNING: 20 });
		expect((await stub.inspect()).counts[g1?.id ?? 0]).toEqual({ FINISHED: 10 });

		// Everything else finishes; the rollout cascades to the end.
		for (const g of [g1, g2, g3]) {
			for (;;) {
				const closed = await closeActions(env, {
					tenant,
					groupId: g?.id ?? 0,
					count: 7,
					status: "FINISHED",
				});
				await evictDurableObject(stub);
				await evictingDrive();
				if (closed.length === 0) {
					break;
				}
			}
		}
		const done = await readRollout(env, rolloutId);
		expect(done.status).toBe("finished");
		expect(done.groups.map((g) => g.status)).toEqual(["finished", "finished", "finished"]);
		const perTarget = await env.DB.prepare(
			`SELECT count(*) AS actions, count(DISTINCT target_id) AS targets,
			   (SELECT count(*) FROM action_statuses s JOIN actions a ON a.id = s.action_id
			    WHERE a.rollout_id = ?1 AND s.messages LIKE '%Initiated by Rollout Group%') AS starts
			 FROM actions WHERE rollout_id = ?1`,
		)
			.bind(rolloutId)
			.first<{ actions: number; targets: number; starts: number }>();
		expect(perTarget).toEqual({ actions: 60, targets: 60, starts: 60 });
		const counts = (await stub.inspect()).counts;
		expect([g1, g2, g3].map((g) => counts[g?.id ?? 0])).toEqual([
			{ FINISHED: 20 },
			{ FINISHED: 20 },
			{ FINISHED: 20 },
		]);
	});

	it("re-derives outcomes a notification never delivered from D1", async () => {
		const { tenant, rolloutId, stub } = await runningRollout(10, 2);
		const [g1] = (await readRollout(env, rolloutId)).groups;
		await closeSilently(g1?.id ?? 0, 5, "FINISHED");
		expect((await readRollout(env, rolloutId)).groups[1]?.status).toBe("scheduled");
		const { ref } = coordinatorOf(env, tenant, rolloutId);
		await stub.poke(ref);
		await drive(env, tenant, rolloutId);
		expect((await stub.inspect()).counts[g1?.id ?? 0]).toEqual({ FINISHED: 5 });
		expect((await readRollout(env, rolloutId)).groups[1]?.status).toBe("running");
	});
});
