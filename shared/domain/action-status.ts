/**
 * hawkBit's action state machine as pure functions: which status entry a device report becomes,
 * what it does to the action and the target, and how a device is told to download/update.
 * hawkBit: DdiRootController (generateUpdateStatus, generateActionCancelStatus, calculateDownloadType,
 * calculateUpdateType), JpaControllerManagement#onActionStatusUpdate, JpaActionManagement,
 * JpaConfirmationManagement, DeploymentHelper#successCancellation, JpaAction (maintenance window).
 */
import type { ActionStatus, ActionType } from "../db/schema/actions";
import type { TargetUpdateStatus } from "../db/schema/targets";
import { type MaintenanceSchedule, maintenanceWindowAt } from "./maintenance-window";

/** Server-generated messages start with this and are hidden from the DDI action history. */
export const SERVER_MESSAGE_PREFIX = "Update Server: ";
/** hawkBit's JpaActionStatus splits longer messages into pieces of this length. */
export const MESSAGE_ENTRY_LENGTH = 512;
/** Quotas (hawkbit.server.security.dos.*): status entries per action, messages per status entry. */
export const MAX_STATUS_ENTRIES_PER_ACTION = 1000;
export const MAX_MESSAGES_PER_ACTION_STATUS = 50;
/** RepositoryConstants.MAX_ACTION_HISTORY_MSG_COUNT: cap of DDI `actionHistory` messages. */
export const MAX_ACTION_HISTORY_MESSAGES = 100;
/** repositoryProperties.actionWeightIfAbsent. */
export const DEFAULT_ACTION_WEIGHT = 1000;
export const MIN_ACTION_WEIGHT = 0;
export const MAX_ACTION_WEIGHT = 1000;

export const DDI_EXECUTIONS = [
	"closed",
	"proceeding",
	"canceled",
	"scheduled",
	"rejected",
	"resumed",
	"downloaded",
	"download",
] as const;
export type DdiExecution = (typeof DDI_EXECUTIONS)[number];
export const DDI_FINISHED = ["success", "failure", "none"] as const;
export type DdiFinished = (typeof DDI_FINISHED)[number];

/** The part of a DDI feedback body that decides the status entry. */
export type DeviceReport = {
	execution: DdiExecution;
	finished: DdiFinished;
	code?: number | null;
	details?: readonly string[] | null;
};

/** One action-status history entry about to be stored. */
export type StatusEntry = {
	status: ActionStatus;
	messages: string[];
	code?: number;
};

function serverMessage(text: string): string {
	return SERVER_MESSAGE_PREFIX + text;
}

function codeMessage(code: number): string {
	return `Device reported status code: ${code}`;
}

/**
 * A deployment feedback (`POST deploymentBase/{id}/feedback`) as a status entry: device details first,
 * then "Device reported status code: N", and only when both are absent a default server message.
 * hawkBit appends "." to the default text, hence the double dot after "cancellation.".
 */
export function deploymentFeedbackEntry(report: DeviceReport): StatusEntry {
	const messages = [...(report.details ?? [])];
	const entry: StatusEntry = { status: "RUNNING", messages };
	if (report.code !== undefined && report.code !== null) {
		entry.code = report.code;
		messages.push(codeMessage(report.code));
	}
	let defaultText: string;
	switch (report.execution) {
		case "canceled":
			entry.status = "CANCELED";
			defaultText = "Target confirmed cancellation.";
			break;
		case "rejected":
			entry.status = "WARNING";
			defaultText = "Target REJECTED update";
			break;
		case "closed":
			if (report.finished === "failure") {
				entry.status = "ERROR";
				defaultText = "Target reported CLOSED with ERROR!";
			} else {
				entry.status = "FINISHED";
				defaultText = "Target reported CLOSED with OK!";
			}
			break;
		case "download":
			entry.status = "DOWNLOAD";
			defaultText = "Target confirmed download start";
			break;
		case "downloaded":
			entry.status = "DOWNLOADED";
			defaultText = "Target confirmed download finished";
			break;
		default:
			// proceeding, scheduled, resumed: hawkBit prints the Java enum name.
			entry.status = "RUNNING";
			defaultText = `Target reported ${report.execution.toUpperCase()}`;
			break;
	}
	if (messages.length === 0) {
		messages.push(serverMessage(`${defaultText}.`));
	}
	return entry;
}

/**
 * A cancel feedback (`POST cancelAction/{id}/feedback`) as a status entry. The success signal is
 * `closed`; a `canceled` report here is a WARNING ("cancel for a cancel"). Unlike deployment feedback
 * the server message comes first and is always written.
 */
export function cancelFeedbackEntry(report: DeviceReport): StatusEntry {
	const messages: string[] = [];
	let status: ActionStatus;
	switch (report.execution) {
		case "canceled":
			status = "WARNING";
			messages.push(
				serverMessage("Target reported cancel for a cancel which is not supported by the server."),
			);
			break;
		case "rejected":
			status = "CANCEL_REJECTED";
			messages.push(serverMessage("Target rejected the cancellation request."));
			break;
		case "closed":
			if (report.finished === "failure") {
				status = "ERROR";
				messages.push(serverMessage("Target was not able to complete cancellation."));
			} else {
				status = "CANCELED";
				messages.push(serverMessage("Cancellation confirmed."));
			}
			break;
		default:
			status = "RUNNING";
			break;
	}
	messages.push(...(report.details ?? []));
	const entry: StatusEntry = { status, messages };
	if (report.code !== undefined && report.code !== null) {
		entry.code = report.code;
		messages.push(codeMessage(report.code));
	}
	if (status === "CANCELED") {
		// DeploymentHelper#successCancellation path: the canceled action documents its own completion.
		messages.push(serverMessage("Cancellation completion is finished successfully."));
	}
	return entry;
}

/** Splits over-long messages the way JpaActionStatus#addMessage does. */
export function splitLongMessages(messages: readonly string[]): string[] {
	const out: string[] = [];
	for (const m of messages) {
		if (m.length <= MESSAGE_ENTRY_LENGTH) {
			out.push(m);
			continue;
		}
		for (let off = 0; off < m.length; off += MESSAGE_ENTRY_LENGTH) {
			out.push(m.slice(off, off + MESSAGE_ENTRY_LENGTH));
		}
	}
	return out;
}

/** Only FINISHED and ERROR are final; every other entry counts against the per-action quota. */
export function isIntermediateStatus(status: ActionStatus): boolean {
	return status !== "FINISHED" && status !== "ERROR";
}

/** hawkBit: Action#isCancelingOrCanceled. */
export function isCancelingOrCanceled(status: ActionStatus): boolean {
	return status === "CANCELING" || status === "CANCELED";
}

/** The fields of an action the state machine reads. */
export type ActionState = {
	status: ActionStatus;
	active: boolean;
	actionType: ActionType;
	dsId: number;
};

/** The fields of a target the state machine reads and writes. */
export type TargetState = {
	assignedDsId: number | null;
	installedDsId: number | null;
	installationDate: number | null;
	updateStatus: TargetUpdateStatus;
	requestControllerAttributes: boolean;
};

/** What storing a status entry changes; absent keys stay as they are. */
export type Transition = {
	action: Partial<Pick<ActionState, "status" | "active">> & {
		lastActionStatusCode?: number | null;
	};
	target: Partial<TargetState>;
};

/**
 * Effect of a deployment status entry on the action and its target (hawkBit:
 * JpaControllerManagement#onActionStatusUpdate + JpaActionManagement#handleAddUpdateActionStatus).
 * Only closed (FINISHED / ERROR) and DOWNLOADED of a download-only action change the action;
 * everything else is history. `lastActionStatusCode` always follows the report (null when absent).
 * `timestamp` is the device's time of the report (server time when it sent none).
 */
export function deploymentFeedbackTransition(
	action: ActionState,
	target: TargetState,
	entry: StatusEntry,
	timestamp: number,
): Transition {
	const t: Transition = { action: { lastActionStatusCode: entry.code ?? null }, target: {} };
	switch (entry.status) {
		case "ERROR":
			t.action.status = "ERROR";
			t.action.active = false;
			t.target.updateStatus = "error";
			t.target.assignedDsId = null;
			break;
		case "FINISHED": {
			t.action.status = "FINISHED";
			t.action.active = false;
			// Only a newer installation moves the installed DS: a late report of an older one must not.
			if (target.installationDate === null || target.installationDate < timestamp) {
				t.target.installedDsId = action.dsId;
				t.target.installationDate = timestamp;
				// A download-only action that the device installed anyway becomes the assigned DS too.
				const assigned = action.actionType === "downloadonly" ? action.dsId : target.assignedDsId;
				if (action.actionType === "downloadonly") {
					t.target.assignedDsId = action.dsId;
				}
				if (assigned !== null && assigned === action.dsId) {
					t.target.updateStatus = "in_sync";
				}
			}
			t.target.requestControllerAttributes = true;
			break;
		}
		case "DOWNLOADED":
			if (action.actionType === "downloadonly") {
				t.action.status = "DOWNLOADED";
				t.action.active = false;
				t.target.updateStatus = "in_sync";
				t.target.requestControllerAttributes = true;
			}
			break;
		default:
			break;
	}
	return t;
}

/**
 * Effect of a successful cancellation or a force-quit (hawkBit: DeploymentHelper#successCancellation):
 * the action closes as CANCELED; the target's assigned DS becomes that of its next (oldest) other
 * active action, or — if none is left — the installed DS, with `in_sync`.
 */
export function cancellationSucceededTransition(
	target: Pick<TargetState, "installedDsId">,
	nextActiveActionDsId: number | undefined,
): Transition {
	if (nextActiveActionDsId !== undefined) {
		return {
			action: { status: "CANCELED", active: false },
			target: { assignedDsId: nextActiveActionDsId },
		};
	}
	return {
		action: { status: "CANCELED", active: false },
		target: { assignedDsId: target.installedDsId, updateStatus: "in_sync" },
	};
}

/**
 * Effect of a cancel-feedback status entry (hawkBit: JpaControllerManagement#addCancelActionStatus).
 * `undefined` for CANCELED: the caller applies {@link cancellationSucceededTransition}, which needs the
 * target's other active actions. A failed or rejected cancellation puts the action back to RUNNING.
 */
export function cancelFeedbackTransition(entry: StatusEntry): Transition | undefined {
	switch (entry.status) {
		case "CANCELED":
		case "FINISHED":
			return undefined;
		case "ERROR":
		case "CANCEL_REJECTED":
			return { action: { status: "RUNNING" }, target: {} };
		default:
			return { action: {}, target: {} };
	}
}

/** Cancel feedback quota applies only to the informational entries (hawkBit checks it in `default`). */
export function cancelEntryCountsAgainstQuota(status: ActionStatus): boolean {
	return !["CANCELED", "FINISHED", "ERROR", "CANCEL_REJECTED"].includes(status);
}

/** Why a device confirmation/denial cannot be taken. */
export type ConfirmationRefusal = "actionClosed" | "notAwaitingConfirmation";

/** hawkBit: ConfirmationManagement.CONFIRMATION_CODE_MSG_PREFIX. */
function confirmationCodeMessage(code: number): string {
	return `Confirmation status code: ${code}`;
}

/**
 * A confirmation (device `confirmed` or operator) of an action waiting for it: RUNNING entry, action
 * RUNNING. Refused for inactive actions (410 over DDI) and actions not waiting (404).
 * hawkBit: JpaConfirmationManagement#confirmAction.
 */
export function confirmEntry(
	action: Pick<ActionState, "status" | "active">,
	code: number | null | undefined,
	details: readonly string[] | null | undefined,
): StatusEntry | ConfirmationRefusal {
	if (!action.active) {
		return "actionClosed";
	}
	if (action.status !== "WAIT_FOR_CONFIRMATION") {
		return "notAwaitingConfirmation";
	}
	const messages = [
		...(details ?? []),
		serverMessage(
			"Target confirmed action. Therefore, it will be set to the running state to proceed with the deployment.",
		),
	];
	return withConfirmationCode({ status: "RUNNING", messages }, code);
}

/**
 * A denial: a waiting action stays waiting; a confirmed but not yet finished action goes back to
 * waiting — but only while the confirmation flow is on, and never a canceling one.
 * hawkBit: JpaConfirmationManagement#denyAction.
 */
export function denyEntry(
	action: Pick<ActionState, "status" | "active">,
	confirmationFlowEnabled: boolean,
	code: number | null | undefined,
	details: readonly string[] | null | undefined,
): StatusEntry | ConfirmationRefusal {
	if (!action.active) {
		return "actionClosed";
	}
	const messages = [...(details ?? [])];
	if (action.status === "WAIT_FOR_CONFIRMATION") {
		messages.push(
			serverMessage("Target rejected action. Action will stay in confirmation pending state."),
		);
	} else if (isCancelingOrCanceled(action.status) || !confirmationFlowEnabled) {
		return "notAwaitingConfirmation";
	} else {
		messages.push(
			serverMessage(
				"Target revoked previously granted confirmation. Action returned to confirmation-pending state.",
			),
		);
	}
	return withConfirmationCode({ status: "WAIT_FOR_CONFIRMATION", messages }, code);
}

function withConfirmationCode(entry: StatusEntry, code: number | null | undefined): StatusEntry {
	if (code !== undefined && code !== null) {
		entry.code = code;
		entry.messages.push(confirmationCodeMessage(code));
	}
	return entry;
}

/** Effect of a confirmation-flow entry on an active action (hawkBit: JpaConfirmationManagement#onActionStatusUpdate). */
export function confirmationTransition(
	action: Pick<ActionState, "status" | "active">,
	entry: StatusEntry,
): Transition {
	const t: Transition = { action: { lastActionStatusCode: entry.code ?? null }, target: {} };
	if (action.active) {
		if (entry.status === "RUNNING") {
			t.action.status = "RUNNING";
		} else if (entry.status === "WAIT_FOR_CONFIRMATION" && !isCancelingOrCanceled(action.status)) {
			t.action.status = "WAIT_FOR_CONFIRMATION";
		}
	}
	return t;
}

/** The auto-confirm fields of a target (hawkBit: AutoConfirmationStatus). */
export type AutoConfirmation = {
	initiator: string | null;
	remark: string | null;
	/** Who switched it on (hawkBit: the status entity's createdBy). */
	activatedBy: string | null;
};

/** hawkBit: AutoConfirmationStatus#constructActionMessage (the text block keeps its trailing spaces). */
export function autoConfirmationMessage(a: AutoConfirmation): string {
	const orNa = (v: string | null) => (v && v.trim() !== "" ? v : "n/a");
	return (
		`Assignment automatically confirmed by initiator '${orNa(a.initiator)}'. \n\n` +
		`Auto confirmation activated by system user: '${orNa(a.activatedBy)}' \n\n` +
		`Remark: ${orNa(a.remark)}`
	);
}

/** The remark hawkBit stores when a device activates auto-confirm without a body. */
export const DDI_AUTO_CONFIRM_FALLBACK_REMARK =
	"Initiated using the Device Direct Integration API without providing a remark.";

/** Inputs of a new online action's initial state. */
export type NewActionInput = {
	confirmationFlowEnabled: boolean;
	confirmationRequired: boolean;
	autoConfirmation: AutoConfirmation | undefined;
	initiatedBy: string;
	/** The first history message: "Assignment initiated by user '…'" or the rollout's text. */
	initialMessage: string;
};

/**
 * Initial status and first history entry of a newly started action (manual assignment or rollout
 * group start). hawkBit: OnlineDsAssignmentStrategy#createTargetAction/#createActionStatus and
 * JpaDeploymentManagement#verifyAndAddConfirmationStatus. With the flow on, the entry is
 * WAIT_FOR_CONFIRMATION even when the action itself starts RUNNING, and says why it needed no consent.
 */
export function newActionState(input: NewActionInput): {
	status: "RUNNING" | "WAIT_FOR_CONFIRMATION";
	entry: StatusEntry;
} {
	if (!input.confirmationFlowEnabled) {
		return { status: "RUNNING", entry: { status: "RUNNING", messages: [input.initialMessage] } };
	}
	const messages = [input.initialMessage];
	const waits = input.confirmationRequired && input.autoConfirmation === undefined;
	if (waits) {
		messages.push(
			"Waiting for the confirmation by the device before processing with the deployment",
		);
	} else if (!input.confirmationRequired) {
		messages.push(`Assignment confirmed by initiator [${input.initiatedBy}].`);
	} else if (input.autoConfirmation) {
		messages.push(autoConfirmationMessage(input.autoConfirmation));
	}
	return {
		status: waits ? "WAIT_FOR_CONFIRMATION" : "RUNNING",
		entry: { status: "WAIT_FOR_CONFIRMATION", messages },
	};
}

/** hawkBit's initial history message of a manual assignment. */
export function assignmentInitiatedMessage(user: string): string {
	return `Assignment initiated by user '${user}'`;
}

/** hawkBit's initial history message of a rollout-created action. */
export function rolloutInitiatedMessage(groupName: string, rolloutName: string, rolloutId: number) {
	return `Initiated by Rollout Group '${groupName}' [Rollout ${rolloutName}:${rolloutId}]`;
}

/** Server messages hawkBit writes on operator or assignment driven changes. */
export const MESSAGES = {
	retrievedDeployment: serverMessage(
		"Target retrieved update action and should start now the download.",
	),
	retrievedCancel: serverMessage(
		"Target retrieved cancel action and should start now the cancellation.",
	),
	manualCancel: serverMessage("manual cancelation requested"),
	forceQuit: serverMessage("A force quit has been performed."),
	cancelObsolete: serverMessage("cancel obsolete action due to new update"),
	closeObsolete: serverMessage("close obsolete action due to new update"),
	offlineDeployment: serverMessage("Action reported as offline deployment"),
	downloads: (path: string) => serverMessage(`Target downloads ${path}`),
} as const;

/** Whether a device reading deploymentBase gets a RETRIEVED entry: only when the newest entry isn't one. */
export function shouldRegisterRetrieved(newestEntryStatus: ActionStatus | undefined): boolean {
	return newestEntryStatus !== "RETRIEVED";
}

/** A RETRIEVED entry moves the action's status too — unless it is being canceled. */
export function retrievedTransition(action: Pick<ActionState, "status">): ActionStatus {
	return isCancelingOrCanceled(action.status) ? action.status : "RETRIEVED";
}

/** Operator cancel allowed? hawkBit: JpaDeploymentManagement#cancelAction. */
export function canCancel(action: Pick<ActionState, "status" | "active">): boolean {
	return action.active && !isCancelingOrCanceled(action.status);
}

/** Operator force-quit allowed? Only an active action that is already being canceled. */
export function canForceQuit(action: Pick<ActionState, "status" | "active">): boolean {
	return action.active && isCancelingOrCanceled(action.status);
}

/** What the management API shows as an action's `type`. */
export function mgmtActionType(status: ActionStatus): "cancel" | "update" {
	return isCancelingOrCanceled(status) ? "cancel" : "update";
}

/** The fields that decide the DDI handling of an action. */
export type HandlingInput = {
	actionType: ActionType;
	forcedTime: number | null;
	maintenance: MaintenanceSchedule | undefined;
};

/** hawkBit: Action#isHitAutoForceTime — a time-forced action past its force time. */
export function isHitAutoForceTime(
	a: Pick<HandlingInput, "actionType" | "forcedTime">,
	now: number,
) {
	return a.actionType === "timeforced" && now >= (a.forcedTime ?? 0);
}

/** hawkBit: Action#isForcedOrTimeForced. */
export function isForcedOrTimeForced(
	a: Pick<HandlingInput, "actionType" | "forcedTime">,
	now: number,
): boolean {
	return a.actionType === "forced" || isHitAutoForceTime(a, now);
}

/** hawkBit: JpaAction#isMaintenanceWindowAvailable — always true without a schedule. */
export function isMaintenanceWindowAvailable(
	maintenance: MaintenanceSchedule | undefined,
	now: number,
): boolean {
	return maintenance === undefined || maintenanceWindowAt(maintenance, now).open;
}

/** hawkBit: JpaAction#isMaintenanceScheduleLapsed (only meaningful with a schedule). */
export function isMaintenanceScheduleLapsed(
	maintenance: MaintenanceSchedule | undefined,
	now: number,
): boolean {
	return maintenance !== undefined && maintenanceWindowAt(maintenance, now).lapsed;
}

export type DdiHandling = "forced" | "attempt" | "skip";

/**
 * DDI `deployment.download` / `update` / `maintenanceWindow`. download: forced for forced,
 * download-only and time-forced past its force time, else attempt (never skip). update: skip for
 * download-only and while a scheduled window is closed, else the download value.
 */
export function ddiDeploymentHandling(
	a: HandlingInput,
	now: number,
): { download: DdiHandling; update: DdiHandling; maintenanceWindow?: "available" | "unavailable" } {
	const download: DdiHandling =
		a.actionType === "downloadonly" || isForcedOrTimeForced(a, now) ? "forced" : "attempt";
	if (a.maintenance === undefined) {
		return { download, update: a.actionType === "downloadonly" ? "skip" : download };
	}
	const available = isMaintenanceWindowAvailable(a.maintenance, now);
	const update: DdiHandling = a.actionType === "downloadonly" || !available ? "skip" : download;
	return { download, update, maintenanceWindow: available ? "available" : "unavailable" };
}

/** hawkBit: OperatorCancel / force type — an operator can only switch a non-forced action to forced. */
export function forcedTypeChange(
	a: Pick<HandlingInput, "actionType" | "forcedTime">,
	now: number,
): ActionType | undefined {
	return isForcedOrTimeForced(a, now) ? undefined : "forced";
}
