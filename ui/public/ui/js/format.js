/** How values from the API are shown: times, sizes, and status words as coloured badges. */
import { h } from "./dom.js";

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

/** Epoch ms → local date and time; empty for missing values. */
export function formatTime(ms) {
	return typeof ms === "number" && ms > 0 ? dateTime.format(new Date(ms)) : "";
}

/** Epoch ms → "3 minutes ago" (with the exact time as a tooltip). */
export function timeAgo(ms) {
	if (typeof ms !== "number" || ms <= 0) {
		return h("span", { class: "muted" }, "never");
	}
	const seconds = Math.round((ms - Date.now()) / 1000);
	const abs = Math.abs(seconds);
	const [value, unit] =
		abs < 60
			? [seconds, "second"]
			: abs < 3600
				? [Math.round(seconds / 60), "minute"]
				: abs < 86400
					? [Math.round(seconds / 3600), "hour"]
					: [Math.round(seconds / 86400), "day"];
	return h(
		"time",
		{ datetime: new Date(ms).toISOString(), title: formatTime(ms) },
		relative.format(value, unit),
	);
}

/** Bytes → "1.5 MiB". */
export function formatBytes(n) {
	if (typeof n !== "number") {
		return "";
	}
	const units = ["B", "KiB", "MiB", "GiB", "TiB"];
	let v = n;
	let i = 0;
	while (v >= 1024 && i < units.length - 1) {
		v /= 1024;
		i += 1;
	}
	return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** Integer with thousands separators. */
export function formatCount(n) {
	return typeof n === "number" ? n.toLocaleString() : "–";
}

/**
 * Status words from the API → a tone used for colour (always paired with the word itself, so colour
 * is never the only signal).
 */
const TONES = {
	in_sync: "ok",
	finished: "ok",
	success: "ok",
	ready: "info",
	registered: "info",
	pending: "warn",
	running: "run",
	retrieved: "run",
	download: "run",
	downloaded: "ok",
	starting: "run",
	creating: "info",
	scheduled: "info",
	wait_for_confirmation: "warn",
	waiting_for_approval: "warn",
	paused: "warn",
	canceling: "warn",
	stopping: "warn",
	deleting: "warn",
	error: "bad",
	approval_denied: "bad",
	canceled: "muted",
	cancelled: "muted",
	cancel_rejected: "bad",
	stopped: "muted",
	deleted: "muted",
	warning: "warn",
	unknown: "muted",
	notstarted: "muted",
};

const TONE_NAMES = new Set(["ok", "run", "info", "warn", "bad", "muted"]);

/** The colour tone of a status word; a tone name itself (e.g. "ok") is accepted as is. */
export function tone(status) {
	const s = String(status ?? "").toLowerCase();
	return TONE_NAMES.has(s) ? s : (TONES[s] ?? "muted");
}

/** A status badge: "in_sync" → "in sync" in green. */
export function badge(status, label) {
	const s = String(status ?? "unknown").toLowerCase();
	return h("span", { class: `badge tone-${tone(s)}` }, label ?? s.replaceAll("_", " "));
}

/** A monospace value that selects whole on click (ids, hashes, queries). */
export function code(value) {
	return h("code", { class: "code" }, String(value ?? ""));
}

/** One row of a property list (`<dl class="props">`); nothing for empty values. */
export function prop(label, value) {
	if (value === undefined || value === null || value === "") {
		return null;
	}
	return [h("dt", null, label), h("dd", null, value)];
}
