/**
 * The polling interval grammar of tenant key `pollingTime` and the `config.polling.sleep` value a device
 * gets. hawkBit: PollingTime, DurationHelper, TenantConfigurationPollingTimeValidator,
 * JpaControllerManagement#getPollingTime / #getPollingTimeForAction (EventTimer).
 *
 * Pure functions: no bindings, no clock unless passed in.
 */

/** hawkBit's `hawkbit.controller.minPollingTime` default: devices are never told to poll faster. */
export const MIN_POLLING_MS = 30_000;
/** hawkBit's `hawkbit.controller.maxPollingTime` default. */
export const MAX_POLLING_MS = (23 * 3600 + 59 * 60 + 59) * 1000;
const DAY_MS = 86_400_000;

/** One interval with its optional random deviation (0–99 %). */
export type PollingInterval = { ms: number; deviationPercent: number };

/** One `<rsql> -> <interval>` override. */
export type PollingOverride = { query: string; interval: PollingInterval };

/** A parsed `pollingTime` value. */
export type PollingTime = { interval: PollingInterval; overrides: PollingOverride[] };

/** Thrown for any unparsable or out-of-range value; tenant config turns it into configValueInvalid. */
export class PollingTimeError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "PollingTimeError";
	}
}

const INTEGER = /^[+-]?\d+$/;
// java.time.Duration#parse: PnDTnHnMn.nS, each number optionally signed; hawkBit only takes it when the
// string starts with an upper-case "P" (DurationHelper#fromString).
const ISO_DURATION =
	/^([-+]?)P(?:([-+]?\d+)D)?(?:T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+)(?:[.,](\d{0,9}))?S)?)?$/i;

/**
 * Parses hawkBit's duration notation: `HH:mm:ss`, `mm:ss`, plain seconds, or ISO-8601 (`PT10M`,
 * `P1DT2H`). Like hawkBit, the parts are not range-checked (`00:90:00` is 90 minutes).
 * @throws PollingTimeError when the text is not a duration.
 */
export function parseDuration(text: string): number {
	if (text.startsWith("P")) {
		const m = ISO_DURATION.exec(text);
		if (!m || (!m[2] && !m[3] && !m[4] && !m[5]) || text.endsWith("T")) {
			throw new PollingTimeError(`Invalid duration: '${text}'`);
		}
		const sign = m[1] === "-" ? -1 : 1;
		const fraction = m[6] ? Number(`0.${m[6]}`) : 0;
		const secondsSign = m[5]?.startsWith("-") ? -1 : 1;
		const ms =
			Number(m[2] ?? 0) * DAY_MS +
			Number(m[3] ?? 0) * 3_600_000 +
			Number(m[4] ?? 0) * 60_000 +
			Number(m[5] ?? 0) * 1000 +
			secondsSign * Math.round(fraction * 1000);
		return sign * ms;
	}
	const parts = text.split(":");
	if (parts.length > 3 || parts.some((p) => !INTEGER.test(p))) {
		throw new PollingTimeError(`Invalid duration: '${text}'`);
	}
	const [a = "0", b, c] = parts.map((p) => p);
	if (parts.length === 1) {
		return Number(a) * 1000;
	}
	if (parts.length === 2) {
		return (Number(a) * 60 + Number(b)) * 1000;
	}
	return (Number(a) * 3600 + Number(b) * 60 + Number(c)) * 1000;
}

/**
 * Formats a duration as hawkBit sends it: zero-padded `HH:mm:ss` below a day (fractions of a second
 * dropped), otherwise ISO-8601 as java.time.Duration#toString prints it (`PT24H`, `PT25H0M1S` → `PT25H1S`).
 */
export function formatDuration(ms: number): string {
	const totalSeconds = Math.floor(ms / 1000);
	if (ms < DAY_MS) {
		const h = Math.floor(totalSeconds / 3600);
		const m = Math.floor((totalSeconds % 3600) / 60);
		const s = totalSeconds % 60;
		return [h, m, s].map((n) => String(n).padStart(2, "0")).join(":");
	}
	const h = Math.floor(totalSeconds / 3600);
	const m = Math.floor((totalSeconds % 3600) / 60);
	const s = totalSeconds % 60;
	const millis = ms % 1000;
	let out = `PT${h}H`;
	if (m) {
		out += `${m}M`;
	}
	if (s || millis) {
		out += millis ? `${s}.${String(millis).padStart(3, "0").replace(/0+$/, "")}S` : `${s}S`;
	}
	return out;
}

const INTERVAL = /^([^~]+)(?:~(\d{1,2})%)?\s{0,5}$/;

function parseInterval(text: string): PollingInterval {
	const m = INTERVAL.exec(text);
	try {
		if (!m?.[1]) {
			throw new PollingTimeError("no match");
		}
		return { ms: parseDuration(m[1].trim()), deviationPercent: m[2] ? Number(m[2]) : 0 };
	} catch {
		throw new PollingTimeError(
			`Invalid pollingInterval: '${text}', expecting: (HH:mm:ss|ISO-8601)(~\\d{1,2}%)?`,
		);
	}
}

/**
 * Parses `<interval>[~<dev>%][, <rsql> -> <interval>[~<dev>%]]*`. An override's RSQL may contain commas:
 * like hawkBit, the parser looks for `->` and then for the next comma after it.
 * @throws PollingTimeError when the text does not follow the grammar.
 */
export function parsePollingTime(text: string): PollingTime {
	const firstComma = text.indexOf(",");
	if (firstComma === -1) {
		return { interval: parseInterval(text), overrides: [] };
	}
	const interval = parseInterval(text.slice(0, firstComma));
	const rest = text.slice(firstComma + 1).trim();
	const overrides: PollingOverride[] = [];
	let start = 0;
	for (;;) {
		const arrow = rest.indexOf("->", start);
		if (arrow === -1) {
			throw new PollingTimeError(`Invalid pollingTime override: '${rest.slice(start)}'`);
		}
		const query = rest.slice(start, arrow).trim();
		const nextComma = rest.indexOf(",", arrow);
		const intervalText =
			nextComma === -1 ? rest.slice(arrow + 2) : rest.slice(arrow + 2, nextComma);
		overrides.push({ query, interval: parseInterval(intervalText.trim()) });
		if (nextComma === -1) {
			return { interval, overrides };
		}
		start = nextComma + 1;
	}
}

/**
 * Parses and range-checks a `pollingTime` value as hawkBit's validator does: every interval must lie in
 * [00:00:30, 23:59:59]. The RSQL of overrides is checked by the caller (it needs the RSQL module).
 * @throws PollingTimeError with hawkBit's message.
 */
export function validatePollingTime(text: string): PollingTime {
	const parsed = parsePollingTime(text);
	for (const interval of [parsed.interval, ...parsed.overrides.map((o) => o.interval)]) {
		const range = `[${formatDuration(MIN_POLLING_MS)}, ${formatDuration(MAX_POLLING_MS)}]`;
		if (interval.ms < MIN_POLLING_MS) {
			throw new PollingTimeError(
				`The polling interval is smaller then minimum polling interval. The allowed range is ${range}.`,
			);
		}
		if (interval.ms > MAX_POLLING_MS) {
			throw new PollingTimeError(
				`The polling interval is bigger then maximum polling interval. The allowed range is ${range}.`,
			);
		}
	}
	return parsed;
}

/**
 * The sleep for one poll: the interval plus a uniformly random offset of up to ±deviation %, clamped to
 * [min, max] (hawkBit: PollingInterval#getFormattedIntervalWithDeviation). `random` is in [0, 1).
 */
export function intervalWithDeviation(interval: PollingInterval, random: number): number {
	if (interval.deviationPercent <= 0) {
		return interval.ms;
	}
	const maxDeviation = Math.floor((interval.ms * interval.deviationPercent) / 100);
	const deviation = Math.floor(random * (2 * maxDeviation + 1)) - maxDeviation;
	if (deviation === 0) {
		return interval.ms;
	}
	return Math.min(MAX_POLLING_MS, Math.max(MIN_POLLING_MS, interval.ms + deviation));
}

/**
 * Shortens the sleep ahead of a maintenance window (hawkBit: EventTimer#timeToNextEvent): with the window
 * starting at `windowStart` in the future, poll `pollCount` times until then, but never slower than
 * `sleepMs` and never faster than the minimum polling time. Whole seconds, as hawkBit computes them.
 */
export function sleepBeforeMaintenanceWindow(
	sleepMs: number,
	windowStart: number | undefined,
	pollCount: number,
	now: number,
): number {
	if (windowStart === undefined || now > windowStart) {
		return sleepMs;
	}
	const untilStartSeconds = Math.floor((windowStart - now) / 1000);
	const perPollMs = Math.floor(untilStartSeconds / Math.max(1, pollCount)) * 1000;
	if (perPollMs > sleepMs) {
		return sleepMs;
	}
	if (perPollMs < MIN_POLLING_MS) {
		return MIN_POLLING_MS;
	}
	return perPollMs;
}
