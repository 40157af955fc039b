/**
 * SQL of the device-facing side. hawkBit: ControllerManagement (findOrRegisterTargetIfItDoesNotExist,
 * findActiveActionWithHighestWeight, findInstalledActionByTarget, updateControllerAttributes) and the
 * batched last-poll writes of JpaControllerManagement#flushUpdateQueue.
 */
import type { ActionStatus, ActionType, TargetUpdateStatus } from "../schema";

/** What the poll needs of a target. */
export type PollTargetRow = {
	id: number;
	controllerId: string;
	securityToken: string;
	updateStatus: TargetUpdateStatus;
	requestControllerAttributes: boolean;
	name: string;
};

/** What the poll needs of an active action. */
export type PollActionRow = {
	id: number;
	targetId: number;
	status: ActionStatus;
	actionType: ActionType;
	weight: number | null;
	forcedTime: number | null;
	maintenanceSchedule: string | null;
	maintenanceDuration: string | null;
	maintenanceTimezone: string | null;
	lastModifiedAt: number;
};

/** Everything a poll entry is computed from, for a set of targets of one tenant. */
export type PollStates = {
	targets: PollTargetRow[];
	/** Every active action of those targets. */
	activeActions: PollActionRow[];
	/** Per target: the newest inactive FINISHED action of its installed DS (the installedBase link). */
	installed: { targetId: number; actionId: number }[];
};

/** D1 caps bound parameters per statement at 100; leave room for the tenant parameter. */
const ID_CHUNK = 90;

type RawTarget = {
	id: number;
	controller_id: string;
	security_token: string;
	update_status: TargetUpdateStatus;
	request_controller_attributes: number;
	name: string;
};
type RawAction = {
	id: number;
	target_id: number;
	status: ActionStatus;
	action_type: ActionType;
	weight: number | null;
	forced_time: number | null;
	maintenance_schedule: string | null;
	maintenance_duration: string | null;
	maintenance_timezone: string | null;
	last_modified_at: number;
};

const TARGET_COLUMNS =
	"t.id, t.controller_id, t.security_token, t.update_status, t.request_controller_attributes, t.name";
const ACTION_COLUMNS =
	"a.id, a.target_id, a.status, a.action_type, a.weight, a.forced_time, a.maintenance_schedule, a.maintenance_duration, a.maintenance_timezone, a.last_modified_at";

/**
 * Reads the poll-relevant state of targets, either by ids or by one controller id, in ONE D1 round
 * trip (a batch of three selects per chunk of ids).
 */
export async function findPollStates(
	d1: D1Database,
	tenant: string,
	by: { targetIds: number[] } | { controllerId: string },
): Promise<PollStates> {
	const statements: D1PreparedStatement[] = [];
	if ("controllerId" in by) {
		const which = "SELECT id FROM targets WHERE tenant = ?1 AND controller_id = ?2";
		statements.push(
			d1
				.prepare(
					`SELECT ${TARGET_COLUMNS} FROM targets t WHERE t.tenant = ?1 AND t.controller_id = ?2`,
				)
				.bind(tenant, by.controllerId),
			d1
				.prepare(
					`SELECT ${ACTION_COLUMNS} FROM actions a WHERE a.target_id = (${which}) AND a.active = 1`,
				)
				.bind(tenant, by.controllerId),
			d1
				.prepare(
					`SELECT a.target_id AS target_id, MAX(a.id) AS action_id FROM actions a JOIN targets t ON t.id = a.target_id
					 WHERE t.tenant = ?1 AND t.controller_id = ?2 AND a.ds_id = t.installed_ds_id AND a.status = 'FINISHED' AND a.active = 0
					 GROUP BY a.target_id`,
				)
				.bind(tenant, by.controllerId),
		);
	} else {
		for (let i = 0; i < by.targetIds.length; i += ID_CHUNK) {
			const ids = by.targetIds.slice(i, i + ID_CHUNK);
			const marks = ids.map((_, j) => `?${j + 2}`).join(",");
			statements.push(
				d1
					.prepare(
						`SELECT ${TARGET_COLUMNS} FROM targets t WHERE t.tenant = ?1 AND t.id IN (${marks})`,
					)
					.bind(tenant, ...ids),
				d1
					.prepare(
						`SELECT ${ACTION_COLUMNS} FROM actions a WHERE a.tenant = ?1 AND a.target_id IN (${marks}) AND a.active = 1`,
					)
					.bind(tenant, ...ids),
				d1
					.prepare(
						`SELECT a.target_id AS target_id, MAX(a.id) AS action_id FROM actions a JOIN targets t ON t.id = a.target_id
						 WHERE t.tenant = ?1 AND a.target_id IN (${marks}) AND a.ds_id = t.installed_ds_id AND a.status = 'FINISHED' AND a.active = 0
						 GROUP BY a.target_id`,
					)
					.bind(tenant, ...ids),
			);
		}
	}
	const states: PollStates = { targets: [], activeActions: [], installed: [] };
	if (statements.length === 0) {
		return states;
	}
	const results = await d1.batch(statements);
	for (let i = 0; i < results.length; i += 3) {
		for (const t of (results[i]?.results ?? []) as RawTarget[]) {
			states.targets.push({
				id: t.id,
				controllerId: t.controller_id,
				securityToken: t.security_token,
				updateStatus: t.update_status,
				requestControllerAttributes: Boolean(t.request_controller_attributes),
				name: t.name,
			});
		}
		for (const a of (results[i + 1]?.results ?? []) as RawAction[]) {
			states.activeActions.push({
				id: a.id,
				targetId: a.target_id,
				status: a.status,
				actionType: a.action_type,
				weight: a.weight,
				forcedTime: a.forced_time,
				maintenanceSchedule: a.maintenance_schedule,
				maintenanceDuration: a.maintenance_duration,
				maintenanceTimezone: a.maintenance_timezone,
				lastModifiedAt: a.last_modified_at,
			});
		}
		for (const r of (results[i + 2]?.results ?? []) as { target_id: number; action_id: number }[]) {
			states.installed.push({ targetId: r.target_id, actionId: r.action_id });
		}
	}
	return states;
}
