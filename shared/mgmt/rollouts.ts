/**
 * Wire models of `/rest/v1/rollouts` (§4.14). hawkBit: MgmtRolloutRestRequestBodyPost /
 * MgmtRolloutRestRequestBodyPut / MgmtRolloutResponseBody, MgmtRolloutGroup(ResponseBody),
 * MgmtRolloutCondition, MgmtRolloutSuccessAction, MgmtRolloutErrorAction, MgmtDynamicRolloutGroupTemplate.
 * Enum spellings are hawkBit's: conditions/actions upper case, action types and statuses lower case.
 */
import { z } from "zod";
import { ACTION_TYPES } from "../db/schema/actions";
import { ROLLOUT_GROUP_STATUSES, ROLLOUT_STATUSES } from "../db/schema/rollouts";
import { auditFields, RepoLinks } from "./repository-base";

export const MgmtRolloutCondition = z
	.object({
		condition: z.enum(["THRESHOLD"]).optional(),
		expression: z.string().nullish(),
	})
	.meta({ id: "MgmtRolloutCondition" });

export const MgmtRolloutSuccessAction = z
	.object({
		action: z.enum(["NEXTGROUP", "PAUSE"]).optional(),
		expression: z.string().nullish(),
	})
	.meta({ id: "MgmtRolloutSuccessAction" });

export const MgmtRolloutErrorAction = z
	.object({
		action: z.enum(["PAUSE"]).optional(),
		expression: z.string().nullish(),
	})
	.meta({ id: "MgmtRolloutErrorAction" });

const conditions = {
	successCondition: MgmtRolloutCondition.nullish(),
	successAction: MgmtRolloutSuccessAction.nullish(),
	errorCondition: MgmtRolloutCondition.nullish(),
	errorAction: MgmtRolloutErrorAction.nullish(),
};

/** One explicit group of a create request. */
export const MgmtRolloutGroup = z
	.object({
		name: z.string(),
		description: z.string().nullish(),
		targetFilterQuery: z.string().nullish(),
		targetPercentage: z
			.number()
			.nullish()
			.meta({ description: "1–100, of the targets matching the group filter" }),
		confirmationRequired: z.boolean().nullish(),
		...conditions,
	})
	.meta({ id: "MgmtRolloutGroup" });

export const MgmtDynamicRolloutGroupTemplate = z
	.object({
		nameSuffix: z.string().nullish(),
		targetCount: z.number().int().nullish(),
	})
	.meta({ id: "MgmtDynamicRolloutGroupTemplate" });

export const MgmtRolloutRestRequestBodyPost = z
	.object({
		name: z.string().nullish(),
		description: z.string().nullish(),
		targetFilterQuery: z.string().nullish(),
		distributionSetId: z.number().int().optional().default(0),
		amountGroups: z.number().int().nullish(),
		forcetime: z.number().int().nullish(),
		startAt: z.number().nullish(),
		weight: z.number().int().nullish(),
		dynamic: z.boolean().nullish(),
		dynamicGroupTemplate: MgmtDynamicRolloutGroupTemplate.nullish(),
		confirmationRequired: z.boolean().nullish(),
		type: z.enum(ACTION_TYPES).nullish(),
		groups: z.array(MgmtRolloutGroup).nullish(),
		...conditions,
	})
	.meta({ id: "MgmtRolloutRestRequestBodyPost" });
export type MgmtRolloutRestRequestBodyPost = z.infer<typeof MgmtRolloutRestRequestBodyPost>;

export const MgmtRolloutRestRequestBodyPut = z
	.object({ name: z.string().nullish(), description: z.string().nullish() })
	.meta({ id: "MgmtRolloutRestRequestBodyPut" });

export const TotalTargetsPerStatus = z
	.object({
		scheduled: z.number().int(),
		running: z.number().int(),
		error: z.number().int(),
		finished: z.number().int(),
		cancelled: z.number().int(),
		notstarted: z.number().int(),
	})
	.meta({ id: "MgmtTotalTargetsPerStatus" });

export const MgmtRolloutResponseBody = z
	.object({
		...auditFields,
		name: z.string(),
		description: z.string().optional(),
		id: z.number().int(),
		targetFilterQuery: z.string(),
		distributionSetId: z.number().int(),
		status: z.enum(ROLLOUT_STATUSES),
		totalTargets: z.number().int(),
		totalTargetsPerStatus: TotalTargetsPerStatus.optional(),
		totalGroups: z.number().int().optional(),
		startAt: z.number().optional(),
		forcetime: z.number().int(),
		deleted: z.boolean(),
		type: z.enum(ACTION_TYPES),
		weight: z.number().int().optional(),
		dynamic: z.boolean(),
		approvalRemark: z.string().optional(),
		approveDecidedBy: z.string().optional(),
		pauseReason: z
			.string()
			.optional()
			.meta({ description: "Updraft extension (full representation): why the rollout is paused" }),
		_links: RepoLinks.optional(),
	})
	.meta({ id: "MgmtRolloutResponseBody" });
export type MgmtRolloutResponseBody = z.infer<typeof MgmtRolloutResponseBody>;

const ConditionOut = z.object({ condition: z.string(), expression: z.string().optional() });
const ActionOut = z.object({ action: z.string(), expression: z.string().optional() });

export const MgmtRolloutGroupResponseBody = z
	.object({
		...auditFields,
		name: z.string(),
		description: z.string().optional(),
		successCondition: ConditionOut,
		successAction: ActionOut,
		errorCondition: ConditionOut,
		errorAction: ActionOut,
		targetFilterQuery: z.string().optional(),
		targetPercentage: z.number(),
		confirmationRequired: z
			.boolean()
			.optional()
			.meta({ description: "Only while user.confirmation.flow.enabled" }),
		id: z.number().int(),
		dynamic: z.boolean(),
		status: z.enum(ROLLOUT_GROUP_STATUSES),
		totalTargets: z.number().int(),
		totalTargetsPerStatus: TotalTargetsPerStatus.optional(),
		_links: RepoLinks.optional(),
	})
	.meta({ id: "MgmtRolloutGroupResponseBody" });
export type MgmtRolloutGroupResponseBody = z.infer<typeof MgmtRolloutGroupResponseBody>;
