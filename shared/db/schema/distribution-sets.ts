/** Distribution-set types, distribution sets, their modules, metadata and tags. hawkBit: DistributionSetType, DistributionSet. */
import {
	index,
	integer,
	primaryKey,
	sqliteTable,
	text,
	uniqueIndex,
} from "drizzle-orm/sqlite-core";
import { auditColumns } from "./columns";
import { softwareModules, softwareModuleTypes } from "./software-modules";

export const distributionSetTypes = sqliteTable(
	"distribution_set_types",
	{
		id: integer().primaryKey({ autoIncrement: true }),
		tenant: text().notNull(),
		key: text().notNull(),
		name: text().notNull(),
		description: text(),
		colour: text(),
		deleted: integer({ mode: "boolean" }).notNull().default(false),
		...auditColumns(),
	},
	(t) => [
		uniqueIndex("ds_types_key_uq").on(t.tenant, t.key),
		uniqueIndex("ds_types_name_uq").on(t.tenant, t.name),
	],
);

/** Mandatory and optional software-module types of a DS type. */
export const distributionSetTypeModuleTypes = sqliteTable(
	"distribution_set_type_module_types",
	{
		dsTypeId: integer()
			.notNull()
			.references(() => distributionSetTypes.id, { onDelete: "cascade" }),
		smTypeId: integer()
			.notNull()
			.references(() => softwareModuleTypes.id),
		mandatory: integer({ mode: "boolean" }).notNull(),
	},
	(t) => [primaryKey({ columns: [t.dsTypeId, t.smTypeId] })],
);

export const distributionSets = sqliteTable(
	"distribution_sets",
	{
		id: integer().primaryKey({ autoIncrement: true }),
		tenant: text().notNull(),
		typeId: integer()
			.notNull()
			.references(() => distributionSetTypes.id),
		name: text().notNull(),
		version: text().notNull(),
		description: text(),
		requiredMigrationStep: integer({ mode: "boolean" }).notNull().default(false),
		locked: integer({ mode: "boolean" }).notNull().default(false),
		valid: integer({ mode: "boolean" }).notNull().default(true),
		deleted: integer({ mode: "boolean" }).notNull().default(false),
		...auditColumns(),
	},
	(t) => [uniqueIndex("distribution_sets_nv_uq").on(t.tenant, t.name, t.version)],
);

export const distributionSetModules = sqliteTable(
	"distribution_set_modules",
	{
		dsId: integer()
			.notNull()
			.references(() => distributionSets.id, { onDelete: "cascade" }),
		smId: integer()
			.notNull()
			.references(() => softwareModules.id),
	},
	(t) => [primaryKey({ columns: [t.dsId, t.smId] }), index("ds_modules_sm_idx").on(t.smId)],
);

export const distributionSetMetadata = sqliteTable(
	"distribution_set_metadata",
	{
		dsId: integer()
			.notNull()
			.references(() => distributionSets.id, { onDelete: "cascade" }),
		key: text().notNull(),
		value: text().notNull(),
	},
	(t) => [primaryKey({ columns: [t.dsId, t.key] })],
);

export const distributionSetTags = sqliteTable(
	"distribution_set_tags",
	{
		id: integer().primaryKey({ autoIncrement: true }),
		tenant: text().notNull(),
		name: text().notNull(),
		description: text(),
		colour: text(),
		...auditColumns(),
	},
	(t) => [uniqueIndex("ds_tags_name_uq").on(t.tenant, t.name)],
);

export const distributionSetTagAssignments = sqliteTable(
	"distribution_set_tag_assignments",
	{
		dsId: integer()
			.notNull()
			.references(() => distributionSets.id, { onDelete: "cascade" }),
		tagId: integer()
			.notNull()
			.references(() => distributionSetTags.id, { onDelete: "cascade" }),
	},
	(t) => [
		primaryKey({ columns: [t.dsId, t.tagId] }),
		index("ds_tag_assignments_tag_idx").on(t.tagId),
	],
);
