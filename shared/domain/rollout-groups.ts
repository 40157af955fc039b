/**
 * Rollout group arithmetic: how many targets each group gets, how explicit groups are validated
 * against the rollout's targets, the frozen filter, and dynamic group naming. Pure functions.
 * hawkBit: RolloutHelper, JpaRolloutManagement#createRolloutGroups / #validateTargetsInGroups,
 * JpaRolloutExecutor#fillRolloutGroupWithTargets / #createDynamicGroup.
 *
 * hawkBit keeps `targetPercentage` as a Java float and mixes float and double arithmetic; the
 * functions below reproduce that with Math.fround so group sizes match hawkBit's to the target.
 */
import { DomainError } from "../errors";

/** hawkBit quota defaults (`hawkbit.server.security.dos.*`). */
export const MAX_ROLLOUT_GROUPS = 500;
export const MAX_TARGETS_PER_ROLLOUT_GROUP = 20_000;

/** The pseudo filter of a retry rollout: targets whose action in rollout `id` ended in ERROR. */
export const FAILED_ROLLOUT_PREFIX = "failedrollout==";

/** The part of a group the size arithmetic looks at. */
export type GroupShare = {
	/** Group filter ANDed with the rollout filter; null/"" means none. */
	targetFilterQuery: string | null;
	/** 1–100 (a Java float in hawkBit). */
	targetPercentage: number;
};

/** `amountGroups: N` → N groups of 100/N percent each, as a Java float. */
export function equalGroupPercentage(amountGroups: number): number {
	return Math.fround(100 / amountGroups);
}

/** `group-1 … group-N`. */
export function amountGroupName(index: number): string {
	return `group-${index + 1}`;
}

/**
 * The group's share of what earlier groups with the same filter left over ("new-style" percent):
 * hawkBit RolloutHelper#toPercentFromTheRest. Groups are served in order.
 */
export function percentFromTheRest(groups: readonly GroupShare[], index: number): number {
	const group = groups[index];
	if (!group) {
		throw new RangeError(`no group ${index}`);
	}
	let toServe = 100;
	for (let i = 0; i < index; i++) {
		const next = groups[i];
		if (next && sameFilter(next.targetFilterQuery, group.targetFilterQuery)) {
			toServe -= Math.fround(next.targetPercentage);
		}
	}
	// float × int stays float in Java; the division is double.
	return toServe <= 1
		? 100
		: Math.min(100, Math.fround(Math.fround(group.targetPercentage) * 100) / toServe);
}

function sameFilter(a: string | null, b: string | null): boolean {
	return (a ?? null) === (b ?? null);
}

/**
 * How many of the `matching` still-unassigned targets the group takes when it is filled:
 * `round(percentFromRest × matching / 100)` (JpaRolloutExecutor#fillRolloutGroupWithTargets).
 */
export function expectedGroupSize(
	groups: readonly GroupShare[],
	index: number,
	matching: number,
): number {
	return Math.round((percentFromTheRest(groups, index) * matching) / 100);
}

/** hawkBit RolloutHelper#getTargetFilterQuery: the rollout filter frozen at creation time. */
export function frozenRolloutFilter(targetFilterQuery: string, createdAt: number): string {
	return `(${targetFilterQuery});createdat=le=${createdAt}`;
}

/** Whether the filter is a retry rollout's `failedrollout==<id>`. */
export function isRetryFilter(targetFilterQuery: string): boolean {
	return targetFilterQuery.includes("failedrollout");
}

/** The rollout id inside `failedrollout==<id>`. */
export function retriedRolloutId(targetFilterQuery: string): number {
	return Number(targetFilterQuery.slice(FAILED_ROLLOUT_PREFIX.length));
}

function isEmpty(s: string | null | undefined): boolean {
	return s == null || s === "";
}

function concatAnd(...filters: string[]): string {
	return `(${filters.join(");(")})`;
}

/** hawkBit RolloutHelper#getGroupTargetFilter: rollout filter AND group filter (if any). */
export function groupTargetFilter(baseFilter: string, groupFilter: string | null): string {
	return isEmpty(groupFilter) ? baseFilter : concatAnd(baseFilter, groupFilter as string);
}

/** hawkBit RolloutHelper#getAllGroupsTargetFilter: "(f1),(f2)…" or "" when any group has no filter. */
export function allGroupsTargetFilter(groups: readonly GroupShare[]): string {
	if (groups.some((g) => isEmpty(g.targetFilterQuery))) {
		return "";
	}
	const distinct = [...new Set(groups.map((g) => g.targetFilterQuery as string))].sort();
	return `(${distinct.join("),(")})`;
}

/** hawkBit RolloutHelper#getOverlappingWithGroupsTargetFilter. */
export function overlappingTargetFilter(
	baseFilter: string,
	previous: readonly GroupShare[],
	group: GroupShare,
): string {
	const groupFilter = group.targetFilterQuery;
	if (!isEmpty(groupFilter) && previous.some((g) => g.targetFilterQuery === groupFilter)) {
		return concatAnd(baseFilter, groupFilter as string);
	}
	const previousFilters = allGroupsTargetFilter(previous);
	if (!isEmpty(previousFilters)) {
		return isEmpty(groupFilter)
			? concatAnd(baseFilter, previousFilters)
			: concatAnd(baseFilter, groupFilter as string, previousFilters);
	}
	return isEmpty(groupFilter) ? baseFilter : concatAnd(baseFilter, groupFilter as string);
}

/** A filter the validation needs counted; `compatible` counts only DS-type-compatible targets. */
export type FilterToCount = { filter: string; compatible: boolean };

/**
 * The target counts explicit-group validation needs, in the order hawkBit computes them: each
 * distinct group filter (compatible targets), then each overlapping filter not already among them
 * (all targets — hawkBit's countByRsql).
 */
export function validationFilters(
	baseFilter: string,
	groups: readonly GroupShare[],
): FilterToCount[] {
	const out: FilterToCount[] = [];
	const seen = new Set<string>();
	for (const g of groups) {
		const f = groupTargetFilter(baseFilter, g.targetFilterQuery);
		if (!seen.has(f)) {
			seen.add(f);
			out.push({ filter: f, compatible: true });
		}
	}
	for (let i = 1; i < groups.length; i++) {
		const f = overlappingTargetFilter(baseFilter, groups.slice(0, i), groups[i] as GroupShare);
		if (!seen.has(f)) {
			seen.add(f);
			out.push({ filter: f, compatible: false });
		}
	}
	return out;
}

/** hawkBit RolloutHelper#verifyRolloutGroupHasConditions (the percentage part). */
export function assertGroupPercentage(targetPercentage: number): void {
	if (!(targetPercentage >= 1 && targetPercentage <= 100)) {
		throw new DomainError(
			"repo.constraintViolation",
			"Target percentage has to be between 1 and 100",
		);
	}
}

/**
 * Explicit groups must take every target of the rollout (hawkBit
 * JpaRolloutManagement#validateTargetsInGroups + RolloutHelper#verifyRemainingTargets). `counts`
 * holds the numbers for {@link validationFilters}. Returns the expected size of each group.
 */
export function validateExplicitGroups(
	baseFilter: string,
	groups: readonly GroupShare[],
	counts: ReadonlyMap<string, number>,
	totalTargets: number,
): number[] {
	const sizes: number[] = [];
	let unused = 0;
	groups.forEach((group, i) => {
		assertGroupPercentage(group.targetPercentage);
		const inFilter = counts.get(groupTargetFilter(baseFilter, group.targetFilterQuery)) ?? 0;
		const overlapping =
			i === 0
				? 0
				: (counts.get(overlappingTargetFilter(baseFilter, groups.slice(0, i), group)) ?? 0);
		let real: number;
		if (overlapping > 0 && unused > 0) {
			real = inFilter - overlapping + unused;
			unused = 0;
		} else {
			real = inFilter - overlapping;
		}
		// Note the order: percent / 100 × targets (the fill uses percent × targets / 100).
		const reduced = Math.round((percentFromTheRest(groups, i) / 100) * real);
		sizes.push(reduced);
		unused += real - reduced;
	});
	const remaining = totalTargets - sizes.reduce((a, b) => a + b, 0);
	if (remaining > 0) {
		throw new DomainError(
			"repo.constraintViolation",
			"Rollout groups don't match all targets that are targeted by the rollout",
		);
	}
	if (remaining !== 0) {
		throw new DomainError(
			"repo.constraintViolation",
			"Rollout groups target count verification failed",
		);
	}
	return sizes;
}

/** hawkBit's rollout group quota (500 by default) → 429. */
export function assertGroupAmount(amount: number): void {
	if (amount > MAX_ROLLOUT_GROUPS) {
		throw new DomainError(
			"quota.tooManyEntries",
			`The amount of groups cannot be greater than ${MAX_ROLLOUT_GROUPS}`,
		);
	}
}

/** hawkBit's targets-per-group quota (20 000 by default) → 429. */
export function assertTargetsPerGroup(requested: number): void {
	if (requested > MAX_TARGETS_PER_ROLLOUT_GROUP) {
		throw new DomainError(
			"quota.tooManyEntries",
			`Quota exceeded: Cannot assign ${requested} Target entities to RolloutGroup because of the configured quota limit ${MAX_TARGETS_PER_ROLLOUT_GROUP}.`,
		);
	}
}

/** Validates `amountGroups` / `groups` / `dynamic` combinations before anything is stored. */
export function assertGroupDefinition(req: {
	amountGroups?: number | null;
	groups?: readonly unknown[] | null;
	dynamic: boolean;
	hasDynamicTemplate: boolean;
}): void {
	const constraint = (m: string) => new DomainError("repo.constraintViolation", m);
	if (req.groups != null) {
		if (req.dynamic) {
			throw constraint("Dynamic rollouts are not supported with groups");
		}
		if (req.amountGroups != null) {
			throw constraint("If 'group' is set the 'amountGroups' must not be set in the request");
		}
		if (req.groups.length === 0) {
			throw constraint("The amount of groups cannot be 0");
		}
		assertGroupAmount(req.groups.length);
		return;
	}
	const amount = req.amountGroups ?? 1;
	if (amount < 0) {
		throw constraint(
			"The amount of groups cannot be lower than or equal to zero for static rollouts",
		);
	}
	if (amount === 0 && !req.hasDynamicTemplate) {
		throw constraint(
			"When amount of groups is 0, the rollouts shall be dynamic and a dynamic group template must be provided",
		);
	}
	if (amount > 0) {
		assertGroupAmount(amount);
	}
	if (req.hasDynamicTemplate && !req.dynamic) {
		throw constraint("Dynamic group template is only allowed for dynamic rollouts");
	}
}

/**
 * Name of the next dynamic group: `group-<n+1>` plus the suffix the last group carries after
 * `group-<n>` (hawkBit JpaRolloutExecutor#createDynamicGroup).
 */
export function nextDynamicGroupName(groupCount: number, lastGroupName: string): string {
	const prefix = `group-${groupCount}`;
	const suffix = lastGroupName.startsWith(prefix) ? lastGroupName.slice(prefix.length) : "";
	return `group-${groupCount + 1}${suffix}`;
}

/** How many targets a dynamic group wants (kept in targetPercentage, at least 1). */
export function dynamicGroupCapacity(targetPercentage: number): number {
	return Math.max(Math.trunc(targetPercentage), 1);
}

/**
 * `targetPercentage` rendered as Java renders a float (shortest digits that read back to the same
 * float), so 100/3 shows as 33.333332 rather than the double 33.33333206176758.
 */
export function floatForWire(value: number): number {
	const f = Math.fround(value);
	for (let digits = 1; digits <= 9; digits++) {
		const candidate = Number(f.toPrecision(digits));
		if (Math.fround(candidate) === f) {
			return candidate;
		}
	}
	return f;
}
