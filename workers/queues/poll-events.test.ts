import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { PollSeen } from "../../shared/db/queries/controller";
import { meterD1 } from "../ddi/conformance/d1-meter";
import { givenDevice, givenTenant } from "../ddi/conformance/devices";
import worker from "../index";

function batchOf(bodies: unknown[]) {
	return createMessageBatch<unknown>(
		"updraft-poll-events",
		bodies.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })),
	);
}

async function seen(targetId: number) {
	return env.DB.prepare("SELECT last_target_query AS at, address FROM targets WHERE id = ?1")
		.bind(targetId)
		.first<{ at: number | null; address: string | null }>();
}

describe("queue consumer of POLL_EVENTS", () => {
	it("updates every target of a batch in one D1 statement", async () => {
		const tenant = await givenTenant();
		const a = await givenDevice(tenant);
		const b = await givenDevice(tenant);
		const meter = meterD1(env.DB);
		const batch = batchOf([
			{ tenant, targetId: a.targetId, at: 1_000, address: "http://192.0.2.1" },
			{ tenant, targetId: b.targetId, at: 2_000, address: null },
			{ tenant, targetId: a.targetId, at: 3_000, address: "http://192.0.2.3" },
		] satisfies PollSeen[]);
		const ctx = createExecutionContext();
		await worker.queue(batch, { ...env, DB: meter.db });
		const result = await getQueueResult(batch, ctx);
		expect(result.outcome).toBe("ok");
		expect(result.retryMessages).toEqual([]);
		expect(meter.statements).toHaveLength(1);
		expect(await seen(a.targetId)).toEqual({ at: 3_000, address: "http://192.0.2.3" });
		expect(await seen(b.targetId)).toEqual({ at: 2_000, address: null });
	});

	it("never moves a last-seen time backwards (redelivered or reordered messages)", async () => {
		const tenant = await givenTenant();
		const d = await givenDevice(tenant);
		await worker.queue(
			batchOf([{ tenant, targetId: d.targetId, at: 5_000, address: "http://a" }]),
			env,
		);
		await worker.queue(
			batchOf([{ tenant, targetId: d.targetId, at: 4_000, address: "http://old" }]),
			env,
		);
		expect(await seen(d.targetId)).toEqual({ at: 5_000, address: "http://a" });
	});

	it("does not touch a target of another tenant even if the id matches", async () => {
		const tenant = await givenTenant();
		const d = await givenDevice(tenant);
		await worker.queue(batchOf([{ tenant: "SOMEONE-ELSE", targetId: d.targetId, at: 9_000 }]), env);
		expect((await seen(d.targetId))?.at).toBeNull();
	});

	it("drops malformed messages and still processes the rest", async () => {
		const tenant = await givenTenant();
		const d = await givenDevice(tenant);
		const batch = batchOf([
			"garbage",
			{ targetId: "x" },
			{ tenant, targetId: d.targetId, at: 7_000 },
		]);
		const ctx = createExecutionContext();
		await worker.queue(batch, env);
		expect((await getQueueResult(batch, ctx)).outcome).toBe("ok");
		expect((await seen(d.targetId))?.at).toBe(7_000);
	});

	it("runs no statement for an empty batch", async () => {
		const meter = meterD1(env.DB);
		await worker.queue(batchOf([]), { ...env, DB: meter.db });
		expect(meter.statements).toEqual([]);
	});
});
