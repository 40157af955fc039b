/**
 * One authentication/authorisation suite for every management route (unkey's idea): missing, wrong
 * and expired credentials → 401 with `WWW-Authenticate: Basic realm="hawkBit"`; a caller lacking the
 * route's permissions → 403 insufficientPermission; a tenant admin of another tenant never sees or
 * changes the resource; a caller holding exactly the listed permissions is let through.
 *
 * Use from any route test file:
 *   runAuthMatrix({ method: "GET", path: async () => `/rest/v1/targets/${await makeTarget()}`,
 *                   permissions: ["READ_TARGET"] });
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { expandAuthorities, PERMISSIONS, type Permission } from "../../shared/domain/permissions";
import { givenToken, givenUser, uniqueTenant } from "./principals";

export type AuthMatrixCase = {
	method: "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "HEAD";
	/** Path (with /rest/v1) or a factory that creates the resource in tenant DEFAULT and returns it. */
	path: string | (() => Promise<string>);
	/** JSON body for write routes (sent with Content-Type: application/json). */
	body?: unknown | (() => Promise<unknown>);
	/** Permissions the route requires; [] = any authenticated caller (skips the 403 case). */
	permissions: Permission[];
	/**
	 * What a TENANT_ADMIN of another tenant gets. Default 404 (the entity does not exist there).
	 * Pass a function for lists (e.g. assert the DEFAULT tenant's entity is absent), or "skip" for
	 * tenant-less routes such as /userinfo.
	 */
	foreignTenant?: number | ((res: Response) => Promise<void> | void) | "skip";
	/** Status the permitted caller must get (default: anything but 401/403). */
	permittedStatus?: number;
	/** Name shown in the describe block (default `METHOD path`). */
	name?: string;
};

const BASE = "https://auth-matrix.test";

async function call(c: AuthMatrixCase, authorization?: string): Promise<Response> {
	const path = typeof c.path === "function" ? await c.path() : c.path;
	const body = typeof c.body === "function" ? await (c.body as () => Promise<unknown>)() : c.body;
	const headers: Record<string, string> = {};
	if (authorization) {
		headers.Authorization = authorization;
	}
	if (body !== undefined) {
		headers["Content-Type"] = "application/json";
	}
	return exports.default.fetch(`${BASE}${path}`, {
		method: c.method,
		headers,
		body: body === undefined ? undefined : JSON.stringify(body),
	});
}

async function expect401(res: Response) {
	expect(res.status).toBe(401);
	expect(res.headers.get("WWW-Authenticate")).toBe('Basic realm="hawkBit"');
	expect(await res.json()).toMatchObject({ status: 401, error: "Unauthorized" });
}

/** Every permission that neither is nor implies any of the required ones. */
export function permissionsLacking(required: readonly Permission[]): Permission[] {
	return PERMISSIONS.filter((p) => {
		const reach = expandAuthorities([p]);
		return !required.some((r) => reach.has(r));
	});
}

export function runAuthMatrix(c: AuthMatrixCase): void {
	const label = c.name ?? `${c.method} ${typeof c.path === "string" ? c.path : "(resource)"}`;
	describe(`auth matrix: ${label}`, () => {
		it("answers 401 without credentials", async () => {
			await expect401(await call(c));
		});

		it("answers 401 for a wrong password and an unknown user", async () => {
			await expect401(await call(c, `Basic ${btoa("admin:not-the-password")}`));
			await expect401(await call(c, `Basic ${btoa("nobody-here:whatever")}`));
			await expect401(await call(c, "Basic !!!not-base64"));
		});

		it("answers 401 for an unknown, expired or malformed bearer token", async () => {
			await expect401(await call(c, "Bearer upd_unknown"));
			const expired = await givenToken(env, { authorities: [...c.permissions], expiresAt: 1 });
			await expect401(await call(c, expired.auth));
			await expect401(await call(c, "Bearer "));
		});

		if (c.permissions.length > 0) {
			it("answers 403 insufficientPermission without the required permissions", async () => {
				const lacking = await givenUser(env, { authorities: permissionsLacking(c.permissions) });
				const res = await call(c, lacking.auth);
				expect(res.status).toBe(403);
				expect(await res.json()).toMatchObject({
					errorCode: "hawkbit.server.error.insufficientPermission",
				});
				const token = await givenToken(env, { authorities: permissionsLacking(c.permissions) });
				expect((await call(c, token.auth)).status).toBe(403);
			});
		}

		it("lets a caller with exactly the required permissions through (user and token)", async () => {
			const user = await givenUser(env, { authorities: [...c.permissions] });
			const res = await call(c, user.auth);
			if (c.permittedStatus !== undefined) {
				expect(res.status).toBe(c.permittedStatus);
			} else {
				expect([401, 403]).not.toContain(res.status);
			}
			const token = await givenToken(env, { authorities: [...c.permissions] });
			expect([401, 403]).not.toContain((await call(c, token.auth)).status);
		});

		if (c.foreignTenant !== "skip") {
			it("keeps another tenant's admin away from this tenant's data", async () => {
				const foreign = await givenUser(env, {
					tenant: uniqueTenant("FOREIGN"),
					authorities: ["ROLE_TENANT_ADMIN"],
				});
				const res = await call(c, foreign.auth);
				if (typeof c.foreignTenant === "function") {
					await c.foreignTenant(res);
				} else {
					expect(res.status).toBe(c.foreignTenant ?? 404);
				}
			});
		}
	});
}
