/**
 * The idle-poll fast path must answer exactly as the app does, and must leave everything it is not sure
 * about to the app without side effects. Each case runs the same request through both
 * (`answerIdlePoll` and the Hono app) and compares status, body and headers.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../app";
import { givenAction, givenDevice, givenTenant } from "./conformance/devices";
import { answerIdlePoll } from "./fast-poll";

type Compared = { status: number; body: string; headers: Record<string, string> };

async function viaFastPath(
	url: string,
	headers: Record<string, string>,
): Promise<Compared | undefined> {
	const ctx = createExecutionContext();
	const res = await answerIdlePoll(new Request(url, { headers }), env, ctx);
	await waitOnExecutionContext(ctx);
	return (
		res && { status: res.status, body: await res.text(), headers: Object.fromEntries(res.headers) }
	);
}

async function viaApp(url: string, headers: Record<string, string>): Promise<Compared> {
	const ctx = createExecutionContext();
	const res = await app.fetch(new Request(url, { headers }), env, ctx);
	await waitOnExecutionContext(ctx);
	return { status: res.status, body: await res.text(), headers: Object.fromEntries(res.headers) };
}

/** Sleep values differ by the random deviation only when the tenant sets one; these tenants do not. */
async function expectSameAnswer(url: string, headers: Record<string, string>): Promise<Compared> {
	const fast = await viaFastPath(url, { "X-Request-Id": "r-1", ...headers });
	const slow = await viaApp(url, { "X-Request-Id": "r-1", ...headers });
	expect(fast).toBeDefined();
	expect(fast).toEqual(slow);
	return slow;
}

describe("idle-poll fast path", () => {
	it("answers a quiet device exactly as the app: body, ETag, content type, request id", async () => {
		const tenant = await givenTenant();
		const d = await givenDevice(tenant);
		const url = `https://edge.test/${tenant}/controller/v1/${d.controllerId}`;
		const auth = { Authorization: `TargetToken ${d.token}` };
		const answer = await expectSameAnswer(url, auth);
		expect(answer.status).toBe(200);
		expect(answer.headers["content-type"]).toBe("application/hal+json");
		await expectSameAnswer(url, { ...auth, Accept: "application/json" });
		await expectSameAnswer(url, { ...auth, "If-None-Match": answer.headers.etag ?? "" });
	});

	it("answers devices with action, installedBase and configData links, lower-case tenant and forwarded proto", async () => {
		const tenant = await givenTenant();
		const d = await givenDevice(tenant, { requestAttributes: true });
		await givenAction(d, { status: "FINISHED", active: false });
		await givenAction(d, { type: "timeforced", forcedTime: Date.now() + 3_600_000 });
		const url = `http://edge.test:8080/${tenant.toLowerCase()}/controller/v1/${d.controllerId}`;
		const answer = await expectSameAnswer(url, {
			Authorization: `TargetToken ${d.token}`,
			"X-Forwarded-Proto": "https",
			Host: "updates.example.com:443",
		});
		expect(answer.body).toContain('"deploymentBase"');
		expect(answer.body).toContain('"configData"');
		expect(answer.body).toContain(
			`https://updates.example.com/${tenant.toLowerCase()}/controller/v1/`,
		);
	});

	it("leaves every other request to the app", async () => {
		const tenant = await givenTenant({
			"authentication.header.enabled": true,
			"authentication.header.authority": "ca",
			"authentication.gatewaytoken.enabled": true,
			"authentication.gatewaytoken.key": "gw",
		});
		const d = await givenDevice(tenant);
		const fresh = await givenDevice(tenant, { updateStatus: "unknown" });
		const base = `https://edge.test/${tenant}/controller/v1`;
		const auth = { Authorization: `TargetToken ${d.token}` };
		const cases: [string, Record<string, string>][] = [
			[`${base}/${d.controllerId}`, { Authorization: `TargetToken ${d.token}x` }],
			[`${base}/${d.controllerId}`, { Authorization: "GatewayToken gw" }],
			[`${base}/${d.controllerId}`, { ...auth, "X-Controller-Id": d.controllerId }],
			[`${base}/${d.controllerId}/configData`, auth],
			[`${base}/${encodeURIComponent(`${d.controllerId}`).replace("-", "%2D")}`, auth],
			[`${base}/nobody-${d.controllerId}`, auth],
			[`${base}/${fresh.controllerId}`, { Authorization: `TargetToken ${fresh.token}` }],
			[`https://edge.test/${tenant}/controller/v2/${d.controllerId}`, auth],
		];
		for (const [url, headers] of cases) {
			expect({ url, headers, fast: await viaFastPath(url, headers) }).toEqual({
				url,
				headers,
				fast: undefined,
			});
		}
		// A device with a lapsed maintenance window is canceled by the app's poll, not here.
		const lapsed = await givenDevice(tenant);
		await givenAction(lapsed, {
			maintenance: { schedule: "0 0 3 1 1 ? 2001", duration: "00:10:00", timezone: "+00:00" },
		});
		expect(
			await viaFastPath(`${base}/${lapsed.controllerId}`, {
				Authorization: `TargetToken ${lapsed.token}`,
			}),
		).toBeUndefined();
	});
});
