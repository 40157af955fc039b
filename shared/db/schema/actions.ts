/** Actions (one deployment of one DS to one target) and their status history. hawkBit: Action, ActionStatus. */
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { auditColumns, epochMs } from "./columns";
import { targets } from "./targets";

/** hawkBit's Action.Status, in ordinal order. Stored upper case, sent lower case by the Management API. */
export const ACTION_STATUSES = [
	"FINISHED",
	"ERROR",
	"WARNING",
	"RUNNING",
	"CANCELED",
	"CANCELING",
	"RETRIEVED",
	"DOWNLOAD",
	"SCHEDULED",
	"CANCEL_REJECTED",
	"DOWNLOADED",
	"WAIT_FOR_CONFIRMATION",
] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

export const ACTION_TYPES = ["forced", "soft", "timeforced", "downloadonly"] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

export const actions = sqliteTable(
	"actions",
	{
		id: integer().primaryKey({ autoIncrement: true }),
		tenant: text().notNull(),
		targetId: integer()
			.notNull()
			.references(() => targets.id, { onDelete: "cascade" }),
		dsId: integer().notNull(),
		actionType: text({ enum: ACTION_TYPES }).notNull().default("forced"),
		status: text({ enum: ACTION_STATUSES }).notNull(),
		active: integer({ mode: "boolean" }).notNull(),
		weight: integer(),
		forcedTime: epochMs(),
		maintenanceSchedule: text(),
		maintenanceDuration: text(),
		maintenanceTimezone: text(),
		rolloutId: integer(),
		rolloutGroupId: integer(),
		initiatedBy: text(),
		externalRef: text(),
		lastActionStatusCode: integer(),
		...auditColumns(),
	},
	(t) => [
		index("actions_target_active_idx").on(t.targetId, t.active),
		index("actions_tenant_ds_idx").on(t.tenant, t.dsId),
		index("actions_rollout_group_status_idx").on(t.rolloutGroupId, t.status),
		index("actions_rollout_idx").on(t.rolloutId),
	],
);

export const actionStatuses = sqliteTable(
	"action_statuses",
	{
		id: integer().primaryKey({ autoIncrement: true }),
		tenant: text().notNull(),
		actionId: integer()
			.notNull()
			.references(() => actions.id, { onDelete: "cascade" }),
		status: text({ enum: ACTION_STATUSES }).notNull(),
		/** Device-reported time (ms); server time when absent. */
		timestamp: epochMs().notNull(),
		/** JSON array of message strings. */
		messages: text().notNull().default("[]"),
		code: integer(),
		...auditColumns(),
	},
	(t) => [index("action_statuses_action_idx").on(t.actionId)],
);
