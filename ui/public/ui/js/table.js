/**
 * A server-paged, server-sorted table: it only ever asks the API for one page (offset/limit/sort), so
 * it stays fast with 100,000 rows. Sortable headers are buttons with aria-sort; the page state is
 * reported through `onState` so pages can keep it in the URL.
 */
import { h, replace } from "./dom.js";
import { formatCount } from "./format.js";
import { errorBox, showError } from "./notice.js";

const PAGE_SIZES = [25, 50, 100, 200];

/**
 * @param {{
 *   label: string,
 *   columns: Array<{ label: string, sort?: string, render: (row: any) => unknown, className?: string }>,
 *   load: (page: { offset: number, limit: number, sort?: string, signal: AbortSignal }) => Promise<{ content: any[], total: number }>,
 *   state?: { offset?: number, limit?: number, sort?: string },
 *   onState?: (state: { offset: number, limit: number, sort?: string }) => void,
 *   empty: () => Node,
 *   selectable?: (row: any) => string,
 *   onSelection?: (keys: Set<string>, rows: Map<string, any>) => void,
 * }} opts
 */
export function pagedTable(opts) {
	const state = {
		offset: Math.max(0, Number(opts.state?.offset) || 0),
		limit: PAGE_SIZES.includes(Number(opts.state?.limit)) ? Number(opts.state?.limit) : 50,
		sort: opts.state?.sort || undefined,
	};
	const selected = new Map();
	let controller = null;
	let total = 0;

	const slot = errorBox(null);
	const tbody = h("tbody");
	const headRow = h("tr");
	const table = h(
		"table",
		{ class: "table", "aria-label": opts.label },
		h("thead", null, headRow),
		tbody,
	);
	const status = h("span", { class: "pager-status", "aria-live": "polite" });
	const prev = h(
		"button",
		{ type: "button", class: "btn btn-small", onclick: () => go(state.offset - state.limit) },
		"‹ Previous",
	);
	const next = h(
		"button",
		{ type: "button", class: "btn btn-small", onclick: () => go(state.offset + state.limit) },
		"Next ›",
	);
	const size = h(
		"select",
		{
			"aria-label": "Rows per page",
			onchange: () => {
				state.limit = Number(size.value);
				go(0);
			},
		},
		PAGE_SIZES.map((n) => h("option", { value: n, selected: n === state.limit }, `${n} per page`)),
	);
	const emptySlot = h("div");
	const pager = h(
		"div",
		{ class: "pager" },
		status,
		h("span", { class: "pager-buttons" }, size, prev, next),
	);
	const wrap = h("div", { class: "table-wrap" }, table);
	const el = h("div", { class: "paged" }, slot, wrap, emptySlot, pager);

	function sortOf(field) {
		const [f, dir] = (state.sort ?? "").split(":");
		return f?.toLowerCase() === field.toLowerCase() ? (dir ?? "ASC").toUpperCase() : undefined;
	}

	function renderHead() {
		const cells = [];
		if (opts.selectable) {
			const all = h("input", {
				type: "checkbox",
				"aria-label": "Select all rows on this page",
				onchange: () => {
					for (const box of tbody.querySelectorAll("input[type=checkbox]")) {
						if (box.checked !== all.checked) {
							box.click();
						}
					}
				},
			});
			cells.push(h("th", { class: "col-select" }, all));
		}
		for (const col of opts.columns) {
			if (!col.sort) {
				cells.push(h("th", { scope: "col", class: col.className }, col.label));
				continue;
			}
			const dir = sortOf(col.sort);
			cells.push(
				h(
					"th",
					{
						scope: "col",
						class: col.className,
						"aria-sort": dir === "ASC" ? "ascending" : dir === "DESC" ? "descending" : "none",
					},
					h(
						"button",
						{
							type: "button",
							class: "sort",
							onclick: () => {
								state.sort = `${col.sort}:${dir === "ASC" ? "DESC" : "ASC"}`;
								go(0);
							},
						},
						col.label,
						h(
							"span",
							{ class: "sort-mark", "aria-hidden": "true" },
							dir === "ASC" ? "▲" : dir === "DESC" ? "▼" : "↕",
						),
					),
				),
			);
		}
		replace(headRow, cells);
	}

	function renderRows(rows) {
		replace(
			tbody,
			rows.map((row) => {
				const cells = [];
				if (opts.selectable) {
					const key = opts.selectable(row);
					cells.push(
						h(
							"td",
							{ class: "col-select" },
							h("input", {
								type: "checkbox",
								"aria-label": `Select ${key}`,
								checked: selected.has(key),
								onchange: (e) => {
									if (e.target.checked) {
										selected.set(key, row);
									} else {
										selected.delete(key);
									}
									opts.onSelection?.(new Set(selected.keys()), selected);
								},
							}),
						),
					);
				}
				for (const col of opts.columns) {
					cells.push(h("td", { class: col.className, "data-label": col.label }, col.render(row)));
				}
				return h("tr", null, cells);
			}),
		);
	}

	async function load() {
		controller?.abort();
		controller = new AbortController();
		const signal = controller.signal;
		el.setAttribute("aria-busy", "true");
		renderHead();
		try {
			const page = await opts.load({
				offset: state.offset,
				limit: state.limit,
				sort: state.sort,
				signal,
			});
			if (signal.aborted) {
				return;
			}
			total = page?.total ?? 0;
			const rows = page?.content ?? [];
			if (rows.length === 0 && state.offset > 0 && total > 0) {
				go(Math.max(0, Math.floor((total - 1) / state.limit) * state.limit));
				return;
			}
			showError(slot, null);
			renderRows(rows);
			replace(emptySlot, rows.length === 0 ? opts.empty() : null);
			wrap.hidden = rows.length === 0;
			pager.hidden = total === 0;
			status.textContent =
				total === 0
					? "No entries"
					: `${formatCount(state.offset + 1)}–${formatCount(state.offset + rows.length)} of ${formatCount(total)}`;
			prev.disabled = state.offset === 0;
			next.disabled = state.offset + rows.length >= total;
		} catch (err) {
			if (err?.name === "AbortError") {
				return;
			}
			showError(slot, err);
			renderRows([]);
			status.textContent = "";
		} finally {
			if (!signal.aborted) {
				el.removeAttribute("aria-busy");
			}
		}
	}

	function go(offset) {
		state.offset = Math.max(0, offset);
		opts.onState?.({ ...state });
		return load();
	}

	load();
	return {
		el,
		/** Reloads the current page (after a change). */
		reload: load,
		/** Back to the first page (after the filter changed). */
		first: () => go(0),
		clearSelection() {
			selected.clear();
			opts.onSelection?.(new Set(), selected);
			for (const box of el.querySelectorAll("input[type=checkbox]")) {
				box.checked = false;
			}
		},
		get total() {
			return total;
		},
	};
}
