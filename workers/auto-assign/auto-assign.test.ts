import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../shared/db/client";
import { api, createCompleteDs, json, uniq } from "../mgmt/repository-testing";
import { runScheduledJobs } from "../scheduled";
import { runAutoAssignment } from "./auto-assign";

const db = createDb(env.DB);

async function givenTargets(prefix: string, n: number, createdAt = 1_000): Promise<string[]> {
	const ids: string[] = [];
	for (let i = 0; i < n; i++) {
		const cid = `${prefix}-${String(i).padStart(3, "0")}`;
		await env.DB.prepare(
			`INSERT INTO targets (tenant, controller_id, name, security_token, update_status, created_at, last_modified_at)
			 VALUES ('DEFAULT', ?1, ?1, 'tok', 'registered', ?2, ?2)`,
		)
			.bind(cid, createdAt)
			.run();
		ids.push(cid);
	}
	return ids;
}

async function autoAssignFilter(query: string, dsId: number, body: Record<string, unknown> = {}) {
	const f = await json(await api("POST", "/targetfilters", { name: uniq("auto"), query }), 201);
	await json(await api("POST", `/targetfilters/${f.id}/autoAssignDS`, { id: dsId, ...body }), 200);
	return f;
}

async function actionsOf(dsId: number) {
	return db.query.actions.findMany({
		where: (a, { eq }) => eq(a.dsId, dsId),
		with: undefined,
	});
}

async function cursorOf(filterId: number) {
	return (await db.query.targetFilters.findFirst({ where: (f, { eq }) => eq(f.id, filterId) }))
		?.autoAssignCursor;
}

// Old creation times keep these targets out of the "newly registered" window unless a test wants them in.
const OLD = { freshWindowMs: 60_000, now: 10_000_000 };

describe("auto-assignment job", () => {
	it("assigns matching targets in bounded windows, one chunk per tick, with the filter's settings", async () => {
		const prefix = uniq("aa");
		const matching = await givenTargets(`${prefix}-m`, 7);
		await givenTargets(`${prefix}-x`, 3);
		const ds = await createCompleteDs();
		const f = await autoAssignFilter(`controllerid==${prefix}-m-*`, ds.id, {
			type: "soft",
			weight: 300,
		});

		const ticks: number[] = [];
		for (let i = 0; i < 6; i++) {
			const r = await runAutoAssignment(env, { ...OLD, windowSize: 4 });
			ticks.push(r.assigned);
		}
		const acts = await actionsOf(ds.id);
		expect(acts).toHaveLength(7);
		// At most 4 target ids examined per tick: the 10 targets take several ticks.
		expect(Math.max(...ticks)).toBeLessThanOrEqual(4);
		expect(ticks.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
		expect(
			acts.every((a) => a.actionType === "soft" && a.weight === 300 && a.initiatedBy === "admin"),
		).toBe(true);
		const targetIds = new Set(acts.map((a) => a.targetId));
		expect(targetIds.size).toBe(7);
		const first = acts[0];
		const messages = await db.query.actionStatuses.findMany({
			where: (s, { eq }) => eq(s.actionId, first?.id ?? 0),
		});
		expect(messages.map((m) => m.messages).join()).toContain(`Auto assignment: ${f.name}`);
		const assigned = await json(
			await api("GET", `/distributionsets/${ds.id}/assignedTargets?limit=100`),
			200,
		);
		expect(assigned.content.map((t: { controllerId: string }) => t.controllerId).sort()).toEqual(
			matching,
		);
	});

	it("never re-assigns a DS a target ever had an action for, and completes passes", async () => {
		const prefix = uniq("nr");
		const [a, b] = await givenTargets(prefix, 2);
		const ds = await createCompleteDs();
		// `a` had this DS assigned and was then moved on to another one.
		const manual = await json(
			await api("POST", `/distributionsets/${ds.id}/assignedTargets`, [{ id: a }]),
			200,
		);
		const other = await createCompleteDs();
		await json(
			await api("POST", `/distributionsets/${other.id}/assignedTargets`, [{ id: a }]),
			200,
		);
		expect(manual.assigned).toBe(1);
		const f = await autoAssignFilter(`controllerid==${prefix}-*`, ds.id);
		// Run until two whole passes over all targets completed.
		let passes = 0;
		for (let i = 0; i < 200 && passes < 2; i++) {
			await runAutoAssignment(env, { ...OLD, windowSize: 50 });
			if ((await cursorOf(f.id)) === 0) {
				passes++;
			}
		}
		expect(passes).toBe(2);
		const acts = await actionsOf(ds.id);
		const byTarget = new Map<number, number>();
		for (const x of acts) {
			byTarget.set(x.targetId, (byTarget.get(x.targetId) ?? 0) + 1);
		}
		// One manual action for `a`, one auto action for `b`; nothing more however many passes ran.
		expect(acts).toHaveLength(2);
		expect([...byTarget.values()]).toEqual([1, 1]);
		expect(b).toBeDefined();
	});

	it("picks up newly registered targets through the scheduled handler", async () => {
		const prefix = uniq("new");
		const ds = await createCompleteDs();
		await autoAssignFilter(`controllerid==${prefix}-*`, ds.id);
		const ctrl = createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" });
		await runScheduledJobs(ctrl, env, createExecutionContext());
		expect(await actionsOf(ds.id)).toHaveLength(0);
		// A device registers now (created_at = now): the next tick assigns it.
		await givenTargets(prefix, 1, Date.now());
		await runScheduledJobs(ctrl, env, createExecutionContext());
		const acts = await actionsOf(ds.id);
		expect(acts).toHaveLength(1);
		expect(acts[0]).toMatchObject({ status: "RUNNING", active: true });
	});

	it("removes the auto-assignment when its DS became invalid", async () => {
		const prefix = uniq("inv");
		await givenTargets(prefix, 1);
		const ds = await createCompleteDs();
		const f = await autoAssignFilter(`controllerid==${prefix}-*`, ds.id);
		// Invalidate behind the API's back (the API would already clear the filter).
		await env.DB.prepare("UPDATE distribution_sets SET valid = 0 WHERE id = ?1").bind(ds.id).run();
		const report = await runAutoAssignment(env, { ...OLD, windowSize: 50 });
		expect(report.errors).toBeGreaterThanOrEqual(1);
		expect(
			(await json(await api("GET", `/targetfilters/${f.id}`), 200)).autoAssignDistributionSet,
		).toBeNull();
		expect(await actionsOf(ds.id)).toHaveLength(0);
	});
});
