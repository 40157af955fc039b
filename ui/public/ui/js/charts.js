/**
 * Small status charts without a charting library: a stacked bar (one segment per status) and a
 * donut in SVG. Each carries a text equivalent (aria-label and a legend with numbers), so the picture
 * is never the only way to read the values.
 */
import { h, s } from "./dom.js";
import { formatCount } from "./format.js";

/** Rollout/group buckets in display order (hawkBit's totalTargetsPerStatus keys). */
export const ROLLOUT_BUCKETS = [
	["finished", "Finished"],
	["running", "Running"],
	["scheduled", "Scheduled"],
	["notstarted", "Not started"],
	["error", "Error"],
	["cancelled", "Cancelled"],
];

/** Target update statuses in display order. */
export const UPDATE_STATUSES = [
	["in_sync", "In sync"],
	["pending", "Pending"],
	["error", "Error"],
	["registered", "Registered"],
	["unknown", "Unknown"],
];

function describe(buckets, values) {
	return buckets.map(([key, label]) => `${label}: ${formatCount(values[key] ?? 0)}`).join(", ");
}

/**
 * A horizontal stacked bar. Returns {el, update(values)} so live views can refresh it in place.
 * @param {Array<[string, string]>} buckets
 * @param {Record<string, number>} values
 * @param {{ legend?: boolean, label?: string }} [opts]
 */
export function stackedBar(buckets, values, opts = {}) {
	const bar = h("div", { class: "stack", role: "img" });
	const legend = opts.legend === false ? null : h("ul", { class: "legend" });
	const el = h("div", { class: "stack-chart" }, bar, legend);
	function update(next) {
		const total = buckets.reduce((sum, [key]) => sum + (next?.[key] ?? 0), 0);
		bar.setAttribute(
			"aria-label",
			`${opts.label ? `${opts.label}: ` : ""}${describe(buckets, next ?? {})}`,
		);
		bar.replaceChildren(
			...buckets
				.filter(([key]) => (next?.[key] ?? 0) > 0)
				.map(([key, label]) =>
					h("span", {
						class: `seg seg-${key}`,
						title: `${label}: ${formatCount(next[key])}`,
						style: { width: `${((next[key] / total) * 100).toFixed(3)}%` },
					}),
				),
		);
		if (total === 0) {
			bar.append(h("span", { class: "seg seg-empty", style: { width: "100%" } }));
		}
		legend?.replaceChildren(
			...buckets.map(([key, label]) =>
				h(
					"li",
					null,
					h("span", { class: `swatch seg-${key}`, "aria-hidden": "true" }),
					`${label} `,
					h("strong", null, formatCount(next?.[key] ?? 0)),
				),
			),
		);
	}
	update(values);
	return { el, update };
}

/**
 * A donut chart with the total in the middle.
 * @param {Array<[string, string]>} buckets
 * @param {Record<string, number>} values
 * @param {string} caption
 * @param {(key: string) => string} [link] makes each legend entry a link (e.g. to a filtered list)
 */
export function donut(buckets, values, caption, link) {
	const total = buckets.reduce((sum, [key]) => sum + (values[key] ?? 0), 0);
	const r = 15.9155; // circumference 100, so dash lengths are percentages
	const rings = [
		s("circle", { class: "donut-hole", cx: 21, cy: 21, r, fill: "transparent", "stroke-width": 6 }),
	];
	let offset = 25; // start at 12 o'clock
	for (const [key] of buckets) {
		const pct = total > 0 ? ((values[key] ?? 0) / total) * 100 : 0;
		if (pct <= 0) {
			continue;
		}
		rings.push(
			s("circle", {
				class: `donut-seg seg-${key}`,
				cx: 21,
				cy: 21,
				r,
				fill: "transparent",
				"stroke-width": 6,
				"stroke-dasharray": `${pct} ${100 - pct}`,
				"stroke-dashoffset": offset,
			}),
		);
		offset = (offset - pct + 100) % 100;
	}
	const svg = s(
		"svg",
		{
			viewBox: "0 0 42 42",
			class: "donut",
			role: "img",
			"aria-label": `${caption}: ${describe(buckets, values)}`,
		},
		...rings,
		s(
			"text",
			{
				x: 21,
				y: 21,
				class: "donut-total",
				"text-anchor": "middle",
				"dominant-baseline": "central",
			},
			formatCount(total),
		),
	);
	const legend = h(
		"ul",
		{ class: "legend legend-col" },
		buckets.map(([key, label]) => {
			const text = [`${label} `, h("strong", null, formatCount(values[key] ?? 0))];
			return h(
				"li",
				null,
				h("span", { class: `swatch seg-${key}`, "aria-hidden": "true" }),
				link ? h("a", { href: link(key) }, text) : text,
			);
		}),
	);
	return h("div", { class: "donut-chart" }, svg, legend);
}

/** A progress bar (native <progress>, so assistive tech reads the value). */
export function progress(value, max, label) {
	return h("progress", { class: "progress", value, max: Math.max(max, 1), "aria-label": label });
}
