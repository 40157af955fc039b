/**
 * One rollout, live: overall status chart, per-group progress bars (refreshed every 2 s while the
 * page is visible), the controls its state and the user's permissions allow (start, pause, resume,
 * approve, deny, trigger next group, stop, retry, delete) and the targets of a chosen group.
 */
import { del, get, post, seg } from "../api.js";
import { donut, ROLLOUT_BUCKETS, stackedBar } from "../charts.js";
import { confirmDialog, formDialog } from "../dialog.js";
import { h, replace } from "../dom.js";
import { badge, formatCount, formatTime, prop, timeAgo } from "../format.js";
import { field, formValue, input } from "../forms.js";
import { href, navigate } from "../links.js";
import { emptyState, errorBox, showError, toast } from "../notice.js";
import { can } from "../session.js";
import { pagedTable } from "../table.js";

const REFRESH_MS = 2000;
const ACTIVE = new Set([
	"creating",
	"starting",
	"running",
	"paused",
	"stopping",
	"deleting",
	"waiting_for_approval",
	"ready",
]);

/** "80 %" / "NEXTGROUP" etc. of a group's conditions, in words. */
function conditions(g) {
	const ok = g.successCondition?.expression;
	const bad = g.errorCondition?.expression;
	return [ok ? `next at ≥ ${ok} % finished` : null, bad ? `pause at > ${bad} % errors` : null]
		.filter(Boolean)
		.join(" · ");
}

export default async function rollout({ params, signal }) {
	const base = `/rollouts/${seg(params.id)}`;
	let r = await get(base, undefined, signal);
	let groups = [];
	const pageError = errorBox(null);
	const title = h("h1", null, r.name);
	const statusBadge = h("span", { "aria-live": "polite" });
	const controls = h("div", { class: "actions" });
	const summary = h("section", { class: "card", "aria-labelledby": "summary-h" });
	const groupsCard = h("section", { class: "card", "aria-labelledby": "groups-h" });
	const groupTargets = h("div", null);
	const groupBars = new Map();

	async function act(label, fn) {
		showError(pageError, null);
		try {
			await fn();
			toast(label);
			await refresh();
		} catch (err) {
			showError(pageError, err);
		}
	}

	async function decide(kind) {
		const done = await formDialog({
			title: kind === "approve" ? `Approve ${r.name}?` : `Deny ${r.name}?`,
			submitLabel: kind === "approve" ? "Approve" : "Deny",
			fields: [field("Remark (optional)", input("remark", { maxlength: 255 }))],
			onSubmit: (form) => post(`${base}/${kind}`, undefined, { remark: formValue(form, "remark") }),
		});
		if (done) {
			toast(kind === "approve" ? "Rollout approved." : "Rollout denied.");
			await refresh();
		}
	}

	function renderControls() {
		const s = r.status;
		const hasScheduled = groups.some((g) => g.status === "scheduled");
		const button = (label, onclick, cls = "btn") =>
			h("button", { type: "button", class: cls, onclick }, label);
		replace(
			controls,
			s === "ready" && can("HANDLE_ROLLOUT")
				? button(
						"Start",
						() => act("Rollout started.", () => post(`${base}/start`)),
						"btn btn-primary",
					)
				: null,
			s === "running" && can("HANDLE_ROLLOUT")
				? button("Pause", () => act("Rollout paused.", () => post(`${base}/pause`)))
				: null,
			s === "paused" && can("HANDLE_ROLLOUT")
				? button(
						"Resume",
						() => act("Rollout resumed.", () => post(`${base}/resume`)),
						"btn btn-primary",
					)
				: null,
			s === "running" && hasScheduled && can("UPDATE_ROLLOUT")
				? button("Trigger next group", async () => {
						if (
							await confirmDialog({
								title: "Start the next group now?",
								message:
									"The next scheduled group starts immediately, whatever the success condition of the running group says.",
								confirmLabel: "Start next group",
								danger: false,
							})
						) {
							act("Next group triggered.", () => post(`${base}/triggerNextGroup`));
						}
					})
				: null,
			s === "waiting_for_approval" && can("APPROVE_ROLLOUT")
				? [
						button("Approve…", () => decide("approve"), "btn btn-primary"),
						button("Deny…", () => decide("deny"), "btn btn-ghost-danger"),
					]
				: null,
			s === "finished" && can("CREATE_ROLLOUT")
				? button("Retry failed…", async () => {
						if (
							await confirmDialog({
								title: "Retry the failed targets?",
								message:
									"A new rollout is created over the targets whose action in this rollout ended in error.",
								confirmLabel: "Create retry rollout",
								danger: false,
							})
						) {
							try {
								const created = await post(`${base}/retry`);
								toast(`Rollout ${created.name} created.`);
								navigate(`/rollouts/${created.id}`);
							} catch (err) {
								showError(pageError, err);
							}
						}
					})
				: null,
			[
				"creating",
				"ready",
				"waiting_for_approval",
				"starting",
				"running",
				"paused",
				"approval_denied",
			].includes(s) && can("UPDATE_ROLLOUT")
				? button(
						"Stop…",
						async () => {
							if (
								await confirmDialog({
									title: `Stop ${r.name}?`,
									message:
										"Groups that have not started never will; running actions are cancelled (devices confirm). A stopped rollout cannot be resumed.",
									confirmLabel: "Stop rollout",
								})
							) {
								act("Rollout stopping.", () => post(`${base}/stop`));
							}
						},
						"btn btn-ghost-danger",
					)
				: null,
			!["deleting", "deleted"].includes(s) && can("DELETE_ROLLOUT")
				? button(
						"Delete…",
						async () => {
							if (
								await confirmDialog({
									title: `Delete ${r.name}?`,
									message:
										"Scheduled actions are removed and running ones are force-quit. A rollout that already deployed is kept as deleted for the history.",
								})
							) {
								try {
									await del(base);
									toast("Rollout deleting.");
									navigate("/rollouts");
								} catch (err) {
									showError(pageError, err);
								}
							}
						},
						"btn btn-ghost-danger",
					)
				: null,
		);
	}

	const overallBar = stackedBar(ROLLOUT_BUCKETS, r.totalTargetsPerStatus ?? {}, {
		label: "All groups",
		legend: false,
	});
	const donutSlot = h("div", null);

	function renderSummary() {
		title.textContent = r.name;
		replace(statusBadge, badge(r.status));
		const totals = r.totalTargetsPerStatus ?? {};
		overallBar.update(totals);
		replace(donutSlot, donut(ROLLOUT_BUCKETS, totals, "Targets by status"));
		replace(
			summary,
			h("h2", { id: "summary-h" }, "Overview"),
			r.status === "paused" && r.pauseReason
				? h("div", { class: "alert alert-info", role: "status" }, `Paused: ${r.pauseReason}`)
				: null,
			h(
				"div",
				{ class: "grid" },
				donutSlot,
				h(
					"dl",
					{ class: "props" },
					prop(
						"Distribution set",
						h(
							"a",
							{ href: href(`/distributionsets/${r.distributionSetId}`) },
							r._links?.distributionset?.name ?? `#${r.distributionSetId}`,
						),
					),
					prop(
						"Target filter",
						h(
							"a",
							{ href: href("/targets", { q: r.targetFilterQuery }) },
							h("span", { class: "code" }, r.targetFilterQuery),
						),
					),
					prop("Targets", formatCount(r.totalTargets)),
					prop("Groups", formatCount(r.totalGroups ?? groups.length)),
					prop(
						"Action type",
						r.type +
							(r.type === "timeforced" && r.forcetime
								? ` (forced from ${formatTime(r.forcetime)})`
								: ""),
					),
					prop("Weight", r.weight),
					prop("Dynamic", r.dynamic ? "yes" : null),
					prop("Start at", r.startAt ? formatTime(r.startAt) : null),
					prop(
						"Approval",
						r.approveDecidedBy
							? `${r.approveDecidedBy}${r.approvalRemark ? `: ${r.approvalRemark}` : ""}`
							: null,
					),
					prop("Created", `${formatTime(r.createdAt)} by ${r.createdBy ?? "?"}`),
					prop("Updated", timeAgo(r.lastModifiedAt)),
				),
			),
			overallBar.el,
		);
	}

	function renderGroups() {
		if (groups.length === 0) {
			groupBars.clear();
			replace(
				groupsCard,
				h("h2", { id: "groups-h" }, "Groups"),
				emptyState(
					r.status === "creating" ? "Groups are being filled…" : "No groups",
					r.status === "creating"
						? "The server assigns the matching targets to the groups; this takes a moment for large fleets."
						: null,
				),
			);
			return;
		}
		// Rebuild only when the set of groups changed; otherwise update the bars in place so
		// focus and screen-reader position survive the refresh.
		const ids = groups.map((g) => g.id).join(",");
		if (groupsCard.dataset.ids !== ids) {
			groupBars.clear();
			groupsCard.dataset.ids = ids;
			replace(
				groupsCard,
				h("h2", { id: "groups-h" }, "Groups"),
				h(
					"ol",
					{ class: "group-list" },
					groups.map((g) => {
						const bar = stackedBar(ROLLOUT_BUCKETS, g.totalTargetsPerStatus ?? {}, {
							legend: false,
							label: g.name,
						});
						const state = h("span", null);
						const countEl = h("span", { class: "group-count" });
						const condEl = h("small", { class: "hint" });
						groupBars.set(g.id, { bar, state, countEl, condEl });
						return h(
							"li",
							null,
							h(
								"span",
								{ class: "group-name" },
								can("READ_TARGET")
									? h(
											"button",
											{
												type: "button",
												class: "btn-link",
												onclick: () => showGroupTargets(g),
												"aria-label": `Show targets of ${g.name}`,
											},
											g.name,
										)
									: g.name,
								state,
								condEl,
							),
							bar.el,
							countEl,
						);
					}),
				),
				h(
					"ul",
					{ class: "legend" },
					ROLLOUT_BUCKETS.map(([key, label]) =>
						h("li", null, h("span", { class: `swatch seg-${key}`, "aria-hidden": "true" }), label),
					),
				),
			);
		}
		for (const g of groups) {
			const parts = groupBars.get(g.id);
			if (!parts) {
				continue;
			}
			const t = g.totalTargetsPerStatus ?? {};
			parts.bar.update(t);
			replace(parts.state, badge(g.status));
			parts.condEl.textContent = conditions(g);
			parts.countEl.textContent = `${formatCount((t.finished ?? 0) + (t.error ?? 0) + (t.cancelled ?? 0))} / ${formatCount(g.totalTargets)}`;
		}
	}

	function showGroupTargets(g) {
		const table = pagedTable({
			label: `Targets of ${g.name}`,
			state: { limit: 25 },
			load: ({ offset, limit, sort, signal: s }) =>
				get(`${base}/deploygroups/${seg(g.id)}/targets`, { offset, limit, sort }, s),
			columns: [
				{
					label: "Target",
					sort: "controllerId",
					render: (t) =>
						h(
							"a",
							{ href: href(`/targets/${encodeURIComponent(t.controllerId)}`) },
							t.name ?? t.controllerId,
						),
				},
				{ label: "Update status", sort: "updateStatus", render: (t) => badge(t.updateStatus) },
				{
					label: "Last poll",
					render: (t) => timeAgo(t.pollStatus?.lastRequestAt ?? t.lastControllerRequestAt),
				},
			],
			empty: () => emptyState("No targets in this group"),
		});
		replace(
			groupTargets,
			h(
				"section",
				{ class: "card", "aria-labelledby": "group-targets-h" },
				h(
					"div",
					{ class: "card-head" },
					h("h2", { id: "group-targets-h", tabindex: "-1" }, `Targets of ${g.name}`),
					h(
						"span",
						{ class: "actions" },
						h(
							"button",
							{
								type: "button",
								class: "btn btn-small",
								onclick: () => {
									replace(groupTargets);
								},
							},
							"Close",
						),
					),
				),
				table.el,
			),
		);
		groupTargets.querySelector("h2")?.focus();
	}

	async function refresh() {
		const [next, page] = await Promise.all([
			get(base, undefined, signal),
			get(`${base}/deploygroups`, { limit: 500, representation: "full" }, signal),
		]);
		r = next;
		groups = page?.content ?? [];
		renderSummary();
		renderGroups();
		renderControls();
	}

	await refresh();
	const timer = setInterval(async () => {
		if (document.hidden || !ACTIVE.has(r.status) || document.querySelector("dialog[open]")) {
			return;
		}
		try {
			await refresh();
		} catch (err) {
			if (err?.name !== "AbortError") {
				showError(pageError, err);
			}
		}
	}, REFRESH_MS);
	signal.addEventListener("abort", () => clearInterval(timer));

	return h(
		"div",
		null,
		h("div", { class: "crumbs" }, h("a", { href: href("/rollouts") }, "Rollouts"), " / ", r.name),
		h("div", { class: "page-head" }, title, statusBadge, controls),
		pageError,
		summary,
		groupsCard,
		groupTargets,
	);
}
