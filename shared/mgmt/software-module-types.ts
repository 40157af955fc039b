/** Wire models of /rest/v1/softwaremoduletypes. hawkBit: MgmtSoftwareModuleType*. */
import { z } from "zod";
import { auditFields, RepoLinks } from "./repository-base";

export const MgmtSoftwareModuleType = z
	.object({
		...auditFields,
		id: z.number().int(),
		name: z.string(),
		description: z.string().optional(),
		key: z.string(),
		colour: z.string().optional(),
		deleted: z.boolean(),
		maxAssignments: z.number().int(),
		minArtifacts: z.number().int(),
		_links: RepoLinks.optional(),
	})
	.meta({ id: "MgmtSoftwareModuleType" });
export type MgmtSoftwareModuleType = z.infer<typeof MgmtSoftwareModuleType>;

export const MgmtSoftwareModuleTypeRequestBodyPost = z
	.object({
		name: z.string(),
		key: z.string(),
		description: z.string().nullish(),
		colour: z.string().nullish(),
		maxAssignments: z.number().int().min(1).nullish(),
		minArtifacts: z.number().int().min(0).nullish(),
	})
	.meta({ id: "MgmtSoftwareModuleTypeRequestBodyPost" });
export type MgmtSoftwareModuleTypeRequestBodyPost = z.infer<
	typeof MgmtSoftwareModuleTypeRequestBodyPost
>;

export const MgmtSoftwareModuleTypeRequestBodyPut = z
	.object({ description: z.string().nullish(), colour: z.string().nullish() })
	.meta({ id: "MgmtSoftwareModuleTypeRequestBodyPut" });
export type MgmtSoftwareModuleTypeRequestBodyPut = z.infer<
	typeof MgmtSoftwareModuleTypeRequestBodyPut
>;
