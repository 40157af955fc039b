/** Rollouts: server-paged list with live progress (refreshed while visible), status filter, search. */
import { get, rsqlValue } from "../api.js";
import { ROLLOUT_BUCKETS, stackedBar } from "../charts.js";
import { h } from "../dom.js";
import { badge, formatCount, formatTime } from "../format.js";
import { select } from "../forms.js";
import { href } from "../links.js";
import { emptyState } from "../notice.js";
import { can } from "../session.js";
import { pagedTable } from "../table.js";

const STATUSES = [
	"creating",
	"ready",
	"waiting_for_approval",
	"approval_denied",
	"starting",
	"running",
	"paused",
	"stopping",
	"stopped",
	"finished",
	"deleting",
];
const REFRESH_MS = 4000;
const ACTIVE = new Set(["creating", "starting", "running", "stopping", "deleting"]);

export default async function rollouts({ query, setQuery, signal }) {
	let search = query.search ?? "";
	let status = query.status ?? "";
	const state = { offset: query.offset, limit: query.limit, sort: query.sort };
	let anyActive = false;
	const searchInput = h("input", {
		type: "search",
		class: "q",
		value: search,
		placeholder: "Rollout name",
		"aria-label": "Search rollouts",
	});
	const statusSelect = select(
		"status",
		[["", "Any status"], ...STATUSES.map((s) => [s, s.replaceAll("_", " ")])],
		status,
		{ "aria-label": "Status" },
	);

	const table = pagedTable({
		label: "Rollouts",
		state,
		onState: (next) => Object.assign(state, next),
		load: async ({ offset, limit, sort, signal: s }) => {
			setQuery({ search, status, offset: offset || undefined, sort });
			const q = [
				search ? `name==${rsqlValue(`*${search}*`)}` : "",
				status ? `status==${status}` : "",
			]
				.filter(Boolean)
				.join(";");
			const page = await get(
				"/rollouts",
				{ q: q || undefined, offset, limit, sort: sort ?? "id:DESC", representation: "full" },
				s,
			);
			anyActive = page.content.some((r) => ACTIVE.has(r.status));
			return page;
		},
		columns: [
			{
				label: "Rollout",
				sort: "name",
				render: (r) => h("a", { href: href(`/rollouts/${r.id}`) }, r.name),
			},
			{
				label: "Distribution set",
				render: (r) =>
					h(
						"a",
						{ href: href(`/distributionsets/${r.distributionSetId}`) },
						r._links?.distributionset?.name ?? `#${r.distributionSetId}`,
					),
			},
			{ label: "Status", sort: "status", render: (r) => badge(r.status) },
			{
				label: "Progress",
				className: "col-progress",
				render: (r) =>
					stackedBar(ROLLOUT_BUCKETS, r.totalTargetsPerStatus ?? {}, {
						legend: false,
						label: `${r.name} progress`,
					}).el,
			},
			{ label: "Targets", className: "num", render: (r) => formatCount(r.totalTargets) },
			{ label: "Groups", className: "num", render: (r) => formatCount(r.totalGroups) },
			{ label: "Created", sort: "createdAt", render: (r) => formatTime(r.createdAt) },
		],
		empty: () =>
			search || status
				? emptyState("No rollout matches", "Change or clear the filter.")
				: emptyState(
						"No rollouts yet",
						"A rollout deploys a distribution set to many targets, group by group, stopping when too many fail.",
						can("CREATE_ROLLOUT")
							? h("a", { class: "btn btn-primary", href: href("/rollouts/new") }, "New rollout")
							: null,
					),
	});

	// Only pages showing a rollout in motion are refreshed (each row's totals cost the server counts).
	const timer = setInterval(() => {
		if (anyActive && !document.hidden && !document.querySelector("dialog[open]")) {
			table.reload();
		}
	}, REFRESH_MS);
	signal.addEventListener("abort", () => clearInterval(timer));

	return h(
		"div",
		null,
		h(
			"div",
			{ class: "page-head" },
			h("h1", null, "Rollouts"),
			h(
				"div",
				{ class: "actions" },
				can("CREATE_ROLLOUT")
					? h("a", { class: "btn btn-primary", href: href("/rollouts/new") }, "New rollout")
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
					status = statusSelect.value;
					table.first();
				},
			},
			searchInput,
			statusSelect,
			h("button", { type: "submit", class: "btn btn-primary" }, "Filter"),
		),
		table.el,
	);
}
