import { describe, expect, it } from "vitest";
import { TOTALS_KEYS, totalsBucket, totalTargetsPerStatus } from "./rollout-totals";

describe("totalTargetsPerStatus", () => {
	it("always has hawkBit's six keys, all targets not started before any action exists", () => {
		const totals = totalTargetsPerStatus(20, [], "forced");
		expect(Object.keys(totals).sort()).toEqual([...TOTALS_KEYS].sort());
		expect(totals).toEqual({
			scheduled: 0,
			running: 0,
			error: 0,
			finished: 0,
			cancelled: 0,
			notstarted: 20,
		});
	});

	it("counts confirmation, retrieval, download and canceling as running", () => {
		const totals = totalTargetsPerStatus(
			20,
			[
				{ status: "SCHEDULED", count: 8 },
				{ status: "RUNNING", count: 1 },
				{ status: "RETRIEVED", count: 1 },
				{ status: "WAIT_FOR_CONFIRMATION", count: 1 },
				{ status: "DOWNLOAD", count: 1 },
				{ status: "CANCELING", count: 1 },
				{ status: "FINISHED", count: 4 },
				{ status: "ERROR", count: 2 },
				{ status: "CANCELED", count: 1 },
			],
			"forced",
		);
		expect(totals).toEqual({
			scheduled: 8,
			running: 5,
			error: 2,
			finished: 4,
			cancelled: 1,
			notstarted: 0,
		});
	});

	it("counts DOWNLOADED as finished only for download-only rollouts", () => {
		expect(totalsBucket("DOWNLOADED", "downloadonly")).toBe("finished");
		expect(totalsBucket("DOWNLOADED", "forced")).toBe("running");
		expect(totalsBucket("DOWNLOADED", "soft")).toBe("running");
	});
});
