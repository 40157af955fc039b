/** Target types and their compatible distribution-set types. hawkBit: TargetType. */
import { integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { auditColumns } from "./columns";

export const targetTypes = sqliteTable(
	"target_types",
	{
		id: integer().primaryKey({ autoIncrement: true }),
		tenant: text().notNull(),
		key: text().notNull(),
		name: text().notNull(),
		description: text(),
		colour: text(),
		...auditColumns(),
	},
	(t) => [
		uniqueIndex("target_types_key_uq").on(t.tenant, t.key),
		uniqueIndex("target_types_name_uq").on(t.tenant, t.name),
	],
);

export const targetTypeDsTypes = sqliteTable(
	"target_type_ds_types",
	{
		targetTypeId: integer()
			.notNull()
			.references(() => targetTypes.id, { onDelete: "cascade" }),
		dsTypeId: integer().notNull(),
	},
	(t) => [primaryKey({ columns: [t.targetTypeId, t.dsTypeId] })],
);
