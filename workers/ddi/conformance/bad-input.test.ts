/**
 * hawkBit §1.3 / §2.2 "common failures" on the device API: hawkBit's error body and status, and nothing
 * written. (Deployment-specific bad input — actions of other targets, feedback enums — lives with the
 * deployment tests.)
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_JSON_BODY_BYTES } from "../json-body";
import { type Device, ddi, givenDevice, givenTenant } from "./devices";

function put(device: Device, body: BodyInit, headers: Record<string, string> = {}) {
	return ddi(device.tenant, `${device.controllerId}/configData`, {
		method: "PUT",
		token: device.token,
		body,
		headers: { "Content-Type": "application/json", ...headers },
	});
}

async function attributeCount(device: Device): Promise<number> {
	const row = await env.DB.prepare(
		"SELECT COUNT(*) AS n FROM target_attributes WHERE target_id = ?1",
	)
		.bind(device.targetId)
		.first<{ n: number }>();
	return row?.n ?? -1;
}

describe("bad input on the DDI API", () => {
	it("answers malformed JSON with 400 rest.body.notReadable in hawkBit's error body", async () => {
		const device = await givenDevice(await givenTenant());
		for (const body of ['{"data": {"a": "1"', "not json", '{"data": {"a": "1"}}}', ""]) {
			const res = await put(device, body);
			expect(res.status).toBe(400);
			expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
			const json = (await res.json()) as Record<string, unknown>;
			expect(json).toMatchObject({
				exceptionClass: "org.eclipse.hawkbit.rest.exception.MessageNotReadableException",
				errorCode: "hawkbit.server.error.rest.body.notReadable",
			});
			expect(typeof json.message).toBe("string");
		}
		expect(await attributeCount(device)).toBe(0);
	});

	it("answers a body over 1 MiB with 413 and hawkBit's error shape, whether declared or streamed", async () => {
		const device = await givenDevice(await givenTenant());
		const big = JSON.stringify({ data: { a: "x".repeat(MAX_JSON_BODY_BYTES) } });
		const declared = await put(device, big);
		expect(declared.status).toBe(413);
		expect(await declared.json()).toMatchObject({
			errorCode: "hawkbit.server.error.payloadTooLarge",
		});
		const stream = new ReadableStream<Uint8Array>({
			start(controller) {
				const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
				controller.enqueue(new TextEncoder().encode('{"data":{"a":"'));
				for (let i = 0; i < 20; i++) {
					controller.enqueue(chunk);
				}
				controller.enqueue(new TextEncoder().encode('"}}'));
				controller.close();
			},
		});
		const streamed = await ddi(device.tenant, `${device.controllerId}/configData`, {
			method: "PUT",
			token: device.token,
			body: stream,
			headers: { "Content-Type": "application/json" },
			// @ts-expect-error: workerd needs duplex for a streamed request body in some versions
			duplex: "half",
		});
		expect(streamed.status).toBe(413);
		expect(await attributeCount(device)).toBe(0);
	});

	it("rejects a body that is not UTF-8", async () => {
		const device = await givenDevice(await givenTenant());
		const res = await put(device, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
		expect(res.status).toBe(400);
		expect(await res.json()).toMatchObject({
			errorCode: "hawkbit.server.error.rest.body.notReadable",
		});
	});

	it("answers an unknown DDI path with Spring Boot's 404 body once authenticated", async () => {
		const device = await givenDevice(await givenTenant());
		const res = await ddi(device.tenant, `${device.controllerId}/noSuchResource`, {
			token: device.token,
		});
		expect(res.status).toBe(404);
		expect(await res.json()).toMatchObject({ status: 404, error: "Not Found" });
	});

	it("answers 401 with an empty body before looking at the path or body when credentials are wrong", async () => {
		const device = await givenDevice(await givenTenant());
		const res = await ddi(device.tenant, `${device.controllerId}/configData`, {
			method: "PUT",
			token: "wrong",
			body: "{not json",
			headers: { "Content-Type": "application/json" },
		});
		expect(res.status).toBe(401);
		expect(await res.text()).toBe("");
	});

	it("answers a non-JSON Content-Type with 415 and Spring's error body", async () => {
		const device = await givenDevice(await givenTenant());
		const res = await put(device, JSON.stringify({ data: { a: "1" } }), {
			"Content-Type": "text/plain",
		});
		expect(res.status).toBe(415);
		expect(await res.json()).toMatchObject({ status: 415, error: "Unsupported Media Type" });
		expect(await attributeCount(device)).toBe(0);
		const hal = await put(device, JSON.stringify({ data: { a: "1" } }), {
			"Content-Type": "application/hal+json;charset=UTF-8",
		});
		expect(hal.status).toBe(200);
	});

	it("answers an unsupported method on a known DDI path with 405", async () => {
		const device = await givenDevice(await givenTenant());
		for (const [method, path] of [
			["POST", device.controllerId],
			["DELETE", device.controllerId],
			["GET", `${device.controllerId}/configData`],
			["POST", `${device.controllerId}/configData`],
		] as const) {
			const res = await ddi(device.tenant, path, { method, token: device.token });
			expect(res.status, `${method} ${path}`).toBe(405);
			expect(await res.json()).toMatchObject({ status: 405, error: "Method Not Allowed" });
		}
	});
});
