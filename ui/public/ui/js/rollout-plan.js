/**
 * The rollout wizard's preview arithmetic (pure functions, no DOM; unit-tested in
 * workers/ui/rollout-plan.test.ts). It estimates from target counts what hawkBit's group filling
 * (§7.2) will do, so the operator sees the groups before creating the rollout.
 */

/**
 * Sizes of N equal groups over `total` targets: group i takes its share of what is still left, the
 * last takes the rest (hawkBit's "new-style" percentages for `amountGroups`).
 * @param {number} total
 * @param {number} amountGroups
 * @returns {number[]}
 */
export function equalGroupSizes(total, amountGroups) {
	const n = Math.max(1, Math.floor(amountGroups));
	const sizes = [];
	let remaining = Math.max(0, total);
	for (let i = 0; i < n; i++) {
		const size = i === n - 1 ? remaining : Math.round(remaining / (n - i));
		sizes.push(size);
		remaining -= size;
	}
	return sizes;
}

/**
 * Estimated sizes of explicit groups, filled in order. `matching[i]` is the number of rollout targets
 * that match group i's own filter (the rollout's count for a group without filter). A group takes
 * `targetPercentage` % of its matching targets that earlier groups left; overlap between different
 * group filters cannot be known from counts, so for filtered groups this is an upper estimate.
 * @param {number} total targets of the rollout
 * @param {Array<{ filtered: boolean, matching: number, targetPercentage: number }>} groups
 * @returns {{ sizes: number[], unassigned: number }}
 */
export function customGroupSizes(total, groups) {
	let taken = 0;
	let takenUnfiltered = 0;
	const sizes = groups.map((g) => {
		const pct = Math.min(100, Math.max(0, Number(g.targetPercentage) || 0));
		// An unfiltered group sees every target earlier groups left over.
		const available = g.filtered
			? Math.max(0, g.matching - takenUnfiltered)
			: Math.max(0, total - taken);
		const size = Math.min(Math.round((available * pct) / 100), Math.max(0, total - taken));
		taken += size;
		if (!g.filtered) {
			takenUnfiltered += size;
		}
		return size;
	});
	return { sizes, unassigned: Math.max(0, total - taken) };
}

/** The RSQL of a group's targets: the rollout filter AND the group's own filter. */
export function groupQuery(rolloutQuery, groupQuery) {
	const r = String(rolloutQuery ?? "").trim();
	const g = String(groupQuery ?? "").trim();
	if (!g) {
		return r;
	}
	return r ? `(${r});(${g})` : g;
}

/** Whether a threshold expression is a whole percentage hawkBit can evaluate (0–100). */
export function isThreshold(expression) {
	return /^\d{1,3}$/.test(String(expression)) && Number(expression) <= 100;
}
