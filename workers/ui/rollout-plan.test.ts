/** The rollout wizard's group preview (ui/public/ui/js/rollout-plan.js), against hawkBit §7.2. */
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser module without type declarations
import * as plan from "../../ui/public/ui/js/rollout-plan.js";

const equalGroupSizes = plan.equalGroupSizes as (total: number, n: number) => number[];
const customGroupSizes = plan.customGroupSizes as (
	total: number,
	groups: Array<{ filtered: boolean; matching: number; targetPercentage: number }>,
) => { sizes: number[]; unassigned: number };
const groupQuery = plan.groupQuery as (r: string, g?: string) => string;
const isThreshold = plan.isThreshold as (e: string) => boolean;

describe("equalGroupSizes", () => {
	it("splits evenly and gives the remainder to later groups", () => {
		expect(equalGroupSizes(20, 5)).toEqual([4, 4, 4, 4, 4]);
		expect(equalGroupSizes(10, 3)).toEqual([3, 4, 3]);
		expect(equalGroupSizes(100_000, 3).reduce((a, b) => a + b, 0)).toBe(100_000);
	});

	it("never loses or invents targets, including more groups than targets", () => {
		for (const [total, n] of [
			[0, 4],
			[1, 4],
			[7, 7],
			[3, 10],
		] as const) {
			const sizes = equalGroupSizes(total, n);
			expect(sizes).toHaveLength(n);
			expect(sizes.reduce((a, b) => a + b, 0)).toBe(total);
			expect(Math.min(...sizes)).toBeGreaterThanOrEqual(0);
		}
	});
});

describe("customGroupSizes", () => {
	it("fills a canary group from its filter and the rest from what is left", () => {
		const r = customGroupSizes(1000, [
			{ filtered: true, matching: 50, targetPercentage: 100 },
			{ filtered: false, matching: 1000, targetPercentage: 20 },
			{ filtered: false, matching: 1000, targetPercentage: 100 },
		]);
		expect(r.sizes).toEqual([50, 190, 760]);
		expect(r.unassigned).toBe(0);
	});

	it("reports targets no group takes (the server refuses such a rollout)", () => {
		const r = customGroupSizes(100, [{ filtered: false, matching: 100, targetPercentage: 50 }]);
		expect(r).toEqual({ sizes: [50], unassigned: 50 });
	});
});

describe("groupQuery", () => {
	it("ANDs the group filter with the rollout filter", () => {
		expect(groupQuery("tag==prod", "attribute.ring==canary")).toBe(
			"(tag==prod);(attribute.ring==canary)",
		);
		expect(groupQuery("tag==prod", "")).toBe("tag==prod");
	});
});

describe("isThreshold", () => {
	it("accepts whole percentages only", () => {
		expect(["0", "50", "100"].map(isThreshold)).toEqual([true, true, true]);
		expect(["101", "5.5", "", "x"].map(isThreshold)).toEqual([false, false, false, false]);
	});
});
