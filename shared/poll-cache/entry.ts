/**
 * The poll entry of one device and how it is derived from D1 rows. Pure functions.
 * hawkBit: JpaControllerManagement#findActiveActionWithHighestWeight, #findInstalledActionByTarget and
 * DataConversionHelper#fromTarget (link choice) / #calculateEtag (the `c` value).
 */
import type { PollActionRow, PollTargetRow } from "../db/queries/controller";
import type { ActionStatus, ActionType, TargetUpdateStatus } from "../db/schema";

/** Which of the three mutually exclusive action links the poll shows. */
export type PollActionLink = "deploymentBase" | "cancelAction" | "confirmationBase";

/** The highest-weight active action of a device, reduced to what the poll body depends on. */
export type PollAction = {
	id: number;
	status: ActionStatus;
	link: PollActionLink;
	actionType: ActionType;
	/** int32 fingerprint of the action row; `c` mixes in the force-time and maintenance state at poll time. */
	hash: number;
	forcedTime: number | null;
	maintenance: { schedule: string; duration: string; timezone: string } | null;
};

/** KV value of `poll:{TENANT}:{controllerId}` (see docs/storage-schema.md). */
export type PollEntry = {
	v: 1;
	/** The tenant snapshot generation this entry was computed under; another generation means stale. */
	gen: number;
	targetId: number;
	controllerId: string;
	/** Hex SHA-256 of the target's security token: the token itself never sits in KV. */
	tokenSha256: string;
	updateStatus: TargetUpdateStatus;
	requestAttributes: boolean;
	/** Action id of the installedBase link, if shown. */
	installedActionId: number | null;
	action: PollAction | null;
	/** Index of the `pollingTime` override that matched this target, -1 for the default interval. */
	pollingOverride: number;
	builtAt: number;
};

/** Weight hawkBit assumes for actions created without one. */
export const DEFAULT_ACTION_WEIGHT = 1000;

/**
 * The action the poll talks about: highest weight (missing weight = 1000), ties to the lowest id.
 */
export function pickActiveAction(actions: PollActionRow[]): PollActionRow | undefined {
	let best: PollActionRow | undefined;
	for (const a of actions) {
		if (!best) {
			best = a;
			continue;
		}
		const wa = a.weight ?? DEFAULT_ACTION_WEIGHT;
		const wb = best.weight ?? DEFAULT_ACTION_WEIGHT;
		if (wa > wb || (wa === wb && a.id < best.id)) {
			best = a;
		}
	}
	return best;
}

/** hawkBit: waiting for confirmation wins, then canceling/canceled, else deploymentBase. */
export function actionLink(status: ActionStatus): PollActionLink {
	if (status === "WAIT_FOR_CONFIRMATION") {
		return "confirmationBase";
	}
	if (status === "CANCELING" || status === "CANCELED") {
		return "cancelAction";
	}
	return "deploymentBase";
}

/** 32-bit FNV-1a, as a signed int like Java's hashCode. */
export function int32Hash(text: string): number {
	let h = 0x811c9dc5;
	for (let i = 0; i < text.length; i++) {
		h ^= text.charCodeAt(i);
		h = Math.imul(h, 0x01000193);
	}
	return h | 0;
}

function toPollAction(a: PollActionRow): PollAction {
	const maintenance =
		a.maintenanceSchedule && a.maintenanceDuration && a.maintenanceTimezone
			? {
					schedule: a.maintenanceSchedule,
					duration: a.maintenanceDuration,
					timezone: a.maintenanceTimezone,
				}
			: null;
	return {
		id: a.id,
		status: a.status,
		link: actionLink(a.status),
		actionType: a.actionType,
		// Any change of the row (status, type, weight, force time) changes `c` and so the poll's ETag.
		hash: int32Hash(
			[a.id, a.status, a.actionType, a.weight, a.forcedTime, a.lastModifiedAt].join("|"),
		),
		forcedTime: a.forcedTime,
		maintenance,
	};
}

/** Computes one device's poll entry from its rows. */
export function buildPollEntry(input: {
	gen: number;
	target: PollTargetRow;
	tokenSha256: string;
	activeActions: PollActionRow[];
	installedActionId: number | undefined;
	pollingOverride: number;
	now: number;
}): PollEntry {
	const active = pickActiveAction(input.activeActions);
	return {
		v: 1,
		gen: input.gen,
		targetId: input.target.id,
		controllerId: input.target.controllerId,
		tokenSha256: input.tokenSha256,
		updateStatus: input.target.updateStatus,
		requestAttributes: input.target.requestControllerAttributes,
		installedActionId: input.installedActionId ?? null,
		action: active ? toPollAction(active) : null,
		pollingOverride: input.pollingOverride,
		builtAt: input.now,
	};
}

/**
 * The `c` query value of deploymentBase/confirmationBase links (hawkBit: DataConversionHelper#calculateEtag):
 * changes when the action changes, when a time-forced action passes its force time, and when its
 * maintenance window opens, so the poll body (and its ETag) changes exactly when the device must re-read.
 */
export function actionEtag(
	action: PollAction,
	now: number,
	maintenanceWindowOpen: boolean,
): number {
	const hitForceTime =
		action.actionType === "timeforced" && action.forcedTime !== null && now >= action.forcedTime;
	let offset = hitForceTime ? 1231 : 1237;
	if (action.maintenance && maintenanceWindowOpen) {
		offset = 1249;
	}
	return (Math.imul(31, action.hash) + offset) | 0;
}
