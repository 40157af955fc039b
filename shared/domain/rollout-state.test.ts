import { describe, expect, it } from "vitest";
import type { RolloutGroupStatus, RolloutStatus } from "../db/schema/rollouts";
import { DomainError } from "../errors";
import {
	assertRolloutOperation,
	DEFAULT_CONDITIONS,
	decideRunningRollout,
	type GroupView,
	groupsToTrigger,
	groupToContinueOnResume,
	isErrorConditionMet,
	isSuccessConditionMet,
	type OutcomeCounts,
	parseThreshold,
	type RolloutOperation,
	resolveGroupConditions,
	resolveRolloutConditions,
	STOPPABLE_STATUSES,
	toGroupCounts,
} from "./rollout-state";

const ALL_STATUSES: RolloutStatus[] = [
	"creating",
	"waiting_for_approval",
	"approval_denied",
	"ready",
	"starting",
	"running",
	"paused",
	"stopping",
	"stopped",
	"finished",
	"deleting",
	"deleted",
];

function errorOf(fn: () => unknown): DomainError | undefined {
	try {
		fn();
	} catch (e) {
		if (e instanceof DomainError) {
			return e;
		}
		throw e;
	}
	return undefined;
}

function legalStates(op: RolloutOperation): RolloutStatus[] {
	return ALL_STATUSES.filter((s) => !errorOf(() => assertRolloutOperation(op, s)));
}

describe("rollout operations by state (hawkBit §7.1)", () => {
	it("allows each operation exactly in hawkBit's states", () => {
		expect(legalStates("start")).toEqual(["ready"]);
		expect(legalStates("pause")).toEqual(["running"]);
		expect(legalStates("resume")).toEqual(["paused"]);
		expect(legalStates("approve")).toEqual(["waiting_for_approval"]);
		expect(legalStates("deny")).toEqual(["waiting_for_approval"]);
		expect(legalStates("triggerNextGroup")).toEqual(["running"]);
		expect(legalStates("retry")).toEqual(["finished"]);
		expect(legalStates("stop").sort()).toEqual([...STOPPABLE_STATUSES].sort());
		expect(legalStates("stop")).not.toContain("stopping");
		expect(legalStates("update")).not.toContain("deleting");
		expect(legalStates("update")).not.toContain("deleted");
		expect(legalStates("delete")).toEqual(ALL_STATUSES);
	});

	it("answers wrong-state operations with rollout.illegalState and hawkBit's message", () => {
		const e = errorOf(() => assertRolloutOperation("start", "running"));
		expect(e?.code).toBe("rollout.illegalState");
		expect(e?.message).toBe(
			"Rollout can only be started in state ready but current state is running",
		);
		expect(errorOf(() => assertRolloutOperation("pause", "paused"))?.code).toBe(
			"rollout.illegalState",
		);
		expect(errorOf(() => assertRolloutOperation("stop", "finished"))?.message).toBe(
			"Rollout can only be stopped into the following statuses [CREATING, READY, WAITING_FOR_APPROVAL, STARTING, RUNNING, PAUSED, APPROVAL_DENIED]",
		);
	});

	it("answers changes to a deleted rollout with 403 entityReadOnly and retry of an unfinished one with 400", () => {
		expect(
			errorOf(() => assertRolloutOperation("update", "deleted", { rolloutId: 7 })),
		).toMatchObject({
			code: "repo.entityReadOnly",
			message: "Rollout 7 is soft deleted and cannot be changed",
		});
		expect(errorOf(() => assertRolloutOperation("retry", "running"))?.code).toBe(
			"repo.constraintViolation",
		);
	});

	it("refuses triggerNextGroup without a scheduled group", () => {
		expect(
			errorOf(() =>
				assertRolloutOperation("triggerNextGroup", "running", { hasScheduledGroup: false }),
			)?.message,
		).toBe("Rollout does not have any groups left to be triggered");
	});
});

describe("conditions", () => {
	it("defaults to 50 % / NEXTGROUP / 50 % / PAUSE when the request has none", () => {
		expect(resolveRolloutConditions({})).toEqual(DEFAULT_CONDITIONS);
	});

	it("uses the JSON model defaults for members missing from a sent object", () => {
		const c = resolveRolloutConditions({
			successCondition: {},
			successAction: { action: "PAUSE" },
			errorCondition: { expression: "20" },
		});
		expect(c.successConditionExp).toBe("100");
		expect(c.successAction).toBe("PAUSE");
		expect(c.successActionExp).toBeNull();
		expect(c.errorConditionExp).toBe("20");
		expect(c.errorAction).toBe("PAUSE");
		expect(c.errorActionExp).toBe("");
	});

	it("lets explicit groups inherit every unset member from the rollout", () => {
		const rollout = resolveRolloutConditions({ errorCondition: { expression: "10" } });
		const g = resolveGroupConditions({ successCondition: { expression: "100" } }, rollout);
		expect(g.successConditionExp).toBe("100");
		expect(g.errorConditionExp).toBe("10");
		expect(g.successAction).toBe("NEXTGROUP");
	});

	it("parses thresholds like Java's Integer.parseInt", () => {
		expect(parseThreshold("50")).toBe(50);
		expect(parseThreshold("+7")).toBe(7);
		expect(parseThreshold("50.5")).toBeUndefined();
		expect(parseThreshold(" 50")).toBeUndefined();
		expect(parseThreshold("")).toBeUndefined();
		expect(parseThreshold("99999999999")).toBeUndefined();
	});

	it("uses ≥ for success and strict > for error", () => {
		const c = { ...DEFAULT_CONDITIONS, successConditionExp: "50", errorConditionExp: "20" };
		expect(isSuccessConditionMet(c, { total: 10, finished: 5 })).toBe(true);
		expect(isSuccessConditionMet(c, { total: 10, finished: 4 })).toBe(false);
		expect(isErrorConditionMet(c, { total: 10, error: 2 })).toBe(false);
		expect(isErrorConditionMet(c, { total: 10, error: 3 })).toBe(true);
		// 1 of 3 is 33.3 %, which is ≥ 33 and > 33.
		const third = { ...c, successConditionExp: "33", errorConditionExp: "33" };
		expect(isSuccessConditionMet(third, { total: 3, finished: 1 })).toBe(true);
		expect(isErrorConditionMet(third, { total: 3, error: 1 })).toBe(true);
	});

	it("treats an empty group as successful and never as failed; a bad expression never holds", () => {
		expect(isSuccessConditionMet(DEFAULT_CONDITIONS, { total: 0, finished: 0 })).toBe(true);
		expect(isErrorConditionMet(DEFAULT_CONDITIONS, { total: 0, error: 0 })).toBe(false);
		const bad = { ...DEFAULT_CONDITIONS, successConditionExp: "x", errorConditionExp: "x" };
		expect(isSuccessConditionMet(bad, { total: 2, finished: 2 })).toBe(false);
		expect(isErrorConditionMet(bad, { total: 2, error: 2 })).toBe(false);
	});

	it("counts DOWNLOADED as success and terminal only for download-only rollouts", () => {
		const outcomes: OutcomeCounts = { DOWNLOADED: 3, FINISHED: 1, ERROR: 1, CANCELED: 1 };
		expect(toGroupCounts(10, outcomes, "forced")).toEqual({
			total: 10,
			finished: 1,
			error: 1,
			terminal: 3,
		});
		expect(toGroupCounts(10, outcomes, "downloadonly")).toEqual({
			total: 10,
			finished: 3,
			error: 1,
			terminal: 6,
		});
	});
});

function group(
	id: number,
	parentId: number | null,
	status: RolloutGroupStatus,
	total: number,
	outcomes: OutcomeCounts = {},
	extra: Partial<GroupView> = {},
): GroupView {
	return {
		...DEFAULT_CONDITIONS,
		id,
		parentId,
		name: `group-${id}`,
		status,
		dynamic: false,
		targetPercentage: 100,
		total,
		outcomes,
		...extra,
	};
}

const running = { status: "running" as const, actionType: "forced" as const };

describe("decideRunningRollout", () => {
	it("starts the child group once the success threshold holds", () => {
		const steps = decideRunningRollout(running, [
			group(1, null, "running", 10, { FINISHED: 5 }),
			group(2, 1, "scheduled", 10),
		]);
		expect(steps).toEqual([{ kind: "startGroups", parentGroupId: 1, groupIds: [2] }]);
	});

	it("does nothing below the success threshold", () => {
		expect(
			decideRunningRollout(running, [
				group(1, null, "running", 10, { FINISHED: 4 }),
				group(2, 1, "scheduled", 10),
			]),
		).toEqual([]);
	});

	it("pauses on the error threshold before looking at success, and starts nothing", () => {
		const steps = decideRunningRollout(running, [
			group(1, null, "running", 10, { FINISHED: 4, ERROR: 6 }, { successConditionExp: "40" }),
			group(2, 1, "scheduled", 10),
		]);
		expect(steps.map((s) => s.kind)).toEqual(["groupError", "pause"]);
	});

	it("does not start a later group in the same run once another group paused the rollout", () => {
		const steps = decideRunningRollout(running, [
			group(1, null, "running", 10, { ERROR: 6 }),
			group(2, 1, "running", 10, { FINISHED: 10 }),
			group(3, 2, "scheduled", 10),
		]);
		expect(steps).toEqual([
			{ kind: "groupError", groupId: 1 },
			expect.objectContaining({ kind: "pause" }),
			{ kind: "groupFinished", groupId: 2 },
		]);
	});

	it("marks a completed group finished and pauses for a PAUSE success action with a scheduled child", () => {
		const steps = decideRunningRollout(running, [
			group(1, null, "running", 2, { FINISHED: 1, CANCELED: 1 }, { successAction: "PAUSE" }),
			group(2, 1, "scheduled", 2),
		]);
		expect(steps).toEqual([
			{ kind: "pause", reason: "Success action PAUSE of group 'group-1'" },
			{ kind: "groupFinished", groupId: 1 },
		]);
	});

	it("finishes the rollout when the last group completes", () => {
		const steps = decideRunningRollout(running, [
			group(1, null, "finished", 2, { FINISHED: 2 }),
			group(2, 1, "running", 2, { FINISHED: 1, ERROR: 1 }),
		]);
		expect(steps).toEqual([{ kind: "groupFinished", groupId: 2 }, { kind: "rolloutFinished" }]);
	});

	it("finishes the rollout, as hawkBit does, when the last group hits its error threshold", () => {
		const steps = decideRunningRollout(running, [
			group(1, null, "finished", 2, { FINISHED: 2 }),
			group(2, 1, "running", 2, { ERROR: 2 }),
		]);
		expect(steps.map((s) => s.kind)).toEqual(["groupError", "pause", "rolloutFinished"]);
	});

	it("starts the next group when no group is running (hawkBit's triggerNextGroup fallback)", () => {
		const steps = decideRunningRollout(running, [
			group(1, null, "error", 2, { ERROR: 2 }),
			group(2, 1, "scheduled", 2),
		]);
		expect(steps).toEqual([{ kind: "startGroups", parentGroupId: 1, groupIds: [2] }]);
	});

	it("treats an empty group as complete and successful", () => {
		const steps = decideRunningRollout(running, [
			group(1, null, "running", 0),
			group(2, 1, "scheduled", 3),
		]);
		expect(steps).toEqual([
			{ kind: "startGroups", parentGroupId: 1, groupIds: [2] },
			{ kind: "groupFinished", groupId: 1 },
		]);
	});

	it("judges the last dynamic group against its wanted size and never completes it", () => {
		const dyn = { dynamic: true, targetPercentage: 10 };
		expect(
			decideRunningRollout(running, [
				group(1, null, "finished", 2, { FINISHED: 2 }),
				group(2, 1, "running", 2, { FINISHED: 2 }, dyn),
			]),
		).toEqual([]);
		expect(
			decideRunningRollout(running, [
				group(1, null, "finished", 2, { FINISHED: 2 }),
				group(2, 1, "running", 6, { FINISHED: 5 }, dyn),
				group(3, 2, "scheduled", 0, {}, dyn),
			]),
		).toEqual([{ kind: "startGroups", parentGroupId: 2, groupIds: [3] }]);
	});

	it("decides nothing for a rollout that is not running", () => {
		for (const status of ["paused", "stopping", "ready"] as const) {
			expect(
				decideRunningRollout({ status, actionType: "forced" }, [
					group(1, null, "running", 1, { FINISHED: 1 }),
				]),
			).toEqual([]);
		}
	});
});

describe("resume and triggerNextGroup", () => {
	it("continues after an errored last group on resume", () => {
		const g = groupToContinueOnResume("forced", [
			group(1, null, "error", 10, { ERROR: 6 }),
			group(2, 1, "scheduled", 10),
		]);
		expect(g?.id).toBe(1);
	});

	it("continues after a PAUSE success action whose condition holds", () => {
		expect(
			groupToContinueOnResume("forced", [
				group(1, null, "running", 10, { FINISHED: 6 }, { successAction: "PAUSE" }),
				group(2, 1, "scheduled", 10),
			])?.id,
		).toBe(1);
		expect(
			groupToContinueOnResume("forced", [
				group(1, null, "running", 10, { FINISHED: 6 }),
				group(2, 1, "scheduled", 10),
			]),
		).toBeUndefined();
	});

	it("triggers the children of the last started group", () => {
		expect(
			groupsToTrigger("running", [
				group(1, null, "finished", 1),
				group(2, 1, "running", 1),
				group(3, 2, "scheduled", 1),
			]),
		).toEqual({ parentGroupId: 2, groupIds: [3] });
		expect(errorOf(() => groupsToTrigger("running", [group(1, null, "running", 1)]))?.code).toBe(
			"rollout.illegalState",
		);
		expect(
			errorOf(() =>
				groupsToTrigger("paused", [group(1, null, "running", 1), group(2, 1, "scheduled", 1)]),
			)?.code,
		).toBe("rollout.illegalState");
	});
});
