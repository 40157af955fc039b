/**
 * System: the tenant configuration (/rest/v1/system/configs, hawkBit §4.15), edited key by key, and
 * Updraft's management users and API tokens (/rest/v1/system/users, /system/tokens).
 */
import { del, get, post, put, seg } from "../api.js";
import { confirmDialog, formDialog } from "../dialog.js";
import { h, replace } from "../dom.js";
import { badge, code, formatTime } from "../format.js";
import { field, formValue, input, localDateTimeToMs } from "../forms.js";
import { emptyState, errorBox, loading, showError, toast } from "../notice.js";
import { can } from "../session.js";

/** Known keys: section, label, explanation (hawkBit's defaults are in the reference). */
const KEYS = [
	[
		"Device authentication",
		"authentication.targettoken.enabled",
		"Target token",
		"Devices authenticate with their own security token (Authorization: TargetToken …).",
	],
	[
		"Device authentication",
		"authentication.gatewaytoken.enabled",
		"Gateway token",
		"A gateway authenticates for all devices with one shared token.",
	],
	[
		"Device authentication",
		"authentication.gatewaytoken.key",
		"Gateway token value",
		"The shared token of the gateway.",
	],
	[
		"Device authentication",
		"authentication.header.enabled",
		"Certificate header",
		"Trust a reverse proxy's client-certificate headers.",
	],
	[
		"Device authentication",
		"authentication.header.authority",
		"Trusted issuer hashes",
		"Issuer hash(es) of accepted device certificates, separated by , or ;.",
	],
	[
		"Polling",
		"pollingTime",
		"Polling interval",
		"How often devices poll (HH:mm:ss); overrides per RSQL may follow.",
	],
	[
		"Polling",
		"pollingOverdueTime",
		"Overdue after",
		"A device is overdue when it has not polled for interval + this time (HH:mm:ss).",
	],
	[
		"Polling",
		"maintenanceWindowPollCount",
		"Polls per maintenance window",
		"Devices poll at least this often while a maintenance window is open.",
	],
	[
		"Deployment",
		"rollout.approval.enabled",
		"Rollout approval",
		"Rollouts created by users without APPROVE_ROLLOUT wait for approval.",
	],
	[
		"Deployment",
		"user.confirmation.flow.enabled",
		"Device confirmation",
		"New actions wait for the device (or an operator) to confirm.",
	],
	[
		"Deployment",
		"repository.actions.autoclose.enabled",
		"Close replaced actions",
		"A new assignment closes running actions instead of asking the device to cancel.",
	],
	[
		"Deployment",
		"implicit.lock.enabled",
		"Lock on first use",
		"Lock a distribution set and its modules when they are first assigned.",
	],
	[
		"Deployment",
		"batch.assignments.enabled",
		"Batch assignments",
		"DMF: one message per assignment instead of one per device.",
	],
	[
		"Deployment",
		"auto.assignment.approval.enabled",
		"Auto-assignment approval",
		"Auto-assignments wait for approval.",
	],
	[
		"Action cleanup",
		"action.cleanup.auto.expiry",
		"Delete closed actions after (ms)",
		"Background deletion of old actions; -1 is off.",
	],
	[
		"Action cleanup",
		"action.cleanup.auto.status",
		"Statuses to clean up",
		"Statuses eligible for the automatic cleanup, e.g. CANCELED,ERROR.",
	],
	[
		"Action cleanup",
		"action.cleanup.onQuotaHit.percent",
		"Purge on quota (%)",
		"Share of the oldest actions removed when a target hits its action quota.",
	],
	[
		"Action cleanup",
		"action.delete.allowed.statuses",
		"Deletable statuses",
		"Statuses of actions an operator may delete.",
	],
	[
		"Repository",
		"default.ds.type",
		"Default distribution set type",
		"Id of the type new distribution sets get when none is given.",
	],
];

const ROLES = [
	"ROLE_TENANT_ADMIN",
	"ROLE_TARGET_ADMIN",
	"ROLE_REPOSITORY_ADMIN",
	"ROLE_ROLLOUT_ADMIN",
];

export default async function system({ signal, query, setQuery }) {
	const tabs = [["config", "Configuration"]];
	if (can("TENANT_CONFIGURATION")) {
		tabs.push(["users", "Users"], ["tokens", "API tokens"]);
	}
	let active = tabs.some(([id]) => id === query.tab) ? query.tab : "config";
	const panel = h("div", { role: "tabpanel", id: "system-panel" });
	const tabButtons = tabs.map(([id, label]) =>
		h(
			"button",
			{
				type: "button",
				role: "tab",
				class: "tab",
				id: `tab-${id}`,
				"aria-controls": "system-panel",
				onclick: () => show(id),
				onkeydown: (e) => {
					const i = tabs.findIndex(([t]) => t === id);
					const next = e.key === "ArrowRight" ? i + 1 : e.key === "ArrowLeft" ? i - 1 : null;
					if (next !== null) {
						const target = tabs[(next + tabs.length) % tabs.length][0];
						show(target);
						document.getElementById(`tab-${target}`)?.focus();
					}
				},
			},
			label,
		),
	);

	async function show(id) {
		active = id;
		setQuery({ tab: id === "config" ? undefined : id });
		for (const b of tabButtons) {
			const selected = b.id === `tab-${id}`;
			b.setAttribute("aria-selected", String(selected));
			b.tabIndex = selected ? 0 : -1;
		}
		panel.setAttribute("aria-labelledby", `tab-${id}`);
		replace(panel, loading());
		try {
			replace(
				panel,
				id === "config"
					? await configPanel(signal)
					: id === "users"
						? await usersPanel()
						: await tokensPanel(),
			);
		} catch (err) {
			if (err?.name !== "AbortError") {
				replace(panel, errorBox(err));
			}
		}
	}

	await show(active);
	return h(
		"div",
		null,
		h("div", { class: "page-head" }, h("h1", null, "System")),
		h("div", { class: "tabs", role: "tablist", "aria-label": "System sections" }, tabButtons),
		panel,
	);
}

async function configPanel(signal) {
	const configs = (await get("/system/configs", undefined, signal)) ?? {};
	const canEdit = can("UPDATE_TENANT_CONFIGURATION");
	const sections = new Map();
	const known = new Set(KEYS.map(([, key]) => key));
	const entries = [
		...KEYS.filter(([, key]) => key in configs),
		...Object.keys(configs)
			.filter((k) => !known.has(k))
			.map((k) => ["Other", k, k, ""]),
	];
	for (const [section, key, label, help] of entries) {
		if (!sections.has(section)) {
			sections.set(section, []);
		}
		sections.get(section).push(configRow(key, label, help, configs[key], canEdit));
	}
	return h(
		"div",
		null,
		[...sections.entries()].map(([section, rows]) =>
			h(
				"section",
				{ class: "card", "aria-label": section },
				h("h2", null, section),
				h("div", { class: "config-rows" }, rows),
			),
		),
	);
}

function configRow(key, label, help, entry, canEdit) {
	const slot = errorBox(null);
	const row = h("div", { class: "config-row" });
	let current = entry;

	function render() {
		const value = current?.value;
		const id = `cfg-${key.replaceAll(".", "-")}`;
		let control;
		if (typeof value === "boolean") {
			control = h("input", {
				id,
				type: "checkbox",
				role: "switch",
				checked: value,
				disabled: !canEdit,
				onchange: (e) => save(e.target.checked),
			});
		} else {
			control = h("input", {
				id,
				type: typeof value === "number" ? "number" : key.includes("key") ? "password" : "text",
				value: value ?? "",
				disabled: !canEdit,
				class: "config-input",
				onchange: (e) => save(typeof value === "number" ? Number(e.target.value) : e.target.value),
			});
		}
		replace(
			row,
			h(
				"div",
				{ class: "config-label" },
				h("label", { for: id }, label),
				h("div", { class: "hint" }, help, " ", code(key)),
			),
			h(
				"div",
				{ class: "config-value" },
				control,
				current?.global ? h("span", { class: "muted" }, "default") : badge("info", "set"),
				canEdit && current && !current.global && key !== "default.ds.type"
					? h(
							"button",
							{
								type: "button",
								class: "btn btn-small",
								onclick: () => reset(),
								"aria-label": `Reset ${label} to the default`,
							},
							"Reset",
						)
					: null,
			),
			slot,
		);
	}

	async function save(value) {
		showError(slot, null);
		try {
			await put(`/system/configs/${seg(key)}`, { value });
			current = await get(`/system/configs/${seg(key)}`);
			toast(`${label} saved.`);
		} catch (err) {
			showError(slot, err);
		}
		render();
	}

	async function reset() {
		if (
			!(await confirmDialog({
				title: `Reset ${label}?`,
				message: "The tenant's own value is removed and the system default applies again.",
				confirmLabel: "Reset",
			}))
		) {
			return;
		}
		try {
			await del(`/system/configs/${seg(key)}`);
			current = await get(`/system/configs/${seg(key)}`);
			toast(`${label} reset.`);
		} catch (err) {
			showError(slot, err);
		}
		render();
	}

	render();
	return row;
}

function authorityFields() {
	return h(
		"fieldset",
		null,
		h("legend", null, "Permissions"),
		ROLES.map((r) =>
			h(
				"label",
				{ class: "check" },
				h("input", { type: "checkbox", name: "role", value: r }),
				r.replace("ROLE_", "").replaceAll("_", " ").toLowerCase(),
			),
		),
		field(
			"More permissions (comma separated)",
			input("extra", { placeholder: "READ_TARGET, READ_ROLLOUT", class: "code" }),
		),
	);
}

function readAuthorities(form) {
	const roles = [...form.querySelectorAll("input[name=role]:checked")].map((b) => b.value);
	const extra = (formValue(form, "extra") ?? "")
		.split(",")
		.map((s) => s.trim())
		.filter(Boolean);
	const all = [...roles, ...extra];
	if (all.length === 0) {
		throw new Error("Grant at least one role or permission.");
	}
	return all;
}

async function usersPanel() {
	const slot = errorBox(null);
	const body = h("div", null);
	async function render() {
		const users = (await get("/system/users")) ?? [];
		replace(
			body,
			users.length === 0
				? emptyState(
						"No users yet",
						"The built-in admin comes from the deployment's ADMIN_USER / ADMIN_PASSWORD; add named users here.",
					)
				: h(
						"div",
						{ class: "table-wrap" },
						h(
							"table",
							{ class: "table", "aria-label": "Users" },
							h(
								"thead",
								null,
								h(
									"tr",
									null,
									h("th", null, "Username"),
									h("th", null, "Permissions"),
									h("th", null, "Created"),
									h("th", null, ""),
								),
							),
							h(
								"tbody",
								null,
								users.map((u) =>
									h(
										"tr",
										null,
										h("td", null, h("strong", null, u.username)),
										h("td", { class: "code" }, u.authorities.join(", ")),
										h("td", null, `${formatTime(u.createdAt)} by ${u.createdBy}`),
										h(
											"td",
											{ class: "num" },
											h(
												"button",
												{
													type: "button",
													class: "btn btn-small btn-ghost-danger",
													"aria-label": `Delete user ${u.username}`,
													onclick: async () => {
														if (
															await confirmDialog({
																title: `Delete user ${u.username}?`,
																message: "The user can no longer sign in or call the API.",
															})
														) {
															try {
																await del(`/system/users/${seg(u.username)}`);
																toast(`User ${u.username} deleted.`);
																await render();
															} catch (err) {
																showError(slot, err);
															}
														}
													},
												},
												"Delete",
											),
										),
									),
								),
							),
						),
					),
		);
	}
	async function create() {
		const created = await formDialog({
			title: "New user",
			submitLabel: "Create",
			fields: [
				field(
					"Username",
					input("username", { required: true, maxlength: 128, pattern: "[^:\\s]+" }),
				),
				field(
					"Password",
					input("password", {
						type: "password",
						required: true,
						minlength: 8,
						autocomplete: "new-password",
					}),
					"At least 8 characters.",
				),
				authorityFields(),
			],
			onSubmit: (form) =>
				post("/system/users", {
					username: formValue(form, "username"),
					password: form.elements.namedItem("password").value,
					authorities: readAuthorities(form),
				}),
		});
		if (created) {
			toast(`User ${created.username} created.`);
			await render();
		}
	}
	await render();
	return h(
		"div",
		null,
		h(
			"div",
			{ class: "card-head" },
			h(
				"span",
				{ class: "actions" },
				h(
					"button",
					{ type: "button", class: "btn btn-primary", onclick: () => create() },
					"New user",
				),
			),
		),
		slot,
		body,
	);
}

async function tokensPanel() {
	const slot = errorBox(null);
	const body = h("div", null);
	const fresh = h("div", null);
	async function render() {
		const tokens = (await get("/system/tokens")) ?? [];
		replace(
			body,
			tokens.length === 0
				? emptyState(
						"No API tokens",
						"Tokens let scripts and CI call the Management API with a Bearer credential.",
					)
				: h(
						"div",
						{ class: "table-wrap" },
						h(
							"table",
							{ class: "table", "aria-label": "API tokens" },
							h(
								"thead",
								null,
								h(
									"tr",
									null,
									h("th", null, "Name"),
									h("th", null, "Permissions"),
									h("th", null, "Expires"),
									h("th", null, "Created"),
									h("th", null, ""),
								),
							),
							h(
								"tbody",
								null,
								tokens.map((t) =>
									h(
										"tr",
										null,
										h("td", null, h("strong", null, t.name)),
										h("td", { class: "code" }, t.authorities.join(", ")),
										h(
											"td",
											null,
											t.expiresAt
												? formatTime(t.expiresAt)
												: h("span", { class: "muted" }, "never"),
										),
										h("td", null, `${formatTime(t.createdAt)} by ${t.createdBy}`),
										h(
											"td",
											{ class: "num" },
											h(
												"button",
												{
													type: "button",
													class: "btn btn-small btn-ghost-danger",
													"aria-label": `Revoke token ${t.name}`,
													onclick: async () => {
														if (
															await confirmDialog({
																title: `Revoke token ${t.name}?`,
																message: "Clients using it get 401 from now on.",
																confirmLabel: "Revoke",
															})
														) {
															try {
																await del(`/system/tokens/${seg(t.id)}`);
																toast(`Token ${t.name} revoked.`);
																await render();
															} catch (err) {
																showError(slot, err);
															}
														}
													},
												},
												"Revoke",
											),
										),
									),
								),
							),
						),
					),
		);
	}
	async function create() {
		const created = await formDialog({
			title: "New API token",
			submitLabel: "Create",
			fields: [
				field("Name", input("name", { required: true, maxlength: 128 })),
				authorityFields(),
				field("Expires (optional)", input("expiresAt", { type: "datetime-local" })),
			],
			onSubmit: (form) =>
				post("/system/tokens", {
					name: formValue(form, "name"),
					authorities: readAuthorities(form),
					expiresAt: localDateTimeToMs(formValue(form, "expiresAt")),
				}),
		});
		if (created) {
			replace(
				fresh,
				h(
					"div",
					{ class: "alert alert-info", role: "status" },
					h("span", null, `Token "${created.name}" — copy it now, it is not shown again: `),
					h("input", {
						class: "code token-value",
						readonly: true,
						value: created.token,
						"aria-label": "New token",
						onfocus: (e) => e.target.select(),
					}),
				),
			);
			await render();
		}
	}
	await render();
	return h(
		"div",
		null,
		h(
			"div",
			{ class: "card-head" },
			h(
				"span",
				{ class: "actions" },
				h(
					"button",
					{ type: "button", class: "btn btn-primary", onclick: () => create() },
					"New token",
				),
			),
		),
		fresh,
		slot,
		body,
	);
}
