/**
 * Issue 2 item 6: an idle poll is answered at the edge with ZERO D1 queries, and its last-seen time is
 * written behind with at most 0.01 D1 write statements per poll under load.
 *
 * Method: the Worker's real default export (workers/index.ts) is called with the real bindings, except
 * that `DB` is the real local D1 wrapped in a meter that records every executed statement and
 * `POLL_EVENTS` is the real queue wrapped to record what was sent.
 */
import {
	createExecutionContext,
	createMessageBatch,
	waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { PollSeen } from "../../../shared/db/queries/controller";
import { pollEntryKey } from "../../../shared/poll-cache";
import { setTenantConfig } from "../../../shared/tenant-config";
import worker from "../../index";
import { meterD1 } from "./d1-meter";
import { ddi, givenAction, givenDevice, givenTenant, unique } from "./devices";

type Metered = {
	env: Env;
	statements: string[];
	writes: () => number;
	sent: PollSeen[];
	kvGets: string[];
	reset: () => void;
};

function metered(): Metered {
	const d1 = meterD1(env.DB);
	const sent: PollSeen[] = [];
	const kvGets: string[] = [];
	const queue = new Proxy(env.POLL_EVENTS, {
		get(target, prop) {
			if (prop === "send") {
				return (body: PollSeen, opts?: QueueSendOptions) => {
					sent.push(body);
					return target.send(body, opts);
				};
			}
			const value = Reflect.get(target, prop, target);
			return typeof value === "function" ? value.bind(target) : value;
		},
	});
	const kv = new Proxy(env.POLL_CACHE, {
		get(target, prop) {
			const value = Reflect.get(target, prop, target);
			if (prop === "get" && typeof value === "function") {
				return (key: string, ...rest: unknown[]) => {
					kvGets.push(key);
					return (value as (...a: unknown[]) => unknown).call(target, key, ...rest);
				};
			}
			return typeof value === "function" ? value.bind(target) : value;
		},
	});
	return {
		env: { ...env, DB: d1.db, POLL_EVENTS: queue, POLL_CACHE: kv },
		statements: d1.statements,
		writes: d1.writes,
		sent,
		kvGets,
		reset: () => {
			d1.reset();
			sent.length = 0;
			kvGets.length = 0;
		},
	};
}

async function pollThrough(
	m: Metered,
	tenant: string,
	controllerId: string,
	headers: Record<string, string>,
): Promise<Response> {
	const ctx = createExecutionContext();
	const res = await worker.fetch(
		new Request(`https://edge.test/${tenant}/controller/v1/${controllerId}`, { headers }),
		m.env,
		ctx,
	);
	await res.arrayBuffer().catch(() => undefined);
	await waitOnExecutionContext(ctx);
	return res;
}

describe("idle poll at the edge", () => {
	it("makes zero D1 queries for a known device with a target token, with or without an action", async () => {
		const tenant = await givenTenant();
		const quiet = await givenDevice(tenant);
		const busy = await givenDevice(tenant);
		await givenAction(busy);
		const m = metered();
		for (const device of [quiet, busy, quiet, busy, quiet]) {
			const res = await pollThrough(m, tenant, device.controllerId, {
				Authorization: `TargetToken ${device.token}`,
			});
			expect(res.status).toBe(200);
		}
		expect(m.statements).toEqual([]);
	});

	it("makes zero D1 queries for a 304 answer and for a gateway-token poll", async () => {
		const tenant = await givenTenant({
			"authentication.gatewaytoken.enabled": true,
			"authentication.gatewaytoken.key": "gw-idle",
		});
		const device = await givenDevice(tenant);
		const first = await ddi(tenant, device.controllerId, { gateway: "gw-idle" });
		const etag = first.headers.get("ETag") ?? "";
		const m = metered();
		const res = await pollThrough(m, tenant, device.controllerId, {
			Authorization: "GatewayToken gw-idle",
			"If-None-Match": etag,
		});
		expect(res.status).toBe(304);
		expect(m.statements).toEqual([]);
	});

	it("pays one KV read per idle poll: the tenant snapshot is memoised in the isolate", async () => {
		const tenant = await givenTenant();
		const device = await givenDevice(tenant);
		const m = metered();
		for (let i = 0; i < 4; i++) {
			await pollThrough(m, tenant, device.controllerId, {
				Authorization: `TargetToken ${device.token}`,
			});
		}
		expect(m.kvGets).toEqual(Array(4).fill(pollEntryKey(tenant, device.controllerId)));
	});

	it("falls back to D1 when the KV entry is gone, rebuilds it, and is idle again on the next poll", async () => {
		const tenant = await givenTenant();
		const device = await givenDevice(tenant);
		await env.POLL_CACHE.delete(pollEntryKey(tenant, device.controllerId));
		const m = metered();
		const headers = { Authorization: `TargetToken ${device.token}` };
		expect((await pollThrough(m, tenant, device.controllerId, headers)).status).toBe(200);
		expect(m.statements.length).toBeGreaterThan(0);
		expect(m.writes()).toBe(0);
		m.reset();
		expect((await pollThrough(m, tenant, device.controllerId, headers)).status).toBe(200);
		expect(m.statements).toEqual([]);
	});

	it("recomputes stale entries lazily after a polling override change (a D1 read, then idle again)", async () => {
		const tenant = await givenTenant();
		const device = await givenDevice(tenant);
		await setTenantConfig(env, tenant, "pollingTime", "00:05:00, name==nobody -> 00:01:00");
		const m = metered();
		const headers = { Authorization: `TargetToken ${device.token}` };
		await pollThrough(m, tenant, device.controllerId, headers);
		expect(m.statements.length).toBeGreaterThan(0);
		m.reset();
		await pollThrough(m, tenant, device.controllerId, headers);
		expect(m.statements).toEqual([]);
	});

	it("keeps D1 write statements per idle poll at or below 0.01 under load, and last-seen correct", async () => {
		const tenant = await givenTenant();
		const devices = [];
		for (let i = 0; i < 100; i++) {
			devices.push(await givenDevice(tenant, { controllerId: unique(`load${i}`) }));
		}
		const m = metered();
		let polls = 0;
		const started = Date.now();
		// Every device polls three times within its interval (retries, 304 loops): 300 polls.
		for (let round = 0; round < 3; round++) {
			await Promise.all(
				devices.map(async (d) => {
					const res = await pollThrough(m, tenant, d.controllerId, {
						Authorization: `TargetToken ${d.token}`,
						"X-Forwarded-For": "192.0.2.10",
					});
					expect(res.status).toBe(200);
					polls += 1;
				}),
			);
		}
		expect(m.statements).toEqual([]);
		// The Cache API marker lets one event per device through.
		expect(m.sent.length).toBe(100);
		// The consumer runs with the queue's max_batch_size of 100.
		const consumerDb = meterD1(env.DB);
		for (let i = 0; i < m.sent.length; i += 100) {
			const batch = createMessageBatch<PollSeen>(
				"updraft-poll-events",
				m.sent.slice(i, i + 100).map((body, j) => ({
					id: `m${i + j}`,
					timestamp: new Date(),
					attempts: 1,
					body,
				})),
			);
			const ctx = createExecutionContext();
			await worker.queue(batch as MessageBatch<unknown>, { ...env, DB: consumerDb.db });
			await waitOnExecutionContext(ctx);
		}
		const writesPerPoll = consumerDb.writes() / polls;
		console.log(
			`idle polls: ${polls}, D1 queries on the poll path: ${m.statements.length}, queue messages: ${m.sent.length}, D1 write statements: ${consumerDb.writes()}, per poll: ${writesPerPoll}`,
		);
		expect(writesPerPoll).toBeLessThanOrEqual(0.01);
		const { results } = await env.DB.prepare(
			"SELECT last_target_query AS at, address FROM targets WHERE tenant = ?1",
		)
			.bind(tenant)
			.all<{ at: number | null; address: string | null }>();
		expect(results).toHaveLength(100);
		for (const r of results) {
			expect(r.at).toBeGreaterThanOrEqual(started);
			expect(r.address).toBe("http://192.0.2.10");
		}
	});

	it("sends a new event at once when the device's address changes", async () => {
		const tenant = await givenTenant();
		const device = await givenDevice(tenant);
		const m = metered();
		const headers = { Authorization: `TargetToken ${device.token}` };
		await pollThrough(m, tenant, device.controllerId, {
			...headers,
			"X-Forwarded-For": "192.0.2.1",
		});
		await pollThrough(m, tenant, device.controllerId, {
			...headers,
			"X-Forwarded-For": "192.0.2.1",
		});
		await pollThrough(m, tenant, device.controllerId, {
			...headers,
			"X-Forwarded-For": "192.0.2.2",
		});
		expect(m.sent.map((s) => s.address)).toEqual(["http://192.0.2.1", "http://192.0.2.2"]);
	});

	it("delivers last-seen through the real queue to the consumer (end to end)", async () => {
		const tenant = await givenTenant();
		const device = await givenDevice(tenant);
		const before = Date.now();
		const res = await ddi(tenant, device.controllerId, {
			token: device.token,
			headers: { "X-Forwarded-For": "192.0.2.99" },
		});
		expect(res.status).toBe(200);
		await vi.waitFor(
			async () => {
				const row = await env.DB.prepare(
					"SELECT last_target_query AS at, address FROM targets WHERE id = ?1",
				)
					.bind(device.targetId)
					.first<{ at: number | null; address: string | null }>();
				expect(row?.at).toBeGreaterThanOrEqual(before);
				expect(row?.address).toBe("http://192.0.2.99");
			},
			{ timeout: 15_000, interval: 250 },
		);
	});
});
