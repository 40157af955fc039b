/**
 * Actions and their status history as the management API reads and purges them.
 * hawkBit: DeploymentManagement#findActions*, #findActionStatusByAction, #deleteAction(s).
 * State changes (cancel, force-quit, force, confirmation) live in deployments.ts.
 */
import { and, count, eq, inArray, notInArray, type SQL, sql } from "drizzle-orm";
import { DomainError, entityNotFound } from "../../errors";
import type { Db } from "../client";
import {
	type ActionStatus,
	actionStatuses,
	actions,
	distributionSets,
	rollouts,
	targets,
} from "../schema";
import { allOf, type Page } from "./repository-common";

export type ActionRow = typeof actions.$inferSelect;
/** An action with what its links and names need. */
export type ActionView = ActionRow & {
	controllerId: string;
	dsName: string | null;
	dsVersion: string | null;
	rolloutName: string | null;
};

const viewColumns = {
	action: actions,
	controllerId: targets.controllerId,
	dsName: distributionSets.name,
	dsVersion: distributionSets.version,
	rolloutName: rollouts.name,
};

function toView(r: {
	action: ActionRow;
	controllerId: string;
	dsName: string | null;
	dsVersion: string | null;
	rolloutName: string | null;
}): ActionView {
	return {
		...r.action,
		controllerId: r.controllerId,
		dsName: r.dsName,
		dsVersion: r.dsVersion,
		rolloutName: r.rolloutName,
	};
}

function viewQuery(db: Db) {
	return db
		.select(viewColumns)
		.from(actions)
		.innerJoin(targets, eq(targets.id, actions.targetId))
		.leftJoin(distributionSets, eq(distributionSets.id, actions.dsId))
		.leftJoin(rollouts, eq(rollouts.id, actions.rolloutId));
}

/** A page of the tenant's actions (optionally of one target) matching `where` (RSQL on ACTIONS). */
export async function listActions(
	db: Db,
	q: { tenant: string; targetId?: number; where?: SQL } & Page,
): Promise<{ rows: ActionView[]; total: number }> {
	const cond = allOf(
		eq(actions.tenant, q.tenant),
		q.targetId === undefined ? undefined : eq(actions.targetId, q.targetId),
		q.where,
	);
	// Not one D1 batch: batched rows come back by column name, and the joined `name` columns of
	// distribution_sets and rollouts collide (the rollout's null overwrote the DS name).
	const [rows, totals] = await Promise.all([
		viewQuery(db).where(cond).orderBy(q.orderBy).limit(q.limit).offset(q.offset),
		db.select({ n: count() }).from(actions).where(cond),
	]);
	return { rows: rows.map(toView), total: totals[0]?.n ?? 0 };
}

/** One action of the tenant (and, if given, of that target), or 404 `Action … does not exist`. */
export async function getActionView(
	db: Db,
	q: { tenant: string; actionId: number; targetId?: number },
): Promise<ActionView> {
	const [row] = await viewQuery(db).where(
		allOf(
			eq(actions.tenant, q.tenant),
			eq(actions.id, q.actionId),
			q.targetId === undefined ? undefined : eq(actions.targetId, q.targetId),
		),
	);
	if (!row) {
		throw entityNotFound("Action", q.actionId);
	}
	return toView(row);
}

export type ActionStatusRow = typeof actionStatuses.$inferSelect;

/** A page of an action's status history. */
export async function listActionStatuses(
	db: Db,
	q: { actionId: number } & Page,
): Promise<{ rows: ActionStatusRow[]; total: number }> {
	const cond = eq(actionStatuses.actionId, q.actionId);
	const [rows, totals] = await db.batch([
		db.select().from(actionStatuses).where(cond).orderBy(q.orderBy).limit(q.limit).offset(q.offset),
		db.select({ n: count() }).from(actionStatuses).where(cond),
	]);
	return { rows, total: totals[0]?.n ?? 0 };
}

function notDeletable(id: number, status: string, allowed: readonly string[]): DomainError {
	return new DomainError(
		"action.notDeletable",
		`Action ${id} with status ${status.toLowerCase()} cannot be deleted; allowed statuses: ${allowed.join(",").toLowerCase()}`,
	);
}

/** What a deleted action may have been on its target's poll. */
type DeletedAction = { targetId: number; status: ActionStatus; active: boolean };

/**
 * Targets whose poll entry may change because of deleted actions: an active action is the poll's action
 * link, a FINISHED one may be its installedBase link (callers refresh these, see shared/poll-cache).
 */
function pollRelevantTargets(rows: DeletedAction[]): number[] {
	return [
		...new Set(rows.filter((r) => r.active || r.status === "FINISHED").map((r) => r.targetId)),
	];
}

const deletedColumns = {
	targetId: actions.targetId,
	status: actions.status,
	active: actions.active,
};

/**
 * Deletes actions by id in one D1 batch: all must belong to the tenant (404 otherwise) and have an
 * allowed status (405 `action.notDeletable` otherwise, nothing deleted). Returns the targets whose poll
 * entry may have changed. hawkBit: DeploymentManagement#deleteActions.
 */
export async function deleteActionsById(
	db: Db,
	q: { tenant: string; ids: number[]; allowed: readonly ActionStatus[]; targetId?: number },
): Promise<number[]> {
	const unique = [...new Set(q.ids)];
	const found: ActionRow[] = [];
	for (let i = 0; i < unique.length; i += 90) {
		found.push(
			...(await db
				.select()
				.from(actions)
				.where(
					allOf(
						eq(actions.tenant, q.tenant),
						inArray(actions.id, unique.slice(i, i + 90)),
						q.targetId === undefined ? undefined : eq(actions.targetId, q.targetId),
					),
				)),
		);
	}
	const byId = new Map(found.map((a) => [a.id, a]));
	for (const id of unique) {
		const a = byId.get(id);
		if (!a) {
			throw entityNotFound("Action", id);
		}
		if (!q.allowed.includes(a.status)) {
			throw notDeletable(a.id, a.status, q.allowed);
		}
	}
	const stmts = [];
	for (let i = 0; i < unique.length; i += 90) {
		stmts.push(
			db
				.delete(actions)
				.where(inArray(actions.id, unique.slice(i, i + 90)))
				.returning(deletedColumns),
		);
	}
	const [first, ...rest] = stmts;
	if (!first) {
		return [];
	}
	const results = await db.batch([first, ...rest]);
	return pollRelevantTargets(results.flat());
}

/**
 * Deletes every action matching `where` (RSQL): 405 if any match has a status that may not be
 * deleted. Returns the targets whose poll entry may have changed.
 */
export async function deleteActionsWhere(
	db: Db,
	q: { tenant: string; where: SQL; allowed: readonly ActionStatus[] },
): Promise<number[]> {
	const cond = and(eq(actions.tenant, q.tenant), q.where);
	const [blocked] = await db
		.select({ id: actions.id, status: actions.status })
		.from(actions)
		.where(and(cond, notInArray(actions.status, [...q.allowed])))
		.limit(1);
	if (blocked) {
		throw notDeletable(blocked.id, blocked.status, q.allowed);
	}
	return pollRelevantTargets(await db.delete(actions).where(cond).returning(deletedColumns));
}

/**
 * Purges a target's history but its newest `keepLast` actions; only actions whose status is allowed
 * are removed (hawkBit: DELETE /targets/{id}/actions?keepLast=N). Returns the target's id when its poll
 * entry may have changed, else nothing.
 */
export async function purgeTargetActions(
	db: Db,
	q: { tenant: string; targetId: number; keepLast: number; allowed: readonly ActionStatus[] },
): Promise<number[]> {
	if (q.allowed.length === 0) {
		return [];
	}
	const rows = await db
		.delete(actions)
		.where(
			and(
				eq(actions.tenant, q.tenant),
				eq(actions.targetId, q.targetId),
				inArray(actions.status, [...q.allowed]),
				sql`${actions.id} NOT IN (SELECT "k"."id" FROM "actions" "k" WHERE "k"."target_id" = ${q.targetId} ORDER BY "k"."id" DESC LIMIT ${Math.max(0, q.keepLast)})`,
			),
		)
		.returning(deletedColumns);
	return pollRelevantTargets(rows);
}
