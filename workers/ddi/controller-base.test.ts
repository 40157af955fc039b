import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { refreshPollEntries } from "../../shared/poll-cache";
import { setTenantConfig } from "../../shared/tenant-config";
import {
	ddi,
	givenAction,
	givenDevice,
	givenDistributionSet,
	givenTenant,
	poll,
	unique,
} from "./conformance/devices";

type Body = {
	config: { polling: { sleep: string } };
	_links?: Record<string, { href: string }>;
};

function seconds(sleep: string): number {
	const [h = 0, m = 0, s = 0] = sleep.split(":").map(Number);
	return h * 3600 + m * 60 + s;
}

async function md5Hex(text: string): Promise<string> {
	const d = await crypto.subtle.digest("MD5", new TextEncoder().encode(text));
	return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("GET /{tenant}/controller/v1/{controllerId}", () => {
	it("answers the default sleep 00:05:00 and omits _links when there is nothing to do", async () => {
		const device = await givenDevice(await givenTenant());
		const res = await poll(device);
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({ config: { polling: { sleep: "00:05:00" } } });
	});

	it("answers the tenant's pollingTime at once after it changes", async () => {
		const tenant = await givenTenant();
		const device = await givenDevice(tenant);
		expect(((await (await poll(device)).json()) as Body).config.polling.sleep).toBe("00:05:00");
		await setTenantConfig(env, tenant, "pollingTime", "00:01:30");
		expect(((await (await poll(device)).json()) as Body).config.polling.sleep).toBe("00:01:30");
		await setTenantConfig(env, tenant, "pollingTime", "PT2H");
		expect(((await (await poll(device)).json()) as Body).config.polling.sleep).toBe("02:00:00");
	});

	it("randomises the sleep within the configured deviation", async () => {
		const tenant = await givenTenant({ pollingTime: "00:10:00~50%" });
		const device = await givenDevice(tenant);
		const sleeps = new Set<string>();
		for (let i = 0; i < 8; i++) {
			const body = (await (await poll(device)).json()) as Body;
			const s = seconds(body.config.polling.sleep);
			expect(s).toBeGreaterThanOrEqual(300);
			expect(s).toBeLessThanOrEqual(900);
			expect(body.config.polling.sleep).toMatch(/^\d\d:\d\d:\d\d$/);
			sleeps.add(body.config.polling.sleep);
		}
		expect(sleeps.size).toBeGreaterThan(1);
	});

	it("links deploymentBase with ?c= for a running action, built from Host, X-Forwarded-Proto and the tenant as typed", async () => {
		const tenant = await givenTenant();
		const device = await givenDevice(tenant);
		const actionId = await givenAction(device);
		const typed = tenant.toLowerCase();
		const res = await ddi(
			typed,
			device.controllerId,
			{
				token: device.token,
				headers: { Host: "updates.example.com:8443", "X-Forwarded-Proto": "https" },
			},
			"http://internal.test",
		);
		const body = (await res.json()) as Body;
		expect(Object.keys(body._links ?? {})).toEqual(["deploymentBase"]);
		expect(body._links?.deploymentBase?.href).toMatch(
			new RegExp(
				`^https://updates\\.example\\.com:8443/${typed}/controller/v1/${device.controllerId}/deploymentBase/${actionId}\\?c=-?\\d+$`,
			),
		);
	});

	it("drops the default port from hrefs", async () => {
		const tenant = await givenTenant();
		const device = await givenDevice(tenant, { requestAttributes: true });
		const res = await ddi(tenant, device.controllerId, {
			token: device.token,
			headers: { Host: "upd.example.com:443", "X-Forwarded-Proto": "https" },
		});
		const body = (await res.json()) as Body;
		expect(body._links?.configData?.href).toBe(
			`https://upd.example.com/${tenant}/controller/v1/${device.controllerId}/configData`,
		);
	});

	it("encodes the controller id in hrefs like Spring (':' and '@' kept, space as %20)", async () => {
		const tenant = await givenTenant();
		const device = await givenDevice(tenant, {
			controllerId: `dev:${unique("x")}@site one`,
			requestAttributes: true,
		});
		const res = await ddi(tenant, encodeURIComponent(device.controllerId), { token: device.token });
		expect(res.status).toBe(200);
		const href = ((await res.json()) as Body)._links?.configData?.href ?? "";
		expect(href).toBe(
			`https://ddi.test/${tenant}/controller/v1/${device.controllerId.replace(" ", "%20")}/configData`,
		);
		// The href leads back to the same device.
		const put = await exports.default.fetch(href, {
			method: "PUT",
			headers: { Authorization: `TargetToken ${device.token}`, "Content-Type": "application/json" },
			body: JSON.stringify({ data: { a: "1" } }),
		});
		expect(put.status).toBe(200);
	});

	it("links cancelAction without a query string while the action is canceling", async () => {
		const tenant = await givenTenant();
		const device = await givenDevice(tenant);
		const actionId = await givenAction(device, { status: "CANCELING" });
		const body = (await (await poll(device)).json()) as Body;
		expect(body._links).toEqual({
			cancelAction: {
				href: `https://ddi.test/${tenant}/controller/v1/${device.controllerId}/cancelAction/${actionId}`,
			},
		});
	});

	it("links confirmationBase with ?c= while the action waits for confirmation", async () => {
		const tenant = await givenTenant();
		const device = await givenDevice(tenant);
		const actionId = await givenAction(device, { status: "WAIT_FOR_CONFIRMATION" });
		const body = (await (await poll(device)).json()) as Body;
		expect(Object.keys(body._links ?? {})).toEqual(["confirmationBase"]);
		expect(body._links?.confirmationBase?.href).toMatch(
			new RegExp(`/confirmationBase/${actionId}\\?c=-?\\d+$`),
		);
	});

	it("shows only the highest-weight active action; equal weights go to the oldest", async () => {
		const tenant = await givenTenant();
		const device = await givenDevice(tenant);
		await givenAction(device, { weight: 100 });
		const heavy = await givenAction(device, { weight: 900 });
		await givenAction(device, { weight: 900 });
		const body = (await (await poll(device)).json()) as Body;
		expect(Object.keys(body._links ?? {})).toEqual(["deploymentBase"]);
		expect(body._links?.deploymentBase?.href).toContain(`/deploymentBase/${heavy}?c=`);
	});

	it("counts an action without weight as 1000", async () => {
		const tenant = await givenTenant();
		const device = await givenDevice(tenant);
		await givenAction(device, { weight: 999 });
		const unweighted = await givenAction(device, { weight: null });
		const body = (await (await poll(device)).json()) as Body;
		expect(body._links?.deploymentBase?.href).toContain(`/deploymentBase/${unweighted}?c=`);
	});

	it("prefers a canceling action with the highest weight over a newer running one", async () => {
		const tenant = await givenTenant();
		const device = await givenDevice(tenant);
		const canceling = await givenAction(device, { status: "CANCELING" });
		await givenAction(device);
		const body = (await (await poll(device)).json()) as Body;
		expect(Object.keys(body._links ?? {})).toEqual(["cancelAction"]);
		expect(body._links?.cancelAction?.href).toMatch(new RegExp(`/cancelAction/${canceling}$`));
	});

	it("links installedBase to the newest finished action of the installed DS, and configData while attributes are requested", async () => {
		const tenant = await givenTenant();
		const device = await givenDevice(tenant, { requestAttributes: true });
		const ds = await givenDistributionSet(tenant);
		await givenAction(device, { dsId: ds, status: "FINISHED", active: false, refresh: false });
		const newest = await givenAction(device, {
			dsId: ds,
			status: "FINISHED",
			active: false,
			refresh: false,
		});
		await env.DB.prepare("UPDATE targets SET installed_ds_id = ?1 WHERE id = ?2")
			.bind(ds, device.targetId)
			.run();
		await refreshPollEntries(env, tenant, [device.targetId]);
		const body = (await (await poll(device)).json()) as Body;
		const base = `https://ddi.test/${tenant}/controller/v1/${device.controllerId}`;
		expect(body._links).toEqual({
			installedBase: { href: `${base}/installedBase/${newest}` },
			configData: { href: `${base}/configData` },
		});
	});

	it("changes c (and so the body) when the action changes", async () => {
		const tenant = await givenTenant();
		const device = await givenDevice(tenant);
		const actionId = await givenAction(device);
		const first = ((await (await poll(device)).json()) as Body)._links?.deploymentBase?.href;
		await env.DB.prepare(
			"UPDATE actions SET action_type = 'soft', last_modified_at = last_modified_at + 1 WHERE id = ?1",
		)
			.bind(actionId)
			.run();
		await refreshPollEntries(env, tenant, [device.targetId]);
		const second = ((await (await poll(device)).json()) as Body)._links?.deploymentBase?.href;
		expect(second).not.toBe(first);
		expect(second?.split("?")[0]).toBe(first?.split("?")[0]);
	});

	it('sets ETag "0"+md5(body) and answers 304 with no body to a matching If-None-Match', async () => {
		const device = await givenDevice(await givenTenant());
		const res = await poll(device);
		const text = await res.text();
		const etag = res.headers.get("ETag");
		expect(etag).toBe(`"0${await md5Hex(text)}"`);
		const again = await poll(device, { headers: { "If-None-Match": etag ?? "" } });
		expect(again.status).toBe(304);
		expect(await again.text()).toBe("");
		const stale = await poll(device, { headers: { "If-None-Match": '"0deadbeef"' } });
		expect(stale.status).toBe(200);
	});

	it("answers application/hal+json by default and application/json when asked (SWUpdate, rauc)", async () => {
		const device = await givenDevice(await givenTenant());
		expect((await poll(device)).headers.get("Content-Type")).toMatch(/^application\/hal\+json/);
		for (const accept of ["application/json", "application/json;charset=UTF-8"]) {
			const res = await poll(device, { headers: { Accept: accept } });
			expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
			expect(await res.json()).toEqual({ config: { polling: { sleep: "00:05:00" } } });
		}
		const star = await poll(device, { headers: { Accept: "*/*" } });
		expect(star.headers.get("Content-Type")).toMatch(/^application\/hal\+json/);
	});

	it("shortens the sleep ahead of the action's maintenance window (maintenanceWindowPollCount)", async () => {
		const tenant = await givenTenant();
		const device = await givenDevice(tenant);
		const start = new Date(Date.now() + 12 * 60_000);
		await givenAction(device, {
			maintenance: {
				schedule: `0 ${start.getUTCMinutes()} ${start.getUTCHours()} ? * *`,
				duration: "00:10:00",
				timezone: "+00:00",
			},
		});
		const sleep = seconds(((await (await poll(device)).json()) as Body).config.polling.sleep);
		// 11–12 minutes to the window, 3 polls until then: about 4 minutes instead of 5.
		expect(sleep).toBeGreaterThanOrEqual(200);
		expect(sleep).toBeLessThanOrEqual(240);
		await setTenantConfig(env, tenant, "maintenanceWindowPollCount", 10);
		const shorter = seconds(((await (await poll(device)).json()) as Body).config.polling.sleep);
		expect(shorter).toBeGreaterThanOrEqual(60);
		expect(shorter).toBeLessThanOrEqual(72);
	});

	it("keeps the normal sleep while the maintenance window is open", async () => {
		const tenant = await givenTenant();
		const device = await givenDevice(tenant);
		const start = new Date(Date.now() - 2 * 60_000);
		await givenAction(device, {
			maintenance: {
				schedule: `0 ${start.getUTCMinutes()} ${start.getUTCHours()} ? * *`,
				duration: "01:00:00",
				timezone: "+00:00",
			},
		});
		const body = (await (await poll(device)).json()) as Body;
		expect(body.config.polling.sleep).toBe("00:05:00");
		expect(body._links?.deploymentBase).toBeDefined();
	});

	it("never shortens below the minimum polling time of 30 s", async () => {
		const tenant = await givenTenant({ maintenanceWindowPollCount: 100 });
		const device = await givenDevice(tenant);
		const start = new Date(Date.now() + 5 * 60_000);
		await givenAction(device, {
			maintenance: {
				schedule: `0 ${start.getUTCMinutes()} ${start.getUTCHours()} ? * *`,
				duration: "00:10:00",
				timezone: "+00:00",
			},
		});
		const body = (await (await poll(device)).json()) as Body;
		expect(body.config.polling.sleep).toBe("00:00:30");
	});

	it("cancels an action whose maintenance schedule has lapsed and links cancelAction", async () => {
		const tenant = await givenTenant();
		const device = await givenDevice(tenant);
		const actionId = await givenAction(device, {
			maintenance: { schedule: "0 0 3 1 1 ? 2020", duration: "01:00:00", timezone: "+00:00" },
		});
		const body = (await (await poll(device)).json()) as Body;
		expect(Object.keys(body._links ?? {})).toEqual(["cancelAction"]);
		expect(body._links?.cancelAction?.href).toMatch(new RegExp(`/cancelAction/${actionId}$`));
		const row = await env.DB.prepare("SELECT status, active FROM actions WHERE id = ?1")
			.bind(actionId)
			.first<{ status: string; active: number }>();
		expect(row).toEqual({ status: "CANCELING", active: 1 });
	});

	it("applies the first matching pollingTime override (RSQL on target fields)", async () => {
		const tenant = await givenTenant();
		const special = await givenDevice(tenant, { name: unique("special") });
		const other = await givenDevice(tenant, { name: unique("plain") });
		await setTenantConfig(
			env,
			tenant,
			"pollingTime",
			"00:05:00, name==special* -> 00:01:00, name==special*,name==plain* -> 00:02:00",
		);
		expect(((await (await poll(special)).json()) as Body).config.polling.sleep).toBe("00:01:00");
		expect(((await (await poll(other)).json()) as Body).config.polling.sleep).toBe("00:02:00");
	});

	it("re-evaluates attribute-based overrides when the device pushes new attributes", async () => {
		const tenant = await givenTenant({
			pollingTime: "00:05:00, attribute.hwRevision==2 -> 00:00:45",
		});
		const device = await givenDevice(tenant);
		expect(((await (await poll(device)).json()) as Body).config.polling.sleep).toBe("00:05:00");
		const put = await ddi(tenant, `${device.controllerId}/configData`, {
			method: "PUT",
			token: device.token,
			body: JSON.stringify({ data: { hwRevision: "2" } }),
			headers: { "Content-Type": "application/json" },
		});
		expect(put.status).toBe(200);
		expect(((await (await poll(device)).json()) as Body).config.polling.sleep).toBe("00:00:45");
	});

	it("moves an operator-created target from unknown to registered on its first poll", async () => {
		const tenant = await givenTenant();
		const device = await givenDevice(tenant, { updateStatus: "unknown" });
		const res = await poll(device, { headers: { "X-Forwarded-For": "203.0.113.7, 10.0.0.1" } });
		expect(res.status).toBe(200);
		const row = await env.DB.prepare(
			"SELECT update_status, address, last_target_query FROM targets WHERE id = ?1",
		)
			.bind(device.targetId)
			.first<{ update_status: string; address: string; last_target_query: number }>();
		expect(row?.update_status).toBe("registered");
		expect(row?.address).toBe("http://203.0.113.7");
		expect(row?.last_target_query).toBeGreaterThan(Date.now() - 60_000);
	});

	it("registers an unknown controller polling with the gateway token (plug and play)", async () => {
		const tenant = await givenTenant({
			"authentication.gatewaytoken.enabled": true,
			"authentication.gatewaytoken.key": "gw-secret",
		});
		const controllerId = unique("pnp");
		const res = await ddi(tenant, controllerId, {
			gateway: "gw-secret",
			headers: { "X-Forwarded-For": "198.51.100.4" },
		});
		expect(res.status).toBe(200);
		const body = (await res.json()) as Body;
		// A new target has its attributes requested.
		expect(Object.keys(body._links ?? {})).toEqual(["configData"]);
		const row = await env.DB.prepare(
			"SELECT name, description, update_status, security_token, address, created_by, request_controller_attributes FROM targets WHERE tenant = ?1 AND controller_id = ?2",
		)
			.bind(tenant, controllerId)
			.first<Record<string, unknown>>();
		expect(row).toMatchObject({
			name: controllerId,
			description: `Plug and Play target: ${controllerId}`,
			update_status: "registered",
			address: "http://198.51.100.4",
			created_by: "CONTROLLER_PLUG_AND_PLAY",
			request_controller_attributes: 1,
		});
		expect(row?.security_token).toMatch(/^[0-9a-f]{32}$/);
		// The new token works at once.
		const own = await ddi(tenant, controllerId, { token: String(row?.security_token) });
		expect(own.status).toBe(200);
	});

	it("registers concurrent first polls of the same controller once", async () => {
		const tenant = await givenTenant({
			"authentication.gatewaytoken.enabled": true,
			"authentication.gatewaytoken.key": "gw",
		});
		const controllerId = unique("race");
		const answers = await Promise.all(
			[1, 2, 3].map(() => ddi(tenant, controllerId, { gateway: "gw" })),
		);
		expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
		const count = await env.DB.prepare(
			"SELECT COUNT(*) AS n FROM targets WHERE tenant = ?1 AND controller_id = ?2",
		)
			.bind(tenant, controllerId)
			.first<{ n: number }>();
		expect(count?.n).toBe(1);
	});

	it("answers HEAD like GET without a body", async () => {
		const device = await givenDevice(await givenTenant());
		const res = await poll(device, { method: "HEAD" });
		expect(res.status).toBe(200);
		expect(await res.text()).toBe("");
	});
});
