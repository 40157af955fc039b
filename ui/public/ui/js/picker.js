/**
 * An accessible, searching combobox (WAI-ARIA combobox pattern) for choosing one entity out of many:
 * it asks the API for the first matches of what was typed, never for the whole collection.
 */
import { h, replace, uid } from "./dom.js";

/**
 * @param {{
 *   label: string,
 *   name: string,
 *   search: (text: string, signal: AbortSignal) => Promise<Array<{ value: string, label: string, detail?: string, item?: any }>>,
 *   onPick?: (choice: { value: string, label: string, item?: any } | null) => void,
 *   placeholder?: string,
 *   required?: boolean,
 *   hint?: string,
 * }} opts
 */
export function picker(opts) {
	const id = uid("pick");
	const listId = `${id}-list`;
	const hidden = h("input", { type: "hidden", name: opts.name });
	const input = h("input", {
		id,
		type: "text",
		role: "combobox",
		autocomplete: "off",
		"aria-autocomplete": "list",
		"aria-expanded": "false",
		"aria-controls": listId,
		placeholder: opts.placeholder ?? "Type to search…",
		required: opts.required,
	});
	const list = h("ul", {
		id: listId,
		role: "listbox",
		class: "picker-list",
		hidden: true,
		"aria-label": opts.label,
	});
	let choices = [];
	let active = -1;
	let chosen = null;
	let timer = null;
	let controller = null;

	function close() {
		list.hidden = true;
		input.setAttribute("aria-expanded", "false");
		input.removeAttribute("aria-activedescendant");
		active = -1;
	}

	function highlight(index) {
		active = index;
		for (const [i, li] of [...list.children].entries()) {
			li.setAttribute("aria-selected", String(i === index));
			if (i === index) {
				input.setAttribute("aria-activedescendant", li.id);
				li.scrollIntoView({ block: "nearest" });
			}
		}
	}

	function pick(choice) {
		chosen = choice;
		hidden.value = choice?.value ?? "";
		input.value = choice?.label ?? "";
		input.setCustomValidity("");
		close();
		opts.onPick?.(choice);
	}

	async function search() {
		controller?.abort();
		controller = new AbortController();
		try {
			choices = await opts.search(input.value.trim(), controller.signal);
		} catch (err) {
			if (err?.name === "AbortError") {
				return;
			}
			choices = [];
			replace(
				list,
				h("li", { role: "option", "aria-disabled": "true", class: "muted" }, err.message),
			);
			list.hidden = false;
			return;
		}
		replace(
			list,
			choices.length === 0
				? h("li", { role: "option", "aria-disabled": "true", class: "muted" }, "No matches")
				: choices.map((c, i) =>
						h(
							"li",
							{
								id: `${id}-opt-${i}`,
								role: "option",
								"aria-selected": "false",
								onmousedown: (e) => e.preventDefault(),
								onclick: () => pick(c),
							},
							c.label,
							c.detail ? h("small", { class: "muted" }, ` ${c.detail}`) : null,
						),
					),
		);
		list.hidden = false;
		input.setAttribute("aria-expanded", "true");
		active = -1;
	}

	input.addEventListener("input", () => {
		if (chosen && input.value !== chosen.label) {
			chosen = null;
			hidden.value = "";
			opts.onPick?.(null);
		}
		// Typed text that was not picked from the list is not a choice.
		input.setCustomValidity(
			chosen || (!opts.required && input.value === "") ? "" : "Choose an entry from the list.",
		);
		clearTimeout(timer);
		timer = setTimeout(search, 200);
	});
	input.addEventListener("focus", () => {
		if (!chosen) {
			search();
		}
	});
	input.addEventListener("blur", () => setTimeout(close, 150));
	input.addEventListener("keydown", (e) => {
		if (e.key === "ArrowDown") {
			e.preventDefault();
			if (list.hidden) {
				search();
			} else if (choices.length > 0) {
				highlight(Math.min(active + 1, choices.length - 1));
			}
		} else if (e.key === "ArrowUp") {
			e.preventDefault();
			if (choices.length > 0) {
				highlight(Math.max(active - 1, 0));
			}
		} else if (e.key === "Enter" && !list.hidden && active >= 0) {
			e.preventDefault();
			pick(choices[active]);
		} else if (e.key === "Escape" && !list.hidden) {
			e.preventDefault();
			e.stopPropagation();
			close();
		}
	});
	const hintEl = opts.hint ? h("small", { class: "hint", id: `${id}-hint` }, opts.hint) : null;
	if (hintEl) {
		input.setAttribute("aria-describedby", hintEl.id);
	}
	const el = h(
		"div",
		{ class: "field picker" },
		h("label", { for: id }, opts.label),
		h("div", { class: "picker-box" }, input, list),
		hidden,
		hintEl,
	);
	return {
		el,
		input,
		get value() {
			return chosen;
		},
		set: pick,
	};
}
