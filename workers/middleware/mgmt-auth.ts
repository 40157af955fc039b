/**
 * Management API authentication and permission checks. hawkBit: the management security filter chain
 * (HTTP Basic against static users, OAuth2 bearer tokens) plus @PreAuthorize on every operation.
 *
 * - Basic: the built-in admin (env ADMIN_USER / ADMIN_PASSWORD, tenant DEFAULT, role TENANT_ADMIN)
 *   or a D1 user (PBKDF2). Successful verifications are cached per isolate so scripts do not pay the
 *   KDF on every call; the cache key includes the stored hash, so a password change invalidates it.
 * - Bearer: an API token from D1 (only its SHA-256 is stored); its authorities are its scopes.
 * - 401 carries `WWW-Authenticate: Basic realm="hawkBit"` and Spring Boot's error body; a missing
 *   permission is 403 `insufficientPermission` (hawkBit's ExceptionInfo).
 */
import { createMiddleware } from "hono/factory";
import { ensureTenant } from "../../shared/db/queries/tenants";
import {
	findApiTokenByHash,
	findUserByUsername,
	parseAuthorities,
} from "../../shared/db/queries/users";
import { sha256Hex, timingSafeEqualString, verifyPassword } from "../../shared/domain/credentials";
import { expandAuthorities, type Permission } from "../../shared/domain/permissions";
import { exceptionInfo } from "../../shared/errors";
import type { AppEnv } from "../env";
import { ApiError, springError } from "../http-errors";

/** Who is calling the management API. */
export type Principal = {
	kind: "admin" | "user" | "token";
	username: string;
	/** Upper-cased tenant the principal belongs to; every query is scoped to it. */
	tenant: string;
	/** Authorities as configured (roles with `ROLE_`), shown by /userinfo. */
	authorities: string[];
	/** Reachable permissions after the role/permission hierarchy. */
	permissions: ReadonlySet<Permission>;
};

/** The Hono environment of management routes: AppEnv plus the authenticated principal. */
export type MgmtEnv = {
	Bindings: Env;
	Variables: AppEnv["Variables"] & { principal: Principal };
};

export const DEFAULT_TENANT = "DEFAULT";
const REALM = 'Basic realm="hawkBit"';
/** Paths under /rest/v1 reachable without credentials (the API description only). */
const PUBLIC_PATHS = new Set(["/rest/v1/openapi.json", "/rest/v1/docs"]);

const VERIFIED_TTL_MS = 5 * 60_000;
const VERIFIED_MAX = 1000;
/** `${storedHash}\n${sha256(password)}` → expiry. Per isolate, never shared. */
const verifiedPasswords = new Map<string, number>();
/** Tenants whose bootstrap (default types) already ran in this isolate. */
const ensuredTenants = new Set<string>();

/** True when this deployment must refuse the management API (default or missing admin password). */
export function adminCredentialUnsafe(env: Env): boolean {
	const pw = env.ADMIN_PASSWORD;
	return env.DEPLOYMENT === "production" && (!pw || pw === "admin");
}

function unauthorized(c: Parameters<typeof springError>[0]) {
	c.header("WWW-Authenticate", REALM);
	return springError(c, 401, "Unauthorized");
}

function decodeBasic(value: string): { username: string; password: string } | undefined {
	try {
		const bin = atob(value.trim());
		const bytes = Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
		const decoded = new TextDecoder().decode(bytes);
		const i = decoded.indexOf(":");
		if (i < 0) {
			return undefined;
		}
		return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
	} catch {
		return undefined;
	}
}

async function passwordMatches(password: string, storedHash: string): Promise<boolean> {
	const key = `${storedHash}\n${await sha256Hex(password)}`;
	const now = Date.now();
	const until = verifiedPasswords.get(key);
	if (until !== undefined && until > now) {
		return true;
	}
	if (!(await verifyPassword(password, storedHash))) {
		return false;
	}
	if (verifiedPasswords.size >= VERIFIED_MAX) {
		verifiedPasswords.clear();
	}
	verifiedPasswords.set(key, now + VERIFIED_TTL_MS);
	return true;
}

async function principalFromBasic(
	env: Env,
	db: AppEnv["Variables"]["db"],
	creds: { username: string; password: string },
): Promise<Principal | undefined> {
	const adminPassword = env.ADMIN_PASSWORD;
	if (creds.username === env.ADMIN_USER && adminPassword) {
		if (!timingSafeEqualString(creds.password, adminPassword)) {
			return undefined;
		}
		const authorities = ["ROLE_TENANT_ADMIN"];
		return {
			kind: "admin",
			username: creds.username,
			tenant: DEFAULT_TENANT,
			authorities,
			permissions: expandAuthorities(authorities),
		};
	}
	const user = await findUserByUsername(db, creds.username);
	if (!user || !(await passwordMatches(creds.password, user.passwordHash))) {
		return undefined;
	}
	const authorities = parseAuthorities(user.authorities);
	return {
		kind: "user",
		username: user.username,
		tenant: user.tenant,
		authorities,
		permissions: expandAuthorities(authorities),
	};
}

async function principalFromBearer(
	db: AppEnv["Variables"]["db"],
	token: string,
): Promise<Principal | undefined> {
	const row = await findApiTokenByHash(db, await sha256Hex(token.trim()));
	if (!row || (row.expiresAt !== null && row.expiresAt <= Date.now())) {
		return undefined;
	}
	const authorities = parseAuthorities(row.authorities);
	return {
		kind: "token",
		username: `token:${row.name}`,
		tenant: row.tenant,
		authorities,
		permissions: expandAuthorities(authorities),
	};
}

/** Authenticates every /rest/v1 request except the public API description. */
export const mgmtAuth = createMiddleware<MgmtEnv>(async (c, next) => {
	if (PUBLIC_PATHS.has(c.req.path)) {
		return next();
	}
	if (adminCredentialUnsafe(c.env)) {
		return c.json(
			exceptionInfo(
				"serviceUnavailable",
				"Management API disabled: this deployment has no ADMIN_PASSWORD secret or still uses the default. Set it with `wrangler secret put ADMIN_PASSWORD`.",
			),
			503,
		);
	}
	const header = c.req.header("authorization") ?? "";
	const space = header.indexOf(" ");
	const scheme = space > 0 ? header.slice(0, space).toLowerCase() : "";
	const value = space > 0 ? header.slice(space + 1) : "";
	let principal: Principal | undefined;
	if (scheme === "basic") {
		const creds = decodeBasic(value);
		principal = creds ? await principalFromBasic(c.env, c.var.db, creds) : undefined;
	} else if (scheme === "bearer" && value.trim()) {
		principal = await principalFromBearer(c.var.db, value);
	}
	if (!principal) {
		return unauthorized(c);
	}
	if (!ensuredTenants.has(principal.tenant)) {
		await ensureTenant(c.var.db, c.env.DB, principal.tenant);
		ensuredTenants.add(principal.tenant);
	}
	c.set("principal", principal);
	c.set("tenant", principal.tenant);
	await next();
});

/** 403 `insufficientPermission` unless the principal holds every permission (after the hierarchy). */
export function requirePermission(...required: Permission[]) {
	return createMiddleware<MgmtEnv>(async (c, next) => {
		const missing = required.filter((p) => !c.var.principal.permissions.has(p));
		if (missing.length > 0) {
			throw new ApiError(
				"insufficientPermission",
				`Insufficient permission: requires ${missing.join(", ")}`,
			);
		}
		await next();
	});
}

/** True when the caller holds the permission (for optional fields such as securityToken). */
export function callerHas(principal: Principal, permission: Permission): boolean {
	return principal.permissions.has(permission);
}
