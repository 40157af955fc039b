/** Tenants, their configuration overrides and management credentials. hawkBit: TenantMetaData, TenantConfiguration. */
import { integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { auditColumns, epochMs } from "./columns";

export const tenants = sqliteTable(
	"tenants",
	{
		id: integer().primaryKey({ autoIncrement: true }),
		/** Upper-cased: tenant names are case-insensitive on the wire. */
		name: text().notNull(),
		defaultDsTypeId: integer(),
		createdAt: epochMs()
			.notNull()
			.$defaultFn(() => Date.now()),
	},
	(t) => [uniqueIndex("tenants_name_uq").on(t.name)],
);

/** Only overrides are stored; absent keys fall back to the system default (hawkBit's `global: true`). */
export const tenantConfigs = sqliteTable(
	"tenant_configs",
	{
		tenant: text().notNull(),
		key: text().notNull(),
		/** JSON-encoded typed value (boolean / number / string). */
		value: text().notNull(),
		...auditColumns(),
	},
	(t) => [primaryKey({ columns: [t.tenant, t.key] })],
);

/** Management users of a tenant (HTTP Basic). Passwords are PBKDF2-hashed. */
export const users = sqliteTable(
	"users",
	{
		id: integer().primaryKey({ autoIncrement: true }),
		tenant: text().notNull(),
		username: text().notNull(),
		passwordHash: text().notNull(),
		/** JSON array of roles (without ROLE_) and permissions. */
		authorities: text().notNull().default("[]"),
		...auditColumns(),
	},
	(t) => [uniqueIndex("users_tenant_username_uq").on(t.tenant, t.username)],
);

/** Bearer API tokens with scoped permissions; only a SHA-256 of the secret is kept. */
export const apiTokens = sqliteTable(
	"api_tokens",
	{
		id: integer().primaryKey({ autoIncrement: true }),
		tenant: text().notNull(),
		name: text().notNull(),
		tokenHash: text().notNull(),
		authorities: text().notNull().default("[]"),
		expiresAt: epochMs(),
		...auditColumns(),
	},
	(t) => [uniqueIndex("api_tokens_hash_uq").on(t.tokenHash)],
);
