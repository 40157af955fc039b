/**
 * Test credentials for the management API: the built-in admin and D1 users/tokens of any tenant.
 * Users are hashed with few PBKDF2 iterations (the stored format carries the count), so tests stay fast.
 */
import { createDb } from "../../shared/db/client";
import { ensureTenant, normaliseTenant } from "../../shared/db/queries/tenants";
import { insertApiToken, insertUser } from "../../shared/db/queries/users";
import { generateApiToken, hashPassword, sha256Hex } from "../../shared/domain/credentials";

/** Basic header of the built-in admin (tests run with ADMIN_USER=admin, ADMIN_PASSWORD=admin). */
export const ADMIN_AUTH = `Basic ${btoa("admin:admin")}`;

export function basic(username: string, password: string): string {
	return `Basic ${btoa(`${username}:${password}`)}`;
}

let counter = 0;
function unique(prefix: string): string {
	counter += 1;
	return `${prefix}-${Date.now().toString(36)}-${counter}-${crypto.randomUUID().slice(0, 8)}`;
}

/** A fresh tenant name (upper case, as stored). */
export function uniqueTenant(prefix = "T"): string {
	return normaliseTenant(unique(prefix));
}

/** Creates a D1 user with the given authorities; returns its Basic header. */
export async function givenUser(
	env: Env,
	o: { tenant?: string; authorities: string[]; username?: string; password?: string },
): Promise<{ auth: string; username: string; password: string; tenant: string }> {
	const db = createDb(env.DB);
	const tenant = normaliseTenant(o.tenant ?? "DEFAULT");
	await ensureTenant(db, env.DB, tenant);
	const username = o.username ?? unique("user");
	const password = o.password ?? unique("pw");
	const created = await insertUser(db, {
		tenant,
		username,
		passwordHash: await hashPassword(password, 1000),
		authorities: o.authorities,
		by: "test",
	});
	if (!created) {
		throw new Error(`user ${username} exists`);
	}
	return { auth: basic(username, password), username, password, tenant };
}

/** Creates an API token with the given scopes; returns its Bearer header. */
export async function givenToken(
	env: Env,
	o: { tenant?: string; authorities: string[]; expiresAt?: number },
): Promise<{ auth: string; token: string; tenant: string }> {
	const db = createDb(env.DB);
	const tenant = normaliseTenant(o.tenant ?? "DEFAULT");
	await ensureTenant(db, env.DB, tenant);
	const token = generateApiToken();
	await insertApiToken(db, {
		tenant,
		name: unique("token"),
		tokenHash: await sha256Hex(token),
		authorities: o.authorities,
		expiresAt: o.expiresAt,
		by: "test",
	});
	return { auth: `Bearer ${token}`, token, tenant };
}
