/** Saved target filter queries, optionally with an auto-assign distribution set. hawkBit: TargetFilterQuery. */
import { integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { ACTION_TYPES } from "./actions";
import { auditColumns } from "./columns";

export const targetFilters = sqliteTable(
	"target_filters",
	{
		id: integer().primaryKey({ autoIncrement: true }),
		tenant: text().notNull(),
		name: text().notNull(),
		query: text().notNull(),
		autoAssignDsId: integer(),
		autoAssignActionType: text({ enum: ACTION_TYPES }),
		autoAssignWeight: integer(),
		confirmationRequired: integer({ mode: "boolean" }),
		autoAssignInitiatedBy: text(),
		/** Auto-assignment progress: targets with id ≤ cursor were already considered in this pass. */
		autoAssignCursor: integer().notNull().default(0),
		...auditColumns(),
	},
	(t) => [uniqueIndex("target_filters_name_uq").on(t.tenant, t.name)],
);
