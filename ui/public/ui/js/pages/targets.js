/**
 * Targets: server-paged, sortable list with an RSQL filter box. Saved filters are hawkBit target
 * filters (/rest/v1/targetfilters): pick one to apply its query, or save the current query as one.
 */
import { del, get, OVERDUE_QUERY, post, rsqlValue, seg } from "../api.js";
import { assignDialog } from "../assign.js";
import { confirmDialog, formDialog } from "../dialog.js";
import { h, replace } from "../dom.js";
import { badge, code, formatTime, timeAgo } from "../format.js";
import { field, formValue, input, textarea } from "../forms.js";
import { href, navigate } from "../links.js";
import { emptyState, toast } from "../notice.js";
import { picker } from "../picker.js";
import { can } from "../session.js";
import { pagedTable } from "../table.js";

const EXAMPLES = [
	["updatestatus==error", "failed updates"],
	[OVERDUE_QUERY, "overdue"],
	["attribute.hwRevision==2*", "by attribute"],
	["tag==prod;installedds.version=lt=2", "tag and version"],
];

export default async function targets({ query, setQuery }) {
	let q = query.q ?? "";
	let selection = new Set();
	const state = { offset: query.offset, limit: query.limit, sort: query.sort };
	const sync = () =>
		setQuery({
			q,
			offset: state.offset || undefined,
			limit: state.limit === 50 ? undefined : state.limit,
			sort: state.sort,
		});

	const qInput = h("input", {
		id: "targets-q",
		class: "q",
		type: "search",
		value: q,
		placeholder: "RSQL filter, e.g. updatestatus==error;tag==prod",
		"aria-label": "Filter targets (RSQL)",
		"aria-describedby": "targets-q-hint",
		spellcheck: "false",
	});
	const saved = can("READ_TARGET")
		? picker({
				label: "Saved filter",
				name: "savedFilter",
				placeholder: "Saved filters…",
				search: async (text, signal) => {
					const page = await get(
						"/targetfilters",
						{
							q: text ? `name==${rsqlValue(`*${text}*`)}` : undefined,
							limit: 20,
							sort: "name:ASC",
						},
						signal,
					);
					return page.content.map((f) => ({
						value: String(f.id),
						label: f.name,
						detail: f.query,
						item: f,
					}));
				},
				onPick: (choice) => {
					if (choice) {
						qInput.value = choice.item.query;
						apply();
					}
				},
			})
		: null;
	if (saved) {
		saved.el.classList.add("saved-filter");
		saved.el.querySelector("label")?.classList.add("sr-only");
	}
	const saveButton = can("CREATE_TARGET")
		? h("button", { type: "button", class: "btn", onclick: () => saveFilter() }, "Save filter…")
		: null;

	function apply() {
		q = qInput.value.trim();
		table.first();
	}

	const filterForm = h(
		"form",
		{
			class: "filter-bar",
			role: "search",
			onsubmit: (e) => {
				e.preventDefault();
				apply();
			},
		},
		qInput,
		h("button", { type: "submit", class: "btn btn-primary" }, "Filter"),
		h(
			"button",
			{
				type: "button",
				class: "btn",
				onclick: () => {
					qInput.value = "";
					saved?.set(null);
					apply();
				},
			},
			"Clear",
		),
		saved?.el,
		saveButton,
	);
	const hint = h(
		"p",
		{ id: "targets-q-hint", class: "hint" },
		"Examples: ",
		EXAMPLES.map(([example, label], i) => [
			i > 0 ? " · " : "",
			h(
				"button",
				{
					type: "button",
					class: "btn-link code",
					title: label,
					onclick: () => {
						qInput.value = example;
						apply();
					},
				},
				example,
			),
		]),
	);

	const selectionBar = h("div", { class: "selection-bar", hidden: true });
	const canAssign = can("UPDATE_TARGET", "READ_DISTRIBUTION_SET");
	const canDelete = can("DELETE_TARGET");

	function renderSelection() {
		selectionBar.hidden = selection.size === 0;
		replace(
			selectionBar,
			h("strong", null, `${selection.size} selected`),
			canAssign
				? h(
						"button",
						{ type: "button", class: "btn btn-small btn-primary", onclick: () => assignSelected() },
						"Assign distribution set…",
					)
				: null,
			canDelete
				? h(
						"button",
						{ type: "button", class: "btn btn-small btn-danger", onclick: () => deleteSelected() },
						"Delete…",
					)
				: null,
			h(
				"button",
				{ type: "button", class: "btn btn-small", onclick: () => table.clearSelection() },
				"Clear selection",
			),
		);
	}

	const table = pagedTable({
		label: "Targets",
		state,
		onState: (next) => {
			Object.assign(state, next);
			sync();
		},
		selectable: canAssign || canDelete ? (t) => t.controllerId : undefined,
		onSelection: (keys) => {
			selection = keys;
			renderSelection();
		},
		load: async ({ offset, limit, sort, signal }) => {
			sync();
			return get("/targets", { q: q || undefined, offset, limit, sort }, signal);
		},
		columns: [
			{
				label: "Target",
				sort: "controllerId",
				render: (t) =>
					h(
						"div",
						null,
						h(
							"a",
							{ href: href(`/targets/${encodeURIComponent(t.controllerId)}`) },
							t.name ?? t.controllerId,
						),
						t.name && t.name !== t.controllerId
							? h("div", { class: "muted code" }, t.controllerId)
							: null,
					),
			},
			{ label: "Update status", sort: "updateStatus", render: (t) => badge(t.updateStatus) },
			{
				label: "Last poll",
				sort: "lastControllerRequestAt",
				render: (t) => [
					timeAgo(t.pollStatus?.lastRequestAt ?? t.lastControllerRequestAt),
					t.pollStatus?.overdue ? [" ", badge("error", "overdue")] : null,
				],
			},
			{ label: "Type", render: (t) => t.targetTypeName ?? "" },
			{ label: "Group", render: (t) => t.group ?? "" },
			{ label: "Address", render: (t) => t.ipAddress ?? "" },
			{ label: "Created", sort: "createdAt", render: (t) => formatTime(t.createdAt) },
		],
		empty: () =>
			q
				? emptyState("No target matches this filter", "Change or clear the filter.")
				: emptyState(
						"No targets yet",
						"Devices register themselves on their first poll of /{tenant}/controller/v1/{controllerId}, or create one here.",
						can("CREATE_TARGET")
							? h(
									"button",
									{ type: "button", class: "btn btn-primary", onclick: () => createTarget() },
									"New target",
								)
							: null,
					),
	});

	async function createTarget() {
		const created = await formDialog({
			title: "New target",
			submitLabel: "Create",
			fields: [
				field(
					"Controller ID",
					input("controllerId", { required: true, maxlength: 256 }),
					"The device's unique id, as used in the device API path.",
				),
				field("Name", input("name", { maxlength: 128 }), "Defaults to the controller ID."),
				field("Description", textarea("description", { maxlength: 512 })),
				field(
					"Security token",
					input("securityToken", { maxlength: 128 }),
					"Leave empty to generate one.",
				),
			],
			onSubmit: async (form) => {
				const [t] = await post("/targets", [
					{
						controllerId: formValue(form, "controllerId"),
						name: formValue(form, "name"),
						description: formValue(form, "description"),
						securityToken: formValue(form, "securityToken"),
					},
				]);
				return t;
			},
		});
		if (created) {
			toast(`Target ${created.controllerId} created.`);
			navigate(`/targets/${encodeURIComponent(created.controllerId)}`);
		}
	}

	async function saveFilter() {
		const current = qInput.value.trim();
		const created = await formDialog({
			title: "Save filter",
			submitLabel: "Save",
			fields: [
				field("Name", input("name", { required: true, maxlength: 128 })),
				field(
					"Query",
					textarea("query", { value: current, required: true, maxlength: 1024, class: "code" }),
				),
			],
			onSubmit: (form) =>
				post("/targetfilters", { name: formValue(form, "name"), query: formValue(form, "query") }),
		});
		if (created) {
			toast(`Filter "${created.name}" saved.`);
			saved?.set({ value: String(created.id), label: created.name, item: created });
		}
	}

	async function assignSelected() {
		const res = await assignDialog([...selection]);
		if (res) {
			table.clearSelection();
			table.reload();
		}
	}

	async function deleteSelected() {
		const ids = [...selection];
		const ok = await confirmDialog({
			title: `Delete ${ids.length} target${ids.length === 1 ? "" : "s"}?`,
			message: [
				h(
					"p",
					null,
					"The targets and their action history are deleted. Devices that poll again re-register as new targets.",
				),
				h("p", { class: "code" }, ids.slice(0, 10).join(", "), ids.length > 10 ? " …" : ""),
			],
		});
		if (!ok) {
			return;
		}
		for (const id of ids) {
			await del(`/targets/${seg(id)}`);
		}
		toast(`${ids.length} target${ids.length === 1 ? "" : "s"} deleted.`);
		table.clearSelection();
		table.reload();
	}

	return h(
		"div",
		null,
		h(
			"div",
			{ class: "page-head" },
			h("h1", null, "Targets"),
			h(
				"div",
				{ class: "actions" },
				can("CREATE_TARGET")
					? h(
							"button",
							{ type: "button", class: "btn btn-primary", onclick: () => createTarget() },
							"New target",
						)
					: null,
			),
		),
		filterForm,
		hint,
		selectionBar,
		table.el,
		h(
			"p",
			{ class: "hint" },
			"Filter syntax: ",
			code("field==value"),
			", ",
			code(";"),
			" = and, ",
			code(","),
			" = or, ",
			code("*"),
			" = wildcard. Fields: controllerid, name, updatestatus, attribute.<key>, metadata.<key>, tag, type, group, assignedds.name/version, installedds.name/version, lastcontrollerrequestat.",
		),
	);
}
