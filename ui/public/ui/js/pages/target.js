/**
 * One target: properties, assigned/installed distribution sets, tags, controller attributes,
 * metadata, and the action history with each action's status messages. Assign, edit, delete.
 */
import { ApiError, del, get, post, put, rsqlValue, seg } from "../api.js";
import { assignDialog } from "../assign.js";
import { confirmDialog, formDialog } from "../dialog.js";
import { h, replace } from "../dom.js";
import { badge, code, formatTime, prop, timeAgo } from "../format.js";
import { field, formValue, input, textarea } from "../forms.js";
import { href, navigate } from "../links.js";
import { metadataCard } from "../metadata.js";
import { emptyState, errorBox, loading, showError, toast } from "../notice.js";
import { picker } from "../picker.js";
import { can } from "../session.js";
import { pagedTable } from "../table.js";

/** GET that answers null for 204 and for 404 (optional sub-resources). */
async function optional(path, signal) {
	try {
		return await get(path, undefined, signal);
	} catch (err) {
		if (err instanceof ApiError && err.status === 404) {
			return null;
		}
		throw err;
	}
}

export default async function target({ params, signal }) {
	const cid = params.id;
	const base = `/targets/${seg(cid)}`;
	let t = await get(base, undefined, signal);
	const canUpdate = can("UPDATE_TARGET");
	const pageError = errorBox(null);

	const title = h("h1", null, t.name ?? t.controllerId);
	const statusBadge = h("span", null, badge(t.updateStatus));
	const propsCard = h("section", { class: "card", "aria-labelledby": "props-h" });
	const dsCard = h("section", { class: "card", "aria-labelledby": "ds-h" }, loading());
	const tagsCard = h("section", { class: "card", "aria-labelledby": "tags-h" }, loading());
	const attrsCard = h("section", { class: "card", "aria-labelledby": "attrs-h" }, loading());
	const metaCard = metadataCard({ base, canEdit: canUpdate });

	function renderProps() {
		title.textContent = t.name ?? t.controllerId;
		replace(statusBadge, badge(t.updateStatus));
		const token = t.securityToken
			? (() => {
					const value = h("span", { class: "code" }, "••••••••");
					const toggle = h(
						"button",
						{
							type: "button",
							class: "btn-link",
							"aria-pressed": "false",
							onclick: () => {
								const shown = toggle.getAttribute("aria-pressed") === "true";
								value.textContent = shown ? "••••••••" : t.securityToken;
								toggle.setAttribute("aria-pressed", String(!shown));
								toggle.textContent = shown ? "Show" : "Hide";
							},
						},
						"Show",
					);
					return [value, " ", toggle];
				})()
			: null;
		replace(
			propsCard,
			h("h2", { id: "props-h" }, "Properties"),
			h(
				"dl",
				{ class: "props" },
				prop("Controller ID", code(t.controllerId)),
				prop("Name", t.name),
				prop("Description", t.description),
				prop("Update status", badge(t.updateStatus)),
				prop("Last poll", [
					timeAgo(t.pollStatus?.lastRequestAt ?? t.lastControllerRequestAt),
					t.pollStatus?.overdue ? [" ", badge("error", "overdue")] : null,
				]),
				t.pollStatus?.nextExpectedRequestAt
					? prop("Next poll expected", formatTime(t.pollStatus.nextExpectedRequestAt))
					: null,
				prop("Installed at", formatTime(t.installedAt)),
				prop("Address", t.address),
				prop("Target type", t.targetTypeName),
				prop("Group", t.group),
				token ? prop("Security token", token) : null,
				prop("Requests attributes", t.requestAttributes ? "yes" : "no"),
				prop("Created", `${formatTime(t.createdAt)} by ${t.createdBy ?? "?"}`),
				prop("Modified", `${formatTime(t.lastModifiedAt)} by ${t.lastModifiedBy ?? "?"}`),
			),
		);
	}

	async function renderDs() {
		try {
			const [assigned, installed] = await Promise.all([
				optional(`${base}/assignedDS`, signal),
				optional(`${base}/installedDS`, signal),
			]);
			const dsLink = (ds) =>
				ds
					? h("a", { href: href(`/distributionsets/${ds.id}`) }, `${ds.name}:${ds.version}`)
					: h("span", { class: "muted" }, "none");
			replace(
				dsCard,
				h(
					"div",
					{ class: "card-head" },
					h("h2", { id: "ds-h" }, "Distribution sets"),
					can("UPDATE_TARGET", "READ_DISTRIBUTION_SET")
						? h(
								"span",
								{ class: "actions" },
								h(
									"button",
									{ type: "button", class: "btn btn-primary btn-small", onclick: () => assign() },
									"Assign…",
								),
							)
						: null,
				),
				h(
					"dl",
					{ class: "props" },
					prop("Assigned", dsLink(assigned)),
					prop("Installed", dsLink(installed)),
				),
			);
		} catch (err) {
			replace(dsCard, h("h2", { id: "ds-h" }, "Distribution sets"), errorBox(err));
		}
	}

	async function renderTags() {
		const slot = errorBox(null);
		try {
			const tags = (await get(`${base}/tags`, undefined, signal)) ?? [];
			const add = canUpdate
				? picker({
						label: "Add tag",
						name: "tag",
						placeholder: "Add a tag…",
						search: async (text, s) => {
							const page = await get(
								"/targettags",
								{
									q: text ? `name==${rsqlValue(`*${text}*`)}` : undefined,
									limit: 20,
									sort: "name:ASC",
								},
								s,
							);
							const choices = page.content
								.filter((tag) => !tags.some((x) => x.id === tag.id))
								.map((tag) => ({ value: String(tag.id), label: tag.name, item: tag }));
							if (
								text &&
								!page.content.some((tag) => tag.name.toLowerCase() === text.toLowerCase()) &&
								can("CREATE_TARGET")
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
									const [created] = await post("/targettags", [{ name: choice.item.create }]);
									id = String(created.id);
								}
								await post(`/targettags/${seg(id)}/assigned/${seg(cid)}`);
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
							tags.map((tag) =>
								h(
									"span",
									{ class: "tag" },
									h("span", {
										class: "tag-dot",
										style: tag.colour ? { background: tag.colour } : undefined,
									}),
									tag.name,
									canUpdate
										? h(
												"button",
												{
													type: "button",
													"aria-label": `Remove tag ${tag.name}`,
													onclick: async () => {
														try {
															await del(`/targettags/${seg(tag.id)}/assigned/${seg(cid)}`);
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

	async function renderAttributes() {
		try {
			const attrs = (await get(`${base}/attributes`, undefined, signal)) ?? {};
			const entries = Object.entries(attrs);
			replace(
				attrsCard,
				h("h2", { id: "attrs-h" }, "Controller attributes"),
				entries.length === 0
					? h("p", { class: "muted" }, "The device has not reported attributes.")
					: h(
							"table",
							{ class: "table kv-table", "aria-label": "Controller attributes" },
							h(
								"tbody",
								null,
								entries.map(([k, v]) =>
									h("tr", null, h("td", null, k), h("td", { class: "code" }, v)),
								),
							),
						),
			);
		} catch (err) {
			replace(attrsCard, h("h2", { id: "attrs-h" }, "Controller attributes"), errorBox(err));
		}
	}

	const actionsSlot = errorBox(null);
	const actions = pagedTable({
		label: "Action history",
		state: { sort: "id:DESC", limit: 25 },
		load: ({ offset, limit, sort, signal: s }) =>
			get(
				"/actions",
				{
					q: `target.controllerId==${rsqlValue(cid)}`,
					offset,
					limit,
					sort,
					representation: "full",
				},
				s,
			),
		columns: [
			{ label: "Action", sort: "id", render: (a) => `#${a.id}` },
			{ label: "Distribution set", render: (a) => a._links?.distributionset?.name ?? "" },
			{
				label: "Status",
				sort: "status",
				render: (a) => [
					badge(a.status),
					a.active ? null : h("span", { class: "muted" }, " closed"),
				],
			},
			{
				label: "Type",
				render: (a) => [
					a.forceType ?? a.type,
					a.forceTime
						? h("div", { class: "hint" }, `forced from ${formatTime(a.forceTime)}`)
						: null,
				],
			},
			{
				label: "Rollout",
				render: (a) =>
					a.rollout
						? h("a", { href: href(`/rollouts/${a.rollout}`) }, a.rolloutName ?? `#${a.rollout}`)
						: "",
			},
			{ label: "Updated", sort: "lastModifiedAt", render: (a) => timeAgo(a.lastModifiedAt) },
			{ label: "Messages", render: (a) => statusHistory(cid, a) },
			{ label: "", render: (a) => actionButtons(a) },
		],
		empty: () => emptyState("No actions", "Assign a distribution set to start an update."),
	});

	function actionButtons(a) {
		if (!canUpdate || !a.active) {
			return null;
		}
		const run = async (label, fn) => {
			try {
				await fn();
				toast(label);
				actions.reload();
				t = await get(base);
				renderProps();
				renderDs();
			} catch (err) {
				showError(actionsSlot, err);
			}
		};
		const buttons = [];
		if (a.status === "canceling") {
			buttons.push(
				h(
					"button",
					{
						type: "button",
						class: "btn btn-small btn-ghost-danger",
						onclick: async () => {
							if (
								await confirmDialog({
									title: `Force-quit action #${a.id}?`,
									message:
										"The action is closed as canceled without waiting for the device. Use this only when the device will never confirm the cancellation.",
									confirmLabel: "Force quit",
								})
							) {
								run(`Action #${a.id} force-quit.`, () =>
									del(`${base}/actions/${a.id}`, { force: true }),
								);
							}
						},
					},
					"Force quit",
				),
			);
		} else {
			if (a.forceType && a.forceType !== "forced") {
				buttons.push(
					h(
						"button",
						{
							type: "button",
							class: "btn btn-small",
							onclick: () =>
								run(`Action #${a.id} is now forced.`, () =>
									put(`${base}/actions/${a.id}`, { forceType: "forced" }),
								),
						},
						"Force",
					),
				);
			}
			buttons.push(
				h(
					"button",
					{
						type: "button",
						class: "btn btn-small btn-ghost-danger",
						onclick: async () => {
							if (
								await confirmDialog({
									title: `Cancel action #${a.id}?`,
									message:
										"The device is asked to cancel the update; the action stays open until it confirms.",
									confirmLabel: "Cancel action",
								})
							) {
								run(`Cancellation of action #${a.id} requested.`, () =>
									del(`${base}/actions/${a.id}`),
								);
							}
						},
					},
					"Cancel",
				),
			);
		}
		return h("span", { class: "row" }, buttons);
	}

	async function assign() {
		const res = await assignDialog([cid]);
		if (res) {
			t = await get(base);
			renderProps();
			renderDs();
			actions.reload();
		}
	}

	async function editTarget() {
		const updated = await formDialog({
			title: `Edit ${t.controllerId}`,
			fields: [
				field("Name", input("name", { maxlength: 128, value: t.name })),
				field("Description", textarea("description", { maxlength: 512, value: t.description })),
				field("Address", input("address", { maxlength: 512, value: t.address })),
			],
			onSubmit: (form) =>
				put(base, {
					name: formValue(form, "name"),
					description: formValue(form, "description") ?? "",
					address: formValue(form, "address"),
				}),
		});
		if (updated) {
			t = updated;
			renderProps();
			toast("Target updated.");
		}
	}

	async function deleteTarget() {
		if (
			await confirmDialog({
				title: `Delete target ${t.controllerId}?`,
				message:
					"The target and its whole action history are deleted. If the device polls again it re-registers as a new target.",
			})
		) {
			try {
				await del(base);
				toast(`Target ${t.controllerId} deleted.`);
				navigate("/targets");
			} catch (err) {
				showError(pageError, err);
			}
		}
	}

	renderProps();
	await Promise.all([renderDs(), renderTags(), renderAttributes()]);

	return h(
		"div",
		null,
		h(
			"div",
			{ class: "crumbs" },
			h("a", { href: href("/targets") }, "Targets"),
			" / ",
			t.controllerId,
		),
		h(
			"div",
			{ class: "page-head" },
			title,
			statusBadge,
			h(
				"div",
				{ class: "actions" },
				can("UPDATE_TARGET", "READ_DISTRIBUTION_SET")
					? h(
							"button",
							{ type: "button", class: "btn btn-primary", onclick: () => assign() },
							"Assign distribution set…",
						)
					: null,
				canUpdate
					? h("button", { type: "button", class: "btn", onclick: () => editTarget() }, "Edit…")
					: null,
				can("DELETE_TARGET")
					? h(
							"button",
							{ type: "button", class: "btn btn-ghost-danger", onclick: () => deleteTarget() },
							"Delete…",
						)
					: null,
			),
		),
		pageError,
		h("div", { class: "grid" }, propsCard, h("div", null, dsCard, tagsCard)),
		h("div", { class: "grid" }, attrsCard, metaCard),
		h(
			"section",
			{ class: "card", "aria-labelledby": "actions-h" },
			h("h2", { id: "actions-h" }, "Action history"),
			actionsSlot,
			actions.el,
		),
	);
}

/** A disclosure that loads an action's status entries (device messages) when opened. */
function statusHistory(cid, a) {
	const body = h("div", null);
	let loaded = false;
	const details = h(
		"details",
		{
			ontoggle: async () => {
				if (!details.open || loaded) {
					return;
				}
				loaded = true;
				replace(body, loading());
				try {
					const page = await get(`/targets/${seg(cid)}/actions/${a.id}/status`, {
						limit: 50,
						sort: "id:DESC",
					});
					replace(
						body,
						page.content.length === 0
							? h("p", { class: "muted" }, "No status entries.")
							: h(
									"ol",
									{ class: "timeline" },
									page.content.map((st) =>
										h(
											"li",
											null,
											badge(st.type),
											" ",
											h("span", { class: "muted" }, formatTime(st.reportedAt ?? st.timestamp)),
											st.code !== undefined
												? h("span", { class: "muted" }, ` · code ${st.code}`)
												: null,
											st.messages?.length
												? h(
														"ul",
														{ class: "status-messages" },
														st.messages.map((m) => h("li", null, m)),
													)
												: null,
										),
									),
								),
					);
				} catch (err) {
					loaded = false;
					replace(body, errorBox(err));
				}
			},
		},
		h("summary", null, "Show"),
		body,
	);
	return details;
}
