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

/** hawkBit's auditor name for writes a device causes (SecurityAutoConfiguration: controller role). */
export const CONTROLLER_AUDITOR = "CONTROLLER_PLUG_AND_PLAY";

/** 16 random bytes as 32 lower-case hex characters (hawkBit: SecurityTokenGenerator). */
export function generateSecurityToken(): string {
	const bytes = crypto.getRandomValues(new Uint8Array(16));
	return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Plug-and-play registration of an unknown controller (hawkBit: ControllerManagement#
 * findOrRegisterTargetIfItDoesNotExist → createTarget): name = controllerId, a fixed description, a
 * random token, status `registered`, attributes requested, last poll = now. Concurrent first polls of the
 * same device create it once (the unique (tenant, controller_id) index decides). Returns the target id.
 */
export async function registerTarget(
	d1: D1Database,
	t: { tenant: string; controllerId: string; address: string | null; now: number },
): Promise<number | undefined> {
	const row = await d1
		.prepare(
			`INSERT INTO targets (tenant, controller_id, name, description, security_token, address, update_status,
			   last_target_query, request_controller_attributes, auto_confirm_active, created_at, created_by, last_modified_at, last_modified_by)
			 VALUES (?1, ?2, ?2, ?3, ?4, ?5, 'registered', ?6, 1, 0, ?6, ?7, ?6, ?7)
			 ON CONFLICT (tenant, controller_id) DO NOTHING
			 RETURNING id`,
		)
		.bind(
			t.tenant,
			t.controllerId,
			`Plug and Play target: ${t.controllerId}`,
			generateSecurityToken(),
			t.address,
			t.now,
			CONTROLLER_AUDITOR,
		)
		.first<{ id: number }>();
	return row?.id;
}

/**
 * First poll of a target created by an operator (status `unknown`): hawkBit stores that poll eagerly and
 * moves the target to `registered`. Only touches a target still in `unknown`.
 */
export async function markTargetRegistered(
	d1: D1Database,
	t: { tenant: string; targetId: number; address: string | null; now: number },
): Promise<void> {
	await d1
		.prepare(
			`UPDATE targets SET update_status = 'registered', last_target_query = ?3, address = COALESCE(?4, address),
			   last_modified_at = ?3, last_modified_by = ?5
			 WHERE tenant = ?1 AND id = ?2 AND update_status = 'unknown'`,
		)
		.bind(t.tenant, t.targetId, t.now, t.address, CONTROLLER_AUDITOR)
		.run();
}

/** One device poll to be written behind (the POLL_EVENTS queue message). */
export type PollSeen = { tenant: string; targetId: number; at: number; address?: string | null };

/**
 * Writes many devices' last poll time and address in ONE statement (hawkBit batches these writes too:
 * JpaControllerManagement#flushUpdateQueue). Idempotent and order-independent: a time only moves forward,
 * so redelivered or reordered queue messages cannot move it back. Returns the number of statements run.
 */
export async function recordPollsSeen(d1: D1Database, polls: PollSeen[]): Promise<number> {
	if (polls.length === 0) {
		return 0;
	}
	// Last write per target wins inside the batch; the statement then keeps the later of stored/new.
	const latest = new Map<number, PollSeen>();
	for (const p of polls) {
		const prev = latest.get(p.targetId);
		if (!prev || p.at >= prev.at) {
			latest.set(p.targetId, p);
		}
	}
	const rows = [...latest.values()].map((p) => ({
		tenant: p.tenant,
		id: p.targetId,
		at: p.at,
		address: p.address ?? null,
	}));
	await d1
		.prepare(
			`UPDATE targets SET
			   last_target_query = MAX(COALESCE(targets.last_target_query, 0), seen.at),
			   address = CASE WHEN seen.at >= COALESCE(targets.last_target_query, 0) THEN COALESCE(seen.address, targets.address) ELSE targets.address END
			 FROM (SELECT json_extract(value, '$.tenant') AS tenant, json_extract(value, '$.id') AS id,
			              json_extract(value, '$.at') AS at, json_extract(value, '$.address') AS address
			       FROM json_each(?1)) AS seen
			 WHERE targets.id = seen.id AND targets.tenant = seen.tenant`,
		)
		.bind(JSON.stringify(rows))
		.run();
	return 1;
}

/** A target's id by controller id (D1 fallback paths only). */
export async function findTargetId(
	d1: D1Database,
	tenant: string,
	controllerId: string,
): Promise<number | undefined> {
	const row = await d1
		.prepare("SELECT id FROM targets WHERE tenant = ?1 AND controller_id = ?2")
		.bind(tenant, controllerId)
		.first<{ id: number }>();
	return row?.id;
}

/** The controller attributes of a target. */
export async function findControllerAttributes(
	d1: D1Database,
	targetId: number,
): Promise<Map<string, string>> {
	const { results } = await d1
		.prepare("SELECT key, value FROM target_attributes WHERE target_id = ?1")
		.bind(targetId)
		.all<{ key: string; value: string }>();
	return new Map(results.map((r) => [r.key, r.value]));
}

/**
 * Replaces a target's controller attributes with `next` and clears `requestControllerAttributes`, as one
 * D1 batch (atomic). Only the difference is written. hawkBit: ControllerManagement#updateControllerAttributes.
 */
export async function writeControllerAttributes(
	d1: D1Database,
	t: { tenant: string; targetId: number; current: Map<string, string>; next: Map<string, string> },
	now: number,
): Promise<void> {
	const statements: D1PreparedStatement[] = [];
	const removed = [...t.current.keys()].filter((k) => !t.next.has(k));
	const upserts = [...t.next].filter(([k, v]) => t.current.get(k) !== v);
	if (removed.length > 0) {
		statements.push(
			d1
				.prepare(
					"DELETE FROM target_attributes WHERE target_id = ?1 AND key IN (SELECT value FROM json_each(?2))",
				)
				.bind(t.targetId, JSON.stringify(removed)),
		);
	}
	if (upserts.length > 0) {
		statements.push(
			d1
				.prepare(
					`INSERT INTO target_attributes (target_id, key, value)
					 SELECT ?1, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?2) WHERE true
					 ON CONFLICT (target_id, key) DO UPDATE SET value = excluded.value`,
				)
				.bind(t.targetId, JSON.stringify(upserts)),
		);
	}
	statements.push(
		d1
			.prepare(
				// The target counts as modified only if attributes changed or the request flag was set.
				`UPDATE targets SET request_controller_attributes = 0, last_modified_at = ?3, last_modified_by = ?4
				 WHERE tenant = ?1 AND id = ?2 AND (request_controller_attributes = 1 OR ?5 = 1)`,
			)
			.bind(
				t.tenant,
				t.targetId,
				now,
				CONTROLLER_AUDITOR,
				removed.length > 0 || upserts.length > 0 ? 1 : 0,
			),
	);
	await d1.batch(statements);
}
