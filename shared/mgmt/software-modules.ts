/** Wire models of /rest/v1/softwaremodules (modules, metadata, artifacts). hawkBit: MgmtSoftwareModule*, MgmtArtifact. */
import { z } from "zod";
import { auditFields, RepoLinks } from "./repository-base";

export const MgmtSoftwareModule = z
	.object({
		...auditFields,
		id: z.number().int(),
		name: z.string(),
		description: z.string().optional(),
		version: z.string(),
		type: z.string().meta({ description: "Software module type key" }),
		typeName: z.string(),
		vendor: z.string().optional(),
		encrypted: z.boolean(),
		locked: z.boolean(),
		deleted: z.boolean(),
		complete: z.boolean(),
		_links: RepoLinks.optional(),
	})
	.meta({ id: "MgmtSoftwareModule" });
export type MgmtSoftwareModule = z.infer<typeof MgmtSoftwareModule>;

export const MgmtSoftwareModuleRequestBodyPost = z
	.object({
		name: z.string(),
		version: z.string(),
		type: z.string(),
		description: z.string().nullish(),
		vendor: z.string().nullish(),
		encrypted: z.boolean().nullish(),
	})
	.meta({ id: "MgmtSoftwareModuleRequestBodyPost" });
export type MgmtSoftwareModuleRequestBodyPost = z.infer<typeof MgmtSoftwareModuleRequestBodyPost>;

export const MgmtSoftwareModuleRequestBodyPut = z
	.object({
		description: z.string().nullish(),
		vendor: z.string().nullish(),
		locked: z.boolean().nullish(),
	})
	.meta({ id: "MgmtSoftwareModuleRequestBodyPut" });
export type MgmtSoftwareModuleRequestBodyPut = z.infer<typeof MgmtSoftwareModuleRequestBodyPut>;

export const MgmtSoftwareModuleMetadata = z
	.object({ key: z.string(), value: z.string(), targetVisible: z.boolean() })
	.meta({ id: "MgmtSoftwareModuleMetadata" });
export type MgmtSoftwareModuleMetadata = z.infer<typeof MgmtSoftwareModuleMetadata>;

export const MgmtSoftwareModuleMetadataRequestBody = z.object({
	key: z.string(),
	value: z.string().nullish(),
	targetVisible: z.boolean().nullish(),
});

export const MgmtSoftwareModuleMetadataBodyPut = z
	.object({ value: z.string().nullish(), targetVisible: z.boolean().nullish() })
	.meta({ id: "MgmtSoftwareModuleMetadataBodyPut" });

export const MgmtArtifactHash = z
	.object({ sha1: z.string(), md5: z.string(), sha256: z.string().optional() })
	.meta({ id: "MgmtArtifactHash" });

export const MgmtArtifact = z
	.object({
		...auditFields,
		id: z.number().int(),
		hashes: MgmtArtifactHash,
		providedFilename: z.string(),
		size: z.number().int(),
		_links: RepoLinks.optional(),
	})
	.meta({ id: "MgmtArtifact" });
export type MgmtArtifact = z.infer<typeof MgmtArtifact>;
