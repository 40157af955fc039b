import { describe, expect, it } from "vitest";
import {
	formatDuration,
	intervalWithDeviation,
	MAX_POLLING_MS,
	MIN_POLLING_MS,
	PollingTimeError,
	parseDuration,
	parsePollingTime,
	sleepBeforeMaintenanceWindow,
	validatePollingTime,
} from "./polling-time";

describe("parseDuration (hawkBit DurationHelper#fromString)", () => {
	it("reads HH:mm:ss, mm:ss and plain seconds", () => {
		expect(parseDuration("00:05:00")).toBe(300_000);
		expect(parseDuration("01:02:03")).toBe(3_723_000);
		expect(parseDuration("05:30")).toBe(330_000);
		expect(parseDuration("45")).toBe(45_000);
		// Parts are not range-checked, like Long.parseLong on each part.
		expect(parseDuration("00:90:00")).toBe(5_400_000);
	});

	it("reads ISO-8601 durations starting with P", () => {
		expect(parseDuration("PT10M")).toBe(600_000);
		expect(parseDuration("P1DT2H")).toBe(93_600_000);
		expect(parseDuration("PT1.5S")).toBe(1500);
		expect(parseDuration("PT-1M")).toBe(-60_000);
		// Only a leading upper-case P selects ISO-8601, as in hawkBit.
		expect(() => parseDuration("-PT1M")).toThrow(PollingTimeError);
	});

	it("rejects anything else", () => {
		for (const bad of ["", "abc", "1:2:3:4", "PT", "P", "pt10m", "10m", "00:0a:00"]) {
			expect(() => parseDuration(bad), bad).toThrow(PollingTimeError);
		}
	});
});

describe("formatDuration (hawkBit DurationHelper#toString)", () => {
	it("writes zero-padded HH:mm:ss below a day, dropping millis", () => {
		expect(formatDuration(300_000)).toBe("00:05:00");
		expect(formatDuration(MAX_POLLING_MS)).toBe("23:59:59");
		expect(formatDuration(30_999)).toBe("00:00:30");
	});

	it("writes ISO-8601 from a day on", () => {
		expect(formatDuration(86_400_000)).toBe("PT24H");
		expect(formatDuration(90_061_000)).toBe("PT25H1M1S");
	});
});

describe("parsePollingTime / validatePollingTime (hawkBit PollingTime)", () => {
	it("parses an interval with deviation and RSQL overrides whose query contains commas", () => {
		expect(parsePollingTime("00:05:00~10%, name==a,name==b -> 00:01:00~5%")).toEqual({
			interval: { ms: 300_000, deviationPercent: 10 },
			overrides: [{ query: "name==a,name==b", interval: { ms: 60_000, deviationPercent: 5 } }],
		});
	});

	it("treats the text after -> up to the next comma as the interval, like hawkBit", () => {
		const parsed = parsePollingTime("00:05:00, name==a -> 00:01:00, tag==slow -> PT1H");
		expect(parsed.overrides).toEqual([
			{ query: "name==a", interval: { ms: 60_000, deviationPercent: 0 } },
			{ query: "tag==slow", interval: { ms: 3_600_000, deviationPercent: 0 } },
		]);
	});

	it("rejects an override without ->, a bad interval and a three-digit deviation", () => {
		for (const bad of [
			"00:05:00, name==a",
			"xx",
			"00:05:00~100%",
			"00:05:00~5",
			"00:05:00, a -> zz",
		]) {
			expect(() => parsePollingTime(bad), bad).toThrow(PollingTimeError);
		}
	});

	it("enforces [00:00:30, 23:59:59] on every interval", () => {
		expect(() => validatePollingTime("00:00:29")).toThrow(/smaller then minimum/);
		expect(() => validatePollingTime("24:00:00")).toThrow(/bigger then maximum/);
		expect(() => validatePollingTime("00:05:00, a==b -> 00:00:10")).toThrow(/smaller/);
		expect(validatePollingTime("00:00:30").interval.ms).toBe(MIN_POLLING_MS);
		expect(validatePollingTime("23:59:59").interval.ms).toBe(MAX_POLLING_MS);
		expect(validatePollingTime("30").interval.ms).toBe(30_000);
	});
});

describe("intervalWithDeviation", () => {
	it("adds a uniform offset within ±deviation and clamps to the allowed range", () => {
		const i = { ms: 600_000, deviationPercent: 50 };
		expect(intervalWithDeviation(i, 0)).toBe(300_000);
		expect(intervalWithDeviation(i, 0.9999999)).toBe(900_000);
		expect(intervalWithDeviation({ ms: 40_000, deviationPercent: 99 }, 0)).toBe(MIN_POLLING_MS);
		expect(intervalWithDeviation({ ms: 600_000, deviationPercent: 0 }, 0.3)).toBe(600_000);
	});
});

describe("sleepBeforeMaintenanceWindow (hawkBit EventTimer)", () => {
	const now = 1_000_000_000_000;
	it("divides the time to the window by the poll count, never above the sleep nor below 30 s", () => {
		expect(sleepBeforeMaintenanceWindow(300_000, now + 600_000, 3, now)).toBe(200_000);
		expect(sleepBeforeMaintenanceWindow(300_000, now + 3_600_000, 3, now)).toBe(300_000);
		expect(sleepBeforeMaintenanceWindow(300_000, now + 60_000, 3, now)).toBe(30_000);
	});

	it("keeps the sleep when there is no window or it has started", () => {
		expect(sleepBeforeMaintenanceWindow(300_000, undefined, 3, now)).toBe(300_000);
		expect(sleepBeforeMaintenanceWindow(300_000, now - 1, 3, now)).toBe(300_000);
	});
});
