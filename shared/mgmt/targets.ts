/**
 * Wire models of the target-side management resources: targets, their actions and action status,
 * target tags, target types, auto-confirm. hawkBit: MgmtTarget*, MgmtAction*, MgmtTag*, MgmtTargetType*.
 */
import { z } from "zod";
import { ACTION_TYPE_VALUES, MgmtMaintenanceWindowRequestBody } from "./distribution-sets";
import { arrayOrSingle, auditFields, RepoLinks } from "./repository-base";

export const MgmtPollStatus = z
	.object({
		lastRequestAt: z.number().int(),
		nextExpectedRequestAt: z.number().int(),
		overdue: z.boolean(),
	})
	.meta({ id: "MgmtPollStatus" });

export const MgmtTarget = z
	.object({
		...auditFields,
		name: z.string(),
		description: z.string().optional(),
		controllerId: z.string(),
		group: z.string().optional(),
		updateStatus: z.enum(["unknown", "in_sync", "pending", "error", "registered"]),
		lastControllerRequestAt: z.number().int().optional(),
		installedAt: z.number().int().optional(),
		ipAddress: z.string().optional(),
		address: z.string().optional(),
		pollStatus: MgmtPollStatus.optional(),
		securityToken: z
			.string()
			.optional()
			.meta({ description: "Only with READ_TARGET_SECURITY_TOKEN" }),
		requestAttributes: z.boolean(),
		targetType: z.number().int().optional(),
		targetTypeName: z.string().optional(),
		autoConfirmActive: z
			.boolean()
			.optional()
			.meta({ description: "Only while user.confirmation.flow.enabled" }),
		_links: RepoLinks.optional(),
	})
	.meta({ id: "MgmtTarget" });
export type MgmtTarget = z.infer<typeof MgmtTarget>;

const targetFields = {
	name: z.string().nullish(),
	description: z.string().nullish(),
	address: z.string().nullish(),
	securityToken: z.string().nullish(),
	requestAttributes: z.boolean().nullish(),
	targetType: z
		.number()
		.int()
		.nullish()
		.meta({ description: "Target type id; -1 unassigns (PUT)" }),
};

export const MgmtTargetRequestBody = z
	.object({
		controllerId: z.string(),
		...targetFields,
		group: z.string().nullish(),
	})
	.meta({ id: "MgmtTargetRequestBody" });
export type MgmtTargetRequestBody = z.infer<typeof MgmtTargetRequestBody>;

export const MgmtTargetRequestBodyList = arrayOrSingle(MgmtTargetRequestBody);

export const MgmtTargetRequestBodyPut = z
	.object({ controllerId: z.string().nullish(), ...targetFields })
	.meta({ id: "MgmtTargetRequestBodyPut" });
export type MgmtTargetRequestBodyPut = z.infer<typeof MgmtTargetRequestBodyPut>;

export const MgmtMaintenanceWindow = z
	.object({
		schedule: z.string(),
		duration: z.string(),
		timezone: z.string(),
		nextStartAt: z.number().int().optional(),
	})
	.meta({ id: "MgmtMaintenanceWindow" });

export const MGMT_ACTION_STATUS_VALUES = [
	"finished",
	"error",
	"warning",
	"running",
	"canceled",
	"canceling",
	"retrieved",
	"download",
	"scheduled",
	"cancel_rejected",
	"downloaded",
	"wait_for_confirmation",
] as const;

export const MgmtAction = z
	.object({
		...auditFields,
		id: z.number().int(),
		type: z.enum(["update", "cancel"]),
		active: z.boolean(),
		status: z.enum(MGMT_ACTION_STATUS_VALUES),
		forceType: z.enum(ACTION_TYPE_VALUES),
		forceTime: z.number().int().optional(),
		weight: z.number().int().optional(),
		maintenanceWindow: MgmtMaintenanceWindow.optional(),
		rollout: z.number().int().optional(),
		rolloutName: z.string().optional(),
		lastStatusCode: z.number().int().optional(),
		externalRef: z.string().optional(),
		_links: RepoLinks.optional(),
	})
	.meta({ id: "MgmtAction" });
export type MgmtAction = z.infer<typeof MgmtAction>;

export const MgmtActionStatus = z
	.object({
		id: z.number().int(),
		type: z.enum(MGMT_ACTION_STATUS_VALUES),
		messages: z.array(z.string()),
		reportedAt: z.number().int(),
		timestamp: z.number().int(),
		code: z.number().int().optional(),
	})
	.meta({ id: "MgmtActionStatus" });
export type MgmtActionStatus = z.infer<typeof MgmtActionStatus>;

export const MgmtActionRequestBodyPut = z
	.object({ forceType: z.literal("forced").meta({ description: "Only `forced` is accepted" }) })
	.meta({ id: "MgmtActionRequestBodyPut" });

export const MgmtActionConfirmationRequestBodyPut = z
	.object({
		confirmation: z.enum(["confirmed", "denied"]),
		code: z.number().int().nullish(),
		details: arrayOrSingle(z.string()).nullish(),
	})
	.meta({ id: "MgmtActionConfirmationRequestBodyPut" });

/** One DS to assign to a target (POST /targets/{id}/assignedDS). hawkBit: MgmtDistributionSetAssignment. */
export const MgmtDistributionSetAssignment = z
	.object({
		id: z.number().int(),
		type: z.enum(ACTION_TYPE_VALUES).nullish(),
		forcetime: z.number().int().nullish(),
		weight: z.number().int().min(0).max(1000).nullish(),
		confirmationRequired: z.boolean().nullish(),
		maintenanceWindow: MgmtMaintenanceWindowRequestBody.nullish(),
	})
	.meta({ id: "MgmtDistributionSetAssignment" });

export const MgmtDistributionSetAssignments = arrayOrSingle(MgmtDistributionSetAssignment);

export const MgmtTargetAutoConfirm = z
	.object({
		active: z.boolean(),
		initiator: z.string().optional(),
		remark: z.string().optional(),
		activatedAt: z.number().int().optional(),
		_links: RepoLinks.optional(),
	})
	.meta({ id: "MgmtTargetAutoConfirm" });

export const MgmtTargetAutoConfirmUpdate = z
	.object({ initiator: z.string().nullish(), remark: z.string().nullish() })
	.meta({ id: "MgmtTargetAutoConfirmUpdate" });

export const MgmtTag = z
	.object({
		...auditFields,
		id: z.number().int(),
		name: z.string(),
		description: z.string().optional(),
		colour: z.string().optional(),
		_links: RepoLinks.optional(),
	})
	.meta({ id: "MgmtTag" });
export type MgmtTag = z.infer<typeof MgmtTag>;

export const MgmtTagRequestBodyPut = z
	.object({
		name: z.string().nullish(),
		description: z.string().nullish(),
		colour: z.string().nullish(),
	})
	.meta({ id: "MgmtTagRequestBodyPut" });
export type MgmtTagRequestBodyPut = z.infer<typeof MgmtTagRequestBodyPut>;

export const MgmtTargetType = z
	.object({
		...auditFields,
		id: z.number().int(),
		name: z.string(),
		description: z.string().optional(),
		key: z.string(),
		colour: z.string().optional(),
		deleted: z.boolean(),
		_links: RepoLinks.optional(),
	})
	.meta({ id: "MgmtTargetType" });
export type MgmtTargetType = z.infer<typeof MgmtTargetType>;

export const MgmtTargetTypeRequestBodyPost = z
	.object({
		name: z.string().nullish(),
		key: z.string().nullish(),
		description: z.string().nullish(),
		colour: z.string().nullish(),
		compatibledistributionsettypes: z.array(z.object({ id: z.number().int() })).nullish(),
	})
	.meta({ id: "MgmtTargetTypeRequestBodyPost" });
export type MgmtTargetTypeRequestBodyPost = z.infer<typeof MgmtTargetTypeRequestBodyPost>;

export const MgmtTargetTypeRequestBodyPut = z
	.object({
		name: z.string().nullish(),
		description: z.string().nullish(),
		colour: z.string().nullish(),
	})
	.meta({ id: "MgmtTargetTypeRequestBodyPut" });
export type MgmtTargetTypeRequestBodyPut = z.infer<typeof MgmtTargetTypeRequestBodyPut>;
