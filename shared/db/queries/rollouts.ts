/**
 * RolloutManagement / RolloutGroupManagement and the rollout executor's bulk writes: creating a
 * rollout with its groups, filling groups with targets, creating SCHEDULED actions, starting a group,
 * stopping and deleting — as set-based SQL in bounded chunks, so 100 000 targets never travel through
 * the Worker and every statement stays inside D1's limits (≤ 100 bound parameters, one statement per
 * chunk). Every chunk is idempotent: a coordinator that crashes after a chunk committed simply runs
 * it again and it does nothing twice.
 *
 * hawkBit: JpaRolloutManagement, JpaRolloutGroupManagement, JpaRolloutExecutor,
 * JpaDeploymentManagement#startScheduledActions / #cancelInactiveScheduledActionsForTargets.
 *
 * Target filters arrive compiled: a `SQL` fragment over the `targets` table (shared/rsql).
 */
import { eq, type SQL, sql } from "drizzle-orm";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import {
	type AutoConfirmation,
	MESSAGES,
	newActionState,
	rolloutInitiatedMessage,
	SERVER_MESSAGE_PREFIX,
} from "../../domain/action-status";
import { frozenRolloutFilter, groupTargetFilter, isRetryFilter } from "../../domain/rollout-groups";
import type { GroupConditions, RolloutStep } from "../../domain/rollout-state";
import { compileRsql, TARGETS } from "../../rsql";
import type { Db } from "../client";
import type { ActionStatus, ActionType } from "../schema/actions";
import {
	type RolloutGroupStatus,
	type RolloutStatus,
	rolloutGroups as rolloutGroupsTable,
	rollouts as rolloutsTable,
} from "../schema/rollouts";
import {
	allOf,
	countAll,
	type Page,
	type SoftDeletedMode,
	softDeletedFilter,
} from "./repository-common";

export type RolloutRow = typeof rolloutsTable.$inferSelect;
export type RolloutGroupRow = typeof rolloutGroupsTable.$inferSelect;

/** Targets per chunk: hawkBit's TRANSACTION_TARGETS; one INSERT … SELECT per chunk. */
export const TARGETS_PER_CHUNK = 5_000;

const dialect = new SQLiteAsyncDialect({ casing: "snake_case" });

/** A drizzle SQL fragment as a D1 statement (the compiled RSQL composes in as a fragment). */
function stmt(d1: D1Database, query: SQL): D1PreparedStatement {
	const { sql: text, params } = dialect.sqlToQuery(query);
	return d1.prepare(text).bind(...params);
}

async function run(d1: D1Database, query: SQL): Promise<number> {
	const res = await stmt(d1, query).run();
	return res.meta.changes ?? 0;
}

async function all<T>(d1: D1Database, query: SQL): Promise<T[]> {
	return (await stmt(d1, query).all<T>()).results;
}

async function first<T>(d1: D1Database, query: SQL): Promise<T | undefined> {
	return (await stmt(d1, query).first<T>()) ?? undefined;
}

const b = (v: boolean | null | undefined) => (v == null ? null : v ? 1 : 0);

/** Row mappers: raw D1 rows are snake_case. */
type RawRollout = Record<string, unknown>;

function toRollout(r: RawRollout): RolloutRow {
	return {
		id: r.id as number,
		tenant: r.tenant as string,
		name: r.name as string,
		description: (r.description as string | null) ?? null,
		dsId: r.ds_id as number,
		targetFilterQuery: r.target_filter_query as string,
		status: r.status as RolloutStatus,
		actionType: r.action_type as ActionType,
		forcedTime: (r.forced_time as number | null) ?? null,
		startAt: (r.start_at as number | null) ?? null,
		weight: (r.weight as number | null) ?? null,
		dynamic: r.dynamic === 1,
		confirmationRequired: r.confirmation_required == null ? null : r.confirmation_required === 1,
		totalTargets: r.total_targets as number,
		approvalRemark: (r.approval_remark as string | null) ?? null,
		approvalDecidedBy: (r.approval_decided_by as string | null) ?? null,
		pauseReason: (r.pause_reason as string | null) ?? null,
		deleted: r.deleted === 1,
		...toConditions(r),
		createdAt: r.created_at as number,
		createdBy: r.created_by as string,
		lastModifiedAt: r.last_modified_at as number,
		lastModifiedBy: r.last_modified_by as string,
	};
}

function toConditions(r: RawRollout) {
	return {
		successCondition: r.success_condition as string,
		successConditionExp: r.success_condition_exp as string,
		successAction: r.success_action as string,
		successActionExp: (r.success_action_exp as string | null) ?? null,
		errorCondition: r.error_condition as string,
		errorConditionExp: r.error_condition_exp as string,
		errorAction: r.error_action as string,
		errorActionExp: (r.error_action_exp as string | null) ?? null,
	};
}

function toGroup(r: RawRollout): RolloutGroupRow {
	return {
		id: r.id as number,
		tenant: r.tenant as string,
		rolloutId: r.rollout_id as number,
		parentId: (r.parent_id as number | null) ?? null,
		name: r.name as string,
		description: (r.description as string | null) ?? null,
		status: r.status as RolloutGroupStatus,
		targetFilterQuery: (r.target_filter_query as string | null) ?? null,
		targetPercentage: r.target_percentage as number,
		confirmationRequired: r.confirmation_required == null ? null : r.confirmation_required === 1,
		dynamic: r.dynamic === 1,
		totalTargets: r.total_targets as number,
		...toConditions(r),
		createdAt: r.created_at as number,
		createdBy: r.created_by as string,
		lastModifiedAt: r.last_modified_at as number,
		lastModifiedBy: r.last_modified_by as string,
	};
}

/** What a new rollout is made of (already validated). */
export type NewRollout = {
	tenant: string;
	name: string;
	description: string | null;
	dsId: number;
	targetFilterQuery: string;
	actionType: ActionType;
	forcedTime: number;
	startAt: number | null;
	weight: number;
	dynamic: boolean;
	confirmationRequired: boolean | null;
	totalTargets: number;
	conditions: GroupConditions;
	createdAt: number;
	createdBy: string;
};

/** One group to create; `dynamic` groups start READY (they are filled while running). */
export type NewRolloutGroup = {
	name: string;
	description: string | null;
	targetFilterQuery: string | null;
	targetPercentage: number;
	confirmationRequired: boolean | null;
	dynamic: boolean;
	conditions: GroupConditions;
};

function conditionValues(c: GroupConditions): SQL {
	return sql`${c.successCondition}, ${c.successConditionExp}, ${c.successAction}, ${c.successActionExp}, ${c.errorCondition}, ${c.errorConditionExp}, ${c.errorAction}, ${c.errorActionExp}`;
}

const CONDITION_COLUMNS = sql.raw(
	"success_condition, success_condition_exp, success_action, success_action_exp, error_condition, error_condition_exp, error_action, error_action_exp",
);

/**
 * Inserts the rollout (status CREATING) and its groups, chained parent → child in order. Returns
 * the rollout id. `amount` groups of equal share go in as one recursive INSERT … SELECT; explicit
 * groups as one statement each (at most 500, hawkBit's quota), all in one D1 batch after the rollout.
 */
export async function insertRolloutWithGroups(
	d1: D1Database,
	r: NewRollout,
	groups:
		| { kind: "amount"; amount: number; percentage: number; confirmationRequired: boolean | null }
		| { kind: "explicit"; groups: NewRolloutGroup[] }
		| { kind: "none" },
	dynamicTemplate?: NewRolloutGroup,
): Promise<number> {
	const row = await first<{ id: number }>(
		d1,
		sql`INSERT INTO rollouts (tenant, name, description, ds_id, target_filter_query, status, action_type,
			forced_time, start_at, weight, dynamic, confirmation_required, total_targets, ${CONDITION_COLUMNS},
			created_at, created_by, last_modified_at, last_modified_by)
		VALUES (${r.tenant}, ${r.name}, ${r.description}, ${r.dsId}, ${r.targetFilterQuery}, 'creating', ${r.actionType},
			${r.forcedTime}, ${r.startAt}, ${r.weight}, ${b(r.dynamic)}, ${b(r.confirmationRequired)}, ${r.totalTargets},
			${conditionValues(r.conditions)}, ${r.createdAt}, ${r.createdBy}, ${r.createdAt}, ${r.createdBy})
		RETURNING id`,
	);
	if (!row) {
		throw new Error("rollout insert returned no id");
	}
	const id = row.id;
	const audit = sql`${r.createdAt}, ${r.createdBy}, ${r.createdAt}, ${r.createdBy}`;
	const batch: D1PreparedStatement[] = [];
	if (groups.kind === "amount") {
		// group-1 … group-N, description = name, empty filter, rollout-level conditions.
		batch.push(
			stmt(
				d1,
				sql`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ${groups.amount})
				INSERT INTO rollout_groups (tenant, rollout_id, name, description, status, target_filter_query,
					target_percentage, confirmation_required, dynamic, total_targets, ${CONDITION_COLUMNS},
					created_at, created_by, last_modified_at, last_modified_by)
				SELECT ${r.tenant}, ${id}, 'group-' || i, 'group-' || i, 'creating', NULL, ${groups.percentage},
					${b(groups.confirmationRequired)}, 0, 0, ${conditionValues(r.conditions)}, ${audit}
				FROM seq ORDER BY i`,
			),
		);
	} else if (groups.kind === "explicit") {
		for (const g of groups.groups) {
			batch.push(insertGroupStatement(d1, r.tenant, id, g, "creating", audit));
		}
	}
	if (dynamicTemplate) {
		batch.push(insertGroupStatement(d1, r.tenant, id, dynamicTemplate, "ready", audit));
	}
	batch.push(
		stmt(
			d1,
			sql`UPDATE rollout_groups SET parent_id = (SELECT max(p.id) FROM rollout_groups p
				WHERE p.rollout_id = rollout_groups.rollout_id AND p.id < rollout_groups.id)
			WHERE rollout_id = ${id}`,
		),
	);
	try {
		await d1.batch(batch);
	} catch (err) {
		await d1.prepare("DELETE FROM rollouts WHERE id = ?").bind(id).run();
		throw err;
	}
	return id;
}

function insertGroupStatement(
	d1: D1Database,
	tenant: string,
	rolloutId: number,
	g: NewRolloutGroup,
	status: RolloutGroupStatus,
	audit: SQL,
): D1PreparedStatement {
	return stmt(
		d1,
		sql`INSERT INTO rollout_groups (tenant, rollout_id, name, description, status, target_filter_query,
			target_percentage, confirmation_required, dynamic, total_targets, ${CONDITION_COLUMNS},
			created_at, created_by, last_modified_at, last_modified_by)
		VALUES (${tenant}, ${rolloutId}, ${g.name}, ${g.description}, ${status}, ${g.targetFilterQuery},
			${g.targetPercentage}, ${b(g.confirmationRequired)}, ${b(g.dynamic)}, 0, ${conditionValues(g.conditions)}, ${audit})`,
	);
}

/** The rollout, if it exists in the tenant (soft-deleted ones included). */
export async function findRollout(
	d1: D1Database,
	q: { tenant: string; rolloutId: number },
): Promise<RolloutRow | undefined> {
	const r = await first<RawRollout>(
		d1,
		sql`SELECT * FROM rollouts WHERE id = ${q.rolloutId} AND tenant = ${q.tenant}`,
	);
	return r ? toRollout(r) : undefined;
}

/** All groups of a rollout, in creation (= chain) order. */
export async function listGroupsOfRollout(
	d1: D1Database,
	q: { tenant: string; rolloutId: number },
): Promise<RolloutGroupRow[]> {
	const rows = await all<RawRollout>(
		d1,
		sql`SELECT * FROM rollout_groups WHERE rollout_id = ${q.rolloutId} AND tenant = ${q.tenant} ORDER BY id`,
	);
	return rows.map(toGroup);
}

/** One group of a rollout. */
export async function findRolloutGroup(
	d1: D1Database,
	q: { tenant: string; rolloutId: number; groupId: number },
): Promise<RolloutGroupRow | undefined> {
	const r = await first<RawRollout>(
		d1,
		sql`SELECT * FROM rollout_groups WHERE id = ${q.groupId} AND rollout_id = ${q.rolloutId} AND tenant = ${q.tenant}`,
	);
	return r ? toGroup(r) : undefined;
}

/**
 * Targets a rollout may address: the tenant's, matching the compiled filter, and compatible with the
 * DS type (no target type, or a type listing the DS type) — hawkBit isCompatibleWithDistributionSetType.
 */
export function rolloutTargetPredicate(q: {
	tenant: string;
	filter: SQL;
	dsTypeId: number;
	compatibleOnly?: boolean;
	/**
	 * For chunked fills that walk the targets by id: `+tenant` keeps SQLite off the tenant indexes
	 * (which are ordered by other columns), so `id > cursor ORDER BY id LIMIT n` reads the table in
	 * id order and stops after n matches instead of sorting every match on every chunk.
	 */
	scanById?: boolean;
}): SQL {
	const compatible =
		q.compatibleOnly === false
			? sql``
			: sql` AND (targets.target_type_id IS NULL OR EXISTS (SELECT 1 FROM target_type_ds_types x
					WHERE x.target_type_id = targets.target_type_id AND x.ds_type_id = ${q.dsTypeId}))`;
	const tenant = q.scanById ? sql`+targets.tenant` : sql`targets.tenant`;
	return sql`${tenant} = ${q.tenant} AND (${q.filter})${compatible}`;
}

/** The rollout fields a group's target predicate depends on. */
export type RolloutFilterSource = {
	tenant: string;
	targetFilterQuery: string;
	createdAt: number;
	dsTypeId: number;
};

/**
 * The compiled target predicate of a group: `(rollout filter);createdat=le=<creation>` (not frozen for
 * dynamic top-ups; a retry's `failedrollout==<id>` as is) ANDed with the group's own filter, DS-type
 * compatible targets only. hawkBit RolloutHelper#getGroupTargetFilter + isCompatibleWithDistributionSetType.
 * @throws DomainError rsqlParamSyntax / rsqlInvalidField for a bad filter
 */
export function groupTargetPredicate(
	r: RolloutFilterSource,
	groupFilter: string | null,
	opts: { frozen: boolean; scanById?: boolean },
): SQL {
	const base =
		isRetryFilter(r.targetFilterQuery) || !opts.frozen
			? r.targetFilterQuery
			: frozenRolloutFilter(r.targetFilterQuery, r.createdAt);
	return rolloutTargetPredicate({
		tenant: r.tenant,
		filter: compileRsql(groupTargetFilter(base, groupFilter), TARGETS),
		dsTypeId: r.dsTypeId,
		scanById: opts.scanById,
	});
}

/** The DS's type id (rollouts only address targets compatible with it). */
export async function findDistributionSetTypeId(
	d1: D1Database,
	q: { tenant: string; dsId: number },
): Promise<number | undefined> {
	const r = await first<{ type_id: number }>(
		d1,
		sql`SELECT type_id FROM distribution_sets WHERE id = ${q.dsId} AND tenant = ${q.tenant}`,
	);
	return r?.type_id;
}

/** Counts targets matching a predicate built by {@link rolloutTargetPredicate}. */
export async function countTargets(d1: D1Database, predicate: SQL): Promise<number> {
	const r = await first<{ n: number }>(
		d1,
		sql`SELECT count(*) AS n FROM targets WHERE ${predicate}`,
	);
	return r?.n ?? 0;
}

/** Targets matching `predicate` that are in no group of this rollout yet (the fill candidates). */
function notInRollout(rolloutId: number): SQL {
	return sql`NOT EXISTS (SELECT 1 FROM rollout_target_groups rtg JOIN rollout_groups rg ON rg.id = rtg.rollout_group_id
		WHERE rtg.target_id = targets.id AND rg.rollout_id = ${rolloutId})`;
}

/** How many matching targets are still free for this rollout's next group. */
export async function countFillCandidates(
	d1: D1Database,
	q: { rolloutId: number; predicate: SQL },
): Promise<number> {
	return countTargets(d1, sql`${q.predicate} AND ${notInRollout(q.rolloutId)}`);
}

/**
 * Puts up to `limit` free matching targets with ids above `afterTargetId` (lowest first) into the
 * group; returns how many and the new cursor (the group's highest member id). Targets below the
 * cursor were either taken or rejected already, so each chunk reads only new rows. Re-running after
 * a crash cannot add a target twice: taken targets are no longer free.
 */
export async function fillGroupChunk(
	d1: D1Database,
	q: { rolloutId: number; groupId: number; predicate: SQL; limit: number; afterTargetId: number },
): Promise<{ added: number; cursor: number }> {
	if (q.limit <= 0) {
		return { added: 0, cursor: q.afterTargetId };
	}
	const added = await run(
		d1,
		sql`INSERT OR IGNORE INTO rollout_target_groups (rollout_group_id, target_id)
		SELECT ${q.groupId}, targets.id FROM targets
		WHERE targets.id > ${q.afterTargetId} AND ${q.predicate} AND ${notInRollout(q.rolloutId)}
		ORDER BY targets.id LIMIT ${q.limit}`,
	);
	const top = await first<{ id: number | null }>(
		d1,
		sql`SELECT max(target_id) AS id FROM rollout_target_groups WHERE rollout_group_id = ${q.groupId}`,
	);
	return { added, cursor: Math.max(q.afterTargetId, top?.id ?? 0) };
}

/** Targets in a group (rollout_target_groups). */
export async function countGroupMembers(d1: D1Database, groupId: number): Promise<number> {
	const r = await first<{ n: number }>(
		d1,
		sql`SELECT count(*) AS n FROM rollout_target_groups WHERE rollout_group_id = ${groupId}`,
	);
	return r?.n ?? 0;
}

/** Sets a group's status (only from the given states, so a replayed step changes nothing). */
export async function updateGroupStatus(
	d1: D1Database,
	q: {
		groupId: number;
		status: RolloutGroupStatus;
		from: RolloutGroupStatus[];
		totalTargets?: number;
		actor: string;
		now: number;
	},
): Promise<boolean> {
	const total = q.totalTargets === undefined ? sql`` : sql`, total_targets = ${q.totalTargets}`;
	const changed = await run(
		d1,
		sql`UPDATE rollout_groups SET status = ${q.status}${total}, last_modified_at = ${q.now}, last_modified_by = ${q.actor}
		WHERE id = ${q.groupId} AND status IN (${sql.join(
			q.from.map((s) => sql`${s}`),
			sql`, `,
		)})`,
	);
	return changed > 0;
}

/** Fields the coordinator changes together with a rollout's status. */
export type RolloutStatusChange = {
	rolloutId: number;
	status: RolloutStatus;
	/** Only from these states; the change is a no-op otherwise. */
	from: RolloutStatus[];
	actor: string;
	now: number;
	totalTargets?: number;
	/** undefined = leave; null = clear. */
	pauseReason?: string | null;
	approval?: { decidedBy: string; remark: string | null };
	deleted?: boolean;
};

function rolloutStatusStatement(d1: D1Database, c: RolloutStatusChange): D1PreparedStatement {
	const sets: SQL[] = [
		sql`status = ${c.status}`,
		sql`last_modified_at = ${c.now}`,
		sql`last_modified_by = ${c.actor}`,
	];
	if (c.totalTargets !== undefined) {
		sets.push(sql`total_targets = ${c.totalTargets}`);
	}
	if (c.pauseReason !== undefined) {
		sets.push(sql`pause_reason = ${c.pauseReason}`);
	}
	if (c.approval) {
		sets.push(sql`approval_decided_by = ${c.approval.decidedBy}`);
		if (c.approval.remark != null) {
			sets.push(sql`approval_remark = ${c.approval.remark}`);
		}
	}
	if (c.deleted !== undefined) {
		sets.push(sql`deleted = ${b(c.deleted)}`);
	}
	return stmt(
		d1,
		sql`UPDATE rollouts SET ${sql.join(sets, sql`, `)} WHERE id = ${c.rolloutId} AND status IN (${sql.join(
			c.from.map((s) => sql`${s}`),
			sql`, `,
		)})`,
	);
}

/** Changes the rollout's status if it is in one of `from`; returns whether it changed. */
export async function updateRolloutStatus(
	d1: D1Database,
	c: RolloutStatusChange,
): Promise<boolean> {
	const res = await rolloutStatusStatement(d1, c).run();
	return (res.meta.changes ?? 0) > 0;
}

/** Name/description update (PUT); absent fields stay. hawkBit JpaRolloutManagement#update. */
export async function updateRolloutNameAndDescription(
	d1: D1Database,
	q: {
		tenant: string;
		rolloutId: number;
		name?: string | null;
		description?: string | null;
		actor: string;
		now: number;
	},
): Promise<void> {
	const sets: SQL[] = [sql`last_modified_at = ${q.now}`, sql`last_modified_by = ${q.actor}`];
	if (q.name != null) {
		sets.push(sql`name = ${q.name}`);
	}
	if (q.description != null) {
		sets.push(sql`description = ${q.description}`);
	}
	await run(
		d1,
		sql`UPDATE rollouts SET ${sql.join(sets, sql`, `)} WHERE id = ${q.rolloutId} AND tenant = ${q.tenant}`,
	);
}

/** Actions of a group, per status (uses the (rollout_group_id, status) index; no table access). */
export async function countGroupActionsByStatus(
	d1: D1Database,
	groupId: number,
): Promise<{ status: ActionStatus; count: number }[]> {
	return all(
		d1,
		sql`SELECT status, count(*) AS count FROM actions WHERE rollout_group_id = ${groupId} GROUP BY status`,
	);
}

/** Actions of every group of a rollout, per group and status — the source of `totalTargetsPerStatus`. */
export async function countRolloutActionsByGroupAndStatus(
	d1: D1Database,
	rolloutIds: number[],
): Promise<{ rolloutId: number; groupId: number; status: ActionStatus; count: number }[]> {
	if (rolloutIds.length === 0) {
		return [];
	}
	return all(
		d1,
		sql`SELECT g.rollout_id AS rolloutId, a.rollout_group_id AS groupId, a.status AS status, count(*) AS count
		FROM rollout_groups g JOIN actions a ON a.rollout_group_id = g.id
		WHERE g.rollout_id IN (${sql.join(
			rolloutIds.map((id) => sql`${id}`),
			sql`, `,
		)})
		GROUP BY a.rollout_group_id, a.status`,
	);
}

/** Action ids of a group in one status, ascending after `afterId` (reconciliation of coordinator counts). */
export async function listGroupActionIds(
	d1: D1Database,
	q: { groupId: number; status: ActionStatus; afterId: number; limit: number },
): Promise<number[]> {
	const rows = await all<{ id: number }>(
		d1,
		sql`SELECT id FROM actions WHERE rollout_group_id = ${q.groupId} AND status = ${q.status} AND id > ${q.afterId}
		ORDER BY id LIMIT ${q.limit}`,
	);
	return rows.map((r) => r.id);
}

/** Which of these action ids still exist. */
export async function existingActionIds(d1: D1Database, ids: number[]): Promise<Set<number>> {
	const out = new Set<number>();
	for (let i = 0; i < ids.length; i += 90) {
		const chunk = ids.slice(i, i + 90);
		const rows = await all<{ id: number }>(
			d1,
			sql`SELECT id FROM actions WHERE id IN (${sql.join(
				chunk.map((id) => sql`${id}`),
				sql`, `,
			)})`,
		);
		for (const r of rows) {
			out.add(r.id);
		}
	}
	return out;
}

/** Total actions of a group (= its targets once scheduled). */
export async function countGroupActions(d1: D1Database, groupId: number): Promise<number> {
	const r = await first<{ n: number }>(
		d1,
		sql`SELECT count(*) AS n FROM actions WHERE rollout_group_id = ${groupId}`,
	);
	return r?.n ?? 0;
}

/** Upper target id of the next chunk of group members after `afterTargetId` (inclusive bound). */
async function memberChunkBound(
	d1: D1Database,
	groupId: number,
	afterTargetId: number,
	limit: number,
): Promise<number | undefined> {
	const last = await first<{ id: number }>(
		d1,
		sql`SELECT max(target_id) AS id FROM (SELECT target_id FROM rollout_target_groups
			WHERE rollout_group_id = ${groupId} AND target_id > ${afterTargetId} ORDER BY target_id LIMIT ${limit})`,
	);
	return last?.id ?? undefined;
}

/** The rollout data every action of it carries. */
export type RolloutActionTemplate = {
	tenant: string;
	rolloutId: number;
	dsId: number;
	actionType: ActionType;
	forcedTime: number | null;
	weight: number | null;
	initiatedBy: string;
};

/**
 * Creates the SCHEDULED (inactive) actions of up to `limit` group members after `afterTargetId`, first
 * canceling those targets' other inactive SCHEDULED actions (a later rollout replaces an earlier one's
 * schedule — hawkBit createActions / cancelInactiveScheduledActionsForTargets). One atomic batch.
 * Returns the last target id covered (the next cursor), or undefined when no member is left.
 */
export async function scheduleGroupChunk(
	d1: D1Database,
	q: {
		template: RolloutActionTemplate;
		groupId: number;
		afterTargetId: number;
		limit: number;
		now: number;
	},
): Promise<{ cursor: number; created: number } | undefined> {
	const hi = await memberChunkBound(d1, q.groupId, q.afterTargetId, q.limit);
	if (hi === undefined) {
		return undefined;
	}
	const t = q.template;
	const members = sql`SELECT target_id FROM rollout_target_groups WHERE rollout_group_id = ${q.groupId}
		AND target_id > ${q.afterTargetId} AND target_id <= ${hi}`;
	const [, inserted] = await d1.batch([
		stmt(
			d1,
			sql`UPDATE actions SET status = 'CANCELED', last_modified_at = ${q.now}
			WHERE target_id IN (${members}) AND active = 0 AND status = 'SCHEDULED'
				AND (rollout_group_id IS NULL OR rollout_group_id <> ${q.groupId})`,
		),
		// `+a.rollout_group_id` keeps SQLite on the target index for the duplicate check.
		stmt(
			d1,
			sql`INSERT INTO actions (tenant, target_id, ds_id, action_type, status, active, weight, forced_time,
				rollout_id, rollout_group_id, initiated_by, created_at, created_by, last_modified_at, last_modified_by)
			SELECT ${t.tenant}, r.target_id, ${t.dsId}, ${t.actionType}, 'SCHEDULED', 0, ${t.weight}, ${t.forcedTime},
				${t.rolloutId}, ${q.groupId}, ${t.initiatedBy}, ${q.now}, ${t.initiatedBy}, ${q.now}, ${t.initiatedBy}
			FROM rollout_target_groups r JOIN targets tg ON tg.id = r.target_id
			WHERE r.rollout_group_id = ${q.groupId} AND r.target_id > ${q.afterTargetId} AND r.target_id <= ${hi}
				AND NOT EXISTS (SELECT 1 FROM actions a WHERE a.target_id = r.target_id AND +a.rollout_group_id = ${q.groupId})
			ORDER BY r.target_id`,
		),
	]);
	return { cursor: hi, created: inserted?.meta.changes ?? 0 };
}

/** How a group start treats confirmation and obsolete actions (tenant configuration). */
export type GroupStartOptions = {
	/** `user.confirmation.flow.enabled`. */
	confirmationFlow: boolean;
	/** `repository.actions.autoclose.enabled`: obsolete actions are closed instead of canceled. */
	autoclose: boolean;
};

/** What starting one chunk of a group did. */
export type GroupStartChunk = {
	/** Targets of the chunk (new assignment or obsolete action canceled): refresh their poll entries. */
	targetIds: number[];
	/** Actions closed as FINISHED because the target already had the DS assigned. */
	alreadyAssigned: number;
	activated: number;
	/** Rollouts other than this one whose actions were closed/canceled as obsolete. */
	otherRolloutIds: number[];
};

/**
 * Starts up to `limit` SCHEDULED actions of a group (lowest ids first), in one atomic D1 batch —
 * hawkBit JpaDeploymentManagement#startScheduledActions:
 * 1. targets that already have the DS assigned: action → FINISHED (inactive) with hawkBit's skip message;
 * 2. the other targets' active actions (except required migration steps) → CANCELING with "cancel
 *    obsolete action due to new update" (or CANCELED/inactive, "close obsolete …", with autoclose);
 * 3. the initial status entry "Initiated by Rollout Group '<g>' [Rollout <name>:<id>]" plus the
 *    confirmation note, and the action's status: RUNNING, or WAIT_FOR_CONFIRMATION when the flow is on,
 *    the group requires confirmation and the target has no auto-confirmation (the DDI-deployment rules
 *    of shared/domain/action-status.ts#newActionState, applied per class of target in SQL);
 * 4. targets: assigned DS := rollout DS, update status pending.
 * `beforeCommit` receives the chunk's target ids before anything is written (the coordinator records
 * them so a crash between commit and poll refresh cannot lose the refresh).
 * Returns undefined when the group has no SCHEDULED action left.
 */
export async function startGroupChunk(
	d1: D1Database,
	q: {
		tenant: string;
		rollout: { id: number; name: string; dsId: number; createdBy: string };
		group: { id: number; name: string; confirmationRequired: boolean };
		limit: number;
		options: GroupStartOptions;
		actor: string;
		now: number;
		beforeCommit?: (targetIds: number[]) => void | Promise<void>;
	},
): Promise<GroupStartChunk | undefined> {
	const bound = await first<{ lo: number | null; hi: number | null }>(
		d1,
		sql`SELECT min(id) AS lo, max(id) AS hi FROM (SELECT id FROM actions
			WHERE rollout_group_id = ${q.group.id} AND status = 'SCHEDULED' ORDER BY id LIMIT ${q.limit})`,
	);
	if (bound?.hi == null || bound.lo == null) {
		return undefined;
	}
	const { lo, hi } = bound;
	const g = q.group.id;
	const chunk = sql`rollout_group_id = ${g} AND status = 'SCHEDULED' AND id >= ${lo} AND id <= ${hi}`;
	const chunkTargets = sql`SELECT target_id FROM actions WHERE ${chunk}`;
	const audit = sql`${q.now}, ${q.actor}, ${q.now}, ${q.actor}`;
	const obsolete = sql`active = 1 AND target_id IN (${chunkTargets})
		AND (rollout_group_id IS NULL OR rollout_group_id <> ${g})
		AND ds_id NOT IN (SELECT id FROM distribution_sets WHERE required_migration_step = 1)
		${q.options.autoclose ? sql`` : sql`AND status <> 'CANCELING'`}`;

	// Read before the batch: the chunk's targets (poll refresh) and whose actions become obsolete.
	const targets = await all<{ target_id: number }>(d1, chunkTargets);
	const others = await all<{ rollout_id: number }>(
		d1,
		sql`SELECT DISTINCT rollout_id FROM actions WHERE ${obsolete} AND rollout_id IS NOT NULL`,
	);
	const initialMessage = rolloutInitiatedMessage(q.group.name, q.rollout.name, q.rollout.id);
	const stateFor = (autoConfirmation?: AutoConfirmation) =>
		newActionState({
			confirmationFlowEnabled: q.options.confirmationFlow,
			confirmationRequired: q.group.confirmationRequired,
			autoConfirmation,
			initiatedBy: q.rollout.createdBy,
			initialMessage,
		});
	const plain = stateFor(undefined);
	// Auto-confirmation only matters when the flow is on and the group asks for consent.
	const autoMatters = q.options.confirmationFlow && q.group.confirmationRequired;
	const autoConfirmed = autoMatters
		? await all<{ id: number; initiator: string | null; remark: string | null }>(
				d1,
				sql`SELECT a.id AS id, t.auto_confirm_initiator AS initiator, t.auto_confirm_remark AS remark
				FROM actions a JOIN targets t ON t.id = a.target_id
				WHERE a.rollout_group_id = ${g} AND a.status = 'SCHEDULED' AND a.id >= ${lo} AND a.id <= ${hi}
					AND t.auto_confirm_active = 1 AND t.assigned_ds_id IS NOT ${q.rollout.dsId}`,
			)
		: [];
	const autoRows = autoConfirmed.map((r) => {
		const state = stateFor({ initiator: r.initiator, remark: r.remark, activatedBy: null });
		return {
			id: r.id,
			status: state.status,
			entry: state.entry.status,
			messages: JSON.stringify(state.entry.messages),
		};
	});
	const autoIds = JSON.stringify(autoRows.map((r) => r.id));
	await q.beforeCommit?.(targets.map((r) => r.target_id));

	const skipped = sql`${chunk} AND target_id IN (SELECT id FROM targets WHERE assigned_ds_id = ${q.rollout.dsId})`;
	const notAuto = sql`${chunk} AND id NOT IN (SELECT value FROM json_each(${autoIds}))`;
	const statements: D1PreparedStatement[] = [
		stmt(
			d1,
			sql`INSERT INTO action_statuses (tenant, action_id, status, timestamp, messages, created_at, created_by, last_modified_at, last_modified_by)
			SELECT tenant, id, 'RUNNING', created_at, json_array(${`${SERVER_MESSAGE_PREFIX}Distribution Set is already assigned. Skipping this action.`}), ${audit}
			FROM actions WHERE ${skipped}`,
		),
		stmt(
			d1,
			sql`UPDATE actions SET status = 'FINISHED', active = 0, last_modified_at = ${q.now}, last_modified_by = ${q.actor}
			WHERE ${skipped}`,
		),
		stmt(
			d1,
			sql`INSERT INTO action_statuses (tenant, action_id, status, timestamp, messages, created_at, created_by, last_modified_at, last_modified_by)
			SELECT tenant, id, ${q.options.autoclose ? "CANCELED" : "CANCELING"}, ${q.now},
				${JSON.stringify([q.options.autoclose ? MESSAGES.closeObsolete : MESSAGES.cancelObsolete])}, ${audit}
			FROM actions WHERE ${obsolete}`,
		),
		stmt(
			d1,
			q.options.autoclose
				? sql`UPDATE actions SET status = 'CANCELED', active = 0, last_modified_at = ${q.now}, last_modified_by = ${q.actor} WHERE ${obsolete}`
				: sql`UPDATE actions SET status = 'CANCELING', last_modified_at = ${q.now}, last_modified_by = ${q.actor} WHERE ${obsolete}`,
		),
		stmt(
			d1,
			sql`UPDATE targets SET assigned_ds_id = ${q.rollout.dsId}, update_status = 'pending',
				last_modified_at = ${q.now}, last_modified_by = ${q.actor}
			WHERE id IN (${chunkTargets})`,
		),
		stmt(
			d1,
			sql`INSERT INTO action_statuses (tenant, action_id, status, timestamp, messages, created_at, created_by, last_modified_at, last_modified_by)
			SELECT tenant, id, ${plain.entry.status}, created_at, ${JSON.stringify(plain.entry.messages)}, ${audit}
			FROM actions WHERE ${notAuto}`,
		),
		stmt(
			d1,
			sql`UPDATE actions SET active = 1, status = ${plain.status}, last_modified_at = ${q.now}, last_modified_by = ${q.actor}
			WHERE ${notAuto}`,
		),
	];
	if (autoRows.length > 0) {
		const json = JSON.stringify(autoRows);
		statements.push(
			stmt(
				d1,
				sql`INSERT INTO action_statuses (tenant, action_id, status, timestamp, messages, created_at, created_by, last_modified_at, last_modified_by)
				SELECT a.tenant, a.id, json_extract(j.value, '$.entry'), a.created_at, json_extract(j.value, '$.messages'), ${audit}
				FROM json_each(${json}) j JOIN actions a ON a.id = json_extract(j.value, '$.id') WHERE a.status = 'SCHEDULED'`,
			),
			stmt(
				d1,
				sql`UPDATE actions SET active = 1, last_modified_at = ${q.now}, last_modified_by = ${q.actor},
					status = (SELECT json_extract(j.value, '$.status') FROM json_each(${json}) j WHERE json_extract(j.value, '$.id') = actions.id)
				WHERE ${chunk} AND id IN (SELECT value FROM json_each(${autoIds}))`,
			),
		);
	}
	const results = await d1.batch(statements);
	return {
		targetIds: targets.map((r) => r.target_id),
		alreadyAssigned: results[1]?.meta.changes ?? 0,
		activated: (results[6]?.meta.changes ?? 0) + (results[8]?.meta.changes ?? 0),
		otherRolloutIds: others.map((r) => r.rollout_id).filter((id) => id !== q.rollout.id),
	};
}

/** Deletes up to `limit` SCHEDULED actions of the rollout; returns how many. */
export async function deleteScheduledActionsChunk(
	d1: D1Database,
	q: { rolloutId: number; limit: number },
): Promise<number> {
	return run(
		d1,
		sql`DELETE FROM actions WHERE id IN (SELECT id FROM actions WHERE rollout_id = ${q.rolloutId} AND status = 'SCHEDULED' LIMIT ${q.limit})`,
	);
}

/** Marks every group not FINISHED/ERROR as FINISHED (stop / delete). */
export async function finishOpenGroups(
	d1: D1Database,
	q: { rolloutId: number; actor: string; now: number },
): Promise<void> {
	await run(
		d1,
		sql`UPDATE rollout_groups SET status = 'finished', last_modified_at = ${q.now}, last_modified_by = ${q.actor}
		WHERE rollout_id = ${q.rolloutId} AND status NOT IN ('finished', 'error')`,
	);
}

/**
 * Soft-cancels up to `limit` active actions of the rollout that are not already CANCELING
 * (→ CANCELING + "A cancellation has been performed by server."); returns their targets.
 * hawkBit JpaRolloutManagement#softCancelActionsOfRollout.
 */
export async function softCancelRolloutActionsChunk(
	d1: D1Database,
	q: {
		rolloutId: number;
		limit: number;
		actor: string;
		now: number;
		beforeCommit?: (targetIds: number[]) => void;
	},
): Promise<number[]> {
	const picked = sql`SELECT id FROM actions WHERE rollout_id = ${q.rolloutId} AND active = 1 AND status <> 'CANCELING' ORDER BY id LIMIT ${q.limit}`;
	const ids = await all<{ id: number; target_id: number }>(
		d1,
		sql`SELECT id, target_id FROM actions WHERE id IN (${picked})`,
	);
	if (ids.length === 0) {
		return [];
	}
	const lo = Math.min(...ids.map((r) => r.id));
	const hi = Math.max(...ids.map((r) => r.id));
	const range = sql`rollout_id = ${q.rolloutId} AND active = 1 AND status <> 'CANCELING' AND id >= ${lo} AND id <= ${hi}`;
	const audit = sql`${q.now}, ${q.actor}, ${q.now}, ${q.actor}`;
	const targetIds = [...new Set(ids.map((r) => r.target_id))];
	q.beforeCommit?.(targetIds);
	await d1.batch([
		stmt(
			d1,
			sql`INSERT INTO action_statuses (tenant, action_id, status, timestamp, messages, created_at, created_by, last_modified_at, last_modified_by)
			SELECT tenant, id, 'CANCELING', ${q.now}, json_array(${`${SERVER_MESSAGE_PREFIX}A cancellation has been performed by server.`}), ${audit}
			FROM actions WHERE ${range}`,
		),
		stmt(
			d1,
			sql`UPDATE actions SET status = 'CANCELING', last_modified_at = ${q.now}, last_modified_by = ${q.actor} WHERE ${range}`,
		),
	]);
	return targetIds;
}

/**
 * Force-quits up to `limit` active actions of the rollout (→ CANCELED, inactive, "A force quit has been
 * performed by server."), then points each affected target at its oldest remaining active action's DS,
 * or back to its installed DS and in_sync when none is left. Returns the affected targets.
 * hawkBit JpaRolloutManagement#forceQuitActionsOfRollout.
 */
export async function forceQuitRolloutActionsChunk(
	d1: D1Database,
	q: {
		rolloutId: number;
		limit: number;
		actor: string;
		now: number;
		beforeCommit?: (targetIds: number[]) => void;
	},
): Promise<number[]> {
	const ids = await all<{ id: number; target_id: number }>(
		d1,
		sql`SELECT id, target_id FROM actions WHERE rollout_id = ${q.rolloutId} AND active = 1 ORDER BY id LIMIT ${q.limit}`,
	);
	if (ids.length === 0) {
		return [];
	}
	const lo = Math.min(...ids.map((r) => r.id));
	const hi = Math.max(...ids.map((r) => r.id));
	const range = sql`rollout_id = ${q.rolloutId} AND active = 1 AND id >= ${lo} AND id <= ${hi}`;
	const audit = sql`${q.now}, ${q.actor}, ${q.now}, ${q.actor}`;
	const targetIds = [...new Set(ids.map((r) => r.target_id))];
	q.beforeCommit?.(targetIds);
	const statements: D1PreparedStatement[] = [
		stmt(
			d1,
			sql`INSERT INTO action_statuses (tenant, action_id, status, timestamp, messages, created_at, created_by, last_modified_at, last_modified_by)
			SELECT tenant, id, 'CANCELED', ${q.now}, json_array(${`${SERVER_MESSAGE_PREFIX}A force quit has been performed by server.`}), ${audit}
			FROM actions WHERE ${range}`,
		),
		stmt(
			d1,
			sql`UPDATE actions SET status = 'CANCELED', active = 0, last_modified_at = ${q.now}, last_modified_by = ${q.actor} WHERE ${range}`,
		),
	];
	for (let i = 0; i < targetIds.length; i += 90) {
		const chunk = sql.join(
			targetIds.slice(i, i + 90).map((id) => sql`${id}`),
			sql`, `,
		);
		statements.push(
			stmt(
				d1,
				sql`UPDATE targets SET assigned_ds_id = (SELECT a.ds_id FROM actions a WHERE a.target_id = targets.id AND a.active = 1 ORDER BY a.id LIMIT 1)
				WHERE id IN (${chunk}) AND EXISTS (SELECT 1 FROM actions a WHERE a.target_id = targets.id AND a.active = 1)`,
			),
			stmt(
				d1,
				sql`UPDATE targets SET assigned_ds_id = installed_ds_id, update_status = 'in_sync'
				WHERE id IN (${chunk}) AND NOT EXISTS (SELECT 1 FROM actions a WHERE a.target_id = targets.id AND a.active = 1)`,
			),
		);
	}
	await d1.batch(statements);
	return targetIds;
}

/** Active actions of the rollout (optionally not counting CANCELING ones). */
export async function countActiveRolloutActions(
	d1: D1Database,
	q: { rolloutId: number; excludeCanceling: boolean },
): Promise<number> {
	const r = await first<{ n: number }>(
		d1,
		sql`SELECT count(*) AS n FROM actions WHERE rollout_id = ${q.rolloutId} AND active = 1
		${q.excludeCanceling ? sql`AND status <> 'CANCELING'` : sql``}`,
	);
	return r?.n ?? 0;
}

/** Whether the rollout has actions, and whether any is beyond SCHEDULED (hard vs soft delete). */
export async function rolloutActionPresence(
	d1: D1Database,
	rolloutId: number,
): Promise<{ any: boolean; started: boolean; scheduled: boolean }> {
	const r = await first<{ any: number; started: number; scheduled: number }>(
		d1,
		sql`SELECT EXISTS (SELECT 1 FROM actions WHERE rollout_id = ${rolloutId}) AS any,
			EXISTS (SELECT 1 FROM actions WHERE rollout_id = ${rolloutId} AND status <> 'SCHEDULED') AS started,
			EXISTS (SELECT 1 FROM actions WHERE rollout_id = ${rolloutId} AND status = 'SCHEDULED') AS scheduled`,
	);
	return { any: r?.any === 1, started: r?.started === 1, scheduled: r?.scheduled === 1 };
}

/** Deletes up to `limit` group memberships of the rollout (before a hard delete of a large rollout). */
export async function deleteGroupMembersChunk(
	d1: D1Database,
	q: { rolloutId: number; limit: number },
): Promise<number> {
	return run(
		d1,
		sql`DELETE FROM rollout_target_groups WHERE rowid IN (SELECT rtg.rowid FROM rollout_target_groups rtg
			JOIN rollout_groups g ON g.id = rtg.rollout_group_id WHERE g.rollout_id = ${q.rolloutId} LIMIT ${q.limit})`,
	);
}

/** Removes the rollout with its groups and group memberships (cascade) and any remaining actions. */
export async function hardDeleteRollout(d1: D1Database, rolloutId: number): Promise<void> {
	await d1.batch([
		stmt(d1, sql`DELETE FROM actions WHERE rollout_id = ${rolloutId}`),
		stmt(d1, sql`DELETE FROM rollouts WHERE id = ${rolloutId}`),
	]);
}

/** Appends a dynamic group (status READY at creation end, SCHEDULED while running) after `parentId`. */
export async function insertDynamicGroup(
	d1: D1Database,
	q: {
		tenant: string;
		rolloutId: number;
		parentId: number;
		group: NewRolloutGroup;
		status: RolloutGroupStatus;
		actor: string;
		now: number;
	},
): Promise<number> {
	const g = q.group;
	const row = await first<{ id: number }>(
		d1,
		sql`INSERT INTO rollout_groups (tenant, rollout_id, parent_id, name, description, status, target_filter_query,
			target_percentage, confirmation_required, dynamic, total_targets, ${CONDITION_COLUMNS},
			created_at, created_by, last_modified_at, last_modified_by)
		VALUES (${q.tenant}, ${q.rolloutId}, ${q.parentId}, ${g.name}, ${g.description}, ${q.status}, ${g.targetFilterQuery},
			${g.targetPercentage}, ${b(g.confirmationRequired)}, 1, 0, ${conditionValues(g.conditions)},
			${q.now}, ${q.actor}, ${q.now}, ${q.actor})
		RETURNING id`,
	);
	if (!row) {
		throw new Error("dynamic group insert returned no id");
	}
	return row.id;
}

/**
 * Dynamic top-up: adds up to `limit` matching targets that have no action of this or a newer rollout
 * (hawkBit hasNoOverridingActionsAndNotInRollout) to the group, each with a SCHEDULED action (their other
 * scheduled actions canceled). Returns the new members' target ids; the caller starts them when the group
 * already runs and adds them to the totals.
 */
export async function topUpDynamicGroupChunk(
	d1: D1Database,
	q: {
		template: RolloutActionTemplate;
		groupId: number;
		predicate: SQL;
		limit: number;
		now: number;
	},
): Promise<number[]> {
	if (q.limit <= 0) {
		return [];
	}
	const t = q.template;
	const picked = await all<{ id: number }>(
		d1,
		sql`SELECT targets.id AS id FROM targets WHERE ${q.predicate}
			AND NOT EXISTS (SELECT 1 FROM actions a WHERE a.target_id = targets.id AND a.rollout_id >= ${t.rolloutId})
		ORDER BY targets.id LIMIT ${q.limit}`,
	);
	if (picked.length === 0) {
		return [];
	}
	const ids = picked.map((r) => r.id);
	const lo = Math.min(...ids);
	const hi = Math.max(...ids);
	// Re-checked inside the batch so a concurrent run cannot add a target twice.
	const free = sql`${q.predicate} AND targets.id >= ${lo} AND targets.id <= ${hi}
		AND NOT EXISTS (SELECT 1 FROM actions a WHERE a.target_id = targets.id AND a.rollout_id >= ${t.rolloutId})`;
	await d1.batch([
		stmt(
			d1,
			sql`INSERT OR IGNORE INTO rollout_target_groups (rollout_group_id, target_id)
			SELECT ${q.groupId}, targets.id FROM targets WHERE ${free} ORDER BY targets.id LIMIT ${q.limit}`,
		),
		stmt(
			d1,
			sql`UPDATE actions SET status = 'CANCELED', last_modified_at = ${q.now}
			WHERE active = 0 AND status = 'SCHEDULED' AND target_id IN (SELECT target_id FROM rollout_target_groups
				WHERE rollout_group_id = ${q.groupId} AND target_id >= ${lo} AND target_id <= ${hi})
				AND rollout_group_id <> ${q.groupId}`,
		),
		stmt(
			d1,
			sql`INSERT INTO actions (tenant, target_id, ds_id, action_type, status, active, weight, forced_time,
				rollout_id, rollout_group_id, initiated_by, created_at, created_by, last_modified_at, last_modified_by)
			SELECT ${t.tenant}, r.target_id, ${t.dsId}, ${t.actionType}, 'SCHEDULED', 0, ${t.weight}, ${t.forcedTime},
				${t.rolloutId}, ${q.groupId}, ${t.initiatedBy}, ${q.now}, ${t.initiatedBy}, ${q.now}, ${t.initiatedBy}
			FROM rollout_target_groups r
			WHERE r.rollout_group_id = ${q.groupId} AND r.target_id >= ${lo} AND r.target_id <= ${hi}
				AND NOT EXISTS (SELECT 1 FROM actions a WHERE a.target_id = r.target_id AND +a.rollout_group_id = ${q.groupId})`,
		),
	]);
	return ids;
}

/** Adds `delta` to a group's and its rollout's target totals (dynamic top-up, deleted targets). */
export async function adjustTotals(
	d1: D1Database,
	q: { rolloutId: number; groupId: number; delta: number },
): Promise<void> {
	if (q.delta === 0) {
		return;
	}
	await d1.batch([
		stmt(
			d1,
			sql`UPDATE rollout_groups SET total_targets = total_targets + ${q.delta} WHERE id = ${q.groupId}`,
		),
		stmt(
			d1,
			sql`UPDATE rollouts SET total_targets = total_targets + ${q.delta} WHERE id = ${q.rolloutId}`,
		),
	]);
}

/** Running (or paused) dynamic rollouts of a tenant: the ones a newly registered target may join. */
export async function listDynamicRolloutIds(d1: D1Database, tenant: string): Promise<number[]> {
	const rows = await all<{ id: number }>(
		d1,
		sql`SELECT id FROM rollouts WHERE tenant = ${tenant} AND dynamic = 1 AND status IN ('running', 'ready', 'starting')`,
	);
	return rows.map((r) => r.id);
}

/** Rollouts of a DS in one of the given states (DS invalidation stops or deletes them). */
export async function listRolloutIdsOfDistributionSet(
	d1: D1Database,
	q: { tenant: string; dsId: number; statuses: readonly RolloutStatus[] },
): Promise<number[]> {
	const rows = await all<{ id: number }>(
		d1,
		sql`SELECT id FROM rollouts WHERE tenant = ${q.tenant} AND ds_id = ${q.dsId} AND status IN (${sql.join(
			q.statuses.map((s) => sql`${s}`),
			sql`, `,
		)})`,
	);
	return rows.map((r) => r.id);
}

/** One state change a coordinator decision makes (see shared/domain/rollout-state.ts#decideRunningRollout). */
export type RolloutTransition =
	| RolloutStep
	/** Paused → running, pause reason cleared (resume). */
	| { kind: "resume" };

function transitionStatement(
	d1: D1Database,
	rolloutId: number,
	t: RolloutTransition,
	touch: SQL,
): D1PreparedStatement {
	const q = { rolloutId };
	switch (t.kind) {
		case "resume":
			return stmt(
				d1,
				sql`UPDATE rollouts SET status = 'running', pause_reason = NULL, ${touch} WHERE id = ${q.rolloutId} AND status = 'paused'`,
			);
		case "pause":
			return stmt(
				d1,
				sql`UPDATE rollouts SET status = 'paused', pause_reason = ${t.reason}, ${touch} WHERE id = ${q.rolloutId} AND status = 'running'`,
			);
		case "rolloutFinished":
			return stmt(
				d1,
				sql`UPDATE rollouts SET status = 'finished', ${touch} WHERE id = ${q.rolloutId} AND status IN ('running', 'paused')`,
			);
		case "groupError":
			return stmt(
				d1,
				sql`UPDATE rollout_groups SET status = 'error', ${touch} WHERE id = ${t.groupId} AND status = 'running'`,
			);
		case "groupFinished":
			return stmt(
				d1,
				sql`UPDATE rollout_groups SET status = 'finished', ${touch} WHERE id = ${t.groupId} AND status = 'running'`,
			);
		case "startGroups":
			return stmt(
				d1,
				sql`UPDATE rollout_groups SET status = 'running', ${touch} WHERE rollout_id = ${q.rolloutId} AND status = 'scheduled'
				AND id IN (${sql.join(
					t.groupIds.map((id) => sql`${id}`),
					sql`, `,
				)})`,
			);
	}
}

/**
 * Applies a decision's state changes in ONE D1 batch, so a group marked ERROR and the rollout's pause
 * land together or not at all (a half-applied decision could otherwise let a later group start).
 * Each statement only changes rows still in the expected state, so replaying a decision is harmless.
 */
export async function applyRolloutTransitions(
	d1: D1Database,
	q: { rolloutId: number; transitions: RolloutTransition[]; actor: string; now: number },
): Promise<void> {
	const touch = sql`last_modified_at = ${q.now}, last_modified_by = ${q.actor}`;
	const statements = q.transitions.map((t) => transitionStatement(d1, q.rolloutId, t, touch));
	if (statements.length > 0) {
		await d1.batch(statements);
	}
}

/** Whether the group still has SCHEDULED actions (a started group whose activation is not complete). */
export async function hasScheduledActions(d1: D1Database, groupId: number): Promise<boolean> {
	const r = await first<{ x: number }>(
		d1,
		sql`SELECT EXISTS (SELECT 1 FROM actions WHERE rollout_group_id = ${groupId} AND status = 'SCHEDULED') AS x`,
	);
	return r?.x === 1;
}

/** Rollouts the coordinators still have work for (the cron sweep pokes them in case an alarm was lost). */
export async function listRolloutsNeedingWork(
	d1: D1Database,
	statuses: readonly RolloutStatus[],
	limit: number,
): Promise<{ tenant: string; id: number }[]> {
	return all(
		d1,
		sql`SELECT tenant, id FROM rollouts WHERE status IN (${sql.join(
			statuses.map((s) => sql`${s}`),
			sql`, `,
		)}) ORDER BY id LIMIT ${limit}`,
	);
}

/** Whether a rollout of this name exists in the tenant (hawkBit: unique index on name + tenant). */
export async function rolloutNameExists(
	d1: D1Database,
	q: { tenant: string; name: string },
): Promise<boolean> {
	const r = await first<{ x: number }>(
		d1,
		sql`SELECT EXISTS (SELECT 1 FROM rollouts WHERE tenant = ${q.tenant} AND name = ${q.name}) AS x`,
	);
	return r?.x === 1;
}

/** Implicit lock of the DS and its modules on first use (`implicit.lock.enabled`, hawkBit #shouldLockImplicitly). */
export async function lockDistributionSet(
	d1: D1Database,
	q: { dsId: number; actor: string; now: number },
): Promise<void> {
	await d1.batch([
		stmt(
			d1,
			sql`UPDATE software_modules SET locked = 1, last_modified_at = ${q.now}, last_modified_by = ${q.actor}
			WHERE locked = 0 AND id IN (SELECT sm_id FROM distribution_set_modules WHERE ds_id = ${q.dsId})`,
		),
		stmt(
			d1,
			sql`UPDATE distribution_sets SET locked = 1, last_modified_at = ${q.now}, last_modified_by = ${q.actor}
			WHERE id = ${q.dsId} AND locked = 0`,
		),
	]);
}

/** One page of the tenant's rollouts (RSQL on ROLLOUTS, hawkBit's soft_deleted_mode) plus the total. */
export async function listRollouts(
	db: Db,
	q: { tenant: string; where?: SQL; softDeleted?: SoftDeletedMode } & Page,
): Promise<{ rows: RolloutRow[]; total: number }> {
	const cond = allOf(
		eq(rolloutsTable.tenant, q.tenant),
		softDeletedFilter(rolloutsTable.deleted, q.softDeleted),
		q.where,
	);
	const [rows, totals] = await db.batch([
		db.select().from(rolloutsTable).where(cond).orderBy(q.orderBy).limit(q.limit).offset(q.offset),
		db.select({ n: countAll }).from(rolloutsTable).where(cond),
	]);
	return { rows: rows as RolloutRow[], total: totals[0]?.n ?? 0 };
}

/** One page of a rollout's groups (RSQL on ROLLOUT_GROUPS) plus the total. */
export async function listRolloutGroups(
	db: Db,
	q: { tenant: string; rolloutId: number; where?: SQL } & Page,
): Promise<{ rows: RolloutGroupRow[]; total: number }> {
	const cond = allOf(
		eq(rolloutGroupsTable.tenant, q.tenant),
		eq(rolloutGroupsTable.rolloutId, q.rolloutId),
		q.where,
	);
	const [rows, totals] = await db.batch([
		db
			.select()
			.from(rolloutGroupsTable)
			.where(cond)
			.orderBy(q.orderBy)
			.limit(q.limit)
			.offset(q.offset),
		db.select({ n: countAll }).from(rolloutGroupsTable).where(cond),
	]);
	return { rows: rows as RolloutGroupRow[], total: totals[0]?.n ?? 0 };
}

/** Number of groups per rollout (`totalGroups`). */
export async function countGroupsOfRollouts(
	d1: D1Database,
	rolloutIds: number[],
): Promise<Map<number, number>> {
	if (rolloutIds.length === 0) {
		return new Map();
	}
	const rows = await all<{ rollout_id: number; n: number }>(
		d1,
		sql`SELECT rollout_id, count(*) AS n FROM rollout_groups WHERE rollout_id IN (${sql.join(
			rolloutIds.map((id) => sql`${id}`),
			sql`, `,
		)}) GROUP BY rollout_id`,
	);
	return new Map(rows.map((r) => [r.rollout_id, r.n]));
}

/** Name and version of distribution sets (the rollout's `distributionset` link name). */
export async function distributionSetLabels(
	d1: D1Database,
	dsIds: number[],
): Promise<Map<number, { name: string; version: string }>> {
	if (dsIds.length === 0) {
		return new Map();
	}
	const rows = await all<{ id: number; name: string; version: string }>(
		d1,
		sql`SELECT id, name, version FROM distribution_sets WHERE id IN (${sql.join(
			[...new Set(dsIds)].map((id) => sql`${id}`),
			sql`, `,
		)})`,
	);
	return new Map(rows.map((r) => [r.id, { name: r.name, version: r.version }]));
}

/** Condition over `targets` selecting the members of a rollout group (its targets endpoint). */
export function inRolloutGroup(groupId: number): SQL {
	return sql`"targets"."id" IN (SELECT target_id FROM rollout_target_groups WHERE rollout_group_id = ${groupId})`;
}
