/**
 * Maintenance windows of an action: a Quartz cron expression (with seconds), a duration `HH:mm:ss` and a
 * UTC offset. hawkBit: MaintenanceScheduleHelper (cron-utils, CronType.QUARTZ) and JpaAction's
 * isMaintenanceWindowAvailable / isMaintenanceScheduleLapsed.
 *
 * A small evaluator instead of an npm cron package: the maintained ones (croner, cron-parser) count
 * weekdays from 0 = Sunday and treat `?` as `*`, while Quartz counts 1 = Sunday and demands `?` in
 * exactly one of the two day fields, has a year field and `L`/`W`/`#`. Mapping one onto the other
 * would be as much code as this, and less exact.
 */
import { DomainError } from "../errors";

/** What an action stores; all three present or all three absent. */
export type MaintenanceSchedule = {
	schedule: string;
	duration: string;
	timezone: string;
};

/** hawkBit's InvalidMaintenanceScheduleException messages. */
export const NO_FUTURE_WINDOW = "No valid maintenance window available after current time";
export const ALL_OR_NONE =
	"All of schedule, duration and timezone should either be null or non empty.";
export const INVALID_DURATION = "Provided duration is not valid";

const MIN_YEAR = 1970;
const MAX_YEAR = 2099;
const DAY_MS = 86_400_000;

const MONTH_NAMES = [
	"JAN",
	"FEB",
	"MAR",
	"APR",
	"MAY",
	"JUN",
	"JUL",
	"AUG",
	"SEP",
	"OCT",
	"NOV",
	"DEC",
] as const;
const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] as const;

/** One day-of-month item: plain days, or Quartz's `L`, `L-n`, `nW`, `LW`. */
type DomItem =
	| { kind: "days"; days: number[] }
	| { kind: "last"; offset: number }
	| { kind: "nearestWeekday"; day: number }
	| { kind: "lastWeekday" };

/** One day-of-week item (1 = Sunday … 7 = Saturday): plain weekdays, `nL` (last n-day), `n#k` (k-th n-day). */
type DowItem =
	| { kind: "weekdays"; days: number[] }
	| { kind: "lastOfMonth"; weekday: number }
	| { kind: "nth"; weekday: number; nth: number };

/** A parsed Quartz cron expression. Exactly one of `dom`/`dow` is `undefined` (the `?` field). */
export type QuartzCron = {
	seconds: number[];
	minutes: number[];
	hours: number[];
	dom: DomItem[] | undefined;
	months: number[];
	dow: DowItem[] | undefined;
	years: number[] | undefined;
};

function invalid(message: string): DomainError {
	return new DomainError("maintenanceScheduleInvalid", message);
}

function parseNumber(token: string, field: string, names?: readonly string[]): number {
	if (/^\d+$/.test(token)) {
		return Number(token);
	}
	const index = names?.indexOf(token) ?? -1;
	if (index < 0) {
		throw invalid(`Invalid value '${token}' in ${field} field of cron expression`);
	}
	// Month names map to 1..12 and day names to 1 (SUN)..7 (SAT): both are index + 1.
	return index + 1;
}

/** Expands `*`, `a`, `a-b`, `a/n`, `*\/n`, `a-b/n` (ranges may wrap, as in Quartz) within [min, max]. */
function expandRange(
	item: string,
	field: string,
	min: number,
	max: number,
	names?: readonly string[],
): number[] {
	const [rangePart = "", stepPart, extra] = item.split("/");
	if (extra !== undefined || rangePart === "") {
		throw invalid(`Invalid ${field} field '${item}' in cron expression`);
	}
	let step = 1;
	if (stepPart !== undefined) {
		if (!/^\d+$/.test(stepPart) || Number(stepPart) === 0) {
			throw invalid(`Invalid step '${stepPart}' in ${field} field of cron expression`);
		}
		step = Number(stepPart);
	}
	let start: number;
	let end: number;
	if (rangePart === "*") {
		start = min;
		end = max;
	} else {
		const bounds = rangePart.split("-");
		if (bounds.length > 2) {
			throw invalid(`Invalid range '${rangePart}' in ${field} field of cron expression`);
		}
		start = parseNumber(bounds[0] ?? "", field, names);
		// `a/n` runs from a to the field's maximum.
		end = bounds[1] !== undefined ? parseNumber(bounds[1], field, names) : stepPart ? max : start;
	}
	if (start < min || start > max || end < min || end > max) {
		throw invalid(
			`Value out of range [${min}, ${max}] in ${field} field '${item}' of cron expression`,
		);
	}
	const values: number[] = [];
	const span = end >= start ? end - start : max - min + 1 - (start - end);
	for (let offset = 0; offset <= span; offset += step) {
		const v = start + offset;
		values.push(v > max ? v - (max - min + 1) : v);
	}
	return values;
}

function parseSimpleField(
	text: string,
	field: string,
	min: number,
	max: number,
	names?: readonly string[],
): number[] {
	const values = new Set<number>();
	for (const item of text.split(",")) {
		for (const v of expandRange(item, field, min, max, names)) {
			values.add(v);
		}
	}
	return [...values].sort((a, b) => a - b);
}

function parseDom(text: string): DomItem[] {
	return text.split(",").map((item): DomItem => {
		if (item === "L") {
			return { kind: "last", offset: 0 };
		}
		if (item === "LW") {
			return { kind: "lastWeekday" };
		}
		const lastOffset = /^L-(\d+)$/.exec(item);
		if (lastOffset) {
			const offset = Number(lastOffset[1]);
			if (offset > 30) {
				throw invalid(`Invalid day-of-month offset '${item}' in cron expression`);
			}
			return { kind: "last", offset };
		}
		const weekday = /^(\d+)W$/.exec(item);
		if (weekday) {
			const day = Number(weekday[1]);
			if (day < 1 || day > 31) {
				throw invalid(`Invalid day-of-month '${item}' in cron expression`);
			}
			return { kind: "nearestWeekday", day };
		}
		return { kind: "days", days: expandRange(item, "day-of-month", 1, 31) };
	});
}

function parseDow(text: string): DowItem[] {
	return text.split(",").map((item): DowItem => {
		// A lone `L` in the day-of-week field means the last day of the week: Saturday.
		if (item === "L") {
			return { kind: "weekdays", days: [7] };
		}
		const last = /^(\w+)L$/.exec(item);
		if (last?.[1]) {
			return { kind: "lastOfMonth", weekday: checkedWeekday(last[1]) };
		}
		const nth = /^(\w+)#(\d+)$/.exec(item);
		if (nth?.[1] && nth[2]) {
			const k = Number(nth[2]);
			if (k < 1 || k > 5) {
				throw invalid(`Invalid '#' value '${item}' in day-of-week field of cron expression`);
			}
			return { kind: "nth", weekday: checkedWeekday(nth[1]), nth: k };
		}
		return { kind: "weekdays", days: expandRange(item, "day-of-week", 1, 7, DAY_NAMES) };
	});
}

function checkedWeekday(token: string): number {
	const v = parseNumber(token, "day-of-week", DAY_NAMES);
	if (v < 1 || v > 7) {
		throw invalid(`Value out of range [1, 7] in day-of-week field '${token}' of cron expression`);
	}
	return v;
}

/**
 * Parses `sec min hour day-of-month month day-of-week [year]`. Names are case-insensitive.
 * Throws DomainError(maintenanceScheduleInvalid) on anything Quartz would reject.
 */
export function parseQuartzCron(expression: string): QuartzCron {
	const fields = expression.trim().toUpperCase().split(/\s+/);
	if (fields.length < 6 || fields.length > 7 || fields[0] === "") {
		throw invalid(
			`Cron expression '${expression}' must have 6 or 7 fields: second minute hour day-of-month month day-of-week [year]`,
		);
	}
	const [sec = "", min = "", hour = "", dom = "", month = "", dow = "", year] = fields;
	for (const [name, text] of [
		["second", sec],
		["minute", min],
		["hour", hour],
		["month", month],
		["year", year ?? "*"],
	] as const) {
		if (text.includes("?")) {
			throw invalid(`'?' is not allowed in the ${name} field of cron expression`);
		}
	}
	if ((dom === "?") === (dow === "?")) {
		throw invalid(
			"Both, a day-of-week AND a day-of-month parameter, are not supported: exactly one of them must be '?'",
		);
	}
	return {
		seconds: parseSimpleField(sec, "second", 0, 59),
		minutes: parseSimpleField(min, "minute", 0, 59),
		hours: parseSimpleField(hour, "hour", 0, 23),
		dom: dom === "?" ? undefined : parseDom(dom),
		months: parseSimpleField(month, "month", 1, 12, MONTH_NAMES),
		dow: dow === "?" ? undefined : parseDow(dow),
		years:
			year === undefined || year === "*"
				? undefined
				: parseSimpleField(year, "year", MIN_YEAR, MAX_YEAR),
	};
}

function daysInMonth(year: number, month: number): number {
	return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Quartz weekday (1 = Sunday) of a date. */
function weekdayOf(year: number, month: number, day: number): number {
	return new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
}

/** Quartz's `nW`: the weekday nearest to `day`, never leaving the month. */
function nearestWeekday(year: number, month: number, day: number): number {
	const last = daysInMonth(year, month);
	const d = Math.min(day, last);
	const wd = weekdayOf(year, month, d);
	if (wd === 7) {
		return d === 1 ? 3 : d - 1;
	}
	if (wd === 1) {
		return d === last ? d - 2 : d + 1;
	}
	return d;
}

/** The set of days in (year, month) that the day fields select. */
function matchingDays(cron: QuartzCron, year: number, month: number): Set<number> {
	const last = daysInMonth(year, month);
	const days = new Set<number>();
	if (cron.dom) {
		for (const item of cron.dom) {
			switch (item.kind) {
				case "days":
					for (const d of item.days) {
						if (d <= last) {
							days.add(d);
						}
					}
					break;
				case "last":
					if (last - item.offset >= 1) {
						days.add(last - item.offset);
					}
					break;
				case "nearestWeekday":
					if (item.day <= last) {
						days.add(nearestWeekday(year, month, item.day));
					}
					break;
				case "lastWeekday":
					days.add(nearestWeekday(year, month, last));
					break;
			}
		}
		return days;
	}
	const firstWeekday = weekdayOf(year, month, 1);
	const dayOfWeekday = (weekday: number, occurrence: number) =>
		1 + ((weekday - firstWeekday + 7) % 7) + 7 * (occurrence - 1);
	for (const item of cron.dow ?? []) {
		switch (item.kind) {
			case "weekdays":
				for (const wd of item.days) {
					for (let d = dayOfWeekday(wd, 1); d <= last; d += 7) {
						days.add(d);
					}
				}
				break;
			case "lastOfMonth": {
				let d = dayOfWeekday(item.weekday, 1);
				while (d + 7 <= last) {
					d += 7;
				}
				days.add(d);
				break;
			}
			case "nth": {
				const d = dayOfWeekday(item.weekday, item.nth);
				if (d <= last) {
					days.add(d);
				}
				break;
			}
		}
	}
	return days;
}

/** Earliest (h, m, s) of the cron on one day at or after `fromSecondOfDay`, as seconds of the day. */
function firstTimeOfDay(cron: QuartzCron, fromSecondOfDay: number): number | undefined {
	for (const h of cron.hours) {
		for (const m of cron.minutes) {
			const base = h * 3600 + m * 60;
			if (base + 59 < fromSecondOfDay) {
				continue;
			}
			for (const s of cron.seconds) {
				if (base + s >= fromSecondOfDay) {
					return base + s;
				}
			}
		}
	}
	return undefined;
}

/**
 * The first fire time strictly after `afterMs`, evaluated in a fixed UTC offset (seconds east of
 * UTC). `undefined` when the expression never fires again (years are bounded to 2099, as in Quartz).
 */
export function nextFireTime(
	cron: QuartzCron,
	afterMs: number,
	offsetSeconds: number,
): number | undefined {
	const offsetMs = offsetSeconds * 1000;
	// Whole seconds only: the next candidate is the first full second after `afterMs`, in local time.
	const localStart = Math.floor((afterMs + offsetMs) / 1000) * 1000 + 1000;
	let dayStart = Math.floor(localStart / DAY_MS) * DAY_MS;
	let fromSecond = (localStart - dayStart) / 1000;
	while (true) {
		const date = new Date(dayStart);
		const year = date.getUTCFullYear();
		const month = date.getUTCMonth() + 1;
		if (year > MAX_YEAR) {
			return undefined;
		}
		if (cron.years && !cron.years.includes(year)) {
			const nextYear = cron.years.find((y) => y > year);
			if (nextYear === undefined) {
				return undefined;
			}
			dayStart = Date.UTC(nextYear, 0, 1);
			fromSecond = 0;
			continue;
		}
		if (!cron.months.includes(month)) {
			dayStart = Date.UTC(year, month, 1);
			fromSecond = 0;
			continue;
		}
		const days = [...matchingDays(cron, year, month)].sort((a, b) => a - b);
		for (const day of days) {
			const candidateDay = Date.UTC(year, month - 1, day);
			if (candidateDay < dayStart) {
				continue;
			}
			const second = firstTimeOfDay(cron, candidateDay === dayStart ? fromSecond : 0);
			if (second !== undefined) {
				return candidateDay + second * 1000 - offsetMs;
			}
		}
		dayStart = Date.UTC(year, month, 1);
		fromSecond = 0;
	}
}

/**
 * Parses a window duration the way hawkBit does (java.time.LocalTime.parse of the stripped text):
 * `HH:mm`, `HH:mm:ss` or `HH:mm:ss.fraction`, hours 00–23. Returns milliseconds.
 */
export function parseWindowDuration(duration: string): number {
	const match = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/.exec(duration.trim());
	if (!match) {
		throw invalid(INVALID_DURATION);
	}
	const [, h, m, s, fraction] = match;
	const hours = Number(h);
	const minutes = Number(m);
	const seconds = Number(s ?? "0");
	if (hours > 23 || minutes > 59 || seconds > 59) {
		throw invalid(INVALID_DURATION);
	}
	const millis = fraction ? Math.floor(Number(`0.${fraction}`) * 1000) : 0;
	return ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis;
}

/**
 * Parses a UTC offset as java.time.ZoneOffset.of accepts it: `Z`, `±h`, `±hh`, `±hh:mm`, `±hhmm`,
 * `±hh:mm:ss`, `±hhmmss`, at most ±18:00. Returns seconds east of UTC. hawkBit takes no zone names.
 */
export function parseUtcOffset(timezone: string): number {
	if (timezone === "Z") {
		return 0;
	}
	const match =
		/^([+-])(\d{1,2})$/.exec(timezone) ??
		/^([+-])(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(timezone) ??
		/^([+-])(\d{2})(\d{2})(\d{2})?$/.exec(timezone);
	if (!match) {
		throw invalid(`Invalid timezone offset '${timezone}': expected +hh:mm or -hh:mm`);
	}
	const [, sign, h, m, s] = match;
	const hours = Number(h);
	const minutes = Number(m ?? "0");
	const seconds = Number(s ?? "0");
	const total = hours * 3600 + minutes * 60 + seconds;
	if (minutes > 59 || seconds > 59 || total > 18 * 3600) {
		throw invalid(`Invalid timezone offset '${timezone}': out of range`);
	}
	return sign === "-" ? -total : total;
}

/** The state of a schedule at one instant. */
export type MaintenanceWindowState = {
	/** Start of the current (open) or next window; absent when the schedule has lapsed. */
	start?: number;
	end?: number;
	/** Inside a window now (strictly between start and end, as hawkBit compares). */
	open: boolean;
	/** No current or future window (or the stored schedule cannot be evaluated any more). */
	lapsed: boolean;
};

/**
 * Current or next window: the next fire time after `now − duration` (so a window that began less
 * than one duration ago is still "current"). hawkBit: MaintenanceScheduleHelper#getNextMaintenanceWindow,
 * which swallows evaluation errors into "no window": a broken stored schedule reads as lapsed.
 */
export function maintenanceWindowAt(s: MaintenanceSchedule, now: number): MaintenanceWindowState {
	try {
		const cron = parseQuartzCron(s.schedule);
		const duration = parseWindowDuration(s.duration);
		const offset = parseUtcOffset(s.timezone);
		const start = nextFireTime(cron, now - duration, offset);
		if (start === undefined) {
			return { open: false, lapsed: true };
		}
		const end = start + duration;
		return { start, end, open: start < now && now < end, lapsed: false };
	} catch (e) {
		if (e instanceof DomainError) {
			return { open: false, lapsed: true };
		}
		throw e;
	}
}

/** Treats empty strings like absent values, as hawkBit's ObjectUtils.isEmpty does. */
function present(v: string | null | undefined): v is string {
	return v !== undefined && v !== null && v !== "";
}

/**
 * hawkBit's validateMaintenanceSchedule: all three or none; a valid cron and duration; and at least
 * one current or future window. Returns the normalised schedule, or `undefined` when none was given.
 */
export function validateMaintenanceSchedule(
	s: { schedule?: string | null; duration?: string | null; timezone?: string | null },
	now: number,
): MaintenanceSchedule | undefined {
	const { schedule, duration, timezone } = s;
	if (present(schedule) && present(duration) && present(timezone)) {
		parseQuartzCron(schedule);
		parseWindowDuration(duration);
		const window = maintenanceWindowAt({ schedule, duration, timezone }, now);
		if (window.lapsed) {
			throw invalid(NO_FUTURE_WINDOW);
		}
		return { schedule, duration, timezone };
	}
	if (present(schedule) || present(duration) || present(timezone)) {
		throw invalid(ALL_OR_NONE);
	}
	return undefined;
}

/** The stored triple as a schedule, if the action has one (hawkBit: hasMaintenanceSchedule). */
export function scheduleOf(a: {
	maintenanceSchedule: string | null;
	maintenanceDuration: string | null;
	maintenanceTimezone: string | null;
}): MaintenanceSchedule | undefined {
	if (a.maintenanceSchedule === null) {
		return undefined;
	}
	return {
		schedule: a.maintenanceSchedule,
		duration: a.maintenanceDuration ?? "",
		timezone: a.maintenanceTimezone ?? "",
	};
}
