import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runAuthMatrix } from "../testing/auth-matrix";
import { uniqueName } from "../testing/factories";
import { mgmtFetch, mgmtJson } from "../testing/mgmt-client";
import { basic, givenUser, uniqueTenant } from "../testing/principals";

describe("/rest/v1/system/users and /system/tokens (Updraft extension)", () => {
	it("creates a user who can then log in with HTTP Basic into the creator's tenant", async () => {
		const tenant = uniqueTenant();
		const admin = await givenUser(env, { tenant, authorities: ["ROLE_TENANT_ADMIN"] });
		const username = uniqueName("ops");
		const created = await mgmtJson<{ tenant: string; authorities: string[] }>(
			"POST",
			"/system/users",
			201,
			{
				auth: admin.auth,
				body: { username, password: "correct horse battery", authorities: ["target_admin"] },
			},
		);
		expect(created).toMatchObject({ tenant, authorities: ["ROLE_TARGET_ADMIN"] });
		const info = await mgmtJson("GET", "/userinfo", 200, {
			auth: basic(username, "correct horse battery"),
		});
		expect(info).toEqual({ tenant, username, permissions: ["ROLE_TARGET_ADMIN"] });
		const stored = await env.DB.prepare("SELECT password_hash FROM users WHERE username = ?")
			.bind(username)
			.first<{ password_hash: string }>();
		expect(stored?.password_hash).toMatch(/^pbkdf2-sha256\$100000\$/);
		expect(
			(
				await mgmtFetch("POST", "/system/users", {
					auth: admin.auth,
					body: { username, password: "another password", authorities: [] },
				})
			).status,
		).toBe(409);
		const users = await mgmtJson<{ username: string }[]>("GET", "/system/users", 200, {
			auth: admin.auth,
		});
		expect(users.map((u) => u.username)).toContain(username);
		expect(
			(await mgmtFetch("DELETE", `/system/users/${username}`, { auth: admin.auth })).status,
		).toBe(204);
		expect(
			(await mgmtFetch("GET", "/userinfo", { auth: basic(username, "correct horse battery") }))
				.status,
		).toBe(401);
	});

	it("refuses to grant more than the caller holds, unknown authorities and weak passwords", async () => {
		const cfg = await givenUser(env, { authorities: ["TENANT_CONFIGURATION", "READ_TARGET"] });
		const escalate = await mgmtFetch("POST", "/system/users", {
			auth: cfg.auth,
			body: {
				username: uniqueName("x"),
				password: "long enough pw",
				authorities: ["ROLE_TENANT_ADMIN"],
			},
		});
		expect(escalate.status).toBe(403);
		const unknown = await mgmtFetch("POST", "/system/tokens", {
			auth: cfg.auth,
			body: { name: "t", authorities: ["FLY"] },
		});
		expect(unknown.status).toBe(400);
		const weak = await mgmtFetch("POST", "/system/users", {
			auth: cfg.auth,
			body: { username: uniqueName("x"), password: "short", authorities: [] },
		});
		expect(weak.status).toBe(400);
		const ok = await mgmtFetch("POST", "/system/users", {
			auth: cfg.auth,
			body: { username: uniqueName("x"), password: "long enough pw", authorities: ["READ_TARGET"] },
		});
		expect(ok.status).toBe(201);
	});

	it("creates a bearer token shown once, lists it without secret, and revokes it", async () => {
		const tenant = uniqueTenant();
		const admin = await givenUser(env, { tenant, authorities: ["ROLE_TENANT_ADMIN"] });
		const created = await mgmtJson<{ id: number; token: string }>("POST", "/system/tokens", 201, {
			auth: admin.auth,
			body: { name: "ci", authorities: ["READ_TARGET"] },
		});
		expect(created.token).toMatch(/^upd_/);
		const info = await mgmtJson("GET", "/userinfo", 200, { auth: `Bearer ${created.token}` });
		expect(info).toMatchObject({ tenant, permissions: ["READ_TARGET"] });
		expect(
			(
				await mgmtFetch("POST", "/targets", {
					auth: `Bearer ${created.token}`,
					body: [{ controllerId: "x" }],
				})
			).status,
		).toBe(403);
		const list = await mgmtJson<Record<string, unknown>[]>("GET", "/system/tokens", 200, {
			auth: admin.auth,
		});
		expect(list.find((t) => t.id === created.id)).not.toHaveProperty("token");
		expect(
			(await mgmtFetch("DELETE", `/system/tokens/${created.id}`, { auth: admin.auth })).status,
		).toBe(204);
		expect((await mgmtFetch("GET", "/userinfo", { auth: `Bearer ${created.token}` })).status).toBe(
			401,
		);
	});

	it("never lets one tenant delete another tenant's users", async () => {
		const victim = await givenUser(env, { tenant: uniqueTenant(), authorities: ["READ_TARGET"] });
		const other = await givenUser(env, {
			tenant: uniqueTenant(),
			authorities: ["ROLE_TENANT_ADMIN"],
		});
		expect(
			(await mgmtFetch("DELETE", `/system/users/${victim.username}`, { auth: other.auth })).status,
		).toBe(404);
		expect((await mgmtFetch("GET", "/userinfo", { auth: victim.auth })).status).toBe(200);
	});
});

runAuthMatrix({
	method: "GET",
	path: "/rest/v1/system/users",
	permissions: ["TENANT_CONFIGURATION"],
	foreignTenant: async (r) => expect(r.status).toBe(200),
});
runAuthMatrix({
	method: "POST",
	path: "/rest/v1/system/users",
	body: async () => ({ username: uniqueName("am"), password: "long enough pw", authorities: [] }),
	permissions: ["TENANT_CONFIGURATION"],
	foreignTenant: 201,
});
runAuthMatrix({
	method: "DELETE",
	path: async () => `/rest/v1/system/users/${(await givenUser(env, { authorities: [] })).username}`,
	permissions: ["TENANT_CONFIGURATION"],
});
runAuthMatrix({
	method: "GET",
	path: "/rest/v1/system/tokens",
	permissions: ["TENANT_CONFIGURATION"],
	foreignTenant: async (r) => expect(r.status).toBe(200),
});
runAuthMatrix({
	method: "POST",
	path: "/rest/v1/system/tokens",
	body: { name: "am", authorities: [] },
	permissions: ["TENANT_CONFIGURATION"],
	foreignTenant: 201,
});
runAuthMatrix({
	method: "DELETE",
	path: async () => {
		const r = await mgmtJson<{ id: number }>("POST", "/system/tokens", 201, {
			body: { name: "am", authorities: [] },
		});
		return `/rest/v1/system/tokens/${r.id}`;
	},
	permissions: ["TENANT_CONFIGURATION"],
});
