/**
 * Management principals: users (HTTP Basic) and API tokens (Bearer). Updraft's stand-in for
 * hawkBit's static users (`hawkbit.security.user.*`) and its OAuth2 bearer tokens.
 */
import { and, asc, eq } from "drizzle-orm";
import type { Db } from "../client";
import { apiTokens, users } from "../schema";

export type UserRow = typeof users.$inferSelect;
export type ApiTokenRow = typeof apiTokens.$inferSelect;

/** Parses the stored JSON authority list, tolerating a damaged value as "no authorities". */
export function parseAuthorities(json: string): string[] {
	try {
		const v: unknown = JSON.parse(json);
		return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
	} catch {
		return [];
	}
}

/**
 * A user by login name. Basic auth carries no tenant, so usernames are unique across tenants
 * (insertUser enforces it); the row tells the tenant.
 */
export async function findUserByUsername(db: Db, username: string): Promise<UserRow | undefined> {
	return db.query.users.findFirst({ where: eq(users.username, username) });
}

export async function listUsers(db: Db, tenant: string): Promise<UserRow[]> {
	return db.query.users.findMany({ where: eq(users.tenant, tenant), orderBy: asc(users.id) });
}

/** Inserts a user; undefined when the username is taken (in any tenant). */
export async function insertUser(
	db: Db,
	u: { tenant: string; username: string; passwordHash: string; authorities: string[]; by: string },
): Promise<UserRow | undefined> {
	if (await findUserByUsername(db, u.username)) {
		return undefined;
	}
	const now = Date.now();
	const rows = await db
		.insert(users)
		.values({
			tenant: u.tenant,
			username: u.username,
			passwordHash: u.passwordHash,
			authorities: JSON.stringify(u.authorities),
			createdAt: now,
			createdBy: u.by,
			lastModifiedAt: now,
			lastModifiedBy: u.by,
		})
		.onConflictDoNothing()
		.returning();
	return rows[0];
}

/** Deletes a user of the tenant; true when one was deleted. */
export async function deleteUser(db: Db, q: { tenant: string; username: string }) {
	const rows = await db
		.delete(users)
		.where(and(eq(users.tenant, q.tenant), eq(users.username, q.username)))
		.returning({ id: users.id });
	return rows.length > 0;
}

export async function findApiTokenByHash(db: Db, tokenHash: string) {
	return db.query.apiTokens.findFirst({ where: eq(apiTokens.tokenHash, tokenHash) });
}

export async function listApiTokens(db: Db, tenant: string): Promise<ApiTokenRow[]> {
	return db.query.apiTokens.findMany({
		where: eq(apiTokens.tenant, tenant),
		orderBy: asc(apiTokens.id),
	});
}

export async function insertApiToken(
	db: Db,
	t: {
		tenant: string;
		name: string;
		tokenHash: string;
		authorities: string[];
		expiresAt?: number;
		by: string;
	},
): Promise<ApiTokenRow> {
	const now = Date.now();
	const rows = await db
		.insert(apiTokens)
		.values({
			tenant: t.tenant,
			name: t.name,
			tokenHash: t.tokenHash,
			authorities: JSON.stringify(t.authorities),
			expiresAt: t.expiresAt,
			createdAt: now,
			createdBy: t.by,
			lastModifiedAt: now,
			lastModifiedBy: t.by,
		})
		.returning();
	return rows[0] as ApiTokenRow;
}

export async function deleteApiToken(db: Db, q: { tenant: string; id: number }) {
	const rows = await db
		.delete(apiTokens)
		.where(and(eq(apiTokens.tenant, q.tenant), eq(apiTokens.id, q.id)))
		.returning({ id: apiTokens.id });
	return rows.length > 0;
}
