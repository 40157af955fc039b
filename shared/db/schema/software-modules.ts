/** Software-module types, software modules, their metadata and artifacts. hawkBit: SoftwareModuleType, SoftwareModule, Artifact. */
import {
	index,
	integer,
	primaryKey,
	sqliteTable,
	text,
	uniqueIndex,
} from "drizzle-orm/sqlite-core";
import { auditColumns } from "./columns";

export const softwareModuleTypes = sqliteTable(
	"software_module_types",
	{
		id: integer().primaryKey({ autoIncrement: true }),
		tenant: text().notNull(),
		key: text().notNull(),
		name: text().notNull(),
		description: text(),
		colour: text(),
		maxAssignments: integer().notNull().default(1),
		minArtifacts: integer().notNull().default(0),
		deleted: integer({ mode: "boolean" }).notNull().default(false),
		...auditColumns(),
	},
	(t) => [
		uniqueIndex("sm_types_key_uq").on(t.tenant, t.key),
		uniqueIndex("sm_types_name_uq").on(t.tenant, t.name),
	],
);

export const softwareModules = sqliteTable(
	"software_modules",
	{
		id: integer().primaryKey({ autoIncrement: true }),
		tenant: text().notNull(),
		typeId: integer()
			.notNull()
			.references(() => softwareModuleTypes.id),
		name: text().notNull(),
		version: text().notNull(),
		description: text(),
		vendor: text(),
		encrypted: integer({ mode: "boolean" }).notNull().default(false),
		locked: integer({ mode: "boolean" }).notNull().default(false),
		deleted: integer({ mode: "boolean" }).notNull().default(false),
		...auditColumns(),
	},
	(t) => [uniqueIndex("software_modules_nvt_uq").on(t.tenant, t.name, t.version, t.typeId)],
);

export const softwareModuleMetadata = sqliteTable(
	"software_module_metadata",
	{
		softwareModuleId: integer()
			.notNull()
			.references(() => softwareModules.id, { onDelete: "cascade" }),
		key: text().notNull(),
		value: text().notNull(),
		targetVisible: integer({ mode: "boolean" }).notNull().default(false),
	},
	(t) => [primaryKey({ columns: [t.softwareModuleId, t.key] })],
);

/**
 * An artifact row per (module, filename). The bytes live in R2 under a tenant-scoped,
 * SHA-1-addressed key, so identical content is stored once per tenant.
 */
export const artifacts = sqliteTable(
	"artifacts",
	{
		id: integer().primaryKey({ autoIncrement: true }),
		tenant: text().notNull(),
		softwareModuleId: integer()
			.notNull()
			.references(() => softwareModules.id, { onDelete: "cascade" }),
		filename: text().notNull(),
		sha1: text().notNull(),
		md5: text().notNull(),
		sha256: text(),
		size: integer().notNull(),
		r2Key: text().notNull(),
		...auditColumns(),
	},
	(t) => [
		uniqueIndex("artifacts_module_filename_uq").on(t.softwareModuleId, t.filename),
		index("artifacts_sha1_idx").on(t.tenant, t.sha1),
	],
);
