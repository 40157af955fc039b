/**
 * A hyperscript helper instead of a framework: pages build real DOM nodes, so no build step, no
 * innerHTML (API strings are always text, never markup) and nothing to keep in sync with a library.
 */

/**
 * Creates an element. `props`: `class`, `style` (object, applied through CSSOM so the CSP needs no
 * 'unsafe-inline'), `on<event>` handlers, `dataset`, booleans (`disabled`, `hidden`…) and attributes.
 * Children may be nodes, strings, numbers, arrays or null/false (skipped).
 * @param {string} tag
 * @param {Record<string, unknown> | null} [props]
 * @param {...unknown} children
 * @returns {HTMLElement}
 */
export function h(tag, props, ...children) {
	const el = tag.startsWith("svg:")
		? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4))
		: document.createElement(tag);
	for (const [key, value] of Object.entries(props ?? {})) {
		if (value === undefined || value === null || value === false) {
			continue;
		}
		if (key === "style" && typeof value === "object") {
			Object.assign(el.style, value);
		} else if (key === "dataset" && typeof value === "object") {
			Object.assign(el.dataset, value);
		} else if (key.startsWith("on") && typeof value === "function") {
			el.addEventListener(key.slice(2).toLowerCase(), value);
		} else if (key === "value" && "value" in el) {
			el.value = String(value);
		} else if (key === "checked" || key === "selected") {
			el[key] = Boolean(value);
		} else {
			el.setAttribute(key === "className" ? "class" : key, value === true ? "" : String(value));
		}
	}
	append(el, children);
	return el;
}

/** SVG element shorthand: `s("rect", {...})`. */
export function s(tag, props, ...children) {
	return h(`svg:${tag}`, props, ...children);
}

/** Appends children (flattening arrays, skipping null/false). */
export function append(parent, children) {
	for (const child of [children].flat(Number.POSITIVE_INFINITY)) {
		if (child === null || child === undefined || child === false || child === true) {
			continue;
		}
		parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
	}
	return parent;
}

/** Replaces all children of `parent`. */
export function replace(parent, ...children) {
	parent.replaceChildren();
	return append(parent, children);
}

let idCounter = 0;
/** A unique element id for label/aria wiring. */
export function uid(prefix = "id") {
	idCounter += 1;
	return `${prefix}-${idCounter}`;
}
