/**
 * Rollout and rollout-group state machine, success/error conditions and the decision a scheduler run
 * takes for a running rollout. Pure functions; the coordinator Durable Object applies their results.
 * hawkBit: JpaRolloutManagement (state preconditions), JpaRolloutExecutor#handleRunningRollout,
 * ThresholdRolloutGroupSuccessCondition / ThresholdRolloutGroupErrorCondition,
 * StartNextGroupRolloutGroupSuccessAction, Pause*Action.
 */
import type { ActionStatus, ActionType } from "../db/schema/actions";
import type { RolloutGroupStatus, RolloutStatus } from "../db/schema/rollouts";
import { DomainError } from "../errors";

/** Operator operations whose legality depends on the rollout's state. */
export type RolloutOperation =
	| "start"
	| "pause"
	| "resume"
	| "stop"
	| "approve"
	| "deny"
	| "triggerNextGroup"
	| "retry"
	| "update"
	| "delete";

/** hawkBit's ROLLOUT_STATUS_STOPPABLE, in its order (the order shows up in the error message). */
export const STOPPABLE_STATUSES: readonly RolloutStatus[] = [
	"creating",
	"ready",
	"waiting_for_approval",
	"starting",
	"running",
	"paused",
	"approval_denied",
];

/** States in which the coordinator still has work to do on its own (hawkBit's ACTIVE_ROLLOUTS). */
export const SCHEDULER_STATUSES: readonly RolloutStatus[] = [
	"creating",
	"ready",
	"starting",
	"running",
	"stopping",
	"deleting",
];

/** States after which nothing happens any more. */
export function isFinalRolloutStatus(status: RolloutStatus): boolean {
	return status === "finished" || status === "stopped" || status === "deleted";
}

function illegal(message: string): DomainError {
	return new DomainError("rollout.illegalState", message);
}

/**
 * Throws hawkBit's error when `op` is not allowed in `status` (400 rollout.illegalState, 403
 * entityReadOnly for changing a deleted rollout, 400 constraintViolation for retrying an unfinished
 * one). `hasScheduledGroup` matters only for triggerNextGroup. Messages are hawkBit's.
 */
export function assertRolloutOperation(
	op: RolloutOperation,
	status: RolloutStatus,
	ctx: { rolloutId?: number; hasScheduledGroup?: boolean } = {},
): void {
	switch (op) {
		case "start":
			if (status !== "ready") {
				throw illegal(`Rollout can only be started in state ready but current state is ${status}`);
			}
			return;
		case "pause":
			if (status !== "running") {
				throw illegal(`Rollout can only be paused in state running but current state is ${status}`);
			}
			return;
		case "resume":
			if (status !== "paused") {
				throw illegal(`Rollout can only be resumed in state paused but current state is ${status}`);
			}
			return;
		case "approve":
		case "deny":
			if (status !== "waiting_for_approval") {
				throw illegal("Rollout is not in status WAITING_FOR_APPROVAL");
			}
			return;
		case "stop":
			if (!STOPPABLE_STATUSES.includes(status)) {
				throw illegal(
					`Rollout can only be stopped into the following statuses [${STOPPABLE_STATUSES.map((s) => s.toUpperCase()).join(", ")}]`,
				);
			}
			return;
		case "triggerNextGroup":
			if (status !== "running") {
				throw illegal("Rollout is not in running state");
			}
			if (ctx.hasScheduledGroup === false) {
				throw illegal("Rollout does not have any groups left to be triggered");
			}
			return;
		case "retry":
			if (status !== "finished") {
				throw new DomainError(
					"repo.constraintViolation",
					"Rollout must be finished in order to be retried!",
				);
			}
			return;
		case "update":
			if (status === "deleting" || status === "deleted") {
				throw new DomainError(
					"repo.entityReadOnly",
					`Rollout ${ctx.rolloutId ?? ""} is soft deleted and cannot be changed`,
				);
			}
			return;
		case "delete":
			// hawkBit accepts delete in every state; deleting twice is a no-op.
			return;
	}
}

/** Success-condition kinds (hawkBit RolloutGroupSuccessCondition). */
export type SuccessCondition = "THRESHOLD";
/** Error-condition kinds (hawkBit RolloutGroupErrorCondition). */
export type ErrorCondition = "THRESHOLD";
/** What happens when a group's success condition holds (hawkBit RolloutGroupSuccessAction). */
export type SuccessAction = "NEXTGROUP" | "PAUSE";
/** What happens when a group's error condition holds (hawkBit RolloutGroupErrorAction). */
export type ErrorAction = "PAUSE";

export const SUCCESS_CONDITIONS = ["THRESHOLD"] as const;
export const ERROR_CONDITIONS = ["THRESHOLD"] as const;
export const SUCCESS_ACTIONS = ["NEXTGROUP", "PAUSE"] as const;
export const ERROR_ACTIONS = ["PAUSE"] as const;

/** The eight condition columns every rollout and group carries. */
export type GroupConditions = {
	successCondition: SuccessCondition;
	successConditionExp: string;
	successAction: SuccessAction;
	successActionExp: string | null;
	errorCondition: ErrorCondition;
	errorConditionExp: string;
	errorAction: ErrorAction;
	errorActionExp: string | null;
};

/** hawkBit's RolloutGroupConditionBuilder#withDefaults: 50 % / NEXTGROUP / 50 % / PAUSE. */
export const DEFAULT_CONDITIONS: Readonly<GroupConditions> = {
	successCondition: "THRESHOLD",
	successConditionExp: "50",
	successAction: "NEXTGROUP",
	successActionExp: "",
	errorCondition: "THRESHOLD",
	errorConditionExp: "50",
	errorAction: "PAUSE",
	errorActionExp: "",
};

/** The request shapes of the four condition objects (MgmtRolloutCondition, …SuccessAction, …ErrorAction). */
export type ConditionsRequest = {
	successCondition?: { condition?: SuccessCondition; expression?: string | null } | null;
	successAction?: { action?: SuccessAction; expression?: string | null } | null;
	errorCondition?: { condition?: ErrorCondition; expression?: string | null } | null;
	errorAction?: { action?: ErrorAction; expression?: string | null } | null;
};

/**
 * Rollout-level conditions: the defaults, each replaced by the object the request sent. A sent object
 * that lacks a member gets the JSON model's own default (condition THRESHOLD / expression "100";
 * action NEXTGROUP or PAUSE / expression null), not the rollout default — hawkBit MgmtRolloutMapper.
 */
export function resolveRolloutConditions(req: ConditionsRequest): GroupConditions {
	const c: GroupConditions = { ...DEFAULT_CONDITIONS };
	if (req.successCondition) {
		c.successCondition = req.successCondition.condition ?? "THRESHOLD";
		c.successConditionExp = jsonModelExpression(req.successCondition.expression);
	}
	if (req.successAction) {
		c.successAction = req.successAction.action ?? "NEXTGROUP";
		c.successActionExp = req.successAction.expression ?? null;
	}
	if (req.errorCondition) {
		c.errorCondition = req.errorCondition.condition ?? "THRESHOLD";
		c.errorConditionExp = jsonModelExpression(req.errorCondition.expression);
	}
	if (req.errorAction) {
		c.errorAction = req.errorAction.action ?? "PAUSE";
		c.errorActionExp = req.errorAction.expression ?? null;
	}
	return c;
}

/** MgmtRolloutCondition's field default is "100"; an explicit null stays null in Java, which never parses. */
function jsonModelExpression(expression: string | null | undefined): string {
	return expression === undefined ? "100" : (expression ?? "");
}

/**
 * Conditions of an explicit group: what the group sent (without defaults), every member still unset
 * taken from the rollout-level conditions — hawkBit JpaRolloutManagement#prepareRolloutGroupWithDefaultConditions.
 */
export function resolveGroupConditions(
	req: ConditionsRequest,
	rollout: GroupConditions,
): GroupConditions {
	return {
		successCondition: req.successCondition
			? (req.successCondition.condition ?? "THRESHOLD")
			: rollout.successCondition,
		successConditionExp: req.successCondition
			? jsonModelExpression(req.successCondition.expression)
			: rollout.successConditionExp,
		successAction: req.successAction
			? (req.successAction.action ?? "NEXTGROUP")
			: rollout.successAction,
		successActionExp: req.successAction?.expression ?? rollout.successActionExp,
		errorCondition: req.errorCondition
			? (req.errorCondition.condition ?? "THRESHOLD")
			: rollout.errorCondition,
		errorConditionExp: req.errorCondition
			? jsonModelExpression(req.errorCondition.expression)
			: rollout.errorConditionExp,
		errorAction: req.errorAction ? (req.errorAction.action ?? "PAUSE") : rollout.errorAction,
		errorActionExp: req.errorAction?.expression ?? rollout.errorActionExp,
	};
}

/**
 * Java's Integer.parseInt: optional sign, ASCII digits only, 32-bit range. Anything else (blank,
 * "50.5", " 50") is undefined, which hawkBit logs and treats as "condition does not hold".
 */
export function parseThreshold(expression: string | null | undefined): number | undefined {
	if (expression == null || !/^[+-]?\d+$/.test(expression)) {
		return undefined;
	}
	const n = Number(expression);
	return n >= -2_147_483_648 && n <= 2_147_483_647 ? n : undefined;
}

/** Per-group action outcome counts the conditions look at. */
export type GroupCounts = {
	/** The group's target count (hawkBit totalTargets; for the last running dynamic group, its target count). */
	total: number;
	/** Actions in FINISHED (DOWNLOADED for download-only rollouts). */
	finished: number;
	/** Actions in ERROR. */
	error: number;
	/** Actions in a terminal state (FINISHED, ERROR, CANCELED, + DOWNLOADED for download-only). */
	terminal: number;
};

/**
 * `finished / total ≥ p / 100`; an empty group succeeds, a non-integer expression never does.
 * Integer arithmetic: equal to hawkBit's float comparison for every group below 2^24 targets.
 */
export function isSuccessConditionMet(
	c: Pick<GroupConditions, "successCondition" | "successConditionExp">,
	counts: Pick<GroupCounts, "total" | "finished">,
): boolean {
	if (counts.total === 0) {
		return true;
	}
	const threshold = parseThreshold(c.successConditionExp);
	return threshold !== undefined && counts.finished * 100 >= threshold * counts.total;
}

/** `errors / total > p / 100` (strictly); an empty group never errors, nor does a bad expression. */
export function isErrorConditionMet(
	c: Pick<GroupConditions, "errorCondition" | "errorConditionExp">,
	counts: Pick<GroupCounts, "total" | "error">,
): boolean {
	const threshold = parseThreshold(c.errorConditionExp);
	if (threshold === undefined || counts.total === 0) {
		return false;
	}
	return counts.error * 100 > threshold * counts.total;
}

/** Action statuses after which an action of a rollout group no longer counts as open. */
export function isTerminalActionStatus(status: ActionStatus, actionType: ActionType): boolean {
	return (
		status === "FINISHED" ||
		status === "ERROR" ||
		status === "CANCELED" ||
		(status === "DOWNLOADED" && actionType === "downloadonly")
	);
}

/** Whether this status counts towards the success condition ("finished"). */
export function isSuccessfulActionStatus(status: ActionStatus, actionType: ActionType): boolean {
	return actionType === "downloadonly" ? status === "DOWNLOADED" : status === "FINISHED";
}

/** Terminal action outcome counts of one group, as the coordinator keeps them. */
export type OutcomeCounts = Partial<Record<ActionStatus, number>>;

/** Folds terminal outcome counts into the numbers the conditions need. */
export function toGroupCounts(
	total: number,
	outcomes: OutcomeCounts,
	actionType: ActionType,
): GroupCounts {
	let finished = 0;
	let error = 0;
	let terminal = 0;
	for (const [status, n] of Object.entries(outcomes) as [ActionStatus, number][]) {
		if (isSuccessfulActionStatus(status, actionType)) {
			finished += n;
		}
		if (status === "ERROR") {
			error += n;
		}
		if (isTerminalActionStatus(status, actionType)) {
			terminal += n;
		}
	}
	return { total, finished, error, terminal };
}

/** One group as the running-rollout decision sees it. */
export type GroupView = GroupConditions & {
	id: number;
	parentId: number | null;
	name: string;
	status: RolloutGroupStatus;
	dynamic: boolean;
	/** For dynamic groups hawkBit keeps the wanted target count in targetPercentage. */
	targetPercentage: number;
	total: number;
	outcomes: OutcomeCounts;
};

/** One thing the coordinator must do, in order. */
export type RolloutStep =
	| { kind: "groupError"; groupId: number }
	| { kind: "pause"; reason: string }
	| { kind: "startGroups"; parentGroupId: number | null; groupIds: number[] }
	| { kind: "groupFinished"; groupId: number }
	| { kind: "rolloutFinished" };

/**
 * One scheduler run over a RUNNING rollout (hawkBit JpaRolloutExecutor#handleRunningRollout), with
 * one deliberate difference: once a group's error condition pauses the rollout, no later group in the
 * same run starts (hawkBit would still run the success actions of other running groups — overshoot).
 * Error is checked before success for each running group; a completed group is marked finished.
 */
export function decideRunningRollout(
	rollout: { status: RolloutStatus; actionType: ActionType },
	groups: readonly GroupView[],
): RolloutStep[] {
	if (rollout.status !== "running") {
		return [];
	}
	const sorted = [...groups].sort((a, b) => a.id - b.id);
	const status = new Map(sorted.map((g) => [g.id, g.status]));
	const steps: RolloutStep[] = [];
	let paused = false;
	const lastGroup = sorted.at(-1);

	const scheduledChildren = (parentId: number | null) =>
		sorted
			.filter((g) => g.parentId === parentId && status.get(g.id) === "scheduled")
			.map((g) => g.id);
	const startChildrenOf = (parentId: number | null) => {
		const children = scheduledChildren(parentId);
		if (children.length > 0 && !paused) {
			steps.push({ kind: "startGroups", parentGroupId: parentId, groupIds: children });
			for (const id of children) {
				status.set(id, "running");
			}
		}
	};

	const running = sorted.filter((g) => g.status === "running");
	if (running.length === 0) {
		// hawkBit calls triggerNextGroup here: start the children of the last started group.
		const lastStarted = sorted.filter((g) => g.status !== "scheduled").at(-1);
		startChildrenOf(lastStarted ? lastStarted.id : null);
	}
	const lastRunning = running.at(-1);
	for (const g of running) {
		// The last running dynamic group is judged against the target count it is meant to reach.
		const total =
			g === lastRunning && g.dynamic ? Math.max(Math.trunc(g.targetPercentage), 1) : g.total;
		const counts = toGroupCounts(total, g.outcomes, rollout.actionType);
		if (isErrorConditionMet(g, counts)) {
			steps.push({ kind: "groupError", groupId: g.id });
			status.set(g.id, "error");
			if (!paused) {
				steps.push({
					kind: "pause",
					reason: `Error condition of group '${g.name}' met: ${counts.error} of ${counts.total} actions failed (threshold ${g.errorConditionExp}%)`,
				});
				paused = true;
			}
			continue;
		}
		const realCounts = toGroupCounts(g.total, g.outcomes, rollout.actionType);
		const completed = !(g === lastGroup && g.dynamic) && realCounts.terminal >= g.total;
		if (completed || isSuccessConditionMet(g, counts)) {
			if (g.successAction === "NEXTGROUP") {
				startChildrenOf(g.id);
			} else if (scheduledChildren(g.id).length > 0 && !paused) {
				steps.push({
					kind: "pause",
					reason: `Success action PAUSE of group '${g.name}'`,
				});
				paused = true;
			}
		}
		if (completed) {
			steps.push({ kind: "groupFinished", groupId: g.id });
			status.set(g.id, "finished");
		}
	}
	const open = [...status.values()].some((s) => s === "running" || s === "scheduled");
	if (!open) {
		steps.push({ kind: "rolloutFinished" });
	}
	return steps;
}

/**
 * On resume, hawkBit starts the next group right away when the last started group is in ERROR, or
 * its success action is PAUSE and its success condition holds (JpaRolloutManagement#shouldStartNextGroupOnResume).
 * Returns the parent whose scheduled children start, or undefined.
 */
export function groupToContinueOnResume(
	actionType: ActionType,
	groups: readonly GroupView[],
): GroupView | undefined {
	const lastStarted = [...groups]
		.sort((a, b) => a.id - b.id)
		.filter((g) => g.status !== "scheduled")
		.at(-1);
	if (!lastStarted) {
		return undefined;
	}
	if (lastStarted.status === "error") {
		return lastStarted;
	}
	const counts = toGroupCounts(lastStarted.total, lastStarted.outcomes, actionType);
	if (lastStarted.successAction === "PAUSE" && isSuccessConditionMet(lastStarted, counts)) {
		return lastStarted;
	}
	return undefined;
}

/**
 * triggerNextGroup: the scheduled children of the last started group (highest id not SCHEDULED).
 * Throws rollout.illegalState when the rollout is not running or nothing is left to trigger.
 */
export function groupsToTrigger(
	status: RolloutStatus,
	groups: readonly Pick<GroupView, "id" | "parentId" | "status">[],
): { parentGroupId: number | null; groupIds: number[] } {
	const hasScheduledGroup = groups.some((g) => g.status === "scheduled");
	assertRolloutOperation("triggerNextGroup", status, { hasScheduledGroup });
	const sorted = [...groups].sort((a, b) => a.id - b.id);
	const lastStarted = sorted.filter((g) => g.status !== "scheduled").at(-1);
	if (!lastStarted) {
		throw illegal("Cannot find any started rollout group to trigger next from");
	}
	const groupIds = sorted
		.filter((g) => g.parentId === lastStarted.id && g.status === "scheduled")
		.map((g) => g.id);
	return { parentGroupId: lastStarted.id, groupIds };
}
