/**
 * The console decides what to offer from /userinfo's authorities with its own copy of hawkBit's
 * hierarchy (ui/public/ui/js/permissions.js, plain JS for the browser). This keeps the two in step.
 */
import { describe, expect, it } from "vitest";
import {
	KNOWN_AUTHORITIES,
	PERMISSIONS,
	expandAuthorities as serverExpand,
} from "../../shared/domain/permissions";
// @ts-expect-error plain browser module without type declarations
import { expandAuthorities as uiExpand } from "../../ui/public/ui/js/permissions.js";

const uiPermissions = (granted: string[]) =>
	[...(uiExpand(granted) as Set<string>)]
		.filter((a) => (PERMISSIONS as readonly string[]).includes(a))
		.sort();

describe("ui/public/ui/js/permissions.js", () => {
	it("expands every authority the server knows exactly as the server does", () => {
		for (const authority of KNOWN_AUTHORITIES) {
			expect(uiPermissions([authority]), authority).toEqual([...serverExpand([authority])].sort());
		}
	});

	it("accepts roles written without ROLE_, as hawkBit's static users configure them", () => {
		expect(uiPermissions(["tenant_admin"])).toEqual([...PERMISSIONS].sort());
	});

	it("grants nothing for unknown authorities", () => {
		expect(uiPermissions(["ALL"])).toEqual([]);
	});
});
