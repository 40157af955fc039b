/**
 * Distribution sets: server-paged list with search, and composing a new set from software modules
 * (type, modules, description, migration step) in one dialog.
 */
import { get, post, rsqlValue } from "../api.js";
import { formDialog } from "../dialog.js";
import { h, replace } from "../dom.js";
import { badge, formatTime } from "../format.js";
import { checkbox, checked, field, formValue, input, select, textarea } from "../forms.js";
import { href, navigate } from "../links.js";
import { emptyState, errorBox, showError, toast } from "../notice.js";
import { picker } from "../picker.js";
import { can } from "../session.js";
import { pagedTable } from "../table.js";

/** Searches software modules by name or name:version for a picker. */
export async function searchModules(text, signal) {
	const [name, version] = text.split(":");
	const q = [
		name ? `name==${rsqlValue(`*${name}*`)}` : "",
		version ? `version==${rsqlValue(`${version}*`)}` : "",
	]
		.filter(Boolean)
		.join(";");
	const page = await get(
		"/softwaremodules",
		{ q: q || undefined, limit: 20, sort: "id:DESC" },
		signal,
	);
	return page.content.map((m) => ({
		value: String(m.id),
		label: `${m.name}:${m.version}`,
		detail: m.typeName ?? m.type,
		item: m,
	}));
}

/** State badges of a distribution set: complete, valid, locked, deleted. */
export function dsBadges(ds) {
	return [
		ds.complete === false ? badge("pending", "incomplete") : badge("ok", "complete"),
		ds.valid === false ? [" ", badge("error", "invalidated")] : null,
		ds.locked ? [" ", badge("info", "locked")] : null,
		ds.deleted ? [" ", badge("deleted")] : null,
	];
}

async function composeDialog() {
	const typesPage = await get("/distributionsettypes", { limit: 100, sort: "name:ASC" });
	const types = typesPage.content.filter((t) => !t.deleted);
	const chosen = new Map();
	const list = h("ul", { class: "uploads", "aria-label": "Chosen modules" });
	const renderChosen = () =>
		replace(
			list,
			chosen.size === 0
				? h("li", { class: "muted" }, "No modules yet.")
				: [...chosen.values()].map((m) =>
						h(
							"li",
							null,
							h(
								"span",
								null,
								h("strong", null, `${m.name}:${m.version}`),
								` · ${m.typeName ?? m.type}`,
							),
							h(
								"button",
								{
									type: "button",
									class: "btn btn-small",
									"aria-label": `Remove ${m.name}:${m.version}`,
									onclick: () => {
										chosen.delete(m.id);
										renderChosen();
									},
								},
								"Remove",
							),
						),
					),
		);
	const modulePicker = picker({
		label: "Add software module",
		name: "module",
		placeholder: "Search by name or name:version",
		search: searchModules,
		onPick: (choice) => {
			if (choice) {
				chosen.set(choice.item.id, choice.item);
				renderChosen();
				setTimeout(() => modulePicker.set(null));
			}
		},
	});
	renderChosen();
	return formDialog({
		title: "New distribution set",
		submitLabel: "Create",
		wide: true,
		fields: [
			h(
				"div",
				{ class: "row" },
				field("Name", input("name", { required: true, maxlength: 128 })),
				field("Version", input("version", { required: true, maxlength: 64 })),
			),
			field(
				"Type",
				select(
					"type",
					types.map((t) => [t.key, `${t.name} (${t.key})`]),
					types.find((t) => t.key === "os_app")?.key ?? types[0]?.key,
				),
				"The type says which module types are mandatory and which are optional.",
			),
			field("Description", textarea("description", { maxlength: 512 })),
			h("fieldset", null, h("legend", null, "Software modules"), modulePicker.el, list),
			checkbox(
				"requiredMigrationStep",
				"Required migration step (a later assignment does not cancel it)",
			),
		],
		onSubmit: async (form) => {
			const [created] = await post("/distributionsets", [
				{
					name: formValue(form, "name"),
					version: formValue(form, "version"),
					type: formValue(form, "type"),
					description: formValue(form, "description"),
					requiredMigrationStep: checked(form, "requiredMigrationStep"),
					modules: [...chosen.keys()].map((id) => ({ id })),
				},
			]);
			return created;
		},
	});
}

export default async function distributionSets({ query, setQuery }) {
	let search = query.search ?? "";
	const state = { offset: query.offset, limit: query.limit, sort: query.sort };
	const pageError = errorBox(null);
	const searchInput = h("input", {
		type: "search",
		class: "q",
		value: search,
		placeholder: "Name or name:version",
		"aria-label": "Search distribution sets",
	});

	const table = pagedTable({
		label: "Distribution sets",
		state,
		onState: (next) => Object.assign(state, next),
		load: ({ offset, limit, sort, signal }) => {
			setQuery({ search, offset: offset || undefined, sort });
			const [name, version] = search.split(":");
			const q = [
				name ? `name==${rsqlValue(`*${name}*`)}` : "",
				version ? `version==${rsqlValue(`${version}*`)}` : "",
			]
				.filter(Boolean)
				.join(";");
			return get(
				"/distributionsets",
				{ q: q || undefined, offset, limit, sort: sort ?? "id:DESC" },
				signal,
			);
		},
		columns: [
			{
				label: "Name",
				sort: "name",
				render: (ds) => h("a", { href: href(`/distributionsets/${ds.id}`) }, ds.name),
			},
			{ label: "Version", sort: "version", render: (ds) => ds.version },
			{ label: "Type", render: (ds) => ds.typeName ?? ds.type },
			{
				label: "Modules",
				render: (ds) => (ds.modules ?? []).map((m) => `${m.name}:${m.version}`).join(", "),
			},
			{ label: "State", render: (ds) => dsBadges(ds) },
			{ label: "Created", sort: "createdAt", render: (ds) => formatTime(ds.createdAt) },
		],
		empty: () =>
			search
				? emptyState("No distribution set matches", "Change or clear the search.")
				: emptyState(
						"No distribution sets yet",
						"A distribution set bundles the software modules a device installs together.",
						can("CREATE_DISTRIBUTION_SET")
							? h(
									"button",
									{ type: "button", class: "btn btn-primary", onclick: () => create() },
									"New distribution set",
								)
							: null,
					),
	});

	async function create() {
		try {
			const created = await composeDialog();
			if (created) {
				toast(`Distribution set ${created.name}:${created.version} created.`);
				navigate(`/distributionsets/${created.id}`);
			}
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
			h("h1", null, "Distribution sets"),
			h(
				"div",
				{ class: "actions" },
				can("CREATE_DISTRIBUTION_SET")
					? h(
							"button",
							{ type: "button", class: "btn btn-primary", onclick: () => create() },
							"New distribution set",
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
