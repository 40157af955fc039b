/** Wire models of /rest/v1/distributionsettypes. hawkBit: MgmtDistributionSetType*. */
import { z } from "zod";
import { auditFields, MgmtId, RepoLinks } from "./repository-base";

export const MgmtDistributionSetType = z
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
	.meta({ id: "MgmtDistributionSetType" });
export type MgmtDistributionSetType = z.infer<typeof MgmtDistributionSetType>;

export const MgmtDistributionSetTypeRequestBodyPost = z
	.object({
		name: z.string(),
		key: z.string(),
		description: z.string().nullish(),
		colour: z.string().nullish(),
		mandatorymodules: z.array(MgmtId).nullish(),
		optionalmodules: z.array(MgmtId).nullish(),
	})
	.meta({ id: "MgmtDistributionSetTypeRequestBodyPost" });
export type MgmtDistributionSetTypeRequestBodyPost = z.infer<
	typeof MgmtDistributionSetTypeRequestBodyPost
>;

export const MgmtDistributionSetTypeRequestBodyPut = z
	.object({ description: z.string().nullish(), colour: z.string().nullish() })
	.meta({ id: "MgmtDistributionSetTypeRequestBodyPut" });
