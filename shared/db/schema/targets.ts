/** Targets (devices), their attributes, metadata and tags. hawkBit: Target, TargetTag. */
import {
	index,
	integer,
	primaryKey,
	sqliteTable,
	text,
	uniqueIndex,
} from "drizzle-orm/sqlite-core";
import { auditColumns, epochMs } from "./columns";

export const TARGET_UPDATE_STATUSES = [
	"unknown",
	"in_sync",
	"pending",
	"error",
	"registered",
] as const;
export type TargetUpdateStatus = (typeof TARGET_UPDATE_STATUSES)[number];

export const targets = sqliteTable(
	"targets",
	{
		id: integer().primaryKey({ autoIncrement: true }),
		tenant: text().notNull(),
		controllerId: text().notNull(),
		name: text().notNull(),
		description: text(),
		securityToken: text().notNull(),
		address: text(),
		updateStatus: text({ enum: TARGET_UPDATE_STATUSES }).notNull().default("unknown"),
		/** hawkBit's lastTargetQuery (lastControllerRequestAt), written behind from the poll queue. */
		lastTargetQuery: epochMs(),
		installationDate: epochMs(),
		assignedDsId: integer(),
		installedDsId: integer(),
		targetTypeId: integer(),
		group: text(),
		requestControllerAttributes: integer({ mode: "boolean" }).notNull().default(true),
		autoConfirmActive: integer({ mode: "boolean" }).notNull().default(false),
		autoConfirmInitiator: text(),
		autoConfirmRemark: text(),
		autoConfirmActivatedAt: epochMs(),
		/** Who switched auto-confirm on (hawkBit: the AutoConfirmationStatus' createdBy), named in its messages. */
		autoConfirmActivatedBy: text(),
		...auditColumns(),
	},
	(t) => [
		uniqueIndex("targets_controller_id_uq").on(t.tenant, t.controllerId),
		index("targets_assigned_ds_idx").on(t.tenant, t.assignedDsId),
		index("targets_installed_ds_idx").on(t.tenant, t.installedDsId),
		index("targets_created_at_idx").on(t.tenant, t.createdAt),
		index("targets_group_idx").on(t.tenant, t.group),
	],
);

/** Controller attributes: device-owned (DDI configData). */
export const targetAttributes = sqliteTable(
	"target_attributes",
	{
		targetId: integer()
			.notNull()
			.references(() => targets.id, { onDelete: "cascade" }),
		key: text().notNull(),
		value: text().notNull(),
	},
	(t) => [primaryKey({ columns: [t.targetId, t.key] })],
);

/** Operator-owned metadata. */
export const targetMetadata = sqliteTable(
	"target_metadata",
	{
		targetId: integer()
			.notNull()
			.references(() => targets.id, { onDelete: "cascade" }),
		key: text().notNull(),
		value: text().notNull(),
	},
	(t) => [primaryKey({ columns: [t.targetId, t.key] })],
);

export const targetTags = sqliteTable(
	"target_tags",
	{
		id: integer().primaryKey({ autoIncrement: true }),
		tenant: text().notNull(),
		name: text().notNull(),
		description: text(),
		colour: text(),
		...auditColumns(),
	},
	(t) => [uniqueIndex("target_tags_name_uq").on(t.tenant, t.name)],
);

export const targetTagAssignments = sqliteTable(
	"target_tag_assignments",
	{
		targetId: integer()
			.notNull()
			.references(() => targets.id, { onDelete: "cascade" }),
		tagId: integer()
			.notNull()
			.references(() => targetTags.id, { onDelete: "cascade" }),
	},
	(t) => [
		primaryKey({ columns: [t.targetId, t.tagId] }),
		index("target_tag_assignments_tag_idx").on(t.tagId),
	],
);
