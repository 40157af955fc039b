/** Feedback: API errors in place (role=alert) and short-lived confirmations in a live region. */
import { h, replace } from "./dom.js";

/** An inline error box showing the API's own message; empty node when `err` is falsy. */
export function errorBox(err) {
	if (!err) {
		return h("div", { class: "error-slot" });
	}
	const code = err.code ? h("span", { class: "error-code" }, err.code) : null;
	return h(
		"div",
		{ class: "error-slot" },
		h(
			"div",
			{ class: "alert alert-error", role: "alert" },
			h("span", null, err.message ?? String(err)),
			code,
		),
	);
}

/** Shows `err` in `slot` (an element returned by errorBox), or clears it. */
export function showError(slot, err) {
	replace(slot, err ? errorBox(err).firstChild : null);
}

/** A short success message at the bottom of the screen, announced to screen readers. */
export function toast(message) {
	const region = document.getElementById("toasts");
	if (!region) {
		return;
	}
	const item = h("div", { class: "toast" }, message);
	region.append(item);
	setTimeout(() => item.remove(), 4000);
}

/** Placeholder for a list with nothing in it, with an optional call to action. */
export function emptyState(title, text, action) {
	return h(
		"div",
		{ class: "empty" },
		h("p", { class: "empty-title" }, title),
		text ? h("p", null, text) : null,
		action ?? null,
	);
}

/** A loading indicator for a region that is being fetched. */
export function loading(label = "Loading…") {
	return h(
		"div",
		{ class: "loading", role: "status" },
		h("span", { class: "spinner", "aria-hidden": "true" }),
		label,
	);
}
