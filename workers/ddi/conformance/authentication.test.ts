/** hawkBit §2.1: DDI authentication per tenant configuration; 401 with an empty body on any failure. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../../shared/db/client";
import { ensureTenant } from "../../../shared/db/queries/tenants";
import { deletePollEntry, refreshPollEntries } from "../../../shared/poll-cache";
import { setTenantConfig, setTenantConfigs } from "../../../shared/tenant-config";
import { ddi, givenDevice, givenTenant, unique } from "./devices";

async function expect401(res: Response) {
	expect(res.status).toBe(401);
	expect(await res.text()).toBe("");
}

async function targetCount(tenant: string, controllerId: string): Promise<number> {
	const row = await env.DB.prepare(
		"SELECT COUNT(*) AS n FROM targets WHERE tenant = ?1 AND controller_id = ?2",
	)
		.bind(tenant, controllerId)
		.first<{ n: number }>();
	return row?.n ?? 0;
}

describe("DDI authentication", () => {
	it("rejects every scheme out of the box (all switched off by default)", async () => {
		const tenant = unique("OFF").toUpperCase();
		await ensureTenant(createDb(env.DB), env.DB, tenant);
		const device = await givenDevice(tenant);
		await expect401(await ddi(tenant, device.controllerId, { token: device.token }));
		await expect401(await ddi(tenant, device.controllerId, { gateway: "" }));
		await expect401(
			await ddi(tenant, device.controllerId, {
				headers: { "X-Controller-Id": device.controllerId, "X-Authority": "abc" },
			}),
		);
		await expect401(await ddi(tenant, device.controllerId));
	});

	it("accepts the target's own token when target tokens are enabled", async () => {
		const device = await givenDevice(await givenTenant());
		expect((await ddi(device.tenant, device.controllerId, { token: device.token })).status).toBe(
			200,
		);
	});

	it("rejects a wrong token, a token of another target, and a token differing only in case", async () => {
		const tenant = await givenTenant();
		const a = await givenDevice(tenant);
		const b = await givenDevice(tenant);
		await expect401(await ddi(tenant, a.controllerId, { token: `${a.token}x` }));
		await expect401(await ddi(tenant, a.controllerId, { token: b.token }));
		await expect401(await ddi(tenant, a.controllerId, { token: a.token.toUpperCase() }));
		await expect401(await ddi(tenant, a.controllerId, { token: "" }));
	});

	it("matches the scheme prefix exactly ('TargetToken ' with one space, case-sensitive)", async () => {
		const device = await givenDevice(await givenTenant());
		for (const auth of [
			`targettoken ${device.token}`,
			`TargetToken  ${device.token}`,
			`Bearer ${device.token}`,
			device.token,
		]) {
			await expect401(
				await ddi(device.tenant, device.controllerId, { headers: { Authorization: auth } }),
			);
		}
	});

	it("never registers an unknown controller with a target token", async () => {
		const tenant = await givenTenant();
		const controllerId = unique("ghost");
		await expect401(await ddi(tenant, controllerId, { token: "whatever" }));
		expect(await targetCount(tenant, controllerId)).toBe(0);
	});

	it("keeps tenants apart: a device's token does not open the same controller id in another tenant", async () => {
		const home = await givenTenant();
		const foreign = await givenTenant();
		const device = await givenDevice(home);
		await givenDevice(foreign, { controllerId: device.controllerId });
		await expect401(await ddi(foreign, device.controllerId, { token: device.token }));
		expect((await ddi(home, device.controllerId, { token: device.token })).status).toBe(200);
	});

	it("keeps tenant A:B device C apart from tenant A device B:C (no key collision)", async () => {
		const a = await givenTenant();
		const inA = await givenDevice(a, { controllerId: `B:${unique("c")}` });
		const [, rest] = inA.controllerId.split(":");
		const ab = `${a}:B`;
		await ensureTenant(createDb(env.DB), env.DB, ab);
		await setTenantConfig(env, ab, "authentication.targettoken.enabled", true);
		const inAb = await givenDevice(ab, { controllerId: rest });
		await expect401(await ddi(ab, inAb.controllerId, { token: inA.token }));
		expect((await ddi(ab, inAb.controllerId, { token: inAb.token })).status).toBe(200);
		expect((await ddi(a, inA.controllerId, { token: inA.token })).status).toBe(200);
	});

	it("treats the tenant in the path case-insensitively", async () => {
		const device = await givenDevice(await givenTenant());
		const lower = await ddi(device.tenant.toLowerCase(), device.controllerId, {
			token: device.token,
		});
		expect(lower.status).toBe(200);
	});

	it("stops accepting target tokens as soon as the tenant switches them off", async () => {
		const tenant = await givenTenant();
		const device = await givenDevice(tenant);
		expect((await ddi(tenant, device.controllerId, { token: device.token })).status).toBe(200);
		await setTenantConfig(env, tenant, "authentication.targettoken.enabled", false);
		await expect401(await ddi(tenant, device.controllerId, { token: device.token }));
	});

	it("accepts the gateway token for any controller of the tenant, and only the exact key", async () => {
		const tenant = await givenTenant({
			"authentication.targettoken.enabled": false,
			"authentication.gatewaytoken.enabled": true,
			"authentication.gatewaytoken.key": "Gateway-Key-1",
		});
		const device = await givenDevice(tenant);
		expect((await ddi(tenant, device.controllerId, { gateway: "Gateway-Key-1" })).status).toBe(200);
		await expect401(await ddi(tenant, device.controllerId, { gateway: "gateway-key-1" }));
		await expect401(await ddi(tenant, device.controllerId, { gateway: "Gateway-Key-" }));
		await expect401(await ddi(tenant, device.controllerId, { token: device.token }));
	});

	it("rejects the gateway token of another tenant", async () => {
		const a = await givenTenant({
			"authentication.gatewaytoken.enabled": true,
			"authentication.gatewaytoken.key": "key-of-a",
		});
		const b = await givenTenant({
			"authentication.gatewaytoken.enabled": true,
			"authentication.gatewaytoken.key": "key-of-b",
		});
		const controllerId = unique("gw");
		await expect401(await ddi(b, controllerId, { gateway: "key-of-a" }));
		expect(await targetCount(b, controllerId)).toBe(0);
		expect((await ddi(a, controllerId, { gateway: "key-of-a" })).status).toBe(200);
	});

	it("does not open anything with an empty gateway key", async () => {
		const tenant = await givenTenant({ "authentication.gatewaytoken.enabled": true });
		const device = await givenDevice(tenant);
		await expect401(await ddi(tenant, device.controllerId, { gateway: "" }));
	});

	it("rejects the gateway token while gateway authentication is off, even with the right key", async () => {
		const tenant = await givenTenant({ "authentication.gatewaytoken.key": "set-but-off" });
		const device = await givenDevice(tenant);
		await expect401(await ddi(tenant, device.controllerId, { gateway: "set-but-off" }));
	});

	it("accepts reverse-proxy certificate headers with a trusted authority (case-insensitive, , or ; lists)", async () => {
		const tenant = await givenTenant({
			"authentication.targettoken.enabled": false,
			"authentication.header.enabled": true,
			"authentication.header.authority": "AbCd01 ; ef23",
		});
		const device = await givenDevice(tenant);
		const ok = async (headers: Record<string, string>) =>
			(await ddi(tenant, device.controllerId, { headers })).status;
		expect(await ok({ "X-Controller-Id": device.controllerId, "X-Authority": "abcd01" })).toBe(200);
		expect(await ok({ "X-Controller-Id": device.controllerId, "X-Authority": "zz, EF23" })).toBe(
			200,
		);
		expect(await ok({ "X-Controller-Id": device.controllerId, "X-Authority-0": "ABCD01" })).toBe(
			200,
		);
		expect(
			await ok({
				"X-Controller-Id": device.controllerId,
				"X-Authority-1": "nope",
				"X-Authority-2": "ef23",
			}),
		).toBe(200);
	});

	it("rejects certificate headers with an untrusted authority or another controller id", async () => {
		const tenant = await givenTenant({
			"authentication.header.enabled": true,
			"authentication.header.authority": "trusted",
		});
		const device = await givenDevice(tenant);
		await expect401(
			await ddi(tenant, device.controllerId, {
				headers: { "X-Controller-Id": device.controllerId, "X-Authority": "untrusted" },
			}),
		);
		await expect401(
			await ddi(tenant, device.controllerId, {
				headers: { "X-Controller-Id": `${device.controllerId}-other`, "X-Authority": "trusted" },
			}),
		);
		await expect401(
			await ddi(tenant, device.controllerId, { headers: { "X-Authority": "trusted" } }),
		);
		await setTenantConfigs(env, tenant, { "authentication.header.enabled": false });
		await expect401(
			await ddi(tenant, device.controllerId, {
				headers: { "X-Controller-Id": device.controllerId, "X-Authority": "trusted" },
			}),
		);
	});

	it("lets certificate headers register an unknown controller on the root poll", async () => {
		const tenant = await givenTenant({
			"authentication.header.enabled": true,
			"authentication.header.authority": "ca1",
		});
		const controllerId = unique("cert");
		const res = await ddi(tenant, controllerId, {
			headers: { "X-Controller-Id": controllerId, "X-Authority": "ca1" },
		});
		expect(res.status).toBe(200);
		expect(await targetCount(tenant, controllerId)).toBe(1);
	});

	it("guards every DDI endpoint, not only the poll", async () => {
		const device = await givenDevice(await givenTenant());
		await expect401(
			await ddi(device.tenant, `${device.controllerId}/configData`, {
				method: "PUT",
				body: JSON.stringify({ data: { a: "b" } }),
				headers: { "Content-Type": "application/json", Authorization: "TargetToken nope" },
			}),
		);
		await expect401(await ddi(device.tenant, `${device.controllerId}/deploymentBase/1`));
		await expect401(
			await ddi(device.tenant, `${device.controllerId}/softwaremodules/1/artifacts`, {
				token: "wrong",
			}),
		);
	});

	it("sees a new target token at once after the operator changes it", async () => {
		const device = await givenDevice(await givenTenant());
		await env.DB.prepare("UPDATE targets SET security_token = 'rotated-token' WHERE id = ?1")
			.bind(device.targetId)
			.run();
		await refreshPollEntries(env, device.tenant, [device.targetId]);
		await expect401(await ddi(device.tenant, device.controllerId, { token: device.token }));
		expect((await ddi(device.tenant, device.controllerId, { token: "rotated-token" })).status).toBe(
			200,
		);
	});

	it("forgets a deleted target's token once its poll entry is deleted", async () => {
		const device = await givenDevice(await givenTenant());
		await env.DB.prepare("DELETE FROM targets WHERE id = ?1").bind(device.targetId).run();
		await deletePollEntry(env, device.tenant, device.controllerId);
		await expect401(await ddi(device.tenant, device.controllerId, { token: device.token }));
	});
});
