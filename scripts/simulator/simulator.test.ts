import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
	actionIdFromHref,
	checkOptions,
	deviceIds,
	isLoopbackHost,
	parsePollingSleep,
	seededRandom,
	simulate,
} from "./index";

describe("parsePollingSleep", () => {
	it("reads hawkBit's HH:mm:ss and the ISO-8601 form used from 24 h on", () => {
		assert.equal(parsePollingSleep("00:05:00"), 300_000);
		assert.equal(parsePollingSleep("01:00:30"), 3_630_000);
		assert.equal(parsePollingSleep("PT24H"), 86_400_000);
		assert.equal(parsePollingSleep("P1DT2H"), 93_600_000);
		assert.equal(parsePollingSleep("PT30S"), 30_000);
	});

	it("gives undefined for anything else", () => {
		assert.equal(parsePollingSleep(undefined), undefined);
		assert.equal(parsePollingSleep("5 minutes"), undefined);
		assert.equal(parsePollingSleep("P"), undefined);
		assert.equal(parsePollingSleep("PT"), undefined);
	});
});

describe("actionIdFromHref", () => {
	it("takes the text between the last slash and the query, as hawkBit's SDK does", () => {
		assert.equal(actionIdFromHref("http://h/T/controller/v1/d/deploymentBase/42?c=-123"), "42");
		assert.equal(actionIdFromHref("http://h/T/controller/v1/d/cancelAction/7"), "7");
	});
});

describe("deviceIds", () => {
	it("zero-pads to three digits like hawkBit's prefix%03d, more when needed", () => {
		assert.deepEqual(deviceIds("sim-", 3), ["sim-001", "sim-002", "sim-003"]);
		assert.equal(deviceIds("d", 1000).at(-1), "d1000");
		assert.equal(deviceIds("d", 1000)[0], "d0001");
		assert.deepEqual(deviceIds("x", 2, 9), ["x009", "x010"]);
	});
});

describe("bounds", () => {
	const base = {
		url: "http://127.0.0.1:1",
		count: 1,
		auth: { kind: "gateway" as const, token: "t" },
	};

	it("talks to loopback addresses only unless allowRemote is set", () => {
		for (const h of ["localhost", "127.0.0.1", "127.8.9.10", "[::1]", "api.localhost"]) {
			assert.equal(isLoopbackHost(new URL(`http://${h}/`).hostname), true, h);
		}
		for (const h of ["10.0.0.1", "192.168.1.2", "example.com", "[fe80::1]"]) {
			assert.equal(isLoopbackHost(new URL(`http://${h}/`).hostname), false, h);
		}
		assert.throws(() => checkOptions({ ...base, url: "http://192.168.1.2:8080" }), /loopback/);
		assert.doesNotThrow(() =>
			checkOptions({ ...base, url: "http://192.168.1.2:8080", allowRemote: true }),
		);
	});

	it("refuses device counts, durations and rates out of range", () => {
		assert.throws(() => checkOptions({ ...base, count: 0 }), RangeError);
		assert.throws(() => checkOptions({ ...base, count: 100_001 }), RangeError);
		assert.throws(() => checkOptions({ ...base, durationMs: 25 * 3600_000 }), RangeError);
		assert.throws(() => checkOptions({ ...base, failureRate: 1.5 }), RangeError);
		assert.throws(
			() => checkOptions({ ...base, auth: { kind: "gateway", token: "" } }),
			RangeError,
		);
	});

	it("stops at its time bound even when the server cannot be reached", async () => {
		const started = Date.now();
		const summary = await simulate({
			...base,
			url: "http://127.0.0.1:9",
			count: 3,
			pollIntervalMs: 50,
			rampUpMs: 0,
			durationMs: 600,
		});
		const elapsed = Date.now() - started;
		assert.equal(summary.stoppedBy, "duration");
		assert.ok(elapsed >= 550 && elapsed < 5000, `took ${elapsed} ms`);
		assert.equal(summary.registered, 0);
		assert.ok(summary.requests.networkErrors >= 3);
		assert.ok(summary.errors >= 3);
	});
});

describe("seededRandom", () => {
	it("repeats its sequence for the same seed and stays in [0, 1)", () => {
		const a = seededRandom(42);
		const b = seededRandom(42);
		const xs = Array.from({ length: 100 }, () => a());
		assert.deepEqual(
			xs,
			Array.from({ length: 100 }, () => b()),
		);
		assert.ok(xs.every((x) => x >= 0 && x < 1));
		assert.notDeepEqual(xs, Array.from({ length: 100 }, seededRandom(43)));
	});
});
