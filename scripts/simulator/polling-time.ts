/**
 * `config.polling.sleep` of a DDI poll: hawkBit sends `HH:mm:ss` (zero-padded, what hawkBit's own
 * device simulator parses with LocalTime) and an ISO-8601 duration from 24 h on (`PT24H`, `P1DT2H`).
 */

/** Milliseconds, or undefined when the value is neither form. */
export function parsePollingSleep(value: unknown): number | undefined {
	if (typeof value !== "string") {
		return undefined;
	}
	const hms = /^(\d{1,2}):(\d{2}):(\d{2})$/.exec(value.trim());
	if (hms) {
		return ((Number(hms[1]) * 60 + Number(hms[2])) * 60 + Number(hms[3])) * 1000;
	}
	const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(value.trim());
	if (iso && value.trim().length > 1 && !/T$/i.test(value.trim())) {
		const [, d, h, m, s] = iso;
		return Math.round(
			(((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(m ?? 0)) * 60 + Number(s ?? 0)) * 1000,
		);
	}
	return undefined;
}
