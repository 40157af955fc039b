import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runAuthMatrix } from "../testing/auth-matrix";

type OpenApi = {
	openapi: string;
	servers: { url: string }[];
	paths: Record<string, Record<string, { parameters?: { name: string }[]; security?: unknown[] }>>;
	components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};

describe("GET /rest/v1/openapi.json", () => {
	it("publishes the document generated from the route schemas, without credentials", async () => {
		const res = await exports.default.fetch("https://docs.test/rest/v1/openapi.json");
		expect(res.status).toBe(200);
		const doc = (await res.json()) as OpenApi;
		expect(doc.openapi).toBe("3.0.3");
		expect(doc.servers[0]?.url).toBe("https://docs.test/rest/v1");
		for (const path of [
			"/targets",
			"/targets/{targetId}",
			"/targets/{targetId}/actions/{actionId}/confirmation",
			"/targettypes/{targetTypeId}/compatibledistributionsettypes",
			"/targettags/{targetTagId}/assigned",
			"/targetgroups/assigned",
			"/actions",
			"/system/configs/{keyName}",
			"/userinfo",
		]) {
			expect(doc.paths, path).toHaveProperty([path]);
		}
		const list = doc.paths["/targets"]?.get;
		expect(list?.parameters?.map((p) => p.name)).toEqual(["offset", "limit", "sort", "q"]);
		expect(list?.security).toEqual([{ basicAuth: [] }, { bearerAuth: [] }]);
		expect(doc.components.schemas).toHaveProperty("MgmtTarget");
		expect(doc.components.schemas).toHaveProperty("MgmtAction");
		expect(doc.components.schemas).toHaveProperty("ExceptionInfo");
		expect(doc.components.securitySchemes).toHaveProperty("basicAuth");
	});

	it("serves a self-contained docs page (no external scripts)", async () => {
		const res = await exports.default.fetch("https://docs.test/rest/v1/docs");
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toMatch(/text\/html/);
		const html = await res.text();
		expect(html).toContain("openapi.json");
		expect(html).not.toMatch(/<script[^>]+src=/);
		expect(html).not.toMatch(/https?:\/\/(cdn|unpkg|jsdelivr)/);
	});
});

runAuthMatrix({
	method: "GET",
	path: "/rest/v1/userinfo",
	permissions: [],
	foreignTenant: "skip",
	permittedStatus: 200,
});
