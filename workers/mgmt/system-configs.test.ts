import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runAuthMatrix } from "../testing/auth-matrix";
import { mgmtFetch, mgmtJson } from "../testing/mgmt-client";
import { givenUser, uniqueTenant } from "../testing/principals";

type Value = {
	value: unknown;
	global: boolean;
	lastModifiedBy?: string;
	_links: { self: { href: string } };
};

async function tenantAdmin() {
	return givenUser(env, { tenant: uniqueTenant(), authorities: ["ROLE_TENANT_ADMIN"] });
}

describe("/rest/v1/system/configs", () => {
	it("lists every key with hawkBit's defaults as global values", async () => {
		const admin = await tenantAdmin();
		const all = await mgmtJson<Record<string, Value>>("GET", "/system/configs", 200, {
			auth: admin.auth,
		});
		expect(all.pollingTime).toMatchObject({ value: "00:05:00", global: true });
		expect(all["authentication.targettoken.enabled"]).toMatchObject({ value: false, global: true });
		expect(all["action.delete.allowed.statuses"]?.value).toBe("CANCELED,ERROR,FINISHED");
		expect(all["default.ds.type"]?.value).toEqual(expect.any(Number));
		expect(all.pollingTime?._links.self.href).toBe(
			"https://mgmt.test/rest/v1/system/configs/pollingTime",
		);
		expect(all).toHaveProperty(["authentication.gatewaytoken.key"]);
	});

	it("sets (204), reads with audit fields, and deletes back to the default", async () => {
		const admin = await tenantAdmin();
		const path = "/system/configs/pollingTime";
		expect(
			(await mgmtFetch("PUT", path, { auth: admin.auth, body: { value: "00:01:00" } })).status,
		).toBe(204);
		const v = await mgmtJson<Value>("GET", path, 200, { auth: admin.auth });
		expect(v).toMatchObject({ value: "00:01:00", global: false, lastModifiedBy: admin.username });
		expect((await mgmtFetch("DELETE", path, { auth: admin.auth })).status).toBe(204);
		expect(await mgmtJson<Value>("GET", path, 200, { auth: admin.auth })).toMatchObject({
			value: "00:05:00",
			global: true,
		});
	});

	it("sets several keys atomically and refuses bad keys and values (400)", async () => {
		const admin = await tenantAdmin();
		const bad = await mgmtFetch("PUT", "/system/configs", {
			auth: admin.auth,
			body: { "rollout.approval.enabled": true, pollingTime: "nonsense" },
		});
		expect(bad.status).toBe(400);
		expect(await bad.json()).toMatchObject({
			errorCode: "hawkbit.server.error.configValueInvalid",
		});
		expect(
			await mgmtJson<Value>("GET", "/system/configs/rollout.approval.enabled", 200, {
				auth: admin.auth,
			}),
		).toMatchObject({
			value: false,
		});
		const ok = await mgmtFetch("PUT", "/system/configs", {
			auth: admin.auth,
			body: { "rollout.approval.enabled": true, maintenanceWindowPollCount: 5 },
		});
		expect(ok.status).toBe(204);
		const unknown = await mgmtFetch("GET", "/system/configs/no.such.key", { auth: admin.auth });
		expect(unknown.status).toBe(400);
		expect(await unknown.json()).toMatchObject({
			errorCode: "hawkbit.server.error.configKeyInvalid",
		});
	});

	it("validates RSQL in pollingTime overrides", async () => {
		const admin = await tenantAdmin();
		const good = await mgmtFetch("PUT", "/system/configs/pollingTime", {
			auth: admin.auth,
			body: { value: "00:05:00, attribute.hw==2 -> 00:01:00" },
		});
		expect(good.status).toBe(204);
		const bad = await mgmtFetch("PUT", "/system/configs/pollingTime", {
			auth: admin.auth,
			body: { value: "00:05:00, nope==2 -> 00:01:00" },
		});
		expect(bad.status).toBe(400);
	});

	it("hides the gateway key without READ_GATEWAY_SECURITY_TOKEN", async () => {
		const tenant = uniqueTenant();
		const admin = await givenUser(env, { tenant, authorities: ["ROLE_TENANT_ADMIN"] });
		await mgmtFetch("PUT", "/system/configs/authentication.gatewaytoken.key", {
			auth: admin.auth,
			body: { value: "s3cret" },
		});
		const reader = await givenUser(env, { tenant, authorities: ["READ_TENANT_CONFIGURATION"] });
		const all = await mgmtJson<Record<string, Value>>("GET", "/system/configs", 200, {
			auth: reader.auth,
		});
		expect(all).not.toHaveProperty(["authentication.gatewaytoken.key"]);
		expect(
			(
				await mgmtFetch("GET", "/system/configs/authentication.gatewaytoken.key", {
					auth: reader.auth,
				})
			).status,
		).toBe(403);
		expect(
			await mgmtJson<Value>("GET", "/system/configs/authentication.gatewaytoken.key", 200, {
				auth: admin.auth,
			}),
		).toMatchObject({ value: "s3cret" });
	});

	it("keeps tenants' configurations apart", async () => {
		const a = await tenantAdmin();
		const b = await tenantAdmin();
		await mgmtFetch("PUT", "/system/configs/pollingTime", {
			auth: a.auth,
			body: { value: "00:02:00" },
		});
		expect(
			await mgmtJson<Value>("GET", "/system/configs/pollingTime", 200, { auth: b.auth }),
		).toMatchObject({
			value: "00:05:00",
		});
	});
});

const same = (status: number) => async (res: Response) => expect(res.status).toBe(status);
runAuthMatrix({
	method: "GET",
	path: "/rest/v1/system/configs",
	permissions: ["READ_TENANT_CONFIGURATION"],
	foreignTenant: same(200),
});
runAuthMatrix({
	method: "GET",
	path: "/rest/v1/system/configs/pollingTime",
	permissions: ["READ_TENANT_CONFIGURATION"],
	foreignTenant: same(200),
});
runAuthMatrix({
	method: "PUT",
	path: "/rest/v1/system/configs/maintenanceWindowPollCount",
	body: { value: 3 },
	permissions: ["UPDATE_TENANT_CONFIGURATION"],
	foreignTenant: same(204),
});
runAuthMatrix({
	method: "PUT",
	path: "/rest/v1/system/configs",
	body: { maintenanceWindowPollCount: 3 },
	permissions: ["UPDATE_TENANT_CONFIGURATION"],
	foreignTenant: same(204),
});
runAuthMatrix({
	method: "DELETE",
	path: "/rest/v1/system/configs/maintenanceWindowPollCount",
	permissions: ["DELETE_TENANT_CONFIGURATION"],
	foreignTenant: same(204),
});
