/**
 * Test-only helpers for rollout tests: many targets at once, a deployable DS, rollouts created through
 * the real RolloutManagement, and a driver that runs the coordinator's alarms until its chunked work is
 * done (runDurableObjectAlarm — never sleeping). Never imported by runtime code.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { normaliseTenant } from "../../shared/db/queries/tenants";
import type { ActionStatus } from "../../shared/db/schema/actions";
import type { RolloutGroupStatus, RolloutStatus } from "../../shared/db/schema/rollouts";
import {
	givenDistributionSet,
	givenSoftwareModule,
	givenTenant,
	uniqueName,
} from "../testing/factories";
import { notifyRolloutActionFinished, rolloutCoordinator } from "./notify";
import { createRollout, type RolloutCreateRequest } from "./rollout-management";

/** Inserts `count` targets `<prefix>-<i>` (token `tok-<prefix>-<i>`) with one INSERT … SELECT. */
export async function givenTargets(
	env: Env,
	o: {
		tenant: string;
		count: number;
		prefix?: string;
		createdAt?: number;
		/** Controller attribute `ring` = value for targets i where the function returns a value. */
		ring?: (i: number) => string | undefined;
		targetTypeId?: number | null;
	},
): Promise<{ prefix: string; ids: number[] }> {
	const tenant = normaliseTenant(o.tenant);
	const prefix = o.prefix ?? uniqueName("dev");
	const createdAt = o.createdAt ?? Date.now() - 1_000;
	for (let start = 1; start <= o.count; start += 50_000) {
		const end = Math.min(o.count, start + 49_999);
		await env.DB.prepare(
			`WITH RECURSIVE seq(i) AS (SELECT CAST(?1 AS INTEGER) UNION ALL SELECT i + 1 FROM seq WHERE i < ?2)
			 INSERT INTO targets (tenant, controller_id, name, security_token, update_status, target_type_id,
			   created_at, created_by, last_modified_at, last_modified_by)
			 SELECT ?3, ?4 || '-' || i, ?4 || '-' || i, 'tok-' || ?4 || '-' || i, 'registered', ?6, ?5, 'test', ?5, 'test' FROM seq`,
		)
			.bind(start, end, tenant, prefix, createdAt, o.targetTypeId ?? null)
			.run();
	}
	const rows = await env.DB.prepare(
		"SELECT id, controller_id FROM targets WHERE tenant = ?1 AND controller_id LIKE ?2 || '-%' ORDER BY id",
	)
		.bind(tenant, prefix)
		.all<{ id: number; controller_id: string }>();
	if (o.ring) {
		const statements: D1PreparedStatement[] = [];
		for (const row of rows.results) {
			const i = Number(row.controller_id.slice(prefix.length + 1));
			const ring = o.ring(i);
			if (ring !== undefined) {
				statements.push(
					env.DB.prepare(
						"INSERT INTO target_attributes (target_id, key, value) VALUES (?1, 'ring', ?2)",
					).bind(row.id, ring),
				);
			}
		}
		for (let i = 0; i < statements.length; i += 500) {
			await env.DB.batch(statements.slice(i, i + 500));
		}
	}
	return { prefix, ids: rows.results.map((r) => r.id) };
}

/** A tenant with a complete `os_app` distribution set (one OS module). */
export async function givenRolloutTenant(
	env: Env,
	config: Record<string, unknown> = {},
): Promise<{ tenant: string; dsId: number; dsTypeId: number }> {
	const tenant = await givenTenant(env, { config });
	const sm = await givenSoftwareModule(env, { tenant, typeKey: "os" });
	const ds = await givenDistributionSet(env, { tenant, modules: [sm.id] });
	return { tenant, dsId: ds.id, dsTypeId: ds.typeId };
}

/** Creates a rollout through RolloutManagement as an all-powerful creator. */
export async function givenRollout(
	env: Env,
	o: { tenant: string; dsId: number } & Partial<RolloutCreateRequest>,
): Promise<number> {
	const { tenant, dsId, ...rest } = o;
	return createRollout(env, {
		tenant,
		creator: { username: "tester", mayHandle: true, mayApprove: true },
		request: { name: uniqueName("rollout"), distributionSetId: dsId, ...rest },
	});
}

/** The coordinator stub and ref of a rollout. */
export function coordinatorOf(env: Env, tenant: string, rolloutId: number) {
	const ref = { tenant: normaliseTenant(tenant), rolloutId };
	return { ref, stub: rolloutCoordinator(env, ref) };
}

/**
 * Runs the coordinator's alarms until no chunked work is left (at most `max` alarms). Returns how many
 * alarms ran. Real alarms may fire on their own meanwhile; the coordinator serialises them.
 */
export async function drive(
	env: Env,
	tenant: string,
	rolloutId: number,
	max = 500,
): Promise<number> {
	const { stub } = coordinatorOf(env, tenant, rolloutId);
	let ran = 0;
	for (; ran < max; ran++) {
		await stub.settle();
		const state = await stub.inspect();
		if (!state.workPending) {
			return ran;
		}
		await runDurableObjectAlarm(stub);
	}
	throw new Error(`coordinator still busy after ${max} alarms`);
}

export type RolloutState = {
	status: RolloutStatus;
	totalTargets: number;
	pauseReason: string | null;
	groups: { id: number; name: string; status: RolloutGroupStatus; totalTargets: number }[];
};

/** The rollout and its groups as D1 has them. */
export async function readRollout(env: Env, rolloutId: number): Promise<RolloutState> {
	const r = await env.DB.prepare(
		"SELECT status, total_targets, pause_reason FROM rollouts WHERE id = ?1",
	)
		.bind(rolloutId)
		.first<{ status: RolloutStatus; total_targets: number; pause_reason: string | null }>();
	if (!r) {
		throw new Error(`rollout ${rolloutId} not found`);
	}
	const groups = await env.DB.prepare(
		"SELECT id, name, status, total_targets FROM rollout_groups WHERE rollout_id = ?1 ORDER BY id",
	)
		.bind(rolloutId)
		.all<{ id: number; name: string; status: RolloutGroupStatus; total_targets: number }>();
	return {
		status: r.status,
		totalTargets: r.total_targets,
		pauseReason: r.pause_reason,
		groups: groups.results.map((g) => ({
			id: g.id,
			name: g.name,
			status: g.status,
			totalTargets: g.total_targets,
		})),
	};
}

/** Action counts of a group by status. */
export async function groupActionCounts(
	env: Env,
	groupId: number,
): Promise<Partial<Record<ActionStatus, number>>> {
	const rows = await env.DB.prepare(
		"SELECT status, count(*) AS n FROM actions WHERE rollout_group_id = ?1 GROUP BY status",
	)
		.bind(groupId)
		.all<{ status: ActionStatus; n: number }>();
	return Object.fromEntries(rows.results.map((r) => [r.status, r.n]));
}

/**
 * Simulates devices closing `count` active actions of a group in D1 (as the feedback path would) and
 * notifies the coordinator for each; returns the action ids.
 */
export async function closeActions(
	env: Env,
	o: { tenant: string; groupId: number; count: number; status: "FINISHED" | "ERROR" | "CANCELED" },
): Promise<number[]> {
	const rows = await env.DB.prepare(
		`UPDATE actions SET status = ?2, active = 0 WHERE id IN (
		   SELECT id FROM actions WHERE rollout_group_id = ?1 AND active = 1 ORDER BY id LIMIT ?3)
		 RETURNING id, rollout_id`,
	)
		.bind(o.groupId, o.status, o.count)
		.all<{ id: number; rollout_id: number }>();
	for (const r of rows.results) {
		await notifyRolloutActionFinished(env, {
			tenant: o.tenant,
			id: r.id,
			status: o.status,
			rolloutId: r.rollout_id,
			rolloutGroupId: o.groupId,
		});
	}
	return rows.results.map((r) => r.id);
}
