import { describe, expect, it } from "vitest";
import { DomainError } from "../errors";
import {
	applyAttributeUpdate,
	assertAttributeQuota,
	MAX_ATTRIBUTES_PER_TARGET,
	validateAttributes,
} from "./controller-attributes";

describe("controller attributes", () => {
	it("accepts hawkBit's whitelist, ASCII whitespace included", () => {
		expect(() =>
			validateAttributes({ "a-Z_0 9": "!@#$%^&*()+=[]{}|;:'\",.<>/\\?\t\n", k: null }),
		).not.toThrow();
	});

	it("rejects ~, backtick, non-ASCII and over-long keys or values", () => {
		const cases: Record<string, string>[] = [
			{ "~": "v" },
			{ k: "`" },
			{ k: "é" },
			{ k: "\u00a0" },
			{ ["x".repeat(129)]: "" },
		];
		for (const data of cases) {
			expect(() => validateAttributes(data)).toThrow(DomainError);
		}
	});

	it("merges, replaces and removes", () => {
		const current = new Map([
			["a", "1"],
			["b", "2"],
		]);
		expect([...applyAttributeUpdate(current, { b: "3", c: "4" }, "merge")]).toEqual([
			["a", "1"],
			["b", "3"],
			["c", "4"],
		]);
		expect([...applyAttributeUpdate(current, { c: "4", a: null }, "replace")]).toEqual([
			["c", "4"],
		]);
		expect([...applyAttributeUpdate(current, { a: "ignored" }, "remove")]).toEqual([["b", "2"]]);
		expect([...applyAttributeUpdate(current, { a: null }, "merge")]).toEqual([["b", "2"]]);
	});

	it("checks the quota only when the map grows beyond 100", () => {
		const full = new Map(
			Array.from({ length: MAX_ATTRIBUTES_PER_TARGET + 5 }, (_, i) => [`k${i}`, "v"]),
		);
		const bigger = new Map([...full, ["new", "v"]]);
		expect(() => assertAttributeQuota(1, full, bigger)).toThrow(/The maximum is 100/);
		const smaller = new Map([...full].slice(1));
		expect(() => assertAttributeQuota(1, full, smaller)).not.toThrow();
	});
});
