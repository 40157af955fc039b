/** Labelled form controls (every input has a visible label; hints are tied with aria-describedby). */
import { h, uid } from "./dom.js";

/**
 * A labelled field around a control.
 * @param {string} label
 * @param {HTMLElement} control
 * @param {string} [hint]
 */
export function field(label, control, hint) {
	const id = control.id || uid("f");
	control.id = id;
	let hintEl = null;
	if (hint) {
		hintEl = h("small", { class: "hint", id: `${id}-hint` }, hint);
		control.setAttribute("aria-describedby", `${id}-hint`);
	}
	return h("div", { class: "field" }, h("label", { for: id }, label), control, hintEl);
}

/** A text input; `opts` are attributes (required, maxlength, placeholder, value, type…). */
export function input(name, opts = {}) {
	return h("input", { name, type: "text", autocomplete: "off", ...opts });
}

export function textarea(name, opts = {}) {
	const { value, ...rest } = opts;
	const el = h("textarea", { name, rows: 3, ...rest });
	el.value = value ?? "";
	return el;
}

/**
 * A select; options as [value, label] pairs.
 * @param {string} name
 * @param {Array<[string, string]>} options
 * @param {string} [value]
 */
export function select(name, options, value, attrs = {}) {
	return h(
		"select",
		{ name, ...attrs },
		options.map(([v, label]) =>
			h("option", { value: v, selected: String(v) === String(value) }, label),
		),
	);
}

export function checkbox(name, label, checked = false, attrs = {}) {
	const box = h("input", { type: "checkbox", name, checked, ...attrs });
	return h("label", { class: "check" }, box, h("span", null, label));
}

/** Trimmed string value of a named control; undefined when empty. */
export function formValue(form, name) {
	const el = form.elements.namedItem(name);
	const v = el && "value" in el ? String(el.value).trim() : "";
	return v === "" ? undefined : v;
}

export function checked(form, name) {
	const el = form.elements.namedItem(name);
	return Boolean(el && "checked" in el && el.checked);
}

/** The browser's current UTC offset as hawkBit's maintenance window wants it (`+02:00`). */
export function localUtcOffset() {
	const minutes = -new Date().getTimezoneOffset();
	const sign = minutes >= 0 ? "+" : "-";
	const abs = Math.abs(minutes);
	return `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** `datetime-local` value → epoch ms (undefined when empty). */
export function localDateTimeToMs(value) {
	if (!value) {
		return undefined;
	}
	const ms = new Date(value).getTime();
	return Number.isNaN(ms) ? undefined : ms;
}
