/**
 * Target filters: saved RSQL queries over targets (also offered as saved filters on the Targets page),
 * with a live count of matching targets, and auto-assignment of a distribution set to every match.
 */
import { count, del, get, post, put, rsqlValue, seg } from "../api.js";
import { searchDistributionSets } from "../assign.js";
import { confirmDialog, formDialog } from "../dialog.js";
import { h } from "../dom.js";
import { badge, code, formatCount, formatTime } from "../format.js";
import { field, formValue, input, select, textarea } from "../forms.js";
import { href } from "../links.js";
import { emptyState, errorBox, showError, toast } from "../notice.js";
import { picker } from "../picker.js";
import { can } from "../session.js";
import { pagedTable } from "../table.js";

/** A query box that shows how many targets match, as the operator types. */
export function queryWithCount(name, value, label = "Query (RSQL over targets)") {
	const box = textarea(name, {
		value,
		required: true,
		maxlength: 1024,
		class: "code",
		spellcheck: "false",
	});
	const out = h("small", { class: "hint", "aria-live": "polite" });
	let timer = null;
	let controller = null;
	const refresh = () => {
		clearTimeout(timer);
		timer = setTimeout(async () => {
			controller?.abort();
			controller = new AbortController();
			const q = box.value.trim();
			if (!q) {
				out.textContent = "";
				return;
			}
			try {
				const n = await count("/targets", q, controller.signal);
				out.textContent = `Matches ${formatCount(n)} target${n === 1 ? "" : "s"} now.`;
			} catch (err) {
				if (err?.name !== "AbortError") {
					out.textContent = err.message;
				}
			}
		}, 300);
	};
	box.addEventListener("input", refresh);
	refresh();
	const el = field(label, box);
	el.append(out);
	return el;
}

export default async function targetFilters({ query, setQuery }) {
	let search = query.search ?? "";
	const state = { offset: query.offset, limit: query.limit, sort: query.sort };
	const pageError = errorBox(null);
	const dsNames = new Map();
	const searchInput = h("input", {
		type: "search",
		class: "q",
		value: search,
		placeholder: "Filter name",
		"aria-label": "Search target filters",
	});

	/** The auto-assign DS of a filter, by id, fetched once per id for the table. */
	function dsLabel(id) {
		const cell = h("span", null, `#${id}`);
		const known = dsNames.get(id);
		if (known) {
			cell.textContent = known;
		} else if (can("READ_DISTRIBUTION_SET")) {
			get(`/distributionsets/${seg(id)}`)
				.then((ds) => {
					dsNames.set(id, `${ds.name}:${ds.version}`);
					cell.textContent = `${ds.name}:${ds.version}`;
				})
				.catch(() => {});
		}
		return h("a", { href: href(`/distributionsets/${id}`) }, cell);
	}

	const table = pagedTable({
		label: "Target filters",
		state,
		onState: (next) => Object.assign(state, next),
		load: ({ offset, limit, sort, signal }) => {
			setQuery({ search, offset: offset || undefined, sort });
			return get(
				"/targetfilters",
				{
					q: search ? `name==${rsqlValue(`*${search}*`)}` : undefined,
					offset,
					limit,
					sort: sort ?? "name:ASC",
				},
				signal,
			);
		},
		columns: [
			{ label: "Name", sort: "name", render: (f) => h("strong", null, f.name) },
			{
				label: "Query",
				render: (f) =>
					h(
						"a",
						{ href: href("/targets", { q: f.query }), title: "Show matching targets" },
						code(f.query),
					),
			},
			{
				label: "Auto-assignment",
				render: (f) =>
					f.autoAssignDistributionSet
						? [
								dsLabel(f.autoAssignDistributionSet),
								" ",
								badge("running", f.autoAssignActionType ?? "forced"),
							]
						: h("span", { class: "muted" }, "off"),
			},
			{ label: "Modified", sort: "lastModifiedAt", render: (f) => formatTime(f.lastModifiedAt) },
			{
				label: "",
				render: (f) =>
					h(
						"span",
						{ class: "row" },
						can("UPDATE_TARGET")
							? h(
									"button",
									{
										type: "button",
										class: "btn btn-small",
										onclick: () => edit(f),
										"aria-label": `Edit ${f.name}`,
									},
									"Edit",
								)
							: null,
						can("UPDATE_TARGET", "READ_DISTRIBUTION_SET")
							? h(
									"button",
									{
										type: "button",
										class: "btn btn-small",
										onclick: () => autoAssign(f),
										"aria-label": `Auto-assignment of ${f.name}`,
									},
									"Auto-assign…",
								)
							: null,
						can("DELETE_TARGET")
							? h(
									"button",
									{
										type: "button",
										class: "btn btn-small btn-ghost-danger",
										onclick: () => remove(f),
										"aria-label": `Delete ${f.name}`,
									},
									"Delete",
								)
							: null,
					),
			},
		],
		empty: () =>
			search
				? emptyState("No filter matches", "Change or clear the search.")
				: emptyState(
						"No target filters yet",
						"Save a query here or from the Targets page; give it a distribution set to assign it to every matching target automatically.",
						can("CREATE_TARGET")
							? h(
									"button",
									{ type: "button", class: "btn btn-primary", onclick: () => edit(null) },
									"New filter",
								)
							: null,
					),
	});

	async function edit(f) {
		const saved = await formDialog({
			title: f ? `Edit ${f.name}` : "New target filter",
			wide: true,
			fields: [
				field("Name", input("name", { required: true, maxlength: 128, value: f?.name })),
				queryWithCount("query", f?.query ?? ""),
			],
			onSubmit: (form) => {
				const body = { name: formValue(form, "name"), query: formValue(form, "query") };
				return f ? put(`/targetfilters/${seg(f.id)}`, body) : post("/targetfilters", body);
			},
		});
		if (saved) {
			toast(`Filter "${saved.name}" saved.`);
			table.reload();
		}
	}

	async function autoAssign(f) {
		const ds = picker({
			label: "Distribution set",
			name: "ds",
			placeholder: "Search by name or name:version",
			search: (text, signal) => searchDistributionSets(text, signal, "valid==true"),
		});
		if (f.autoAssignDistributionSet) {
			ds.set({
				value: String(f.autoAssignDistributionSet),
				label: dsNames.get(f.autoAssignDistributionSet) ?? `#${f.autoAssignDistributionSet}`,
			});
		}
		const result = await formDialog({
			title: `Auto-assignment: ${f.name}`,
			submitLabel: "Save",
			wide: true,
			fields: [
				h(
					"p",
					{ class: "hint" },
					"Every target matching ",
					code(f.query),
					" that never had an action for this distribution set gets it assigned, including targets that register later.",
				),
				ds.el,
				h(
					"div",
					{ class: "row" },
					field(
						"Action type",
						select(
							"type",
							[
								["forced", "Forced"],
								["soft", "Soft"],
								["downloadonly", "Download only"],
							],
							f.autoAssignActionType ?? "forced",
						),
					),
					field(
						"Weight",
						input("weight", {
							type: "number",
							min: 0,
							max: 1000,
							value: f.autoAssignWeight ?? "",
							placeholder: "1000",
						}),
					),
				),
				f.autoAssignDistributionSet
					? h(
							"button",
							{
								type: "button",
								class: "btn btn-ghost-danger",
								onclick: async (e) => {
									const dialog = e.target.closest("dialog");
									try {
										await del(`/targetfilters/${seg(f.id)}/autoAssignDS`);
										toast("Auto-assignment turned off.");
										dialog?.close("cancel");
										table.reload();
									} catch (err) {
										showError(pageError, err);
										dialog?.close("cancel");
									}
								},
							},
							"Turn auto-assignment off",
						)
					: null,
			],
			onSubmit: (form) => {
				if (!ds.value) {
					throw new Error("Choose a distribution set from the list.");
				}
				const weight = formValue(form, "weight");
				return post(`/targetfilters/${seg(f.id)}/autoAssignDS`, {
					id: Number(ds.value.value),
					type: formValue(form, "type"),
					weight: weight === undefined ? undefined : Number(weight),
				});
			},
		});
		if (result) {
			toast(`Auto-assignment of "${f.name}" saved.`);
			table.reload();
		}
	}

	async function remove(f) {
		if (
			!(await confirmDialog({
				title: `Delete filter "${f.name}"?`,
				message:
					"The saved query and its auto-assignment are removed. Targets keep what was already assigned.",
			}))
		) {
			return;
		}
		try {
			await del(`/targetfilters/${seg(f.id)}`);
			toast(`Filter "${f.name}" deleted.`);
			table.reload();
		} catch (err) {
			showError(pageError, err);
		}
	}

	return h(
		"div",
		null,
		h(
			"div",
			{ class: "page-head" },
			h("h1", null, "Target filters"),
			h(
				"div",
				{ class: "actions" },
				can("CREATE_TARGET")
					? h(
							"button",
							{ type: "button", class: "btn btn-primary", onclick: () => edit(null) },
							"New filter",
						)
					: null,
			),
		),
		h(
			"form",
			{
				class: "filter-bar",
				role: "search",
				onsubmit: (e) => {
					e.preventDefault();
					search = searchInput.value.trim();
					table.first();
				},
			},
			searchInput,
			h("button", { type: "submit", class: "btn btn-primary" }, "Search"),
		),
		pageError,
		table.el,
	);
}
