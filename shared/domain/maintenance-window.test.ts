import { describe, expect, it } from "vitest";
import { DomainError } from "../errors";
import {
	ALL_OR_NONE,
	INVALID_DURATION,
	maintenanceWindowAt,
	NO_FUTURE_WINDOW,
	nextFireTime,
	parseQuartzCron,
	parseUtcOffset,
	parseWindowDuration,
	validateMaintenanceSchedule,
} from "./maintenance-window";

const at = (iso: string) => Date.parse(iso);
const next = (expr: string, afterIso: string, offsetSeconds = 0) => {
	const t = nextFireTime(parseQuartzCron(expr), at(afterIso), offsetSeconds);
	return t === undefined ? undefined : new Date(t).toISOString();
};

function expectInvalid(fn: () => unknown, message?: string) {
	try {
		fn();
	} catch (e) {
		expect(e).toBeInstanceOf(DomainError);
		expect((e as DomainError).code).toBe("maintenanceScheduleInvalid");
		if (message) {
			expect((e as DomainError).message).toBe(message);
		}
		return;
	}
	throw new Error("expected maintenanceScheduleInvalid");
}

describe("Quartz cron evaluation", () => {
	it("fires daily at a fixed time in UTC", () => {
		expect(next("0 0 3 ? * *", "2026-01-01T00:00:00Z")).toBe("2026-01-01T03:00:00.000Z");
		expect(next("0 0 3 ? * *", "2026-01-01T03:00:00Z")).toBe("2026-01-02T03:00:00.000Z");
	});

	it("is strictly after the given instant, also with milliseconds", () => {
		expect(next("* * * ? * *", "2026-01-01T00:00:00.000Z")).toBe("2026-01-01T00:00:01.000Z");
		expect(next("* * * ? * *", "2026-01-01T00:00:00.400Z")).toBe("2026-01-01T00:00:01.000Z");
	});

	it("evaluates the fields in the given UTC offset", () => {
		expect(next("0 0 3 ? * *", "2026-01-01T00:00:00Z", 2 * 3600)).toBe("2026-01-01T01:00:00.000Z");
		expect(next("0 0 3 ? * *", "2026-01-01T00:00:00Z", -(5 * 3600 + 1800))).toBe(
			"2026-01-01T08:30:00.000Z",
		);
		// 23:30 local on Monday in -05:00 is Tuesday 04:30 UTC: the weekday is the local one.
		expect(next("0 30 23 ? * MON", "2026-03-02T00:00:00Z", -5 * 3600)).toBe(
			"2026-03-03T04:30:00.000Z",
		);
	});

	it("counts weekdays the Quartz way (1 = Sunday) and accepts names in any case", () => {
		// 2026-03-07 is a Saturday.
		expect(next("0 30 22 ? * MON-FRI", "2026-03-07T12:00:00Z")).toBe("2026-03-09T22:30:00.000Z");
		expect(next("0 30 22 ? * 2-6", "2026-03-07T12:00:00Z")).toBe("2026-03-09T22:30:00.000Z");
		expect(next("0 0 12 ? * sun", "2026-03-07T12:00:00Z")).toBe("2026-03-08T12:00:00.000Z");
		expect(next("0 0 12 ? * 1", "2026-03-07T12:00:00Z")).toBe("2026-03-08T12:00:00.000Z");
		// Ranges may wrap around the end of the week.
		expect(next("0 0 12 ? * FRI-MON", "2026-03-03T00:00:00Z")).toBe("2026-03-06T12:00:00.000Z");
	});

	it("supports lists, ranges and steps", () => {
		expect(next("0 */15 * ? * *", "2026-01-01T10:01:00Z")).toBe("2026-01-01T10:15:00.000Z");
		expect(next("0 5/20 * ? * *", "2026-01-01T10:26:00Z")).toBe("2026-01-01T10:45:00.000Z");
		expect(next("0 0 1,13 ? * *", "2026-01-01T02:00:00Z")).toBe("2026-01-01T13:00:00.000Z");
		expect(next("30 0 8-10/2 ? * *", "2026-01-01T08:00:31Z")).toBe("2026-01-01T10:00:30.000Z");
		expect(next("0 0 0 1 JAN-MAR/2 ?", "2026-01-02T00:00:00Z")).toBe("2026-03-01T00:00:00.000Z");
	});

	it("honours day-of-month, skipping months that are too short", () => {
		expect(next("0 0 0 31 * ?", "2026-04-01T00:00:00Z")).toBe("2026-05-31T00:00:00.000Z");
		expect(next("0 0 0 29 2 ?", "2026-01-01T00:00:00Z")).toBe("2028-02-29T00:00:00.000Z");
		expect(next("0 0 0 30 2 ?", "2026-01-01T00:00:00Z")).toBeUndefined();
	});

	it("supports L, L-n, nW and LW in day-of-month", () => {
		expect(next("0 0 0 L * ?", "2026-02-01T00:00:00Z")).toBe("2026-02-28T00:00:00.000Z");
		expect(next("0 0 0 L-2 * ?", "2026-02-01T00:00:00Z")).toBe("2026-02-26T00:00:00.000Z");
		// 2026-03-15 is a Sunday: nearest weekday is Monday the 16th.
		expect(next("0 0 0 15W * ?", "2026-03-01T00:00:00Z")).toBe("2026-03-16T00:00:00.000Z");
		// 2026-08-01 is a Saturday: 1W must not leave the month, so Monday the 3rd.
		expect(next("0 0 0 1W * ?", "2026-07-31T00:00:00Z")).toBe("2026-08-03T00:00:00.000Z");
		// Last day of May 2026 is Sunday the 31st: last weekday is Friday the 29th.
		expect(next("0 0 0 LW * ?", "2026-05-01T00:00:00Z")).toBe("2026-05-29T00:00:00.000Z");
	});

	it("supports nL and n#k in day-of-week", () => {
		// Last Friday of March 2026 is the 27th; first Monday is the 2nd.
		expect(next("0 0 0 ? * 6L", "2026-03-01T00:00:00Z")).toBe("2026-03-27T00:00:00.000Z");
		expect(next("0 0 0 ? * MON#1", "2026-03-01T00:00:00Z")).toBe("2026-03-02T00:00:00.000Z");
		expect(next("0 0 0 ? * 2#5", "2026-03-01T00:00:00Z")).toBe("2026-03-30T00:00:00.000Z");
	});

	it("honours the optional year field and ends in 2099", () => {
		expect(next("0 0 0 1 1 ? 2030", "2026-01-01T00:00:00Z")).toBe("2030-01-01T00:00:00.000Z");
		expect(next("0 0 0 1 1 ? 2020", "2026-01-01T00:00:00Z")).toBeUndefined();
		expect(next("0 0 0 1 1 ? 2027-2029", "2028-06-01T00:00:00Z")).toBe("2029-01-01T00:00:00.000Z");
		expect(next("0 0 0 1 1 ? *", "2099-06-01T00:00:00Z")).toBeUndefined();
	});

	it.each([
		["0 0 3 * * *", "neither day field is ?"],
		["0 0 3 ? * ?", "both day fields are ?"],
		["0 0 3 ? *", "five fields"],
		["0 0 3 ? * * 2030 x", "eight fields"],
		["", "empty"],
		["60 0 3 ? * *", "second out of range"],
		["0 0 24 ? * *", "hour out of range"],
		["0 0 3 ? 13 *", "month out of range"],
		["0 0 3 ? * 8", "weekday out of range"],
		["0 0 3 ? * 0", "Quartz has no weekday 0"],
		["0 0 3 ? * FUN", "unknown day name"],
		["0 */0 3 ? * *", "zero step"],
		["? 0 3 1 * *", "? outside the day fields"],
		["0 0 3 ? * * 1969", "year before 1970"],
		["0 0 3 32 * ?", "day of month out of range"],
		["0 0 3 ? * MON#6", "sixth weekday of a month"],
		["0 0 3 1-2-3 * ?", "double range"],
	])("rejects %j (%s)", (expr) => {
		expectInvalid(() => parseQuartzCron(expr));
	});
});

describe("window durations and UTC offsets", () => {
	it("parses HH:mm:ss durations like java.time.LocalTime", () => {
		expect(parseWindowDuration("01:30:00")).toBe(5_400_000);
		expect(parseWindowDuration("00:30")).toBe(1_800_000);
		expect(parseWindowDuration(" 00:00:10 ")).toBe(10_000);
		expect(parseWindowDuration("00:00:01.5")).toBe(1_500);
	});

	it.each(["1:30:00", "24:00:00", "00:60:00", "00:00:60", "PT1H", "", "01-30-00"])(
		"rejects the duration %j",
		(d) => {
			expectInvalid(() => parseWindowDuration(d), INVALID_DURATION);
		},
	);

	it("parses UTC offsets like java.time.ZoneOffset.of", () => {
		expect(parseUtcOffset("+02:00")).toBe(7200);
		expect(parseUtcOffset("-05:30")).toBe(-19_800);
		expect(parseUtcOffset("Z")).toBe(0);
		expect(parseUtcOffset("+2")).toBe(7200);
		expect(parseUtcOffset("+0530")).toBe(19_800);
		expect(parseUtcOffset("+18:00")).toBe(64_800);
	});

	it.each(["Europe/Berlin", "UTC", "+19:00", "+02:60", "02:00", ""])(
		"rejects the offset %j",
		(tz) => {
			expectInvalid(() => parseUtcOffset(tz));
		},
	);
});

describe("maintenanceWindowAt", () => {
	const nightly = { schedule: "0 0 3 ? * *", duration: "01:00:00", timezone: "+00:00" };

	it("is open strictly inside the current window", () => {
		const w = maintenanceWindowAt(nightly, at("2026-01-01T03:30:00Z"));
		expect(w).toEqual({
			start: at("2026-01-01T03:00:00Z"),
			end: at("2026-01-01T04:00:00Z"),
			open: true,
			lapsed: false,
		});
	});

	it("is closed outside a window and points at the next one", () => {
		const w = maintenanceWindowAt(nightly, at("2026-01-01T04:30:00Z"));
		expect(w.open).toBe(false);
		expect(w.lapsed).toBe(false);
		expect(w.start).toBe(at("2026-01-02T03:00:00Z"));
	});

	it("is not open at the very start instant (hawkBit compares strictly)", () => {
		const w = maintenanceWindowAt(nightly, at("2026-01-01T03:00:00Z"));
		expect(w.start).toBe(at("2026-01-01T03:00:00Z"));
		expect(w.open).toBe(false);
	});

	it("applies the timezone to the window", () => {
		const w = maintenanceWindowAt({ ...nightly, timezone: "+02:00" }, at("2026-01-01T01:15:00Z"));
		expect(w.open).toBe(true);
		expect(w.start).toBe(at("2026-01-01T01:00:00Z"));
	});

	it("reads a schedule without future windows as lapsed", () => {
		const w = maintenanceWindowAt(
			{ schedule: "0 0 3 1 1 ? 2020", duration: "01:00:00", timezone: "+00:00" },
			at("2026-01-01T00:00:00Z"),
		);
		expect(w).toEqual({ open: false, lapsed: true });
	});

	it("reads an unparsable stored schedule as lapsed", () => {
		const w = maintenanceWindowAt({ ...nightly, timezone: "CET" }, at("2026-01-01T00:00:00Z"));
		expect(w.lapsed).toBe(true);
	});
});

describe("validateMaintenanceSchedule", () => {
	const now = at("2026-01-01T00:00:00Z");

	it("accepts none or all three", () => {
		expect(validateMaintenanceSchedule({}, now)).toBeUndefined();
		expect(validateMaintenanceSchedule({ schedule: "", duration: null }, now)).toBeUndefined();
		expect(
			validateMaintenanceSchedule(
				{ schedule: "0 0 3 ? * *", duration: "01:00:00", timezone: "+01:00" },
				now,
			),
		).toEqual({ schedule: "0 0 3 ? * *", duration: "01:00:00", timezone: "+01:00" });
	});

	it("rejects a partial schedule", () => {
		expectInvalid(
			() => validateMaintenanceSchedule({ schedule: "0 0 3 ? * *", duration: "01:00:00" }, now),
			ALL_OR_NONE,
		);
	});

	it("rejects a bad cron, a bad duration and a schedule without future windows", () => {
		expectInvalid(() =>
			validateMaintenanceSchedule(
				{ schedule: "0 0 3 * * *", duration: "01:00:00", timezone: "+00:00" },
				now,
			),
		);
		expectInvalid(
			() =>
				validateMaintenanceSchedule(
					{ schedule: "0 0 3 ? * *", duration: "25:00:00", timezone: "+00:00" },
					now,
				),
			INVALID_DURATION,
		);
		expectInvalid(
			() =>
				validateMaintenanceSchedule(
					{ schedule: "0 0 3 ? * * 2020", duration: "01:00:00", timezone: "+00:00" },
					now,
				),
			NO_FUTURE_WINDOW,
		);
		// hawkBit swallows a bad offset while looking for the next window: same message.
		expectInvalid(
			() =>
				validateMaintenanceSchedule(
					{ schedule: "0 0 3 ? * *", duration: "01:00:00", timezone: "Europe/Berlin" },
					now,
				),
			NO_FUTURE_WINDOW,
		);
	});
});
