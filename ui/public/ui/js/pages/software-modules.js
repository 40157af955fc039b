/** Software modules: server-paged list with a name/version search; create and delete. */
import { del, get, post, rsqlValue, seg } from "../api.js";
import { confirmDialog, formDialog } from "../dialog.js";
import { h } from "../dom.js";
import { badge, formatTime } from "../format.js";
import { checkbox, checked, field, formValue, input, select, textarea } from "../forms.js";
import { href, navigate } from "../links.js";
import { emptyState, errorBox, showError, toast } from "../notice.js";
import { can } from "../session.js";
import { pagedTable } from "../table.js";

/** Software module types for a select (there are few; one page of 100 is plenty). */
export async function moduleTypes() {
	const page = await get("/softwaremoduletypes", { limit: 100, sort: "name:ASC" });
	return page.content.filter((t) => !t.deleted);
}

/** Opens the "new software module" dialog; resolves to the created module or null. */
export async function createModuleDialog() {
	const types = await moduleTypes();
	return formDialog({
		title: "New software module",
		submitLabel: "Create",
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
					types[0]?.key,
					{ required: true },
				),
			),
			field("Vendor", input("vendor", { maxlength: 256 })),
			field("Description", textarea("description", { maxlength: 512 })),
			checkbox("encrypted", "Encrypted artifacts"),
		],
		onSubmit: async (form) => {
			const [created] = await post("/softwaremodules", [
				{
					name: formValue(form, "name"),
					version: formValue(form, "version"),
					type: formValue(form, "type"),
					vendor: formValue(form, "vendor"),
					description: formValue(form, "description"),
					encrypted: checked(form, "encrypted") || undefined,
				},
			]);
			return created;
		},
	});
}

export default async function softwareModules({ query, setQuery }) {
	let search = query.search ?? "";
	const state = { offset: query.offset, limit: query.limit, sort: query.sort };
	const pageError = errorBox(null);
	const sync = () => setQuery({ search, offset: state.offset || undefined, sort: state.sort });

	const searchInput = h("input", {
		type: "search",
		class: "q",
		value: search,
		placeholder: "Name or name:version",
		"aria-label": "Search software modules",
	});
	const table = pagedTable({
		label: "Software modules",
		state,
		onState: (next) => Object.assign(state, next),
		load: ({ offset, limit, sort, signal }) => {
			sync();
			const [name, version] = search.split(":");
			const q = [
				name ? `name==${rsqlValue(`*${name}*`)}` : "",
				version ? `version==${rsqlValue(`${version}*`)}` : "",
			]
				.filter(Boolean)
				.join(";");
			return get(
				"/softwaremodules",
				{ q: q || undefined, offset, limit, sort: sort ?? "id:DESC" },
				signal,
			);
		},
		columns: [
			{
				label: "Name",
				sort: "name",
				render: (m) => h("a", { href: href(`/softwaremodules/${m.id}`) }, m.name),
			},
			{ label: "Version", sort: "version", render: (m) => m.version },
			{ label: "Type", render: (m) => m.typeName ?? m.type },
			{ label: "Vendor", render: (m) => m.vendor ?? "" },
			{
				label: "State",
				render: (m) => [
					m.complete === false ? badge("pending", "no artifacts") : null,
					m.locked ? badge("info", "locked") : null,
					m.encrypted ? badge("info", "encrypted") : null,
				],
			},
			{ label: "Created", sort: "createdAt", render: (m) => formatTime(m.createdAt) },
			{
				label: "",
				render: (m) =>
					can("DELETE_SOFTWARE_MODULE")
						? h(
								"button",
								{
									type: "button",
									class: "btn btn-small btn-ghost-danger",
									"aria-label": `Delete ${m.name}:${m.version}`,
									onclick: () => remove(m),
								},
								"Delete",
							)
						: null,
			},
		],
		empty: () =>
			search
				? emptyState("No software module matches", "Change or clear the search.")
				: emptyState(
						"No software modules yet",
						"A software module holds the artifacts (files) of one piece of software in one version.",
						can("CREATE_SOFTWARE_MODULE")
							? h(
									"button",
									{ type: "button", class: "btn btn-primary", onclick: () => create() },
									"New software module",
								)
							: null,
					),
	});

	async function create() {
		try {
			const created = await createModuleDialog();
			if (created) {
				toast(`Software module ${created.name}:${created.version} created.`);
				navigate(`/softwaremodules/${created.id}`);
			}
		} catch (err) {
			showError(pageError, err);
		}
	}

	async function remove(m) {
		if (
			!(await confirmDialog({
				title: `Delete ${m.name}:${m.version}?`,
				message:
					"The module and its artifacts are deleted. A module that is part of a distribution set is kept as deleted for the history.",
			}))
		) {
			return;
		}
		try {
			await del(`/softwaremodules/${seg(m.id)}`);
			toast(`${m.name}:${m.version} deleted.`);
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
			h("h1", null, "Software modules"),
			h(
				"div",
				{ class: "actions" },
				can("CREATE_SOFTWARE_MODULE")
					? h(
							"button",
							{ type: "button", class: "btn btn-primary", onclick: () => create() },
							"New software module",
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
