/**
 * One distribution set: properties, modules (add/remove while unlocked), tags, metadata, deployment
 * statistics and where it is assigned/installed; lock, invalidate and delete with confirmation.
 */
import { del, get, post, put, rsqlValue, seg } from "../api.js";
import { stackedBar } from "../charts.js";
import { confirmDialog, formDialog } from "../dialog.js";
import { h, replace } from "../dom.js";
import { formatCount, formatTime, prop } from "../format.js";
import { field, formValue, select, textarea } from "../forms.js";
import { href, navigate } from "../links.js";
import { metadataCard } from "../metadata.js";
import { errorBox, loading, showError, toast } from "../notice.js";
import { picker } from "../picker.js";
import { can } from "../session.js";
import { dsBadges, searchModules } from "./distribution-sets.js";

const ACTION_BUCKETS = [
	["finished", "Finished"],
	["running", "Running"],
	["scheduled", "Scheduled"],
	["error", "Error"],
	["canceled", "Canceled"],
];

export default async function distributionSet({ params, signal }) {
	const base = `/distributionsets/${seg(params.id)}`;
	let ds = await get(base, undefined, signal);
	const canUpdate = can("UPDATE_DISTRIBUTION_SET");
	const pageError = errorBox(null);
	const title = h("h1", null, `${ds.name}:${ds.version}`);
	const stateBadges = h("span", null);
	const propsCard = h("section", { class: "card", "aria-labelledby": "props-h" });
	const modulesCard = h("section", { class: "card", "aria-labelledby": "modules-h" });
	const tagsCard = h("section", { class: "card", "aria-labelledby": "tags-h" }, loading());
	const statsCard = h("section", { class: "card", "aria-labelledby": "stats-h" }, loading());
	const actionsBar = h("div", { class: "actions" });

	async function reload() {
		ds = await get(base);
		render();
	}

	function render() {
		title.textContent = `${ds.name}:${ds.version}`;
		replace(stateBadges, dsBadges(ds));
		replace(
			propsCard,
			h("h2", { id: "props-h" }, "Properties"),
			h(
				"dl",
				{ class: "props" },
				prop("Name", ds.name),
				prop("Version", ds.version),
				prop("Type", `${ds.typeName ?? ""} (${ds.type})`),
				prop("Description", ds.description),
				prop("Migration step", ds.requiredMigrationStep ? "required" : "no"),
				prop("Created", `${formatTime(ds.createdAt)} by ${ds.createdBy ?? "?"}`),
				prop("Modified", `${formatTime(ds.lastModifiedAt)} by ${ds.lastModifiedBy ?? "?"}`),
			),
		);
		const editable = canUpdate && !ds.locked && !ds.deleted;
		const add = editable
			? picker({
					label: "Add software module",
					name: "module",
					placeholder: "Add a module: name or name:version",
					search: searchModules,
					onPick: async (choice) => {
						if (!choice) {
							return;
						}
						try {
							await post(`${base}/assignedSM`, [{ id: Number(choice.value) }]);
							toast(`${choice.label} added.`);
							await reload();
						} catch (err) {
							showError(moduleSlot, err);
						}
					},
				})
			: null;
		const moduleSlot = errorBox(null);
		replace(
			modulesCard,
			h("h2", { id: "modules-h" }, "Software modules"),
			moduleSlot,
			(ds.modules ?? []).length === 0
				? h(
						"p",
						{ class: "muted" },
						"No modules: the set is incomplete until its mandatory module types are present.",
					)
				: h(
						"table",
						{ class: "table", "aria-label": "Software modules" },
						h(
							"thead",
							null,
							h(
								"tr",
								null,
								h("th", null, "Module"),
								h("th", null, "Type"),
								h("th", null, "Vendor"),
								h("th", null, ""),
							),
						),
						h(
							"tbody",
							null,
							ds.modules.map((m) =>
								h(
									"tr",
									null,
									h(
										"td",
										null,
										h("a", { href: href(`/softwaremodules/${m.id}`) }, `${m.name}:${m.version}`),
									),
									h("td", null, m.typeName ?? m.type),
									h("td", null, m.vendor ?? ""),
									h(
										"td",
										{ class: "num" },
										editable
											? h(
													"button",
													{
														type: "button",
														class: "btn btn-small btn-ghost-danger",
														"aria-label": `Remove ${m.name}:${m.version}`,
														onclick: async () => {
															try {
																await del(`${base}/assignedSM/${seg(m.id)}`);
																await reload();
															} catch (err) {
																showError(moduleSlot, err);
															}
														},
													},
													"Remove",
												)
											: null,
									),
								),
							),
						),
					),
			add?.el,
			canUpdate && ds.locked
				? h(
						"p",
						{ class: "hint" },
						"Locked: the set has been assigned, so its modules can no longer change.",
					)
				: null,
		);
		replace(
			actionsBar,
			canUpdate && !ds.deleted
				? h(
						"button",
						{ type: "button", class: "btn", onclick: () => toggleLock() },
						ds.locked ? "Unlock" : "Lock",
					)
				: null,
			canUpdate && !ds.deleted
				? h("button", { type: "button", class: "btn", onclick: () => edit() }, "Edit…")
				: null,
			canUpdate && ds.valid !== false && ds.complete && !ds.deleted
				? h(
						"button",
						{ type: "button", class: "btn btn-ghost-danger", onclick: () => invalidate() },
						"Invalidate…",
					)
				: null,
			can("DELETE_DISTRIBUTION_SET") && !ds.deleted
				? h(
						"button",
						{ type: "button", class: "btn btn-ghost-danger", onclick: () => remove() },
						"Delete…",
					)
				: null,
		);
	}

	async function renderTags() {
		const slot = errorBox(null);
		try {
			const page = await get("/distributionsettags", {
				q: `distributionset.id==${ds.id}`,
				limit: 100,
			});
			const tags = page.content;
			const add = canUpdate
				? picker({
						label: "Add tag",
						name: "tag",
						placeholder: "Add a tag…",
						search: async (text, s) => {
							const all = await get(
								"/distributionsettags",
								{
									q: text ? `name==${rsqlValue(`*${text}*`)}` : undefined,
									limit: 20,
									sort: "name:ASC",
								},
								s,
							);
							const choices = all.content
								.filter((t) => !tags.some((x) => x.id === t.id))
								.map((t) => ({ value: String(t.id), label: t.name, item: t }));
							if (
								text &&
								!all.content.some((t) => t.name.toLowerCase() === text.toLowerCase()) &&
								can("CREATE_DISTRIBUTION_SET")
							) {
								choices.push({ value: "", label: `Create tag "${text}"`, item: { create: text } });
							}
							return choices;
						},
						onPick: async (choice) => {
							if (!choice) {
								return;
							}
							try {
								let id = choice.value;
								if (choice.item.create) {
									const [created] = await post("/distributionsettags", [
										{ name: choice.item.create },
									]);
									id = String(created.id);
								}
								await post(`/distributionsettags/${seg(id)}/assigned/${ds.id}`);
								await renderTags();
							} catch (err) {
								showError(slot, err);
							}
						},
					})
				: null;
			if (add) {
				add.el.querySelector("label")?.classList.add("sr-only");
			}
			replace(
				tagsCard,
				h("h2", { id: "tags-h" }, "Tags"),
				tags.length === 0
					? h("p", { class: "muted" }, "No tags.")
					: h(
							"div",
							null,
							tags.map((t) =>
								h(
									"span",
									{ class: "tag" },
									h("span", {
										class: "tag-dot",
										style: t.colour ? { background: t.colour } : undefined,
									}),
									t.name,
									canUpdate
										? h(
												"button",
												{
													type: "button",
													"aria-label": `Remove tag ${t.name}`,
													onclick: async () => {
														try {
															await del(`/distributionsettags/${seg(t.id)}/assigned/${ds.id}`);
															await renderTags();
														} catch (err) {
															showError(slot, err);
														}
													},
												},
												"×",
											)
										: null,
								),
							),
						),
				add?.el,
				slot,
			);
		} catch (err) {
			replace(tagsCard, h("h2", { id: "tags-h" }, "Tags"), errorBox(err));
		}
	}

	async function renderStats() {
		try {
			const [stats, assigned, installed] = await Promise.all([
				get(`${base}/statistics`),
				can("READ_TARGET") ? get(`${base}/assignedTargets`, { limit: 1 }) : null,
				can("READ_TARGET") ? get(`${base}/installedTargets`, { limit: 1 }) : null,
			]);
			const actions = stats?.actions ?? {};
			const lower = Object.fromEntries(
				Object.entries(actions).map(([k, v]) => [k.toLowerCase(), v]),
			);
			replace(
				statsCard,
				h("h2", { id: "stats-h" }, "Deployment"),
				h(
					"dl",
					{ class: "props" },
					assigned
						? prop(
								"Assigned to",
								h(
									"a",
									{
										href: href("/targets", {
											q: `assignedds.name==${rsqlValue(ds.name)};assignedds.version==${rsqlValue(ds.version)}`,
										}),
									},
									`${formatCount(assigned.total)} targets`,
								),
							)
						: null,
					installed
						? prop(
								"Installed on",
								h(
									"a",
									{
										href: href("/targets", {
											q: `installedds.name==${rsqlValue(ds.name)};installedds.version==${rsqlValue(ds.version)}`,
										}),
									},
									`${formatCount(installed.total)} targets`,
								),
							)
						: null,
					prop("Actions", formatCount(lower.total ?? 0)),
					prop("Rollouts", formatCount(stats?.rollouts?.total ?? 0)),
					prop("Auto-assignments", formatCount(stats?.totalAutoAssignments ?? 0)),
				),
				(lower.total ?? 0) > 0
					? h(
							"div",
							{ class: "field" },
							stackedBar(ACTION_BUCKETS, lower, { label: "Actions by status" }).el,
						)
					: null,
			);
		} catch (err) {
			replace(statsCard, h("h2", { id: "stats-h" }, "Deployment"), errorBox(err));
		}
	}

	async function edit() {
		const updated = await formDialog({
			title: `Edit ${ds.name}:${ds.version}`,
			fields: [
				field("Description", textarea("description", { maxlength: 512, value: ds.description })),
			],
			onSubmit: (form) => put(base, { description: formValue(form, "description") ?? "" }),
		});
		if (updated) {
			ds = updated;
			render();
			toast("Distribution set updated.");
		}
	}

	async function toggleLock() {
		if (
			ds.locked &&
			!(await confirmDialog({
				title: "Unlock this distribution set?",
				message:
					"Unlocking lets its modules change although it may already be deployed. Devices that installed it would no longer match it.",
				confirmLabel: "Unlock",
			}))
		) {
			return;
		}
		try {
			ds = await put(base, { locked: !ds.locked });
			render();
		} catch (err) {
			showError(pageError, err);
		}
	}

	async function invalidate() {
		const done = await formDialog({
			title: `Invalidate ${ds.name}:${ds.version}?`,
			submitLabel: "Invalidate",
			fields: [
				h(
					"p",
					null,
					"An invalidated set can never be assigned again, and its auto-assignments are removed. This cannot be undone.",
				),
				field(
					"Running deployments",
					select(
						"actionCancelationType",
						[
							["none", "Leave running actions and rollouts alone"],
							["soft", "Cancel actions (devices confirm) and stop rollouts"],
							["force", "Force-quit actions and delete rollouts"],
						],
						"none",
					),
				),
			],
			onSubmit: (form) =>
				post(`${base}/invalidate`, {
					actionCancelationType: formValue(form, "actionCancelationType"),
				}),
		});
		if (done) {
			toast("Distribution set invalidated.");
			await reload();
			renderStats();
		}
	}

	async function remove() {
		if (
			!(await confirmDialog({
				title: `Delete ${ds.name}:${ds.version}?`,
				message:
					"A set that was ever assigned is kept as deleted for the action history; otherwise it is removed.",
			}))
		) {
			return;
		}
		try {
			await del(base);
			toast(`${ds.name}:${ds.version} deleted.`);
			navigate("/distributionsets");
		} catch (err) {
			showError(pageError, err);
		}
	}

	render();
	await Promise.all([renderTags(), renderStats()]);
	return h(
		"div",
		null,
		h(
			"div",
			{ class: "crumbs" },
			h("a", { href: href("/distributionsets") }, "Distribution sets"),
			" / ",
			`${ds.name}:${ds.version}`,
		),
		h("div", { class: "page-head" }, title, stateBadges, actionsBar),
		pageError,
		modulesCard,
		h("div", { class: "grid" }, propsCard, statsCard),
		h("div", { class: "grid" }, tagsCard, metadataCard({ base, canEdit: canUpdate })),
	);
}
