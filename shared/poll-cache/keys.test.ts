import { describe, expect, it } from "vitest";
import { pollEntryKey, tenantConfigKey } from "./keys";

describe("POLL_CACHE keys", () => {
	it("never lets a ':' in a tenant name collide with a ':' in a controller id", () => {
		expect(pollEntryKey("A:B", "C")).not.toBe(pollEntryKey("A", "B:C"));
		expect(pollEntryKey("DEFAULT", "dev-1")).toBe("poll:DEFAULT:dev-1");
	});

	it("keeps every key within KV's 512-byte limit for hawkBit-sized ids", () => {
		const key = pollEntryKey("T".repeat(64), "c".repeat(256));
		expect(new TextEncoder().encode(key).length).toBeLessThanOrEqual(512);
		expect(tenantConfigKey("DEFAULT")).toBe("tenantcfg:DEFAULT");
	});
});
