/** Wire models of /rest/v1/targetfilters. hawkBit: MgmtTargetFilterQuery*, MgmtDistributionSetAutoAssignment. */
import { z } from "zod";
import { auditFields, RepoLinks } from "./repository-base";

/** Unlike most models, every field is serialised, nulls included (hawkBit §4.12). */
export const MgmtTargetFilterQuery = z
	.object({
		...auditFields,
		id: z.number().int(),
		name: z.string(),
		query: z.string(),
		autoAssignDistributionSet: z.number().int().nullable(),
		autoAssignActionType: z.enum(["soft", "forced", "timeforced", "downloadonly"]).nullable(),
		autoAssignWeight: z.number().int().nullable(),
		confirmationRequired: z.boolean().nullable(),
		_links: RepoLinks.optional(),
	})
	.meta({ id: "MgmtTargetFilterQuery" });
export type MgmtTargetFilterQuery = z.infer<typeof MgmtTargetFilterQuery>;

export const MgmtTargetFilterQueryRequestBody = z
	.object({ name: z.string().nullish(), query: z.string().nullish() })
	.meta({ id: "MgmtTargetFilterQueryRequestBody" });
export type MgmtTargetFilterQueryRequestBody = z.infer<typeof MgmtTargetFilterQueryRequestBody>;

export const MgmtDistributionSetAutoAssignment = z
	.object({
		id: z.number().int(),
		type: z.enum(["soft", "forced", "timeforced", "downloadonly"]).nullish(),
		weight: z.number().int().nullish(),
		confirmationRequired: z.boolean().nullish(),
	})
	.meta({ id: "MgmtDistributionSetAutoAssignment" });
export type MgmtDistributionSetAutoAssignment = z.infer<typeof MgmtDistributionSetAutoAssignment>;
