import { describe, expect, it } from "vitest";
import {
	type ActionState,
	autoConfirmationMessage,
	canCancel,
	cancelEntryCountsAgainstQuota,
	cancelFeedbackEntry,
	cancelFeedbackTransition,
	cancellationSucceededTransition,
	canForceQuit,
	confirmationTransition,
	confirmEntry,
	ddiDeploymentHandling,
	denyEntry,
	deploymentFeedbackEntry,
	deploymentFeedbackTransition,
	forcedTypeChange,
	isIntermediateStatus,
	mgmtActionType,
	newActionState,
	retrievedTransition,
	shouldRegisterRetrieved,
	splitLongMessages,
	type TargetState,
} from "./action-status";

const running: ActionState = { status: "RUNNING", active: true, actionType: "forced", dsId: 7 };
const pendingTarget: TargetState = {
	assignedDsId: 7,
	installedDsId: 3,
	installationDate: 1_000,
	updateStatus: "pending",
	requestControllerAttributes: false,
};

describe("deploymentFeedbackEntry", () => {
	it.each([
		["closed", "success", "FINISHED", "Update Server: Target reported CLOSED with OK!."],
		["closed", "none", "FINISHED", "Update Server: Target reported CLOSED with OK!."],
		["closed", "failure", "ERROR", "Update Server: Target reported CLOSED with ERROR!."],
		["downloaded", "none", "DOWNLOADED", "Update Server: Target confirmed download finished."],
		["download", "none", "DOWNLOAD", "Update Server: Target confirmed download start."],
		["canceled", "none", "CANCELED", "Update Server: Target confirmed cancellation.."],
		["rejected", "none", "WARNING", "Update Server: Target REJECTED update."],
		["proceeding", "none", "RUNNING", "Update Server: Target reported PROCEEDING."],
		["scheduled", "none", "RUNNING", "Update Server: Target reported SCHEDULED."],
		["resumed", "none", "RUNNING", "Update Server: Target reported RESUMED."],
	] as const)("maps %s+%s to %s with the default message", (execution, finished, status, msg) => {
		expect(deploymentFeedbackEntry({ execution, finished })).toEqual({ status, messages: [msg] });
	});

	it("keeps the device's details and adds the status code instead of a default", () => {
		expect(
			deploymentFeedbackEntry({
				execution: "proceeding",
				finished: "none",
				code: 42,
				details: ["Downloading", "50%"],
			}),
		).toEqual({
			status: "RUNNING",
			code: 42,
			messages: ["Downloading", "50%", "Device reported status code: 42"],
		});
		expect(deploymentFeedbackEntry({ execution: "closed", finished: "success", code: 0 })).toEqual({
			status: "FINISHED",
			code: 0,
			messages: ["Device reported status code: 0"],
		});
	});
});

describe("cancelFeedbackEntry", () => {
	it.each([
		[
			"closed",
			"success",
			"CANCELED",
			[
				"Update Server: Cancellation confirmed.",
				"done",
				"Update Server: Cancellation completion is finished successfully.",
			],
		],
		[
			"closed",
			"none",
			"CANCELED",
			[
				"Update Server: Cancellation confirmed.",
				"done",
				"Update Server: Cancellation completion is finished successfully.",
			],
		],
		[
			"closed",
			"failure",
			"ERROR",
			["Update Server: Target was not able to complete cancellation.", "done"],
		],
		[
			"rejected",
			"success",
			"CANCEL_REJECTED",
			["Update Server: Target rejected the cancellation request.", "done"],
		],
		[
			"canceled",
			"success",
			"WARNING",
			[
				"Update Server: Target reported cancel for a cancel which is not supported by the server.",
				"done",
			],
		],
		["proceeding", "none", "RUNNING", ["done"]],
		["downloaded", "none", "RUNNING", ["done"]],
	] as const)("maps %s+%s to %s", (execution, finished, status, messages) => {
		expect(cancelFeedbackEntry({ execution, finished, details: ["done"] })).toEqual({
			status,
			messages,
		});
	});

	it("adds the status code after the details", () => {
		expect(cancelFeedbackEntry({ execution: "rejected", finished: "none", code: 7 })).toEqual({
			status: "CANCEL_REJECTED",
			code: 7,
			messages: [
				"Update Server: Target rejected the cancellation request.",
				"Device reported status code: 7",
			],
		});
	});
});

describe("deploymentFeedbackTransition", () => {
	it("closes the action as FINISHED, installs the DS and asks for attributes", () => {
		const entry = deploymentFeedbackEntry({ execution: "closed", finished: "success" });
		expect(deploymentFeedbackTransition(running, pendingTarget, entry, 5_000)).toEqual({
			action: { status: "FINISHED", active: false, lastActionStatusCode: null },
			target: {
				installedDsId: 7,
				installationDate: 5_000,
				updateStatus: "in_sync",
				requestControllerAttributes: true,
			},
		});
	});

	it("keeps the target pending when another DS is already assigned", () => {
		const entry = deploymentFeedbackEntry({ execution: "closed", finished: "none" });
		const t = deploymentFeedbackTransition(
			running,
			{ ...pendingTarget, assignedDsId: 9 },
			entry,
			5_000,
		);
		expect(t.target).toEqual({
			installedDsId: 7,
			installationDate: 5_000,
			requestControllerAttributes: true,
		});
	});

	it("does not move the installed DS for an older installation report", () => {
		const entry = deploymentFeedbackEntry({ execution: "closed", finished: "success" });
		const t = deploymentFeedbackTransition(running, pendingTarget, entry, 500);
		expect(t.action).toMatchObject({ status: "FINISHED", active: false });
		expect(t.target).toEqual({ requestControllerAttributes: true });
	});

	it("makes an installed download-only DS the assigned one", () => {
		const entry = deploymentFeedbackEntry({ execution: "closed", finished: "success" });
		const t = deploymentFeedbackTransition(
			{ ...running, actionType: "downloadonly" },
			{ ...pendingTarget, assignedDsId: 3 },
			entry,
			5_000,
		);
		expect(t.target).toMatchObject({ assignedDsId: 7, installedDsId: 7, updateStatus: "in_sync" });
	});

	it("fails the action and the target and clears the assigned DS on closed+failure", () => {
		const entry = deploymentFeedbackEntry({ execution: "closed", finished: "failure", code: 3 });
		expect(deploymentFeedbackTransition(running, pendingTarget, entry, 5_000)).toEqual({
			action: { status: "ERROR", active: false, lastActionStatusCode: 3 },
			target: { updateStatus: "error", assignedDsId: null },
		});
	});

	it("closes a download-only action on downloaded, but not other types", () => {
		const entry = deploymentFeedbackEntry({ execution: "downloaded", finished: "none" });
		expect(
			deploymentFeedbackTransition(
				{ ...running, actionType: "downloadonly" },
				pendingTarget,
				entry,
				1,
			),
		).toEqual({
			action: { status: "DOWNLOADED", active: false, lastActionStatusCode: null },
			target: { updateStatus: "in_sync", requestControllerAttributes: true },
		});
		expect(deploymentFeedbackTransition(running, pendingTarget, entry, 1)).toEqual({
			action: { lastActionStatusCode: null },
			target: {},
		});
	});

	it.each(["proceeding", "scheduled", "resumed", "download", "canceled", "rejected"] as const)(
		"treats %s as information only",
		(execution) => {
			const entry = deploymentFeedbackEntry({ execution, finished: "none", code: 200 });
			expect(deploymentFeedbackTransition(running, pendingTarget, entry, 1)).toEqual({
				action: { lastActionStatusCode: 200 },
				target: {},
			});
		},
	);
});

describe("cancellation", () => {
	it("hands the assigned DS to the next active action", () => {
		expect(cancellationSucceededTransition({ installedDsId: 3 }, 11)).toEqual({
			action: { status: "CANCELED", active: false },
			target: { assignedDsId: 11 },
		});
	});

	it("falls back to the installed DS and in_sync when nothing else is active", () => {
		expect(cancellationSucceededTransition({ installedDsId: 3 }, undefined)).toEqual({
			action: { status: "CANCELED", active: false },
			target: { assignedDsId: 3, updateStatus: "in_sync" },
		});
	});

	it("puts the action back to RUNNING when the device rejects or fails the cancel", () => {
		for (const execution of ["rejected", "closed"] as const) {
			const entry = cancelFeedbackEntry({ execution, finished: "failure" });
			expect(cancelFeedbackTransition(entry)).toEqual({
				action: { status: "RUNNING" },
				target: {},
			});
		}
		expect(
			cancelFeedbackTransition(cancelFeedbackEntry({ execution: "closed", finished: "none" })),
		).toBeUndefined();
		expect(
			cancelFeedbackTransition(cancelFeedbackEntry({ execution: "canceled", finished: "none" })),
		).toEqual({ action: {}, target: {} });
	});

	it("counts only informational cancel entries against the quota", () => {
		expect(cancelEntryCountsAgainstQuota("WARNING")).toBe(true);
		expect(cancelEntryCountsAgainstQuota("RUNNING")).toBe(true);
		expect(cancelEntryCountsAgainstQuota("CANCELED")).toBe(false);
		expect(cancelEntryCountsAgainstQuota("CANCEL_REJECTED")).toBe(false);
		expect(isIntermediateStatus("RUNNING")).toBe(true);
		expect(isIntermediateStatus("FINISHED")).toBe(false);
		expect(isIntermediateStatus("ERROR")).toBe(false);
	});

	it("allows operator cancel only on active, not yet canceling actions and force-quit the opposite", () => {
		expect(canCancel({ status: "RUNNING", active: true })).toBe(true);
		expect(canCancel({ status: "CANCELING", active: true })).toBe(false);
		expect(canCancel({ status: "FINISHED", active: false })).toBe(false);
		expect(canForceQuit({ status: "CANCELING", active: true })).toBe(true);
		expect(canForceQuit({ status: "RUNNING", active: true })).toBe(false);
		expect(canForceQuit({ status: "CANCELED", active: false })).toBe(false);
	});

	it("shows the management type cancel while canceling or canceled", () => {
		expect(mgmtActionType("CANCELING")).toBe("cancel");
		expect(mgmtActionType("CANCELED")).toBe("cancel");
		expect(mgmtActionType("RUNNING")).toBe("update");
		expect(mgmtActionType("FINISHED")).toBe("update");
	});
});

describe("retrieved", () => {
	it("writes RETRIEVED once in a row and leaves canceling actions alone", () => {
		expect(shouldRegisterRetrieved(undefined)).toBe(true);
		expect(shouldRegisterRetrieved("RUNNING")).toBe(true);
		expect(shouldRegisterRetrieved("RETRIEVED")).toBe(false);
		expect(retrievedTransition({ status: "RUNNING" })).toBe("RETRIEVED");
		expect(retrievedTransition({ status: "CANCELING" })).toBe("CANCELING");
	});
});

describe("confirmation", () => {
	const waiting = { status: "WAIT_FOR_CONFIRMATION" as const, active: true };

	it("confirms a waiting action into RUNNING, with the code message last", () => {
		const entry = confirmEntry(waiting, 200, ["User accepted"]);
		expect(entry).toEqual({
			status: "RUNNING",
			code: 200,
			messages: [
				"User accepted",
				"Update Server: Target confirmed action. Therefore, it will be set to the running state to proceed with the deployment.",
				"Confirmation status code: 200",
			],
		});
		if (typeof entry !== "string") {
			expect(confirmationTransition(waiting, entry).action.status).toBe("RUNNING");
		}
	});

	it("refuses to confirm closed or not waiting actions", () => {
		expect(confirmEntry({ status: "FINISHED", active: false }, null, [])).toBe("actionClosed");
		expect(confirmEntry({ status: "RUNNING", active: true }, null, [])).toBe(
			"notAwaitingConfirmation",
		);
	});

	it("keeps a denied waiting action waiting", () => {
		const entry = denyEntry(waiting, true, undefined, undefined);
		expect(entry).toEqual({
			status: "WAIT_FOR_CONFIRMATION",
			messages: [
				"Update Server: Target rejected action. Action will stay in confirmation pending state.",
			],
		});
	});

	it("lets a device revoke a granted confirmation only while the flow is on and not canceling", () => {
		const confirmed = { status: "RUNNING" as const, active: true };
		const entry = denyEntry(confirmed, true, null, []);
		expect(entry).toMatchObject({ status: "WAIT_FOR_CONFIRMATION" });
		if (typeof entry !== "string") {
			expect(confirmationTransition(confirmed, entry).action.status).toBe("WAIT_FOR_CONFIRMATION");
		}
		expect(denyEntry(confirmed, false, null, [])).toBe("notAwaitingConfirmation");
		expect(denyEntry({ status: "CANCELING", active: true }, true, null, [])).toBe(
			"notAwaitingConfirmation",
		);
		expect(denyEntry({ status: "ERROR", active: false }, true, null, [])).toBe("actionClosed");
	});

	it("starts new actions waiting only when the flow is on, consent is required and no auto-confirm", () => {
		const base = {
			confirmationFlowEnabled: true,
			confirmationRequired: true,
			autoConfirmation: undefined,
			initiatedBy: "ops",
			initialMessage: "Assignment initiated by user 'ops'",
		};
		expect(newActionState(base)).toEqual({
			status: "WAIT_FOR_CONFIRMATION",
			entry: {
				status: "WAIT_FOR_CONFIRMATION",
				messages: [
					"Assignment initiated by user 'ops'",
					"Waiting for the confirmation by the device before processing with the deployment",
				],
			},
		});
		expect(newActionState({ ...base, confirmationRequired: false })).toEqual({
			status: "RUNNING",
			entry: {
				status: "WAIT_FOR_CONFIRMATION",
				messages: [
					"Assignment initiated by user 'ops'",
					"Assignment confirmed by initiator [ops].",
				],
			},
		});
		const auto = { initiator: "dev", remark: null, activatedBy: "dev-1" };
		expect(newActionState({ ...base, autoConfirmation: auto })).toEqual({
			status: "RUNNING",
			entry: {
				status: "WAIT_FOR_CONFIRMATION",
				messages: ["Assignment initiated by user 'ops'", autoConfirmationMessage(auto)],
			},
		});
		expect(newActionState({ ...base, confirmationFlowEnabled: false })).toEqual({
			status: "RUNNING",
			entry: { status: "RUNNING", messages: ["Assignment initiated by user 'ops'"] },
		});
	});

	it("builds hawkBit's auto-confirmation text", () => {
		expect(autoConfirmationMessage({ initiator: "me", remark: "", activatedBy: null })).toBe(
			"Assignment automatically confirmed by initiator 'me'. \n\nAuto confirmation activated by system user: 'n/a' \n\nRemark: n/a",
		);
	});
});

describe("ddiDeploymentHandling", () => {
	const now = Date.parse("2026-01-01T03:30:00Z");
	const nightly = { schedule: "0 0 3 ? * *", duration: "01:00:00", timezone: "+00:00" };

	it.each([
		["forced", null, "forced", "forced"],
		["soft", null, "attempt", "attempt"],
		["downloadonly", null, "forced", "skip"],
		["timeforced", now + 1, "attempt", "attempt"],
		["timeforced", now, "forced", "forced"],
		["timeforced", now - 1, "forced", "forced"],
	] as const)("%s (forcetime %s) → %s/%s", (actionType, forcedTime, download, update) => {
		expect(ddiDeploymentHandling({ actionType, forcedTime, maintenance: undefined }, now)).toEqual({
			download,
			update,
		});
	});

	it("skips the update while the maintenance window is closed and says so", () => {
		expect(
			ddiDeploymentHandling({ actionType: "forced", forcedTime: null, maintenance: nightly }, now),
		).toEqual({ download: "forced", update: "forced", maintenanceWindow: "available" });
		expect(
			ddiDeploymentHandling(
				{ actionType: "soft", forcedTime: null, maintenance: nightly },
				now + 3_600_000,
			),
		).toEqual({ download: "attempt", update: "skip", maintenanceWindow: "unavailable" });
		expect(
			ddiDeploymentHandling(
				{ actionType: "downloadonly", forcedTime: null, maintenance: nightly },
				now,
			),
		).toEqual({ download: "forced", update: "skip", maintenanceWindow: "available" });
	});

	it("switches only non-forced actions to forced", () => {
		expect(forcedTypeChange({ actionType: "soft", forcedTime: null }, now)).toBe("forced");
		expect(forcedTypeChange({ actionType: "timeforced", forcedTime: now + 5 }, now)).toBe("forced");
		expect(
			forcedTypeChange({ actionType: "timeforced", forcedTime: now - 5 }, now),
		).toBeUndefined();
		expect(forcedTypeChange({ actionType: "forced", forcedTime: null }, now)).toBeUndefined();
	});
});

describe("splitLongMessages", () => {
	it("splits at 512 characters like hawkBit's action status", () => {
		const long = "x".repeat(1100);
		expect(splitLongMessages(["short", long]).map((m) => m.length)).toEqual([5, 512, 512, 76]);
	});
});
