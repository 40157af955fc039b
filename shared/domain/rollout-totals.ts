/**
 * `totalTargetsPerStatus` of rollouts and rollout groups: action statuses bucketed into hawkBit's six
 * keys. hawkBit: TotalTargetCountStatus.
 */
import type { ActionStatus, ActionType } from "../db/schema/actions";

/** The six keys, always all present (note hawkBit's double "l" in "cancelled"). */
export const TOTALS_KEYS = [
	"scheduled",
	"running",
	"error",
	"finished",
	"cancelled",
	"notstarted",
] as const;
export type TotalsKey = (typeof TOTALS_KEYS)[number];
export type TotalTargetsPerStatus = Record<TotalsKey, number>;

/** Which bucket an action status counts in; DOWNLOADED is "finished" only for download-only rollouts. */
export function totalsBucket(status: ActionStatus, actionType: ActionType): TotalsKey {
	switch (status) {
		case "SCHEDULED":
			return "scheduled";
		case "ERROR":
			return "error";
		case "FINISHED":
			return "finished";
		case "CANCELED":
			return "cancelled";
		case "DOWNLOADED":
			return actionType === "downloadonly" ? "finished" : "running";
		case "RUNNING":
		case "RETRIEVED":
		case "WARNING":
		case "DOWNLOAD":
		case "WAIT_FOR_CONFIRMATION":
		case "CANCELING":
		// hawkBit has no bucket for CANCEL_REJECTED (it would throw); the action is still open.
		case "CANCEL_REJECTED":
			return "running";
	}
}

/**
 * Buckets per-status action counts; `notstarted` is the fixed target total minus every counted action
 * (targets without an action yet, e.g. before start).
 */
export function totalTargetsPerStatus(
	totalTargets: number,
	counts: Iterable<{ status: ActionStatus; count: number }>,
	actionType: ActionType,
): TotalTargetsPerStatus {
	const out: TotalTargetsPerStatus = {
		scheduled: 0,
		running: 0,
		error: 0,
		finished: 0,
		cancelled: 0,
		notstarted: totalTargets,
	};
	for (const { status, count } of counts) {
		out[totalsBucket(status, actionType)] += count;
		out.notstarted -= count;
	}
	return out;
}
