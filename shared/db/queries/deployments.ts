/**
 * Deployments: assigning a distribution set to targets, operator cancel / force-quit / force,
 * confirmation and auto-confirm, and the status history devices write through DDI.
 * hawkBit: DeploymentManagement (JpaDeploymentManagement + Online/OfflineDsAssignmentStrategy),
 * ControllerManagement#addUpdateActionStatus / #addCancelActionStatus / #registerRetrieved and
 * ConfirmationManagement. The rules themselves are pure functions in shared/domain/action-status.ts.
 *
 * D1 has no interactive transactions: every multi-row write is one `batch` (atomic), and statements
 * that touch many rows take their ids as ONE JSON parameter (`json_each(?)`), which keeps each
 * statement far below D1's 100 bound parameters whatever the number of targets; lists are still cut
 * into chunks of {@link JSON_CHUNK} so no single parameter grows large. After every write that changes
 * what a device sees, the targets' KV poll entries are refreshed.
 */
import { and, desc, eq, sql } from "drizzle-orm";
import {
	type ActionState,
	assignmentInitiatedMessage,
	autoConfirmationMessage,
	type ConfirmationRefusal,
	canCancel,
	cancelEntryCountsAgainstQuota,
	cancelFeedbackEntry,
	cancelFeedbackTransition,
	cancellationSucceededTransition,
	canForceQuit,
	confirmationTransition,
	confirmEntry,
	DEFAULT_ACTION_WEIGHT,
	type DeviceReport,
	denyEntry,
	deploymentFeedbackEntry,
	deploymentFeedbackTransition,
	forcedTypeChange,
	isCancelingOrCanceled,
	isIntermediateStatus,
	MAX_ACTION_HISTORY_MESSAGES,
	MAX_ACTION_WEIGHT,
	MAX_MESSAGES_PER_ACTION_STATUS,
	MAX_STATUS_ENTRIES_PER_ACTION,
	MESSAGES,
	MIN_ACTION_WEIGHT,
	newActionState,
	retrievedTransition,
	SERVER_MESSAGE_PREFIX,
	type StatusEntry,
	shouldRegisterRetrieved,
	splitLongMessages,
	type TargetState,
	type Transition,
} from "../../domain/action-status";
import { validateMaintenanceSchedule } from "../../domain/maintenance-window";
import { checkDsAssignable, isDistributionSetComplete } from "../../domain/repository-rules";
import { DomainError, entityNotFound } from "../../errors";
import { refreshPollEntries, refreshPollingOverrides } from "../../poll-cache";
import { getTenantConfigValues } from "../../tenant-config";
import type { Db } from "../client";
import { type ActionType, actionStatuses, actions, distributionSets, targets } from "../schema";
import { CONTROLLER_AUDITOR } from "./controller";
import { normaliseTenant } from "./tenants";

/** The bindings deployment writes need: D1 for the data, KV for the poll entries and tenant config. */
export type DeploymentBindings = { DB: D1Database; POLL_CACHE: KVNamespace };

/** Quotas (hawkbit.server.security.dos.*): targets per assignment request, actions kept per target. */
export const MAX_ASSIGNMENTS_PER_REQUEST = 5000;
export const MAX_ACTIONS_PER_TARGET = 2000;
/** Targets per JSON parameter: keeps every bound value small while the batch stays one transaction. */
export const JSON_CHUNK = 500;
/** DS tag names that opt a DS out of the implicit lock (hawkBit repositoryProperties.skipImplicitLockForTags). */
export const SKIP_IMPLICIT_LOCK_TAGS = [
	"skip-implicit-lock",
	"skip_implicit_lock",
	"SKIP_IMPLICIT_LOCK",
	"SKIP-IMPLICIT-LOCK",
];

/** One target of an assignment request (MgmtTargetAssignmentRequestBody / MgmtDistributionSetAssignment). */
export type AssignmentRequest = {
	controllerId: string;
	/** Default `forced`. */
	type?: ActionType | null;
	/** Epoch ms; only kept for `timeforced`. */
	forcetime?: number | null;
	/** 0..1000, default 1000. */
	weight?: number | null;
	/** Only with the tenant's confirmation flow on; default true. */
	confirmationRequired?: boolean | null;
	maintenanceWindow?: {
		schedule?: string | null;
		duration?: string | null;
		timezone?: string | null;
	} | null;
};

export type AssignInput = {
	tenant: string;
	/** The user (or controller, or rollout/auto-assignment actor) the actions are initiated by. */
	initiatedBy: string;
	dsId: number;
	assignments: AssignmentRequest[];
	/** Record installations done elsewhere: closed FINISHED actions, installed = assigned = DS, in_sync. */
	offline?: boolean;
	/** First history message; default "Assignment initiated by user '<initiatedBy>'". */
	actionMessage?: string;
	/** For tests: the assignment's clock. */
	now?: number;
};

export type AssignedAction = { id: number; targetId: number; controllerId: string };

/** hawkBit's DistributionSetAssignmentResult, as MgmtTargetAssignmentResponseBody shows it. */
export type AssignmentResult = {
	assigned: number;
	alreadyAssigned: number;
	total: number;
	assignedActions: AssignedAction[];
};

type NormalisedRequest = {
	controllerId: string;
	type: ActionType;
	forcedTime: number | null;
	weight: number;
	confirmationRequired: boolean;
	schedule: string | null;
	duration: string | null;
	timezone: string | null;
};

type AssignTargetRow = {
	id: number;
	controller_id: string;
	target_type_id: number | null;
	type_name: string | null;
	compatible: number;
	assigned_ds_id: number | null;
	update_status: string;
	auto_confirm_active: number;
	auto_confirm_initiator: string | null;
	auto_confirm_remark: string | null;
	auto_confirm_activated_by: string | null;
	action_count: number;
};

function chunks<T>(items: T[], size = JSON_CHUNK): T[][] {
	const out: T[][] = [];
	for (let i = 0; i < items.length; i += size) {
		out.push(items.slice(i, i + size));
	}
	return out;
}

function quotaExceeded(
	type: string,
	parentType: string,
	parentId: string | number | null,
	requested: number,
	limit: number,
): DomainError {
	return new DomainError(
		"quota.tooManyEntries",
		`Quota exceeded: Cannot assign ${requested} more ${type} entities to ${parentType} '${parentId ?? "<new>"}'. The maximum is ${limit}.`,
	);
}

/** Validates, normalises and de-duplicates the request list (hawkBit: validateAndFilterRequestForAssignments). */
function normaliseRequests(input: AssignInput, now: number): NormalisedRequest[] {
	const seen = new Map<string, NormalisedRequest>();
	for (const r of input.assignments) {
		const type: ActionType = input.offline ? "forced" : (r.type ?? "forced");
		const weight = input.offline ? DEFAULT_ACTION_WEIGHT : (r.weight ?? DEFAULT_ACTION_WEIGHT);
		if (!Number.isInteger(weight) || weight < MIN_ACTION_WEIGHT) {
			throw new DomainError(
				"repo.constraintViolation",
				`weight must be greater than or equal to ${MIN_ACTION_WEIGHT}.`,
			);
		}
		if (weight > MAX_ACTION_WEIGHT) {
			throw new DomainError(
				"repo.constraintViolation",
				`weight must be less than or equal to ${MAX_ACTION_WEIGHT}.`,
			);
		}
		const window = input.offline
			? undefined
			: validateMaintenanceSchedule(r.maintenanceWindow ?? {}, now);
		const n: NormalisedRequest = {
			controllerId: r.controllerId,
			type,
			forcedTime: type === "timeforced" ? (r.forcetime ?? 0) : null,
			weight,
			confirmationRequired: input.offline ? false : (r.confirmationRequired ?? true),
			schedule: window?.schedule ?? null,
			duration: window?.duration ?? null,
			timezone: window?.timezone ?? null,
		};
		const key = JSON.stringify(n);
		if (!seen.has(key)) {
			seen.set(key, n);
		}
	}
	const requests = [...seen.values()];
	// Identical entries collapse; the same target twice with different parameters would need multi-assignment.
	if (new Set(requests.map((r) => r.controllerId)).size < requests.length) {
		throw new DomainError(
			"multiAssignmentNotEnabled",
			"The requested operation requires multi assignments to be enabled.",
		);
	}
	if (requests.length > MAX_ASSIGNMENTS_PER_REQUEST) {
		throw new DomainError(
			"quota.tooManyEntries",
			`Quota exceeded: Cannot assign ${requests.length} entities at once. The maximum is ${MAX_ASSIGNMENTS_PER_REQUEST}.`,
		);
	}
	return requests;
}

/** The DS as assignment needs it, or the hawkBit error why it cannot be assigned. */
export async function findAssignableDistributionSet(d1: D1Database, tenant: string, dsId: number) {
	const [dsRes, modulesRes, mandatoryRes, tagRes] = await d1.batch<Record<string, unknown>>([
		d1
			.prepare(
				`SELECT d.id, d.type_id, d.locked, d.valid, d.deleted, d.required_migration_step, t.key AS type_key, t.name AS type_name
				 FROM distribution_sets d JOIN distribution_set_types t ON t.id = d.type_id WHERE d.tenant = ?1 AND d.id = ?2`,
			)
			.bind(tenant, dsId),
		d1
			.prepare(
				`SELECT m.id, m.type_id, st.key AS type_key, st.min_artifacts,
				   (SELECT count(*) FROM artifacts a WHERE a.software_module_id = m.id) AS artifact_count
				 FROM distribution_set_modules dm JOIN software_modules m ON m.id = dm.sm_id
				 JOIN software_module_types st ON st.id = m.type_id WHERE dm.ds_id = ?1`,
			)
			.bind(dsId),
		d1
			.prepare(
				`SELECT tm.sm_type_id FROM distribution_set_type_module_types tm JOIN distribution_sets d ON d.type_id = tm.ds_type_id
				 WHERE d.id = ?1 AND tm.mandatory = 1`,
			)
			.bind(dsId),
		d1
			.prepare(
				`SELECT count(*) AS n FROM distribution_set_tag_assignments ta JOIN distribution_set_tags t ON t.id = ta.tag_id
				 WHERE ta.ds_id = ?1 AND t.name IN (SELECT value FROM json_each(?2))`,
			)
			.bind(dsId, JSON.stringify(SKIP_IMPLICIT_LOCK_TAGS)),
	]);
	const ds = dsRes?.results[0] as
		| {
				id: number;
				type_id: number;
				locked: number;
				valid: number;
				deleted: number;
				required_migration_step: number;
				type_key: string;
				type_name: string;
		  }
		| undefined;
	if (!ds) {
		throw entityNotFound("DistributionSet", dsId);
	}
	const modules = (modulesRes?.results ?? []) as {
		id: number;
		type_id: number;
		min_artifacts: number;
		artifact_count: number;
	}[];
	const complete = isDistributionSetComplete(
		{
			mandatory: ((mandatoryRes?.results ?? []) as { sm_type_id: number }[]).map(
				(r) => r.sm_type_id,
			),
			optional: [],
		},
		modules.map((m) => ({ id: m.id, typeId: m.type_id, artifactCount: m.artifact_count })),
		new Map(
			modules.map((m) => [
				m.type_id,
				{ id: m.type_id, key: "", maxAssignments: 0, minArtifacts: m.min_artifacts },
			]),
		),
	);
	const refusal = checkDsAssignable({
		id: ds.id,
		deleted: ds.deleted === 1,
		valid: ds.valid === 1,
		complete,
	});
	if (refusal) {
		// hawkBit's messages name the DS type (JpaDistributionSetManagement#getValidAndComplete).
		if (refusal.code === "deleted") {
			throw new DomainError(
				"deleted",
				`DistributionSet with given identifier {${ds.id}} is soft-deleted!`,
			);
		}
		if (refusal.code === "distributionset.invalid") {
			throw new DomainError(
				"distributionset.invalid",
				`Distribution set of type ${ds.type_key} is invalid: ${ds.id}`,
			);
		}
		throw new DomainError(
			"distributionset.incomplete",
			`Distribution set of type ${ds.type_key} is incomplete: ${ds.id}`,
		);
	}
	const skipLockTag = ((tagRes?.results[0] as { n: number } | undefined)?.n ?? 0) > 0;
	return {
		id: ds.id,
		typeId: ds.type_id,
		typeName: ds.type_name,
		locked: ds.locked === 1,
		skipLockTag,
	};
}

async function findAssignTargets(
	d1: D1Database,
	tenant: string,
	dsTypeId: number,
	controllerIds: string[],
): Promise<AssignTargetRow[]> {
	if (controllerIds.length === 0) {
		return [];
	}
	const results = await d1.batch<AssignTargetRow>(
		chunks(controllerIds).map((ids) =>
			d1
				.prepare(
					`SELECT t.id, t.controller_id, t.target_type_id, tt.name AS type_name,
					   EXISTS (SELECT 1 FROM target_type_ds_types c WHERE c.target_type_id = t.target_type_id AND c.ds_type_id = ?2) AS compatible,
					   t.assigned_ds_id, t.update_status, t.auto_confirm_active, t.auto_confirm_initiator, t.auto_confirm_remark, t.auto_confirm_activated_by,
					   (SELECT count(*) FROM actions a WHERE a.target_id = t.id) AS action_count
					 FROM targets t LEFT JOIN target_types tt ON tt.id = t.target_type_id
					 WHERE t.tenant = ?1 AND t.controller_id IN (SELECT value FROM json_each(?3))`,
				)
				.bind(tenant, dsTypeId, JSON.stringify(ids)),
		),
	);
	return results.flatMap((r) => r.results);
}

/** Statements deleting the oldest actions of a target (hawkBit: handleMaxAssignmentsExceeded). */
function purgeOldestActions(
	d1: D1Database,
	targetId: number,
	count: number,
): D1PreparedStatement[] {
	const oldest = "SELECT id FROM actions WHERE target_id = ?1 ORDER BY id ASC LIMIT ?2";
	return [
		d1.prepare(`DELETE FROM action_statuses WHERE action_id IN (${oldest})`).bind(targetId, count),
		d1.prepare(`DELETE FROM actions WHERE id IN (${oldest})`).bind(targetId, count),
	];
}

/**
 * Assigns a distribution set to targets (hawkBit: DeploymentManagement#assignDistributionSets and
 * #offlineAssignedDistributionSets), atomically:
 * the DS must exist, not be deleted, be valid and complete; targets with a type must accept the DS type;
 * a target twice with different parameters is refused; quotas of 5000 targets per request and 2000
 * actions per target (or purge per `action.cleanup.onQuotaHit.percent`). Unknown controller ids are
 * skipped and targets that already have the DS assigned count as `alreadyAssigned`. Previous active
 * actions go to CANCELING (CANCELED with `repository.actions.autoclose.enabled`) unless their DS is a
 * required migration step; inactive SCHEDULED rollout actions are canceled; targets get the DS
 * assigned and `pending`; new actions start RUNNING or WAIT_FOR_CONFIRMATION per the confirmation flow.
 * The DS and its modules are locked on first use when `implicit.lock.enabled`.
 * Offline: no cancellation, pending targets skipped, actions FINISHED, installed = assigned, `in_sync`.
 */
export async function assignDistributionSet(
	// Same signature as the other deployment writes; the bulk statements run on env.DB directly.
	_db: Db,
	env: DeploymentBindings,
	input: AssignInput,
): Promise<AssignmentResult> {
	const tenant = normaliseTenant(input.tenant);
	const now = input.now ?? Date.now();
	const user = input.initiatedBy;
	const requests = normaliseRequests(input, now);
	const d1 = env.DB;
	const ds = await findAssignableDistributionSet(d1, tenant, input.dsId);
	const config = await getTenantConfigValues(env, tenant);

	const rows = await findAssignTargets(
		d1,
		tenant,
		ds.typeId,
		requests.map((r) => r.controllerId),
	);
	const incompatible = [
		...new Set(
			rows.filter((t) => t.target_type_id !== null && !t.compatible).map((t) => t.type_name),
		),
	];
	if (incompatible.length > 0) {
		throw new DomainError(
			"target.type.incompatible",
			`Targets of types [${incompatible.join(", ")}] are not compatible with distribution set of type ${ds.typeName}`,
		);
	}

	const statements: D1PreparedStatement[] = [];
	const purgePercent = config["action.cleanup.onQuotaHit.percent"];
	for (const t of rows) {
		if (t.action_count + 1 <= MAX_ACTIONS_PER_TARGET) {
			continue;
		}
		// hawkBit: purge the oldest actions when the tenant allows it, otherwise refuse.
		let purge = Math.floor((purgePercent / 100) * MAX_ACTIONS_PER_TARGET);
		if (purgePercent <= 0 || purgePercent >= 100 || purge < 1) {
			throw quotaExceeded("Action", "Target", t.controller_id, 1, MAX_ACTIONS_PER_TARGET);
		}
		if (t.action_count < MAX_ACTIONS_PER_TARGET) {
			purge = t.action_count - (MAX_ACTIONS_PER_TARGET - purge);
		}
		statements.push(...purgeOldestActions(d1, t.id, purge));
	}

	if (config["implicit.lock.enabled"] && !ds.locked && !ds.skipLockTag) {
		statements.push(
			d1
				.prepare(
					`UPDATE software_modules SET locked = 1, last_modified_at = ?2, last_modified_by = ?3
					 WHERE locked = 0 AND id IN (SELECT sm_id FROM distribution_set_modules WHERE ds_id = ?1)`,
				)
				.bind(ds.id, now, user),
			d1
				.prepare(
					"UPDATE distribution_sets SET locked = 1, last_modified_at = ?2, last_modified_by = ?3 WHERE id = ?1 AND locked = 0",
				)
				.bind(ds.id, now, user),
		);
	}

	const byController = new Map(requests.map((r) => [r.controllerId, r]));
	const toAssign = rows.filter(
		(t) => t.assigned_ds_id !== ds.id && !(input.offline && t.update_status === "pending"),
	);
	const alreadyAssigned = rows.length - toAssign.length;
	if (toAssign.length === 0) {
		if (statements.length > 0) {
			await d1.batch(statements);
		}
		return { assigned: 0, alreadyAssigned, total: alreadyAssigned, assignedActions: [] };
	}

	const initialMessage = input.actionMessage ?? assignmentInitiatedMessage(user);
	const flow = config["user.confirmation.flow.enabled"];
	const autoclose = config["repository.actions.autoclose.enabled"];
	const insertIndexes: number[] = [];
	for (const chunk of chunks(toAssign)) {
		const ids = JSON.stringify(chunk.map((t) => t.id));
		if (!input.offline) {
			statements.push(...closeOrCancelActiveActions(d1, { tenant, ids, now, user, autoclose }));
			// Rollout actions not started yet are overtaken by the manual assignment.
			statements.push(
				d1
					.prepare(
						`UPDATE actions SET status = 'CANCELED', last_modified_at = ?2, last_modified_by = ?3
						 WHERE +tenant = ?1 AND active = 0 AND status = 'SCHEDULED' AND target_id IN (SELECT value FROM json_each(?4))`,
					)
					.bind(tenant, now, user, ids),
				d1
					.prepare(
						`UPDATE targets SET assigned_ds_id = ?2, update_status = 'pending', last_modified_at = ?3, last_modified_by = ?4
						 WHERE +tenant = ?1 AND id IN (SELECT value FROM json_each(?5))`,
					)
					.bind(tenant, ds.id, now, user, ids),
			);
		} else {
			statements.push(
				d1
					.prepare(
						`UPDATE targets SET assigned_ds_id = ?2, installed_ds_id = ?2, installation_date = ?3, update_status = 'in_sync',
						   last_modified_at = ?3, last_modified_by = ?4
						 WHERE +tenant = ?1 AND id IN (SELECT value FROM json_each(?5))`,
					)
					.bind(tenant, ds.id, now, user, ids),
			);
		}
		const actionRows = chunk.map((t) => {
			const r = byController.get(t.controller_id) as NormalisedRequest;
			if (input.offline) {
				return {
					t: t.id,
					type: r.type,
					status: "FINISHED",
					active: 0,
					weight: r.weight,
					forcedTime: null,
					schedule: null,
					duration: null,
					timezone: null,
					entryStatus: "FINISHED",
					messages: JSON.stringify([initialMessage, MESSAGES.offlineDeployment]),
				};
			}
			const state = newActionState({
				confirmationFlowEnabled: flow,
				confirmationRequired: r.confirmationRequired,
				autoConfirmation:
					t.auto_confirm_active === 1
						? {
								initiator: t.auto_confirm_initiator,
								remark: t.auto_confirm_remark,
								activatedBy: t.auto_confirm_activated_by,
							}
						: undefined,
				initiatedBy: user,
				initialMessage,
			});
			return {
				t: t.id,
				type: r.type,
				status: state.status,
				active: 1,
				weight: r.weight,
				forcedTime: r.forcedTime,
				schedule: r.schedule,
				duration: r.duration,
				timezone: r.timezone,
				entryStatus: state.entry.status,
				messages: JSON.stringify(splitLongMessages(state.entry.messages)),
			};
		});
		const json = JSON.stringify(actionRows);
		insertIndexes.push(statements.length);
		statements.push(
			d1
				.prepare(
					`INSERT INTO actions (tenant, target_id, ds_id, action_type, status, active, weight, forced_time,
					   maintenance_schedule, maintenance_duration, maintenance_timezone, initiated_by,
					   created_at, created_by, last_modified_at, last_modified_by)
					 SELECT ?1, json_extract(j.value, '$.t'), ?2, json_extract(j.value, '$.type'), json_extract(j.value, '$.status'),
					   json_extract(j.value, '$.active'), json_extract(j.value, '$.weight'), json_extract(j.value, '$.forcedTime'),
					   json_extract(j.value, '$.schedule'), json_extract(j.value, '$.duration'), json_extract(j.value, '$.timezone'),
					   ?3, ?4, ?3, ?4, ?3
					 FROM json_each(?5) j
					 RETURNING id, target_id`,
				)
				.bind(tenant, ds.id, user, now, json),
			// The new actions are exactly those of this DS, created now, without any history yet.
			// `+column` keeps SQLite off the (tenant, ds) index: each JSON row finds its action through the
			// target index instead of scanning every action of the DS (n × m at 5000 targets).
			d1
				.prepare(
					`INSERT INTO action_statuses (tenant, action_id, status, timestamp, messages, created_at, created_by, last_modified_at, last_modified_by)
					 SELECT a.tenant, a.id, json_extract(j.value, '$.entryStatus'), ?3, json_extract(j.value, '$.messages'), ?3, ?4, ?3, ?4
					 FROM json_each(?5) j JOIN actions a ON a.target_id = json_extract(j.value, '$.t')
					 WHERE +a.tenant = ?1 AND +a.ds_id = ?2 AND +a.created_at = ?3
					   AND NOT EXISTS (SELECT 1 FROM action_statuses s WHERE s.action_id = a.id)`,
				)
				.bind(tenant, ds.id, now, user, json),
		);
	}

	const results = await d1.batch<{ id: number; target_id: number }>(statements);
	const controllerOf = new Map(toAssign.map((t) => [t.id, t.controller_id]));
	const assignedActions = insertIndexes
		.flatMap((i) => results[i]?.results ?? [])
		.map((r) => ({
			id: r.id,
			targetId: r.target_id,
			controllerId: controllerOf.get(r.target_id) ?? "",
		}))
		.sort((a, b) => a.id - b.id);
	await refreshPollEntries(
		env,
		tenant,
		toAssign.map((t) => t.id),
	);
	return {
		assigned: assignedActions.length,
		alreadyAssigned,
		total: assignedActions.length + alreadyAssigned,
		assignedActions,
	};
}

/**
 * Previous active actions of the targets: → CANCELING with a history entry (the device must confirm),
 * or closed as CANCELED with autoclose; actions of required-migration-step sets stay untouched.
 * hawkBit: AbstractDsAssignmentStrategy#overrideObsoleteUpdateActions / #closeObsoleteUpdateActions.
 */
function closeOrCancelActiveActions(
	d1: D1Database,
	p: { tenant: string; ids: string; now: number; user: string; autoclose: boolean },
): D1PreparedStatement[] {
	// `+a.tenant`: the ids already belong to the tenant; this keeps SQLite on the target index instead of
	// walking every action of the tenant once per chunk.
	const where = `+a.tenant = ?1 AND a.active = 1 ${p.autoclose ? "" : "AND a.status <> 'CANCELING'"}
		AND a.target_id IN (SELECT value FROM json_each(?2))
		AND NOT EXISTS (SELECT 1 FROM distribution_sets d WHERE d.id = a.ds_id AND d.required_migration_step = 1)`;
	const status = p.autoclose ? "CANCELED" : "CANCELING";
	const message = p.autoclose ? MESSAGES.closeObsolete : MESSAGES.cancelObsolete;
	return [
		d1
			.prepare(
				`INSERT INTO action_statuses (tenant, action_id, status, timestamp, messages, created_at, created_by, last_modified_at, last_modified_by)
				 SELECT a.tenant, a.id, ?3, ?4, ?5, ?4, ?6, ?4, ?6 FROM actions a WHERE ${where}`,
			)
			.bind(p.tenant, p.ids, status, p.now, JSON.stringify([message]), p.user),
		d1
			.prepare(
				`UPDATE actions AS a SET status = ?3, active = ?5, last_modified_at = ?4, last_modified_by = ?6 WHERE ${where}`,
			)
			.bind(p.tenant, p.ids, status, p.now, p.autoclose ? 0 : 1, p.user),
	];
}

/** An action row as the query functions return it. */
export type ActionRow = typeof actions.$inferSelect;
/** A target row as the query functions return it. */
export type TargetRow = typeof targets.$inferSelect;

/** An action of the tenant by id, or undefined. */
export async function findAction(
	db: Db,
	q: { tenant: string; actionId: number },
): Promise<ActionRow | undefined> {
	return db.query.actions.findFirst({
		where: and(eq(actions.tenant, normaliseTenant(q.tenant)), eq(actions.id, q.actionId)),
	});
}

/**
 * The target by controller id and one of its actions, or hawkBit's 404s: unknown target, unknown
 * action, or an action of another target ("Not a valid action …").
 * hawkBit: DdiRootController#findTargetOrThrow / #getTargetActionByIdOrThrow.
 */
export async function findTargetAction(
	db: Db,
	q: { tenant: string; controllerId: string; actionId: number },
): Promise<{ target: TargetRow; action: ActionRow }> {
	const tenant = normaliseTenant(q.tenant);
	const target = await db.query.targets.findFirst({
		where: and(eq(targets.tenant, tenant), eq(targets.controllerId, q.controllerId)),
	});
	if (!target) {
		throw entityNotFound("Target", q.controllerId);
	}
	const action = await db.query.actions.findFirst({
		where: and(eq(actions.tenant, tenant), eq(actions.id, q.actionId)),
	});
	if (!action) {
		throw entityNotFound("Action", q.actionId);
	}
	if (action.targetId !== target.id) {
		throw new DomainError(
			"repo.entityNotFound",
			`Not a valid action (${action.id}) for target: ${target.controllerId}`,
		);
	}
	return { target, action };
}

function actionNotFound(actionId: number): DomainError {
	return entityNotFound("Action", actionId);
}

function insertStatus(
	d1: D1Database,
	p: {
		tenant: string;
		actionId: number;
		entry: StatusEntry;
		timestamp: number;
		now: number;
		user: string;
		/** SQL condition on the action (alias `a`) that must still hold, so a lost race writes nothing. */
		guard?: string;
	},
): D1PreparedStatement {
	return d1
		.prepare(
			`INSERT INTO action_statuses (tenant, action_id, status, timestamp, messages, code, created_at, created_by, last_modified_at, last_modified_by)
			 SELECT a.tenant, a.id, ?3, ?4, ?5, ?6, ?7, ?8, ?7, ?8 FROM actions a
			 WHERE a.tenant = ?1 AND a.id = ?2 ${p.guard ? `AND ${p.guard}` : ""}`,
		)
		.bind(
			p.tenant,
			p.actionId,
			p.entry.status,
			p.timestamp,
			JSON.stringify(p.entry.messages),
			p.entry.code ?? null,
			p.now,
			p.user,
		);
}

/** Column assignments of a target patch, as SQL with numbered parameters starting at `from`. */
function targetPatchSql(
	patch: Partial<TargetState>,
	from: number,
): { set: string[]; values: unknown[] } {
	const columns: [keyof TargetState, string][] = [
		["assignedDsId", "assigned_ds_id"],
		["installedDsId", "installed_ds_id"],
		["installationDate", "installation_date"],
		["updateStatus", "update_status"],
		["requestControllerAttributes", "request_controller_attributes"],
	];
	const set: string[] = [];
	const values: unknown[] = [];
	for (const [key, column] of columns) {
		if (key in patch) {
			const v = patch[key];
			set.push(`${column} = ?${from + values.length}`);
			values.push(typeof v === "boolean" ? (v ? 1 : 0) : (v ?? null));
		}
	}
	return { set, values };
}

/** Statements applying a transition; the target patch only lands if the guard still holds for the action. */
function transitionStatements(
	d1: D1Database,
	p: {
		tenant: string;
		action: ActionRow;
		transition: Transition;
		now: number;
		user: string;
		guard: string;
	},
): D1PreparedStatement[] {
	const out: D1PreparedStatement[] = [];
	const target = targetPatchSql(p.transition.target, 6);
	if (target.set.length > 0) {
		out.push(
			d1
				.prepare(
					`UPDATE targets SET ${target.set.join(", ")}, last_modified_at = ?3, last_modified_by = ?4
					 WHERE tenant = ?1 AND id = ?2 AND EXISTS (SELECT 1 FROM actions a WHERE a.id = ?5 AND ${p.guard})`,
				)
				.bind(p.tenant, p.action.targetId, p.now, p.user, p.action.id, ...target.values),
		);
	}
	const a = p.transition.action;
	const sets: string[] = [];
	const values: unknown[] = [];
	if (a.status !== undefined) {
		sets.push(`status = ?${5 + values.length}`);
		values.push(a.status);
	}
	if (a.active !== undefined) {
		sets.push(`active = ?${5 + values.length}`);
		values.push(a.active ? 1 : 0);
	}
	const changesState = sets.length > 0;
	if ("lastActionStatusCode" in a) {
		sets.push(`last_action_status_code = ?${5 + values.length}`);
		values.push(a.lastActionStatusCode ?? null);
	}
	if (sets.length > 0) {
		// Informational reports leave last_modified_at alone: it feeds the poll's `c` value.
		const audit = changesState ? ", last_modified_at = ?3, last_modified_by = ?4" : "";
		out.push(
			d1
				.prepare(
					`UPDATE actions AS a SET ${sets.join(", ")}${audit} WHERE a.tenant = ?1 AND a.id = ?2 AND ${p.guard}`,
				)
				.bind(p.tenant, p.action.id, p.now, p.user, ...values),
		);
	}
	return out;
}

async function countStatusEntries(db: Db, actionId: number): Promise<number> {
	const row = await db.get<{ n: number }>(
		sql`SELECT count(*) AS n FROM action_statuses WHERE action_id = ${actionId}`,
	);
	return row?.n ?? 0;
}

/** hawkBit's quota checks of a status entry about to be added (429). */
async function assertStatusQuotas(
	db: Db,
	actionId: number,
	entry: StatusEntry,
	countsAgainstEntryQuota: boolean,
): Promise<void> {
	if (countsAgainstEntryQuota) {
		const n = await countStatusEntries(db, actionId);
		if (n + 1 > MAX_STATUS_ENTRIES_PER_ACTION) {
			throw quotaExceeded("ActionStatus", "Action", actionId, 1, MAX_STATUS_ENTRIES_PER_ACTION);
		}
	}
	if (entry.messages.length > MAX_MESSAGES_PER_ACTION_STATUS) {
		throw quotaExceeded(
			"Message",
			"ActionStatus",
			null,
			entry.messages.length,
			MAX_MESSAGES_PER_ACTION_STATUS,
		);
	}
}

/** What became of a device report. */
export type FeedbackOutcome =
	| { kind: "recorded"; action: ActionRow }
	/** The action is no longer active (DDI answers 410). */
	| { kind: "gone" }
	/** The action waits for confirmation (DDI answers 404 with an empty body). */
	| { kind: "waitingForConfirmation" };

export type FeedbackInput = {
	tenant: string;
	controllerId: string;
	actionId: number;
	/** `deployment`: deploymentBase feedback; `cancel`: cancelAction feedback. */
	channel: "deployment" | "cancel";
	report: DeviceReport;
	/** Device time of the report (ms); server time when absent. */
	timestamp?: number | null;
};

/**
 * Stores a device's feedback and applies its effect (hawkBit: DdiRootController#postDeploymentBaseActionFeedback
 * → ControllerManagement#addUpdateActionStatus, #postCancelActionFeedback → #addCancelActionStatus).
 * Deployment channel: waiting-for-confirmation and inactive actions are refused without writing;
 * cancel channel: the action must be canceling/canceled (405 action.notCancelable).
 * Quotas: 1000 status entries per action (intermediate ones), 50 messages per entry (429).
 */
export async function recordFeedback(
	db: Db,
	env: DeploymentBindings,
	input: FeedbackInput,
): Promise<FeedbackOutcome> {
	const tenant = normaliseTenant(input.tenant);
	const now = Date.now();
	const { target, action } = await findTargetAction(db, { ...input, tenant });
	const user = CONTROLLER_AUDITOR;
	const timestamp = input.timestamp ?? now;
	const d1 = env.DB;

	if (input.channel === "deployment") {
		if (action.status === "WAIT_FOR_CONFIRMATION") {
			return { kind: "waitingForConfirmation" };
		}
		if (!action.active) {
			return { kind: "gone" };
		}
		const entry = deploymentFeedbackEntry(input.report);
		entry.messages = splitLongMessages(entry.messages);
		await assertStatusQuotas(db, action.id, entry, isIntermediateStatus(entry.status));
		const transition = deploymentFeedbackTransition(
			actionState(action),
			targetState(target),
			entry,
			timestamp,
		);
		const guard = "a.active = 1";
		await d1.batch([
			insertStatus(d1, { tenant, actionId: action.id, entry, timestamp, now, user, guard }),
			...transitionStatements(d1, { tenant, action, transition, now, user, guard }),
		]);
		if (transition.action.status !== undefined || Object.keys(transition.target).length > 0) {
			await refreshPollEntries(env, tenant, [target.id]);
		}
		return { kind: "recorded", action: await reload(db, action) };
	}

	if (!isCancelingOrCanceled(action.status)) {
		throw new DomainError("action.notCancelable", "The action is not in canceling state.");
	}
	const entry = cancelFeedbackEntry(input.report);
	entry.messages = splitLongMessages(entry.messages);
	if (cancelEntryCountsAgainstQuota(entry.status)) {
		await assertStatusQuotas(db, action.id, entry, true);
	}
	const guard = "a.status IN ('CANCELING', 'CANCELED')";
	const transition =
		cancelFeedbackTransition(entry) ??
		cancellationSucceededTransition(
			targetState(target),
			await findNextActiveActionDs(db, target.id, action.id),
		);
	await d1.batch([
		insertStatus(d1, { tenant, actionId: action.id, entry, timestamp, now, user, guard }),
		...transitionStatements(d1, { tenant, action, transition, now, user, guard }),
	]);
	if (transition.action.status !== undefined) {
		await refreshPollEntries(env, tenant, [target.id]);
	}
	return { kind: "recorded", action: await reload(db, action) };
}

function actionState(a: ActionRow): ActionState {
	return { status: a.status, active: a.active, actionType: a.actionType, dsId: a.dsId };
}

function targetState(t: TargetRow): TargetState {
	return {
		assignedDsId: t.assignedDsId,
		installedDsId: t.installedDsId,
		installationDate: t.installationDate,
		updateStatus: t.updateStatus,
		requestControllerAttributes: t.requestControllerAttributes,
	};
}

async function reload(db: Db, a: ActionRow): Promise<ActionRow> {
	return (await db.query.actions.findFirst({ where: eq(actions.id, a.id) })) ?? a;
}

/** DS of the target's oldest other active action (hawkBit: DeploymentHelper#successCancellation). */
async function findNextActiveActionDs(
	db: Db,
	targetId: number,
	exceptActionId: number,
): Promise<number | undefined> {
	const row = await db.get<{ ds_id: number }>(
		sql`SELECT ds_id FROM actions WHERE target_id = ${targetId} AND active = 1 AND id <> ${exceptActionId} ORDER BY id ASC LIMIT 1`,
	);
	return row?.ds_id;
}

/**
 * A device read the action (deploymentBase / cancelAction GET): adds a RETRIEVED entry unless the newest
 * entry already is one, and moves the action to RETRIEVED unless it is being canceled.
 * hawkBit: ControllerManagement#registerRetrieved.
 */
export async function registerRetrieved(
	db: Db,
	env: DeploymentBindings,
	q: { tenant: string; action: ActionRow; message: string; user: string },
): Promise<void> {
	const tenant = normaliseTenant(q.tenant);
	const newest = await db.query.actionStatuses.findFirst({
		columns: { status: true },
		where: eq(actionStatuses.actionId, q.action.id),
		orderBy: desc(actionStatuses.id),
	});
	if (!shouldRegisterRetrieved(newest?.status)) {
		return;
	}
	const now = Date.now();
	const next = retrievedTransition(q.action);
	const d1 = env.DB;
	const entry: StatusEntry = { status: "RETRIEVED", messages: [q.message] };
	const statements = [
		insertStatus(d1, { tenant, actionId: q.action.id, entry, timestamp: now, now, user: q.user }),
	];
	if (next !== q.action.status) {
		statements.push(
			d1
				.prepare(
					`UPDATE actions SET status = ?3, last_modified_at = ?4, last_modified_by = ?5
					 WHERE tenant = ?1 AND id = ?2 AND status NOT IN ('CANCELING', 'CANCELED')`,
				)
				.bind(tenant, q.action.id, next, now, q.user),
		);
	}
	await d1.batch(statements);
	if (next !== q.action.status) {
		await refreshPollEntries(env, tenant, [q.action.targetId]);
	}
}

/**
 * Adds an informational entry (hawkBit: ControllerManagement#addInformationalActionStatus), e.g. the
 * DOWNLOAD entry of a full artifact download. Subject to the status-entry quota.
 */
export async function addInformationalStatus(
	db: Db,
	env: DeploymentBindings,
	q: { tenant: string; actionId: number; entry: StatusEntry; user: string },
): Promise<void> {
	await assertStatusQuotas(db, q.actionId, q.entry, isIntermediateStatus(q.entry.status));
	const now = Date.now();
	await env.DB.batch([
		insertStatus(env.DB, {
			tenant: normaliseTenant(q.tenant),
			actionId: q.actionId,
			entry: q.entry,
			timestamp: now,
			now,
			user: q.user,
		}),
	]);
}

/**
 * Operator cancel (hawkBit: DeploymentManagement#cancelAction): an active action that is not already
 * canceling moves to CANCELING; the device must confirm over cancelAction. 405 `action.notCancelable`
 * otherwise. `message` defaults to hawkBit's "Update Server: manual cancelation requested".
 */
export async function cancelAction(
	db: Db,
	env: DeploymentBindings,
	q: { tenant: string; actionId: number; user: string; message?: string },
): Promise<ActionRow> {
	const tenant = normaliseTenant(q.tenant);
	const action = await findAction(db, { tenant, actionId: q.actionId });
	if (!action) {
		throw actionNotFound(q.actionId);
	}
	if (isCancelingOrCanceled(action.status)) {
		throw new DomainError(
			"action.notCancelable",
			"Actions in canceling or canceled state cannot be canceled",
		);
	}
	if (!canCancel(action)) {
		throw new DomainError(
			"action.notCancelable",
			`${action.id} is not active and cannot be canceled`,
		);
	}
	const now = Date.now();
	const d1 = env.DB;
	const guard = "a.active = 1 AND a.status NOT IN ('CANCELING', 'CANCELED')";
	const entry: StatusEntry = {
		status: "CANCELING",
		messages: [q.message ?? MESSAGES.manualCancel],
	};
	await d1.batch([
		insertStatus(d1, {
			tenant,
			actionId: action.id,
			entry,
			timestamp: now,
			now,
			user: q.user,
			guard,
		}),
		...transitionStatements(d1, {
			tenant,
			action,
			transition: { action: { status: "CANCELING" }, target: {} },
			now,
			user: q.user,
			guard,
		}),
	]);
	await refreshPollEntries(env, tenant, [action.targetId]);
	return reload(db, action);
}

/**
 * Operator force-quit (hawkBit: DeploymentManagement#forceQuitAction): closes an active, canceling action
 * as CANCELED without waiting for the device; the target's assigned DS moves on as for a confirmed
 * cancellation. 405 `action.notForceQuitable` otherwise.
 */
export async function forceQuitAction(
	db: Db,
	env: DeploymentBindings,
	q: { tenant: string; actionId: number; user: string },
): Promise<ActionRow> {
	const tenant = normaliseTenant(q.tenant);
	const action = await findAction(db, { tenant, actionId: q.actionId });
	if (!action) {
		throw actionNotFound(q.actionId);
	}
	if (!isCancelingOrCanceled(action.status)) {
		throw new DomainError(
			"action.notForceQuitable",
			`${action.id} is not canceled yet and cannot be force quit`,
		);
	}
	if (!canForceQuit(action)) {
		throw new DomainError(
			"action.notForceQuitable",
			`${action.id} is not active and cannot be force quit`,
		);
	}
	const target = await db.query.targets.findFirst({ where: eq(targets.id, action.targetId) });
	if (!target) {
		throw actionNotFound(q.actionId);
	}
	const now = Date.now();
	const d1 = env.DB;
	const guard = "a.active = 1 AND a.status IN ('CANCELING', 'CANCELED')";
	const transition = cancellationSucceededTransition(
		targetState(target),
		await findNextActiveActionDs(db, target.id, action.id),
	);
	await d1.batch([
		insertStatus(d1, {
			tenant,
			actionId: action.id,
			entry: { status: "CANCELED", messages: [MESSAGES.forceQuit] },
			timestamp: now,
			now,
			user: q.user,
			guard,
		}),
		...transitionStatements(d1, { tenant, action, transition, now, user: q.user, guard }),
	]);
	await refreshPollEntries(env, tenant, [action.targetId]);
	return reload(db, action);
}

/**
 * Operator switch to `forced` (hawkBit: DeploymentManagement#forceTargetAction, Mgmt `forceType: forced`):
 * only actions that are neither forced nor time-forced past their force time change. Idempotent.
 */
export async function forceAction(
	db: Db,
	env: DeploymentBindings,
	q: { tenant: string; actionId: number; user: string },
): Promise<ActionRow> {
	const tenant = normaliseTenant(q.tenant);
	const action = await findAction(db, { tenant, actionId: q.actionId });
	if (!action) {
		throw actionNotFound(q.actionId);
	}
	const now = Date.now();
	const next = forcedTypeChange(action, now);
	if (next === undefined) {
		return action;
	}
	await env.DB.prepare(
		"UPDATE actions SET action_type = ?3, last_modified_at = ?4, last_modified_by = ?5 WHERE tenant = ?1 AND id = ?2",
	)
		.bind(tenant, action.id, next, now, q.user)
		.run();
	await refreshPollEntries(env, tenant, [action.targetId]);
	return reload(db, action);
}

/** What became of a confirmation or denial. */
export type ConfirmationOutcome =
	| { kind: "recorded"; action: ActionRow }
	| { kind: ConfirmationRefusal };

/**
 * Confirms (device `confirmed` or operator) or denies an action (hawkBit: ConfirmationManagement#confirmAction /
 * #denyAction). Refusals: `actionClosed` (DDI 410) and `notAwaitingConfirmation` (DDI 404).
 */
export async function recordConfirmation(
	db: Db,
	env: DeploymentBindings,
	q: {
		tenant: string;
		actionId: number;
		confirmation: "confirmed" | "denied";
		code?: number | null;
		details?: readonly string[] | null;
		user: string;
	},
): Promise<ConfirmationOutcome> {
	const tenant = normaliseTenant(q.tenant);
	const action = await findAction(db, { tenant, actionId: q.actionId });
	if (!action) {
		throw actionNotFound(q.actionId);
	}
	let entry: StatusEntry | ConfirmationRefusal;
	if (q.confirmation === "confirmed") {
		entry = confirmEntry(action, q.code, q.details);
	} else {
		const config = await getTenantConfigValues(env, tenant);
		entry = denyEntry(action, config["user.confirmation.flow.enabled"], q.code, q.details);
	}
	if (typeof entry === "string") {
		return { kind: entry };
	}
	entry.messages = splitLongMessages(entry.messages);
	await assertStatusQuotas(db, action.id, entry, isIntermediateStatus(entry.status));
	const now = Date.now();
	const d1 = env.DB;
	const guard = "a.active = 1";
	const transition = confirmationTransition(action, entry);
	await d1.batch([
		insertStatus(d1, {
			tenant,
			actionId: action.id,
			entry,
			timestamp: now,
			now,
			user: q.user,
			guard,
		}),
		...transitionStatements(d1, { tenant, action, transition, now, user: q.user, guard }),
	]);
	await refreshPollEntries(env, tenant, [action.targetId]);
	return { kind: "recorded", action: await reload(db, action) };
}

/** The target's auto-confirm state (hawkBit: ConfirmationManagement#findStatus). */
export type AutoConfirmState =
	| { active: false }
	| { active: true; initiator: string | null; remark: string | null; activatedAt: number };

export function autoConfirmStateOf(t: TargetRow): AutoConfirmState {
	if (!t.autoConfirmActive) {
		return { active: false };
	}
	return {
		active: true,
		initiator: t.autoConfirmInitiator,
		remark: t.autoConfirmRemark,
		activatedAt: t.autoConfirmActivatedAt ?? 0,
	};
}

function targetNotFound(controllerId: string): DomainError {
	return entityNotFound("Target", controllerId);
}

/**
 * Switches auto-confirm on (hawkBit: ConfirmationManagement#activateAutoConfirmation): 409
 * `repo.autoConfAlreadyActive` if it is on; every action of the target waiting for confirmation is
 * confirmed at once (RUNNING, with the auto-confirmation message; no quota check, as in hawkBit).
 * Empty initiator/remark are stored as absent.
 */
export async function activateAutoConfirm(
	db: Db,
	env: DeploymentBindings,
	q: {
		tenant: string;
		controllerId: string;
		initiator?: string | null;
		remark?: string | null;
		user: string;
	},
): Promise<AutoConfirmState> {
	const tenant = normaliseTenant(q.tenant);
	const target = await db.query.targets.findFirst({
		where: and(eq(targets.tenant, tenant), eq(targets.controllerId, q.controllerId)),
	});
	if (!target) {
		throw targetNotFound(q.controllerId);
	}
	if (target.autoConfirmActive) {
		throw new DomainError(
			"repo.autoConfAlreadyActive",
			`Auto confirmation is already active for device ${q.controllerId}.`,
		);
	}
	const initiator = q.initiator ? q.initiator : null;
	const remark = q.remark ? q.remark : null;
	const now = Date.now();
	const d1 = env.DB;
	const message = autoConfirmationMessage({ initiator, remark, activatedBy: q.user });
	const waiting = "a.target_id = ?2 AND a.active = 1 AND a.status = 'WAIT_FOR_CONFIRMATION'";
	const activatedNow =
		"EXISTS (SELECT 1 FROM targets t WHERE t.id = ?2 AND t.auto_confirm_active = 1 AND t.auto_confirm_activated_at = ?3)";
	const results = await d1.batch([
		d1
			.prepare(
				`UPDATE targets SET auto_confirm_active = 1, auto_confirm_initiator = ?3, auto_confirm_remark = ?4,
				   auto_confirm_activated_at = ?5, auto_confirm_activated_by = ?6, last_modified_at = ?5, last_modified_by = ?6
				 WHERE tenant = ?1 AND id = ?2 AND auto_confirm_active = 0`,
			)
			.bind(tenant, target.id, initiator, remark, now, q.user),
		// Only when this batch switched it on (its activation time is ours), so a lost race confirms nothing twice.
		d1
			.prepare(
				`INSERT INTO action_statuses (tenant, action_id, status, timestamp, messages, created_at, created_by, last_modified_at, last_modified_by)
				 SELECT a.tenant, a.id, 'RUNNING', ?3, ?4, ?3, ?5, ?3, ?5 FROM actions a
				 WHERE a.tenant = ?1 AND ${waiting} AND ${activatedNow}`,
			)
			.bind(tenant, target.id, now, JSON.stringify([message]), q.user),
		d1
			.prepare(
				`UPDATE actions AS a SET status = 'RUNNING', last_modified_at = ?3, last_modified_by = ?4
				 WHERE a.tenant = ?1 AND ${waiting} AND ${activatedNow}`,
			)
			.bind(tenant, target.id, now, q.user),
	]);
	if ((results[0]?.meta.changes ?? 0) === 0) {
		throw new DomainError(
			"repo.autoConfAlreadyActive",
			`Auto confirmation is already active for device ${q.controllerId}.`,
		);
	}
	await refreshPollEntries(env, tenant, [target.id]);
	return { active: true, initiator, remark, activatedAt: now };
}

/** Switches auto-confirm off; waiting actions are not touched (hawkBit: #deactivateAutoConfirmation). */
export async function deactivateAutoConfirm(
	db: Db,
	env: DeploymentBindings,
	q: { tenant: string; controllerId: string; user: string },
): Promise<void> {
	const tenant = normaliseTenant(q.tenant);
	const target = await db.query.targets.findFirst({
		columns: { id: true },
		where: and(eq(targets.tenant, tenant), eq(targets.controllerId, q.controllerId)),
	});
	if (!target) {
		throw targetNotFound(q.controllerId);
	}
	await env.DB.prepare(
		`UPDATE targets SET auto_confirm_active = 0, auto_confirm_initiator = NULL, auto_confirm_remark = NULL,
		   auto_confirm_activated_at = NULL, auto_confirm_activated_by = NULL, last_modified_at = ?3, last_modified_by = ?4 WHERE tenant = ?1 AND id = ?2`,
	)
		.bind(tenant, target.id, Date.now(), q.user)
		.run();
	// Nothing on the poll changes but a pollingTime override on `autoconfirm` may stop matching.
	await refreshPollingOverrides(env, tenant, [target.id]);
}

/**
 * Up to `count` device messages of an action, newest first, without server messages ("Update Server: …");
 * 0 = none, negative or above 100 = 100. hawkBit: ControllerManagement#getActionHistoryMessages.
 */
export async function listActionHistoryMessages(
	db: Db,
	q: { actionId: number; count: number },
): Promise<string[]> {
	if (q.count === 0) {
		return [];
	}
	const limit =
		q.count < 0 || q.count >= MAX_ACTION_HISTORY_MESSAGES ? MAX_ACTION_HISTORY_MESSAGES : q.count;
	const rows = await db.all<{ value: string }>(sql`
		SELECT j.value AS value FROM action_statuses s, json_each(s.messages) j
		WHERE s.action_id = ${q.actionId} AND substr(j.value, 1, ${SERVER_MESSAGE_PREFIX.length}) <> ${SERVER_MESSAGE_PREFIX}
		ORDER BY s.timestamp DESC, s.id DESC, j.key ASC LIMIT ${limit}`);
	return rows.map((r) => r.value);
}

/** A module of the action's DS with its artifacts and target-visible metadata (for DDI chunks). */
export type DeploymentModule = {
	id: number;
	typeKey: string;
	name: string;
	version: string;
	encrypted: boolean;
	artifacts: {
		filename: string;
		sha1: string;
		md5: string;
		sha256: string | null;
		size: number;
	}[];
	metadata: { key: string; value: string }[];
};

/** The modules of a DS as DDI's deploymentBase shows them (hawkBit: DataConversionHelper#createChunks). */
export async function listDeploymentModules(
	d1: D1Database,
	q: { tenant: string; dsId: number },
): Promise<DeploymentModule[]> {
	const tenant = normaliseTenant(q.tenant);
	const [mods, arts, meta] = await d1.batch<Record<string, unknown>>([
		d1
			.prepare(
				`SELECT m.id, m.name, m.version, m.encrypted, t.key AS type_key FROM distribution_set_modules dm
				 JOIN software_modules m ON m.id = dm.sm_id JOIN software_module_types t ON t.id = m.type_id
				 WHERE dm.ds_id = ?1 AND m.tenant = ?2 ORDER BY m.id`,
			)
			.bind(q.dsId, tenant),
		d1
			.prepare(
				`SELECT a.software_module_id, a.filename, a.sha1, a.md5, a.sha256, a.size FROM artifacts a
				 JOIN distribution_set_modules dm ON dm.sm_id = a.software_module_id WHERE dm.ds_id = ?1 AND a.tenant = ?2 ORDER BY a.id`,
			)
			.bind(q.dsId, tenant),
		d1
			.prepare(
				`SELECT md.software_module_id, md.key, md.value FROM software_module_metadata md
				 JOIN distribution_set_modules dm ON dm.sm_id = md.software_module_id
				 WHERE dm.ds_id = ?1 AND md.target_visible = 1 ORDER BY md.key`,
			)
			.bind(q.dsId),
	]);
	type A = DeploymentModule["artifacts"][number] & { software_module_id: number };
	const artifactRows = (arts?.results ?? []) as A[];
	const metaRows = (meta?.results ?? []) as {
		software_module_id: number;
		key: string;
		value: string;
	}[];
	return (
		(mods?.results ?? []) as {
			id: number;
			name: string;
			version: string;
			encrypted: number;
			type_key: string;
		}[]
	).map((m) => ({
		id: m.id,
		typeKey: m.type_key,
		name: m.name,
		version: m.version,
		encrypted: m.encrypted === 1,
		artifacts: artifactRows
			.filter((a) => a.software_module_id === m.id)
			.map(({ filename, sha1, md5, sha256, size }) => ({ filename, sha1, md5, sha256, size })),
		metadata: metaRows
			.filter((r) => r.software_module_id === m.id)
			.map(({ key, value }) => ({ key, value })),
	}));
}

/**
 * The target's active, not canceling action whose DS contains the module — the only thing that lets a
 * device download (hawkBit: ControllerManagement#getActionForDownloadByTargetAndSoftwareModule).
 */
export async function findDownloadAction(
	db: Db,
	q: { targetId: number; softwareModuleId: number },
): Promise<ActionRow | undefined> {
	const row = await db.get<{ id: number }>(sql`
		SELECT a.id FROM actions a JOIN distribution_set_modules dm ON dm.ds_id = a.ds_id
		WHERE a.target_id = ${q.targetId} AND a.active = 1 AND a.status NOT IN ('CANCELING', 'CANCELED')
		  AND dm.sm_id = ${q.softwareModuleId}
		ORDER BY a.id ASC LIMIT 1`);
	return row ? db.query.actions.findFirst({ where: eq(actions.id, row.id) }) : undefined;
}

/**
 * The target's installed action (newest FINISHED action of its installed DS), if the module belongs to it
 * (hawkBit: the fallback of getSoftwareModulesArtifacts via findInstalledActionByTarget).
 */
export async function findInstalledActionWithModule(
	db: Db,
	q: { targetId: number; softwareModuleId: number },
): Promise<number | undefined> {
	const row = await db.get<{ id: number }>(sql`
		SELECT a.id FROM actions a JOIN targets t ON t.id = a.target_id
		WHERE a.target_id = ${q.targetId} AND a.ds_id = t.installed_ds_id AND a.status = 'FINISHED'
		  AND a.id = (SELECT max(b.id) FROM actions b WHERE b.target_id = a.target_id AND b.ds_id = t.installed_ds_id AND b.status = 'FINISHED')
		  AND EXISTS (SELECT 1 FROM distribution_set_modules dm WHERE dm.ds_id = a.ds_id AND dm.sm_id = ${q.softwareModuleId})`);
	return row?.id;
}

/** A distribution set of the tenant by name and version (hawkBit: DistributionSetManagement#findByNameAndVersion). */
export async function findDistributionSetByNameAndVersion(
	db: Db,
	q: { tenant: string; name: string; version: string },
): Promise<{ id: number } | undefined> {
	return db.query.distributionSets.findFirst({
		columns: { id: true },
		where: and(
			eq(distributionSets.tenant, normaliseTenant(q.tenant)),
			eq(distributionSets.name, q.name),
			eq(distributionSets.version, q.version),
			eq(distributionSets.deleted, false),
		),
	});
}
