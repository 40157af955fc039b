import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type Device, ddi, givenDevice, givenTenant, poll, unique } from "./conformance/devices";

async function putConfigData(device: Device, body: unknown, headers: Record<string, string> = {}) {
	return ddi(device.tenant, `${device.controllerId}/configData`, {
		method: "PUT",
		token: device.token,
		body: typeof body === "string" ? body : JSON.stringify(body),
		headers: { "Content-Type": "application/json", ...headers },
	});
}

async function attributes(device: Device): Promise<Record<string, string>> {
	const { results } = await env.DB.prepare(
		"SELECT key, value FROM target_attributes WHERE target_id = ?1",
	)
		.bind(device.targetId)
		.all<{ key: string; value: string }>();
	return Object.fromEntries(results.map((r) => [r.key, r.value]));
}

async function requested(device: Device): Promise<number | undefined> {
	const row = await env.DB.prepare(
		"SELECT request_controller_attributes AS r FROM targets WHERE id = ?1",
	)
		.bind(device.targetId)
		.first<{ r: number }>();
	return row?.r;
}

async function expectError(res: Response, status: number, errorCode: string) {
	expect(res.status).toBe(status);
	const body = (await res.json()) as Record<string, unknown>;
	expect(body.errorCode).toBe(`hawkbit.server.error.${errorCode}`);
	expect(typeof body.exceptionClass).toBe("string");
	expect(typeof body.message).toBe("string");
}

describe("PUT /{tenant}/controller/v1/{controllerId}/configData", () => {
	it("merges by default, answers 200 with an empty body, and removes the configData link", async () => {
		const device = await givenDevice(await givenTenant(), { requestAttributes: true });
		const before = (await (await poll(device)).json()) as { _links?: object };
		expect(Object.keys(before._links ?? {})).toEqual(["configData"]);
		const res = await putConfigData(device, {
			data: { hwRevision: "2", VIN: "JH4TB2H26CC000000" },
		});
		expect(res.status).toBe(200);
		expect(await res.text()).toBe("");
		expect(await attributes(device)).toEqual({ hwRevision: "2", VIN: "JH4TB2H26CC000000" });
		expect(await requested(device)).toBe(0);
		const after = (await (await poll(device)).json()) as { _links?: object };
		expect(after._links).toBeUndefined();
		expect((await putConfigData(device, { data: { hwRevision: "3" }, mode: "merge" })).status).toBe(
			200,
		);
		expect(await attributes(device)).toEqual({ hwRevision: "3", VIN: "JH4TB2H26CC000000" });
	});

	it("replaces the whole map in replace mode", async () => {
		const device = await givenDevice(await givenTenant());
		await putConfigData(device, { data: { a: "1", b: "2" } });
		expect((await putConfigData(device, { mode: "replace", data: { c: "3" } })).status).toBe(200);
		expect(await attributes(device)).toEqual({ c: "3" });
	});

	it("removes the given keys in remove mode, ignoring their values", async () => {
		const device = await givenDevice(await givenTenant());
		await putConfigData(device, { data: { a: "1", b: "2", c: "3" } });
		expect(
			(await putConfigData(device, { mode: "remove", data: { a: "x", c: null } })).status,
		).toBe(200);
		expect(await attributes(device)).toEqual({ b: "2" });
	});

	it("removes a key whose value is null in merge and replace mode", async () => {
		const device = await givenDevice(await givenTenant());
		await putConfigData(device, { data: { a: "1", b: "2" } });
		await putConfigData(device, { data: { a: null } });
		expect(await attributes(device)).toEqual({ b: "2" });
		await putConfigData(device, { mode: "replace", data: { b: null, c: "3" } });
		expect(await attributes(device)).toEqual({ c: "3" });
	});

	it("accepts SWUpdate's and rauc's old-style body and ignores id, time and status", async () => {
		const device = await givenDevice(await givenTenant(), { requestAttributes: true });
		const swupdate = {
			id: "",
			time: "20260101T120000",
			status: { result: { finished: "success" }, execution: "closed", details: [""] },
			data: { serialNo: "harness-0001", hwRevision: "1.0" },
		};
		expect((await putConfigData(device, swupdate)).status).toBe(200);
		const rauc = {
			time: "20261128T200815",
			status: { result: { finished: "success" }, execution: "closed" },
			data: { MAC: "aa:bb" },
		};
		expect((await putConfigData(device, rauc, { charsets: "utf-8" })).status).toBe(200);
		expect(await attributes(device)).toEqual({
			serialNo: "harness-0001",
			hwRevision: "1.0",
			MAC: "aa:bb",
		});
	});

	it("reads numbers and booleans as strings, as Jackson does for a String map", async () => {
		const device = await givenDevice(await givenTenant());
		expect((await putConfigData(device, { data: { n: 42, b: true } })).status).toBe(200);
		expect(await attributes(device)).toEqual({ n: "42", b: "true" });
	});

	it("answers 200 when nothing changes", async () => {
		const device = await givenDevice(await givenTenant());
		await putConfigData(device, { data: { a: "1" } });
		expect((await putConfigData(device, { data: { a: "1" } })).status).toBe(200);
	});

	it("rejects characters outside hawkBit's whitelist with 400 invalidTargetAttributes", async () => {
		const device = await givenDevice(await givenTenant());
		for (const data of [{ "a~b": "1" }, { a: "x`y" }, { a: "grüß" }, { ключ: "v" }]) {
			await expectError(await putConfigData(device, { data }), 400, "repo.invalidTargetAttributes");
		}
		expect(await attributes(device)).toEqual({});
	});

	it("rejects keys or values longer than 128 characters", async () => {
		const device = await givenDevice(await givenTenant());
		await expectError(
			await putConfigData(device, { data: { ["k".repeat(129)]: "v" } }),
			400,
			"repo.invalidTargetAttributes",
		);
		await expectError(
			await putConfigData(device, { data: { k: "v".repeat(129) } }),
			400,
			"repo.invalidTargetAttributes",
		);
		expect(
			(await putConfigData(device, { data: { ["k".repeat(128)]: "v".repeat(128) } })).status,
		).toBe(200);
	});

	it("answers 429 quota.tooManyEntries beyond 100 attributes and writes nothing", async () => {
		const device = await givenDevice(await givenTenant(), { requestAttributes: true });
		const hundred = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, "v"]));
		expect((await putConfigData(device, { data: hundred })).status).toBe(200);
		await env.DB.prepare("UPDATE targets SET request_controller_attributes = 1 WHERE id = ?1")
			.bind(device.targetId)
			.run();
		await expectError(
			await putConfigData(device, { data: { extra: "v" } }),
			429,
			"quota.tooManyEntries",
		);
		expect(Object.keys(await attributes(device))).toHaveLength(100);
		expect(await requested(device)).toBe(1);
		// Replacing within the quota is fine.
		expect((await putConfigData(device, { mode: "replace", data: { only: "one" } })).status).toBe(
			200,
		);
	});

	it("requires a non-empty data member (400 rest.body.notReadable)", async () => {
		const device = await givenDevice(await givenTenant());
		await expectError(await putConfigData(device, { mode: "merge" }), 400, "rest.body.notReadable");
		await expectError(await putConfigData(device, { data: {} }), 400, "rest.body.notReadable");
		await expectError(await putConfigData(device, { data: "x" }), 400, "rest.body.notReadable");
		await expectError(
			await putConfigData(device, { data: { a: { nested: 1 } } }),
			400,
			"rest.body.notReadable",
		);
	});

	it("rejects unknown mode spellings (exact lower case)", async () => {
		const device = await givenDevice(await givenTenant());
		for (const mode of ["MERGE", "Replace", "append"]) {
			await expectError(
				await putConfigData(device, { mode, data: { a: "1" } }),
				400,
				"rest.body.notReadable",
			);
		}
		expect(await attributes(device)).toEqual({});
	});

	it("answers 404 with hawkBit's error body for an unknown controller (gateway token)", async () => {
		const tenant = await givenTenant({
			"authentication.gatewaytoken.enabled": true,
			"authentication.gatewaytoken.key": "gw",
		});
		const controllerId = unique("nobody");
		const res = await ddi(tenant, `${controllerId}/configData`, {
			method: "PUT",
			gateway: "gw",
			body: JSON.stringify({ data: { a: "1" } }),
			headers: { "Content-Type": "application/json" },
		});
		expect(res.status).toBe(404);
		expect(await res.json()).toEqual({
			exceptionClass: "org.eclipse.hawkbit.repository.exception.EntityNotFoundException",
			errorCode: "hawkbit.server.error.repo.entityNotFound",
			message: `Target with given identifier {${controllerId}} does not exist.`,
			info: { type: "Target", entityId: controllerId },
		});
		const count = await env.DB.prepare(
			"SELECT COUNT(*) AS n FROM targets WHERE tenant = ?1 AND controller_id = ?2",
		)
			.bind(tenant, controllerId)
			.first<{ n: number }>();
		expect(count?.n).toBe(0);
	});
});
