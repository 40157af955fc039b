import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../shared/db/client";
import { ensureTenant } from "../shared/db/queries/tenants";

describe("the Worker's entry point", () => {
	it("answers an unknown path with Spring Boot's 404 body", async () => {
		const res = await exports.default.fetch("https://updraft.test/nowhere/at/all");
		expect(res.status).toBe(404);
		expect(await res.json()).toMatchObject({ status: 404, error: "Not Found" });
	});
});

describe("ensureTenant", () => {
	it("creates hawkBit's default types once, however often it is called", async () => {
		const db = createDb(env.DB);
		const first = await ensureTenant(db, env.DB, "bootstrap-test");
		const again = await ensureTenant(db, env.DB, "BOOTSTRAP-TEST");
		expect(again).toEqual(first);
		const dsTypes = await db.query.distributionSetTypes.findMany({
			where: (t, { eq }) => eq(t.tenant, "BOOTSTRAP-TEST"),
		});
		expect(dsTypes.map((t) => t.key).sort()).toEqual(["app", "os", "os_app"]);
		expect(first.defaultDsTypeId).toBe(dsTypes.find((t) => t.key === "os_app")?.id);
	});
});
