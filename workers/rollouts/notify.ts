/**
 * How the rest of the Worker reaches rollout coordinators: device outcomes, new targets for dynamic
 * rollouts, distribution-set invalidation, and the cron safety net.
 */

import {
	listDynamicRolloutIds,
	listRolloutIdsOfDistributionSet,
	listRolloutsNeedingWork,
} from "../../shared/db/queries/rollouts";
import { normaliseTenant } from "../../shared/db/queries/tenants";
import type { ActionStatus } from "../../shared/db/schema/actions";
import { SCHEDULER_STATUSES, STOPPABLE_STATUSES } from "../../shared/domain/rollout-state";
import { type CoordinatorResult, coordinatorName, type RolloutRef } from "./rollout-coordinator";

type CoordinatorEnv = Pick<Env, "ROLLOUT_COORDINATOR">;

/** The coordinator stub of one rollout (one Durable Object per `TENANT:rolloutId`). */
export function rolloutCoordinator(env: CoordinatorEnv, ref: RolloutRef) {
	return env.ROLLOUT_COORDINATOR.getByName(coordinatorName(ref.tenant, ref.rolloutId));
}

/** An action as the feedback path has it after the write (drizzle row or the same fields). */
export type RolloutActionOutcome = {
	tenant: string;
	id: number;
	status: ActionStatus;
	rolloutId: number | null;
	rolloutGroupId: number | null;
};

/**
 * Tells a rollout's coordinator that one of its actions reached a new status. Call it after EVERY
 * D1 write that changes the status of an action with a `rolloutGroupId` (DDI deployment feedback,
 * cancel feedback, operator cancel / force-quit), with the action as it is after the write; actions
 * outside rollouts and non-terminal statuses are ignored here, so callers need not filter.
 *
 * The coordinator counts the outcome once per action id (a repeated delivery is harmless) and, before
 * this resolves, takes the resulting decision: next group started or rollout paused. Failures are
 * logged, never thrown: the device's feedback is already stored, and the coordinator re-derives its
 * counts from D1 every few seconds while the rollout runs.
 */
export async function notifyRolloutActionFinished(
	env: CoordinatorEnv,
	action: RolloutActionOutcome,
): Promise<void> {
	if (action.rolloutId == null || action.rolloutGroupId == null) {
		return;
	}
	const ref = { tenant: normaliseTenant(action.tenant), rolloutId: action.rolloutId };
	try {
		await rolloutCoordinator(env, ref).actionFinished(ref, {
			actionId: action.id,
			groupId: action.rolloutGroupId,
			status: action.status,
		});
	} catch (err) {
		console.warn("rollout coordinator not reached", { ...ref, actionId: action.id, err });
	}
}

/**
 * New targets were registered (or became matching) in a tenant: every dynamic rollout of the tenant
 * tops up its dynamic group now instead of at its next 60-second round. Call it from the
 * registration path after the target rows are written; failures are logged, never thrown.
 */
export async function notifyTargetsRegistered(
	env: CoordinatorEnv & { DB: D1Database },
	tenant: string,
): Promise<void> {
	const name = normaliseTenant(tenant);
	try {
		for (const rolloutId of await listDynamicRolloutIds(env.DB, name)) {
			const ref = { tenant: name, rolloutId };
			await rolloutCoordinator(env, ref).topUpDynamic(ref);
		}
	} catch (err) {
		console.warn("dynamic rollouts not notified", { tenant: name, err });
	}
}

/**
 * Distribution-set invalidation with "stop rollouts" (hawkBit
 * RolloutManagement#cancelRolloutsForDistributionSet): every stoppable rollout of the DS is stopped
 * (soft) or deleted (force).
 */
export async function stopRolloutsOfDistributionSet(
	env: CoordinatorEnv & { DB: D1Database },
	q: { tenant: string; dsId: number; mode: "soft" | "force"; actor: string },
): Promise<CoordinatorResult[]> {
	const tenant = normaliseTenant(q.tenant);
	const ids = await listRolloutIdsOfDistributionSet(env.DB, {
		tenant,
		dsId: q.dsId,
		statuses: STOPPABLE_STATUSES,
	});
	const results: CoordinatorResult[] = [];
	for (const rolloutId of ids) {
		const ref = { tenant, rolloutId };
		const stub = rolloutCoordinator(env, ref);
		results.push(
			q.mode === "soft" ? await stub.stop(ref, q.actor) : await stub.remove(ref, q.actor),
		);
	}
	return results;
}

/**
 * Cron safety net: wakes the coordinator of every rollout that still has work (an alarm lost with a
 * failed `created` call, or a platform hiccup). Cheap when everything is idle: one indexed query.
 */
export async function sweepRollouts(env: CoordinatorEnv & { DB: D1Database }): Promise<void> {
	for (const r of await listRolloutsNeedingWork(env.DB, SCHEDULER_STATUSES, 1000)) {
		const ref = { tenant: r.tenant, rolloutId: r.id };
		try {
			await rolloutCoordinator(env, ref).poke(ref);
		} catch (err) {
			console.warn("rollout coordinator not reached by the sweep", { ...ref, err });
		}
	}
}
