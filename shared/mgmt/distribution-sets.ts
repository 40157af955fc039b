/** Wire models of /rest/v1/distributionsets. hawkBit: MgmtDistributionSet*, MgmtTargetAssignment*. */
import { z } from "zod";
import { auditFields, MgmtId, RepoLinks } from "./repository-base";
import { MgmtSoftwareModule } from "./software-modules";

export const MgmtDistributionSet = z
	.object({
		...auditFields,
		id: z.number().int(),
		name: z.string(),
		description: z.string().optional(),
		version: z.string(),
		modules: z.array(MgmtSoftwareModule),
		requiredMigrationStep: z.boolean(),
		type: z.string().meta({ description: "Distribution set type key" }),
		typeName: z.string(),
		complete: z.boolean(),
		locked: z.boolean(),
		deleted: z.boolean(),
		valid: z.boolean(),
		_links: RepoLinks.optional(),
	})
	.meta({ id: "MgmtDistributionSet" });
export type MgmtDistributionSet = z.infer<typeof MgmtDistributionSet>;

export const MgmtDistributionSetRequestBodyPost = z
	.object({
		name: z.string(),
		version: z.string(),
		description: z.string().nullish(),
		type: z.string().nullish().meta({ description: "DS type key; default: the tenant's default" }),
		modules: z.array(MgmtId).nullish(),
		requiredMigrationStep: z.boolean().nullish(),
		locked: z.boolean().nullish(),
	})
	.meta({ id: "MgmtDistributionSetRequestBodyPost" });
export type MgmtDistributionSetRequestBodyPost = z.infer<typeof MgmtDistributionSetRequestBodyPost>;

export const MgmtDistributionSetRequestBodyPut = z
	.object({
		name: z.string().nullish(),
		description: z.string().nullish(),
		version: z.string().nullish(),
		locked: z.boolean().nullish(),
		requiredMigrationStep: z.boolean().nullish(),
	})
	.meta({ id: "MgmtDistributionSetRequestBodyPut" });
export type MgmtDistributionSetRequestBodyPut = z.infer<typeof MgmtDistributionSetRequestBodyPut>;

export const ACTION_TYPE_VALUES = ["soft", "forced", "timeforced", "downloadonly"] as const;

export const MgmtMaintenanceWindowRequestBody = z.object({
	schedule: z.string().nullish(),
	duration: z.string().nullish(),
	timezone: z.string().nullish(),
});

export const MgmtTargetAssignmentRequestBody = z
	.object({
		id: z.union([z.string(), z.number()]).transform(String),
		type: z.enum(ACTION_TYPE_VALUES).nullish(),
		forcetime: z.number().int().nullish(),
		weight: z.number().int().nullish(),
		confirmationRequired: z.boolean().nullish(),
		maintenanceWindow: MgmtMaintenanceWindowRequestBody.nullish(),
	})
	.meta({ id: "MgmtTargetAssignmentRequestBody" });
export type MgmtTargetAssignmentRequestBody = z.infer<typeof MgmtTargetAssignmentRequestBody>;

export const MgmtTargetAssignmentResponseBody = z
	.object({
		assigned: z.number().int(),
		alreadyAssigned: z.number().int(),
		total: z.number().int(),
		assignedActions: z.array(z.object({ id: z.number().int(), _links: RepoLinks.optional() })),
	})
	.meta({ id: "MgmtTargetAssignmentResponseBody" });

export const MgmtInvalidateDistributionSetRequestBody = z
	.object({
		actionCancelationType: z.enum(["soft", "force", "none"]),
		cancelRollouts: z.boolean().nullish(),
	})
	.meta({ id: "MgmtInvalidateDistributionSetRequestBody" });

export const MgmtDistributionSetStatistics = z
	.object({
		actions: z.record(z.string(), z.number().int()).optional(),
		rollouts: z.record(z.string(), z.number().int()).optional(),
		totalAutoAssignments: z.number().int().optional(),
	})
	.meta({ id: "MgmtDistributionSetStatistics" });
export type MgmtDistributionSetStatistics = z.infer<typeof MgmtDistributionSetStatistics>;
