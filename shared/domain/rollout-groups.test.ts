import { describe, expect, it } from "vitest";
import { DomainError } from "../errors";
import {
	allGroupsTargetFilter,
	assertGroupDefinition,
	assertTargetsPerGroup,
	equalGroupPercentage,
	expectedGroupSize,
	floatForWire,
	frozenRolloutFilter,
	type GroupShare,
	groupTargetFilter,
	nextDynamicGroupName,
	overlappingTargetFilter,
	percentFromTheRest,
	validateExplicitGroups,
	validationFilters,
} from "./rollout-groups";

/** Fills `amount` equal groups from `total` targets the way the coordinator does: one after the other. */
function fillEqualGroups(amount: number, total: number): number[] {
	const groups: GroupShare[] = Array.from({ length: amount }, () => ({
		targetFilterQuery: null,
		targetPercentage: equalGroupPercentage(amount),
	}));
	let remaining = total;
	return groups.map((_, i) => {
		const size = expectedGroupSize(groups, i, remaining);
		remaining -= size;
		return size;
	});
}

function codeOf(fn: () => unknown): string | undefined {
	try {
		fn();
	} catch (e) {
		return e instanceof DomainError ? e.code : "not a DomainError";
	}
	return undefined;
}

describe("amountGroups arithmetic", () => {
	it("splits evenly when the total divides", () => {
		expect(fillEqualGroups(5, 20)).toEqual([4, 4, 4, 4, 4]);
		expect(fillEqualGroups(1, 17)).toEqual([17]);
	});

	it("gives the last group the rest", () => {
		expect(fillEqualGroups(3, 100)).toEqual([33, 33, 34]);
		expect(fillEqualGroups(3, 67)).toEqual([22, 22, 23]);
	});

	it("reproduces hawkBit's float rounding where exact arithmetic would round up", () => {
		// 285 targets left for the 6th of 7 groups: exactly 142.5, but hawkBit's float percent is
		// just below 50 %, so the group gets 142 and the last one 143.
		expect(fillEqualGroups(7, 1000)).toEqual([143, 143, 143, 143, 143, 142, 143]);
	});

	it("never loses or invents a target", () => {
		for (const [amount, total] of [
			[2, 1],
			[4, 3],
			[9, 100_000],
			[50, 1_000_000],
			[500, 20_001],
		] as const) {
			const sizes = fillEqualGroups(amount, total);
			expect(sizes).toHaveLength(amount);
			expect(sizes.reduce((a, b) => a + b, 0)).toBe(total);
		}
	});

	it("computes the share of the rest from earlier groups with the same filter only", () => {
		const groups: GroupShare[] = [
			{ targetFilterQuery: "a", targetPercentage: 50 },
			{ targetFilterQuery: "b", targetPercentage: 50 },
			{ targetFilterQuery: "a", targetPercentage: 25 },
		];
		expect(percentFromTheRest(groups, 0)).toBe(50);
		expect(percentFromTheRest(groups, 1)).toBe(50);
		expect(percentFromTheRest(groups, 2)).toBe(50);
	});

	it("takes everything once earlier groups used up (almost) all of the percentage", () => {
		const groups: GroupShare[] = [
			{ targetFilterQuery: null, targetPercentage: 99.5 },
			{ targetFilterQuery: null, targetPercentage: 10 },
		];
		expect(percentFromTheRest(groups, 1)).toBe(100);
	});
});

describe("filters", () => {
	it("freezes the rollout filter at creation time", () => {
		expect(frozenRolloutFilter("type.key==gateway", 1700000000000)).toBe(
			"(type.key==gateway);createdat=le=1700000000000",
		);
	});

	it("ANDs a group filter onto the rollout filter", () => {
		expect(groupTargetFilter("B", "attribute.ring==canary")).toBe("(B);(attribute.ring==canary)");
		expect(groupTargetFilter("B", "")).toBe("B");
		expect(groupTargetFilter("B", null)).toBe("B");
	});

	it("builds hawkBit's overlap filters", () => {
		const a = { targetFilterQuery: "x==1", targetPercentage: 10 };
		const b = { targetFilterQuery: "y==2", targetPercentage: 10 };
		const none = { targetFilterQuery: "", targetPercentage: 100 };
		expect(allGroupsTargetFilter([b, a, a])).toBe("(x==1),(y==2)");
		expect(allGroupsTargetFilter([a, none])).toBe("");
		expect(overlappingTargetFilter("B", [a], a)).toBe("(B);(x==1)");
		expect(overlappingTargetFilter("B", [a], b)).toBe("(B);(y==2);((x==1))");
		expect(overlappingTargetFilter("B", [a], none)).toBe("(B);((x==1))");
		expect(overlappingTargetFilter("B", [none], none)).toBe("B");
	});
});

describe("validateExplicitGroups", () => {
	it("accepts two catch-all groups and sizes them 50/50", () => {
		const groups = [
			{ targetFilterQuery: "", targetPercentage: 50 },
			{ targetFilterQuery: "", targetPercentage: 100 },
		];
		expect(validationFilters("B", groups)).toEqual([{ filter: "B", compatible: true }]);
		expect(validateExplicitGroups("B", groups, new Map([["B", 10]]), 10)).toEqual([5, 5]);
	});

	it("sizes a filtered canary group relative to its own filter", () => {
		const groups = [
			{ targetFilterQuery: "attribute.ring==canary", targetPercentage: 100 },
			{ targetFilterQuery: "", targetPercentage: 100 },
		];
		const filters = validationFilters("B", groups);
		expect(filters).toEqual([
			{ filter: "(B);(attribute.ring==canary)", compatible: true },
			{ filter: "B", compatible: true },
			{ filter: "(B);((attribute.ring==canary))", compatible: false },
		]);
		const counts = new Map([
			["(B);(attribute.ring==canary)", 3],
			["B", 10],
			["(B);((attribute.ring==canary))", 3],
		]);
		expect(validateExplicitGroups("B", groups, counts, 10)).toEqual([3, 7]);
	});

	it("takes half of the canaries when the canary group is 50 %", () => {
		const groups = [
			{ targetFilterQuery: "attribute.ring==canary", targetPercentage: 50 },
			{ targetFilterQuery: "", targetPercentage: 100 },
		];
		const counts = new Map([
			["(B);(attribute.ring==canary)", 4],
			["B", 10],
			["(B);((attribute.ring==canary))", 4],
		]);
		// 2 canaries in group 1; the 2 unused canaries fall through to the catch-all group.
		expect(validateExplicitGroups("B", groups, counts, 10)).toEqual([2, 8]);
	});

	it("rejects groups that leave targets out", () => {
		const groups = [{ targetFilterQuery: "attribute.ring==canary", targetPercentage: 100 }];
		const counts = new Map([["(B);(attribute.ring==canary)", 3]]);
		expect(() => validateExplicitGroups("B", groups, counts, 10)).toThrowError(
			"Rollout groups don't match all targets that are targeted by the rollout",
		);
	});

	it("rejects percentages outside 1–100", () => {
		const groups = [{ targetFilterQuery: "", targetPercentage: 0.5 }];
		expect(codeOf(() => validateExplicitGroups("B", groups, new Map([["B", 1]]), 1))).toBe(
			"repo.constraintViolation",
		);
	});
});

describe("group definition checks", () => {
	it("rejects groups together with amountGroups or dynamic", () => {
		expect(
			codeOf(() =>
				assertGroupDefinition({
					groups: [{}],
					amountGroups: 2,
					dynamic: false,
					hasDynamicTemplate: false,
				}),
			),
		).toBe("repo.constraintViolation");
		expect(
			codeOf(() =>
				assertGroupDefinition({ groups: [{}], dynamic: true, hasDynamicTemplate: false }),
			),
		).toBe("repo.constraintViolation");
	});

	it("accepts amountGroups 0 only for a dynamic rollout with a template", () => {
		expect(
			codeOf(() =>
				assertGroupDefinition({ amountGroups: 0, dynamic: true, hasDynamicTemplate: false }),
			),
		).toBe("repo.constraintViolation");
		expect(
			codeOf(() =>
				assertGroupDefinition({ amountGroups: 0, dynamic: true, hasDynamicTemplate: true }),
			),
		).toBeUndefined();
		expect(
			codeOf(() =>
				assertGroupDefinition({ amountGroups: 2, dynamic: false, hasDynamicTemplate: true }),
			),
		).toBe("repo.constraintViolation");
	});

	it("enforces the 500-group and 20 000-targets-per-group quotas with 429 codes", () => {
		expect(
			codeOf(() =>
				assertGroupDefinition({ amountGroups: 501, dynamic: false, hasDynamicTemplate: false }),
			),
		).toBe("quota.tooManyEntries");
		expect(
			codeOf(() =>
				assertGroupDefinition({ amountGroups: 500, dynamic: false, hasDynamicTemplate: false }),
			),
		).toBeUndefined();
		expect(codeOf(() => assertTargetsPerGroup(20_001))).toBe("quota.tooManyEntries");
		expect(codeOf(() => assertTargetsPerGroup(20_000))).toBeUndefined();
	});
});

describe("dynamic groups", () => {
	it("names the next group after the last one, keeping its suffix", () => {
		expect(nextDynamicGroupName(2, "group-2")).toBe("group-3");
		expect(nextDynamicGroupName(3, "group-3-dynamic")).toBe("group-4-dynamic");
		expect(nextDynamicGroupName(3, "canary")).toBe("group-4");
	});
});

describe("floatForWire", () => {
	it("renders Java float values with the digits Java prints", () => {
		expect(floatForWire(equalGroupPercentage(3))).toBe(33.333332);
		expect(floatForWire(equalGroupPercentage(5))).toBe(20);
		expect(floatForWire(12.5)).toBe(12.5);
		expect(floatForWire(equalGroupPercentage(7))).toBe(14.285714);
	});
});
