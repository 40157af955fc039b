/** Rollouts, their groups and the targets frozen into each group. hawkBit: Rollout, RolloutGroup, RolloutTargetGroup. */
import { index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { ACTION_TYPES } from "./actions";
import { auditColumns, epochMs } from "./columns";

export const ROLLOUT_STATUSES = [
	"creating",
	"waiting_for_approval",
	"approval_denied",
	"ready",
	"starting",
	"running",
	"paused",
	"stopping",
	"stopped",
	"finished",
	"deleting",
	"deleted",
] as const;
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];

export const ROLLOUT_GROUP_STATUSES = [
	"creating",
	"ready",
	"scheduled",
	"running",
	"finished",
	"error",
] as const;
export type RolloutGroupStatus = (typeof ROLLOUT_GROUP_STATUSES)[number];

const conditionColumns = () => ({
	successCondition: text().notNull().default("THRESHOLD"),
	successConditionExp: text().notNull().default("50"),
	successAction: text().notNull().default("NEXTGROUP"),
	successActionExp: text(),
	errorCondition: text().notNull().default("THRESHOLD"),
	errorConditionExp: text().notNull().default("50"),
	errorAction: text().notNull().default("PAUSE"),
	errorActionExp: text(),
});

export const rollouts = sqliteTable(
	"rollouts",
	{
		id: integer().primaryKey({ autoIncrement: true }),
		tenant: text().notNull(),
		name: text().notNull(),
		description: text(),
		dsId: integer().notNull(),
		targetFilterQuery: text().notNull(),
		status: text({ enum: ROLLOUT_STATUSES }).notNull().default("creating"),
		actionType: text({ enum: ACTION_TYPES }).notNull().default("forced"),
		forcedTime: epochMs(),
		startAt: epochMs(),
		weight: integer(),
		dynamic: integer({ mode: "boolean" }).notNull().default(false),
		confirmationRequired: integer({ mode: "boolean" }),
		totalTargets: integer().notNull().default(0),
		approvalRemark: text(),
		approvalDecidedBy: text(),
		/** Why the coordinator paused the rollout (error threshold, success action, operator). */
		pauseReason: text(),
		deleted: integer({ mode: "boolean" }).notNull().default(false),
		...conditionColumns(),
		...auditColumns(),
	},
	(t) => [index("rollouts_tenant_status_idx").on(t.tenant, t.status)],
);

export const rolloutGroups = sqliteTable(
	"rollout_groups",
	{
		id: integer().primaryKey({ autoIncrement: true }),
		tenant: text().notNull(),
		rolloutId: integer()
			.notNull()
			.references(() => rollouts.id, { onDelete: "cascade" }),
		/** Groups form a chain: NEXTGROUP starts the group whose parent is the current one. */
		parentId: integer(),
		name: text().notNull(),
		description: text(),
		status: text({ enum: ROLLOUT_GROUP_STATUSES }).notNull().default("creating"),
		targetFilterQuery: text(),
		targetPercentage: real().notNull().default(100),
		confirmationRequired: integer({ mode: "boolean" }),
		dynamic: integer({ mode: "boolean" }).notNull().default(false),
		totalTargets: integer().notNull().default(0),
		...conditionColumns(),
		...auditColumns(),
	},
	(t) => [index("rollout_groups_rollout_idx").on(t.rolloutId)],
);

export const rolloutTargetGroups = sqliteTable(
	"rollout_target_groups",
	{
		rolloutGroupId: integer()
			.notNull()
			.references(() => rolloutGroups.id, { onDelete: "cascade" }),
		targetId: integer().notNull(),
	},
	(t) => [
		primaryKey({ columns: [t.rolloutGroupId, t.targetId] }),
		index("rollout_target_groups_target_idx").on(t.targetId),
	],
);
