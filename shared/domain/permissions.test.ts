import { describe, expect, it } from "vitest";
import { expandAuthorities, normaliseAuthority, PERMISSIONS } from "./permissions";

describe("expandAuthorities (hawkBit's role and permission hierarchy)", () => {
	it("gives TENANT_ADMIN every permission", () => {
		expect([...expandAuthorities(["ROLE_TENANT_ADMIN"])].sort()).toEqual([...PERMISSIONS].sort());
	});

	it("accepts roles without the ROLE_ prefix, in any case", () => {
		expect(normaliseAuthority("target_admin")).toBe("ROLE_TARGET_ADMIN");
		expect(expandAuthorities(["TARGET_ADMIN"]).has("READ_TARGET_SECURITY_TOKEN")).toBe(true);
	});

	it("lets any TARGET permission imply READ_TARGET_TYPE, and UPDATE_TARGET the auto-assignment writes", () => {
		for (const p of ["CREATE_TARGET", "READ_TARGET", "UPDATE_TARGET", "DELETE_TARGET"]) {
			expect(expandAuthorities([p]).has("READ_TARGET_TYPE"), p).toBe(true);
		}
		expect(expandAuthorities(["UPDATE_TARGET"]).has("CREATE_AUTO_ASSIGNMENT")).toBe(true);
		expect(expandAuthorities(["READ_TARGET"]).has("UPDATE_TARGET")).toBe(false);
	});

	it("lets TENANT_CONFIGURATION imply the CRUD config permissions and READ_GATEWAY_SECURITY_TOKEN", () => {
		const p = expandAuthorities(["TENANT_CONFIGURATION"]);
		for (const x of [
			"READ_TENANT_CONFIGURATION",
			"UPDATE_TENANT_CONFIGURATION",
			"READ_GATEWAY_SECURITY_TOKEN",
		] as const) {
			expect(p.has(x)).toBe(true);
		}
		expect(
			expandAuthorities(["READ_TENANT_CONFIGURATION"]).has("READ_GATEWAY_SECURITY_TOKEN"),
		).toBe(false);
	});

	it("maps the ≤ 0.9 *_REPOSITORY names onto the module/set permissions", () => {
		const p = expandAuthorities(["READ_REPOSITORY", "DOWNLOAD_REPOSITORY_ARTIFACT"]);
		expect(p.has("READ_SOFTWARE_MODULE")).toBe(true);
		expect(p.has("READ_DISTRIBUTION_SET_TYPE")).toBe(true);
		expect(p.has("READ_SOFTWARE_MODULE_ARTIFACT")).toBe(true);
		expect(p.has("CREATE_SOFTWARE_MODULE")).toBe(false);
	});

	it("ignores unknown authorities", () => {
		expect(expandAuthorities(["ALL", "ROLE_NOPE"]).size).toBe(0);
	});
});
