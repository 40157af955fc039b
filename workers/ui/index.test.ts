import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("GET /", () => {
	it("redirects to the operator UI", async () => {
		const res = await exports.default.fetch("https://x.test/", { redirect: "manual" });
		expect(res.status).toBe(302);
		expect(res.headers.get("Location")).toBe("/ui/");
	});
});

describe("GET /ui", () => {
	it("redirects to the UI's directory, so relative module URLs resolve under /ui/", async () => {
		const res = await exports.default.fetch("https://x.test/ui", { redirect: "manual" });
		expect(res.status).toBe(301);
		expect(res.headers.get("Location")).toBe("/ui/");
	});

	it("leaves other paths to the API's 404", async () => {
		const res = await exports.default.fetch("https://x.test/uix");
		expect(res.status).toBe(404);
	});
});
