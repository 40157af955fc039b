/**
 * Pieces the repository resources (software modules, distribution sets, their types, tags, target
 * filters) share on the wire. hawkBit: MgmtBaseEntity, MgmtNamedEntity, MgmtTypeEntity.
 */
import { z } from "zod";

/** HAL `_links` as they leave the server (rel → {href, name?}). */
export const RepoLinks = z.record(
	z.string(),
	z.object({ href: z.string(), name: z.string().optional() }),
);

/** createdBy/createdAt/lastModifiedBy/lastModifiedAt (read-only, epoch ms). */
export const auditFields = {
	createdBy: z.string().meta({ example: "admin" }),
	createdAt: z.number().int().meta({ example: 1682408574924 }),
	lastModifiedBy: z.string().meta({ example: "admin" }),
	lastModifiedAt: z.number().int().meta({ example: 1682408574925 }),
};

/** `{"id": n}` references in request bodies (module ids, module-type ids, DS ids). */
export const MgmtId = z.object({ id: z.number().int() }).meta({ id: "MgmtId" });
export type MgmtId = z.infer<typeof MgmtId>;

/**
 * Jackson's ACCEPT_SINGLE_VALUE_AS_ARRAY: where hawkBit takes a JSON array, a single object (or
 * value) is read as an array of one.
 */
export function arrayOrSingle<T extends z.ZodType>(item: T) {
	return z.preprocess((v) => (Array.isArray(v) ? v : [v]), z.array(item));
}

/** Audit fields of a row, for the mappers. */
export function audit(row: {
	createdBy: string;
	createdAt: number;
	lastModifiedBy: string;
	lastModifiedAt: number;
}) {
	return {
		createdBy: row.createdBy,
		createdAt: row.createdAt,
		lastModifiedBy: row.lastModifiedBy,
		lastModifiedAt: row.lastModifiedAt,
	};
}

/** hawkBit's NON_NULL: optional fields are left out rather than sent as null. */
export function nonNull<T extends Record<string, unknown>>(o: T): T {
	for (const k of Object.keys(o)) {
		if (o[k] === null || o[k] === undefined) {
			delete o[k];
		}
	}
	return o;
}

/** `soft_deleted_mode` (hawkBit 1.1.0) on lists of modules, sets and their types. */
export const SoftDeletedMode = z
	.enum(["EXCLUDE_SOFT_DELETED", "ONLY_SOFT_DELETED", "INCLUDE_SOFT_DELETED"])
	.optional()
	.meta({ description: "Whether soft-deleted entities are listed. Default EXCLUDE_SOFT_DELETED." });
export type SoftDeletedMode = z.infer<typeof SoftDeletedMode>;

/** Metadata entry `{key, value}`. hawkBit: MgmtMetadata. */
export const MgmtMetadata = z
	.object({ key: z.string(), value: z.string() })
	.meta({ id: "MgmtMetadata" });
export type MgmtMetadata = z.infer<typeof MgmtMetadata>;

export const MgmtMetadataBodyPut = z
	.object({ value: z.string() })
	.meta({ id: "MgmtMetadataBodyPut" });
