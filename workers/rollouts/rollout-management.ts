/**
 * Creating rollouts (and retry rollouts): every check hawkBit makes before the rollout exists, the
 * insert of the rollout and its groups (status CREATING), then the hand-over to the rollout's
 * coordinator, which fills the groups in chunks. hawkBit: MgmtRolloutResource#create / #retryRollout,
 * JpaRolloutManagement#create / #createRolloutGroups / #validateTargetsInGroups.
 */

import { findAssignableDistributionSet } from "../../shared/db/queries/deployments";
import {
	countTargets,
	findDistributionSetTypeId,
	findRollout,
	groupTargetPredicate,
	insertRolloutWithGroups,
	lockDistributionSet,
	type NewRolloutGroup,
	rolloutNameExists,
	rolloutTargetPredicate,
} from "../../shared/db/queries/rollouts";
import { normaliseTenant } from "../../shared/db/queries/tenants";
import type { ActionType } from "../../shared/db/schema/actions";
import {
	amountGroupName,
	assertGroupDefinition,
	assertGroupPercentage,
	assertTargetsPerGroup,
	equalGroupPercentage,
	FAILED_ROLLOUT_PREFIX,
	frozenRolloutFilter,
	validateExplicitGroups,
	validationFilters,
} from "../../shared/domain/rollout-groups";
import {
	type ConditionsRequest,
	DEFAULT_CONDITIONS,
	resolveGroupConditions,
	resolveRolloutConditions,
} from "../../shared/domain/rollout-state";
import { DomainError, entityNotFound } from "../../shared/errors";
import { compileRsql, TARGETS, validateRsql } from "../../shared/rsql";
import { getTenantConfigValues } from "../../shared/tenant-config";
import { rolloutCoordinator } from "./notify";

/** hawkBit's weight when a rollout has none (repositoryProperties.actionWeightIfAbsent). */
export const DEFAULT_ROLLOUT_WEIGHT = 1000;

/** One explicit group of a create request (MgmtRolloutGroup). */
export type RolloutGroupRequest = ConditionsRequest & {
	name: string;
	description?: string | null;
	targetFilterQuery?: string | null;
	targetPercentage?: number | null;
	confirmationRequired?: boolean | null;
};

/** A create request (MgmtRolloutRestRequestBodyPost), already shape-validated. */
export type RolloutCreateRequest = ConditionsRequest & {
	name: string;
	description?: string | null;
	distributionSetId: number;
	targetFilterQuery?: string | null;
	type?: ActionType | null;
	forcetime?: number | null;
	startAt?: number | null;
	weight?: number | null;
	confirmationRequired?: boolean | null;
	amountGroups?: number | null;
	groups?: RolloutGroupRequest[] | null;
	dynamic?: boolean | null;
	dynamicGroupTemplate?: { nameSuffix?: string | null; targetCount?: number | null } | null;
};

/** Who creates: name for the audit fields, and the two permissions creation depends on. */
export type RolloutCreator = {
	username: string;
	/** HANDLE_ROLLOUT: needed to create a scheduled (`startAt`) rollout. */
	mayHandle: boolean;
	/** APPROVE_ROLLOUT: creators holding it skip the approval workflow. */
	mayApprove: boolean;
};

/** hawkBit's Long.MAX_VALUE "no start time" marker, as a JSON number parses in JavaScript. */
const NO_START = 2 ** 63;

/**
 * Validates and creates a rollout (status CREATING) and wakes its coordinator. Returns the new id.
 * @throws DomainError with hawkBit's code and message for every refusal
 */
export async function createRollout(
	env: Env,
	q: { tenant: string; creator: RolloutCreator; request: RolloutCreateRequest },
): Promise<number> {
	const tenant = normaliseTenant(q.tenant);
	const req = q.request;
	const filter = req.targetFilterQuery;
	if (filter == null) {
		throw new DomainError(
			"rest.param.rsqlParamSyntax",
			"Cannot create a Rollout with an empty target query filter!",
		);
	}
	validateRsql(filter, TARGETS);
	const ds = await findAssignableDistributionSet(env.DB, tenant, req.distributionSetId);
	const conditions = resolveRolloutConditions(req);
	const config = await getTenantConfigValues(env, tenant);
	const flowEnabled = config["user.confirmation.flow.enabled"];
	const dynamic = req.dynamic === true;
	assertGroupDefinition({
		amountGroups: req.amountGroups,
		groups: req.groups,
		dynamic,
		hasDynamicTemplate: req.dynamicGroupTemplate != null,
	});
	if (req.startAt != null && req.startAt !== NO_START && !q.creator.mayHandle) {
		throw new DomainError(
			"insufficientPermission",
			"You need permission to start rollouts to create a scheduled rollout",
		);
	}
	if (await rolloutNameExists(env.DB, { tenant, name: req.name })) {
		throw new DomainError(
			"repo.entityAlreadyExists",
			`Rollout with name ${req.name} already exists`,
		);
	}
	const createdAt = Date.now();
	const source = { tenant, targetFilterQuery: filter, createdAt, dsTypeId: ds.typeId };
	const pureDynamic = req.groups == null && (req.amountGroups ?? 1) === 0;
	const totalTargets = pureDynamic
		? 0
		: await countTargets(env.DB, groupTargetPredicate(source, null, { frozen: true }));
	if (!pureDynamic && totalTargets === 0) {
		throw new DomainError(
			"repo.constraintViolation",
			"Rollout does not match any existing targets",
		);
	}

	let groups: Parameters<typeof insertRolloutWithGroups>[2];
	if (req.groups != null) {
		const explicit: NewRolloutGroup[] = req.groups.map((g) => ({
			name: g.name,
			description: g.description ?? null,
			targetFilterQuery: g.targetFilterQuery ?? "",
			targetPercentage: Math.fround(g.targetPercentage ?? 0),
			confirmationRequired: g.confirmationRequired ?? req.confirmationRequired ?? flowEnabled,
			dynamic: false,
			conditions: resolveGroupConditions(g, conditions),
		}));
		for (const g of explicit) {
			assertGroupPercentage(g.targetPercentage);
		}
		if (new Set(explicit.map((g) => g.name)).size !== explicit.length) {
			throw new DomainError(
				"repo.entityAlreadyExists",
				"Rollout group names must be unique within a rollout",
			);
		}
		const sizes = await validateGroupsAgainstTargets(env.DB, source, explicit, totalTargets);
		for (const size of sizes) {
			assertTargetsPerGroup(size);
		}
		groups = { kind: "explicit", groups: explicit };
	} else {
		const amount = req.amountGroups ?? 1;
		if (amount > 0) {
			assertTargetsPerGroup(Math.trunc(totalTargets / amount));
			groups = {
				kind: "amount",
				amount,
				percentage: equalGroupPercentage(amount),
				confirmationRequired: req.confirmationRequired ?? flowEnabled,
			};
		} else {
			groups = { kind: "none" };
		}
	}
	const template = dynamic ? req.dynamicGroupTemplate : undefined;
	const amount = req.amountGroups ?? 1;
	const dynamicTemplate: NewRolloutGroup | undefined = template
		? {
				name: `${amountGroupName(req.groups == null ? amount : 0)}${template.nameSuffix ?? ""}`,
				description: `${amountGroupName(req.groups == null ? amount : 0)}${template.nameSuffix ?? ""}`,
				targetFilterQuery: null,
				targetPercentage: template.targetCount ?? 0,
				confirmationRequired: req.confirmationRequired ?? flowEnabled,
				dynamic: true,
				conditions,
			}
		: undefined;

	if (config["implicit.lock.enabled"] && !ds.locked && !ds.skipLockTag) {
		await lockDistributionSet(env.DB, { dsId: ds.id, actor: q.creator.username, now: createdAt });
	}
	const rolloutId = await insertRolloutWithGroups(
		env.DB,
		{
			tenant,
			name: req.name,
			description: req.description ?? null,
			dsId: ds.id,
			targetFilterQuery: filter,
			actionType: req.type ?? "forced",
			forcedTime: req.forcetime ?? 0,
			startAt: req.startAt ?? null,
			weight: req.weight ?? DEFAULT_ROLLOUT_WEIGHT,
			dynamic,
			confirmationRequired: req.confirmationRequired ?? null,
			totalTargets,
			conditions,
			createdAt,
			createdBy: q.creator.username,
		},
		groups,
		dynamicTemplate,
	);
	const ref = { tenant, rolloutId };
	await rolloutCoordinator(env, ref).created(ref, {
		approvalNeeded: config["rollout.approval.enabled"] && !q.creator.mayApprove,
	});
	return rolloutId;
}

/** Counts what hawkBit's group validation needs and runs it; returns each group's expected size. */
async function validateGroupsAgainstTargets(
	d1: D1Database,
	source: { tenant: string; targetFilterQuery: string; createdAt: number; dsTypeId: number },
	groups: NewRolloutGroup[],
	totalTargets: number,
): Promise<number[]> {
	const base = frozenRolloutFilter(source.targetFilterQuery, source.createdAt);
	const counts = new Map<string, number>();
	for (const f of validationFilters(base, groups)) {
		counts.set(
			f.filter,
			await countTargets(
				d1,
				rolloutTargetPredicate({
					tenant: source.tenant,
					filter: compileRsql(f.filter, TARGETS),
					dsTypeId: source.dsTypeId,
					compatibleOnly: f.compatible,
				}),
			),
		);
	}
	return validateExplicitGroups(base, groups, counts, totalTargets);
}

/**
 * A new rollout `<name>_retry` over the targets whose action in a FINISHED rollout ended in ERROR:
 * one group, default conditions, same DS, type, forcetime and startAt (hawkBit #retryRollout).
 */
export async function retryRollout(
	env: Env,
	q: { tenant: string; rolloutId: number; creator: RolloutCreator },
): Promise<number> {
	const tenant = normaliseTenant(q.tenant);
	const old = await findRollout(env.DB, { tenant, rolloutId: q.rolloutId });
	if (!old || old.deleted) {
		throw entityNotFound("Rollout", q.rolloutId);
	}
	if (old.status !== "finished") {
		throw new DomainError(
			"repo.constraintViolation",
			"Rollout must be finished in order to be retried!",
		);
	}
	const ds = await findAssignableDistributionSet(env.DB, tenant, old.dsId);
	if (old.startAt != null && old.startAt !== NO_START && !q.creator.mayHandle) {
		throw new DomainError(
			"insufficientPermission",
			"You need permission to start rollouts to create a scheduled rollout",
		);
	}
	const name = `${old.name}_retry`;
	if (await rolloutNameExists(env.DB, { tenant, name })) {
		throw new DomainError("repo.entityAlreadyExists", `Rollout with name ${name} already exists`);
	}
	const filter = `${FAILED_ROLLOUT_PREFIX}${old.id}`;
	const createdAt = Date.now();
	const dsTypeId = (await findDistributionSetTypeId(env.DB, { tenant, dsId: ds.id })) ?? ds.typeId;
	const total = await countTargets(
		env.DB,
		groupTargetPredicate({ tenant, targetFilterQuery: filter, createdAt, dsTypeId }, null, {
			frozen: true,
		}),
	);
	if (total === 0) {
		throw new DomainError("repo.constraintViolation", "No failed targets in Rollout");
	}
	const rolloutId = await insertRolloutWithGroups(
		env.DB,
		{
			tenant,
			name,
			description: old.description,
			dsId: ds.id,
			targetFilterQuery: filter,
			actionType: old.actionType,
			forcedTime: old.forcedTime ?? 0,
			startAt: old.startAt,
			weight: DEFAULT_ROLLOUT_WEIGHT,
			dynamic: false,
			confirmationRequired: false,
			totalTargets: total,
			conditions: { ...DEFAULT_CONDITIONS },
			createdAt,
			createdBy: q.creator.username,
		},
		{ kind: "amount", amount: 1, percentage: 100, confirmationRequired: false },
	);
	const config = await getTenantConfigValues(env, tenant);
	const ref = { tenant, rolloutId };
	await rolloutCoordinator(env, ref).created(ref, {
		approvalNeeded: config["rollout.approval.enabled"] && !q.creator.mayApprove,
	});
	return rolloutId;
}
