/**
 * Dashboard: the fleet by update status, overdue targets and running rollouts with progress. Every
 * number is a one-element page (`limit=1`, read `total`), so it costs the same at 100 or 100,000 targets.
 */
import { count, get, OVERDUE_QUERY } from "../api.js";
import { donut, ROLLOUT_BUCKETS, stackedBar, UPDATE_STATUSES } from "../charts.js";
import { h, replace } from "../dom.js";
import { badge, formatCount, timeAgo } from "../format.js";
import { href } from "../links.js";
import { emptyState, errorBox, loading } from "../notice.js";
import { can, user } from "../session.js";

/** Fleet counts scan the targets table (D1 bills rows read), so they refresh less often than rollouts. */
const FLEET_REFRESH_MS = 30_000;
const ROLLOUT_REFRESH_MS = 5000;

export default async function dashboard({ signal }) {
	const head = h(
		"div",
		{ class: "page-head" },
		h("h1", null, "Dashboard"),
		h("span", { class: "muted" }, `Tenant ${user()?.tenant}`),
	);
	const fleet = h("div", null, loading());
	const rollouts = h("div", null);
	const overdue = h("div", null);
	const page = h("div", null, head, fleet);
	if (can("READ_TARGET")) {
		page.append(h("div", { class: "grid" }, overdue, rollouts));
	} else {
		page.append(rollouts);
		replace(fleet, emptyState("No fleet overview", "Your account may not read targets."));
	}

	async function refreshFleet() {
		if (!can("READ_TARGET")) {
			return;
		}
		try {
			// "unknown" is what the other four statuses leave, and the overdue count comes with the
			// overdue list: six requests, each one page, whatever the fleet size.
			const counted = UPDATE_STATUSES.filter(([s]) => s !== "unknown");
			const [total, overduePage, ...byStatus] = await Promise.all([
				count("/targets", undefined, signal),
				get(
					"/targets",
					{ q: OVERDUE_QUERY, limit: 8, sort: "lastcontrollerrequestat:ASC" },
					signal,
				),
				...counted.map(([s]) => count("/targets", `updatestatus==${s}`, signal)),
			]);
			const values = Object.fromEntries(counted.map(([s], i) => [s, byStatus[i]]));
			values.unknown = Math.max(0, total - byStatus.reduce((a, b) => a + b, 0));
			const late = overduePage.total;
			renderOverdue(overduePage);
			replace(
				fleet,
				h(
					"div",
					{ class: "stats" },
					stat("Targets", total, href("/targets")),
					stat(
						"Pending",
						values.pending,
						href("/targets", { q: "updatestatus==pending" }),
						values.pending > 0 ? "warn" : "",
					),
					stat(
						"Error",
						values.error,
						href("/targets", { q: "updatestatus==error" }),
						values.error > 0 ? "bad" : "",
					),
					stat("Overdue", late, href("/targets", { q: OVERDUE_QUERY }), late > 0 ? "warn" : ""),
				),
				h(
					"section",
					{ class: "card", "aria-labelledby": "fleet-h" },
					h("div", { class: "card-head" }, h("h2", { id: "fleet-h" }, "Fleet by update status")),
					total === 0
						? emptyState(
								"No targets yet",
								"Devices appear here after their first poll of the device API, or when created on the Targets page.",
							)
						: donut(UPDATE_STATUSES, values, "Targets by update status", (s) =>
								href("/targets", { q: `updatestatus==${s}` }),
							),
				),
			);
		} catch (err) {
			if (err?.name !== "AbortError") {
				replace(fleet, errorBox(err));
			}
		}
	}

	function renderOverdue(pageOf) {
		replace(
			overdue,
			h(
				"section",
				{ class: "card", "aria-labelledby": "overdue-h" },
				h(
					"div",
					{ class: "card-head" },
					h("h2", { id: "overdue-h" }, "Overdue targets"),
					h(
						"span",
						{ class: "actions" },
						h(
							"a",
							{ href: href("/targets", { q: OVERDUE_QUERY }) },
							`All ${formatCount(pageOf.total)}`,
						),
					),
				),
				pageOf.content.length === 0
					? emptyState(
							"Nothing overdue",
							"Every target that has polled did so within its polling interval.",
						)
					: h(
							"table",
							{ class: "table", "aria-label": "Overdue targets" },
							h(
								"thead",
								null,
								h(
									"tr",
									null,
									h("th", null, "Target"),
									h("th", null, "Status"),
									h("th", null, "Last poll"),
								),
							),
							h(
								"tbody",
								null,
								pageOf.content.map((t) =>
									h(
										"tr",
										null,
										h(
											"td",
											null,
											h(
												"a",
												{ href: href(`/targets/${encodeURIComponent(t.controllerId)}`) },
												t.name ?? t.controllerId,
											),
										),
										h("td", null, badge(t.updateStatus)),
										h(
											"td",
											null,
											timeAgo(t.pollStatus?.lastRequestAt ?? t.lastControllerRequestAt),
										),
									),
								),
							),
						),
			),
		);
	}

	async function refreshRollouts() {
		if (!can("READ_ROLLOUT")) {
			return;
		}
		try {
			const list = await get(
				"/rollouts",
				{
					q: "status=in=(running,paused,starting,waiting_for_approval)",
					limit: 10,
					sort: "id:DESC",
					representation: "full",
				},
				signal,
			);
			replace(
				rollouts,
				h(
					"section",
					{ class: "card", "aria-labelledby": "rollouts-h" },
					h(
						"div",
						{ class: "card-head" },
						h("h2", { id: "rollouts-h" }, "Active rollouts"),
						h("span", { class: "actions" }, h("a", { href: href("/rollouts") }, "All rollouts")),
					),
					list.content.length === 0
						? emptyState("No rollout is running", "Start one from the Rollouts page.")
						: h(
								"ul",
								{ class: "group-list compact" },
								list.content.map((r) =>
									h(
										"li",
										null,
										h(
											"span",
											{ class: "group-name" },
											h("a", { href: href(`/rollouts/${r.id}`) }, r.name),
											badge(r.status),
										),
										stackedBar(ROLLOUT_BUCKETS, r.totalTargetsPerStatus ?? {}, {
											legend: false,
											label: r.name,
										}).el,
										h("span", { class: "group-count" }, progressText(r)),
									),
								),
							),
				),
			);
		} catch (err) {
			if (err?.name !== "AbortError") {
				replace(rollouts, errorBox(err));
			}
		}
	}

	await Promise.all([refreshFleet(), refreshRollouts()]);
	const timers = [
		setInterval(() => document.hidden || refreshFleet(), FLEET_REFRESH_MS),
		setInterval(() => document.hidden || refreshRollouts(), ROLLOUT_REFRESH_MS),
	];
	signal.addEventListener("abort", () => timers.forEach(clearInterval));
	return page;
}

function stat(label, value, link, tone = "") {
	return h(
		"a",
		{ class: `stat${tone ? ` tone-${tone}` : ""}`, href: link },
		h("span", { class: "stat-value" }, formatCount(value)),
		h("span", { class: "stat-label" }, label),
	);
}

/** "12 / 40 done" from a rollout's per-status totals. */
export function progressText(r) {
	const t = r.totalTargetsPerStatus ?? {};
	const done = (t.finished ?? 0) + (t.error ?? 0) + (t.cancelled ?? 0);
	return `${formatCount(done)} / ${formatCount(r.totalTargets ?? 0)} done`;
}
