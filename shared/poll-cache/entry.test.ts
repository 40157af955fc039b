import { describe, expect, it } from "vitest";
import type { PollActionRow } from "../db/queries/controller";
import { actionEtag, actionLink, buildPollEntry, pickActiveAction } from "./entry";

function row(o: Partial<PollActionRow> & { id: number }): PollActionRow {
	return {
		targetId: 1,
		status: "RUNNING",
		actionType: "forced",
		weight: 1000,
		forcedTime: null,
		maintenanceSchedule: null,
		maintenanceDuration: null,
		maintenanceTimezone: null,
		lastModifiedAt: 1,
		...o,
	};
}

describe("pickActiveAction (hawkBit findActiveActionWithHighestWeight)", () => {
	it("takes the highest weight, ties to the lowest id, a missing weight as 1000", () => {
		expect(pickActiveAction([row({ id: 3, weight: 10 }), row({ id: 5, weight: 20 })])?.id).toBe(5);
		expect(pickActiveAction([row({ id: 7, weight: 20 }), row({ id: 4, weight: 20 })])?.id).toBe(4);
		expect(pickActiveAction([row({ id: 2, weight: 999 }), row({ id: 9, weight: null })])?.id).toBe(
			9,
		);
		expect(pickActiveAction([row({ id: 9, weight: null }), row({ id: 2, weight: 1000 })])?.id).toBe(
			2,
		);
		expect(pickActiveAction([])).toBeUndefined();
	});
});

describe("actionLink", () => {
	it("maps waiting → confirmationBase, canceling/canceled → cancelAction, else deploymentBase", () => {
		expect(actionLink("WAIT_FOR_CONFIRMATION")).toBe("confirmationBase");
		expect(actionLink("CANCELING")).toBe("cancelAction");
		expect(actionLink("CANCELED")).toBe("cancelAction");
		for (const s of ["RUNNING", "RETRIEVED", "DOWNLOAD", "DOWNLOADED", "SCHEDULED"] as const) {
			expect(actionLink(s)).toBe("deploymentBase");
		}
	});
});

describe("actionEtag (the c query value)", () => {
	const entry = buildPollEntry({
		gen: 1,
		target: {
			id: 1,
			controllerId: "d",
			securityToken: "t",
			updateStatus: "registered",
			requestControllerAttributes: false,
			name: "d",
		},
		tokenSha256: "",
		activeActions: [row({ id: 1, actionType: "timeforced", forcedTime: 5_000 })],
		installedActionId: undefined,
		pollingOverride: -1,
		now: 0,
	});
	const action = entry.action;
	it("changes when a time-forced action passes its force time", () => {
		expect(action).not.toBeNull();
		if (!action) {
			return;
		}
		expect(actionEtag(action, 4_999, false)).toBe(actionEtag(action, 1_000, false));
		expect(actionEtag(action, 5_000, false)).not.toBe(actionEtag(action, 4_999, false));
	});

	it("changes when the maintenance window opens, and only for actions that have one", () => {
		if (!action) {
			return;
		}
		expect(actionEtag(action, 0, true)).toBe(actionEtag(action, 0, false));
		const scheduled = {
			...action,
			maintenance: { schedule: "0 0 3 ? * *", duration: "01:00:00", timezone: "+00:00" },
		};
		expect(actionEtag(scheduled, 0, true)).not.toBe(actionEtag(scheduled, 0, false));
	});

	it("changes when the action row changes", () => {
		const a = buildPollEntry({
			...baseInput(),
			activeActions: [row({ id: 1, lastModifiedAt: 1 })],
		});
		const b = buildPollEntry({
			...baseInput(),
			activeActions: [row({ id: 1, lastModifiedAt: 2 })],
		});
		expect(a.action?.hash).not.toBe(b.action?.hash);
	});
});

function baseInput() {
	return {
		gen: 1,
		target: {
			id: 1,
			controllerId: "d",
			securityToken: "t",
			updateStatus: "registered" as const,
			requestControllerAttributes: false,
			name: "d",
		},
		tokenSha256: "",
		installedActionId: undefined,
		pollingOverride: -1,
		now: 0,
	};
}
