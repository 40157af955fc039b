/**
 * Response conventions of every management GET: `application/hal+json` unless the client asked for
 * plain JSON (§1.1), and hawkBit's shallow ETag `"0<md5 of body>"` with 304 on If-None-Match (§1.2).
 */
import { createMiddleware } from "hono/factory";
import type { MgmtEnv } from "../middleware/mgmt-auth";

function prefersPlainJson(accept: string | undefined): boolean {
	if (!accept) {
		return false;
	}
	const a = accept.toLowerCase();
	return a.includes("application/json") && !a.includes("application/hal+json");
}

async function md5Hex(body: ArrayBuffer): Promise<string> {
	// Workers' WebCrypto implements MD5 as a non-standard digest; hawkBit's ETag is an MD5.
	const digest = await crypto.subtle.digest("MD5", body);
	return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export const halResponse = createMiddleware<MgmtEnv>(async (c, next) => {
	await next();
	const res = c.res;
	const type = res.headers.get("content-type") ?? "";
	if (res.status < 200 || res.status >= 300 || !type.startsWith("application/json")) {
		return;
	}
	const headers = new Headers(res.headers);
	if (!prefersPlainJson(c.req.header("accept"))) {
		headers.set("content-type", "application/hal+json");
	}
	if (c.req.method !== "GET") {
		c.res = new Response(res.body, { status: res.status, headers });
		return;
	}
	const body = await res.arrayBuffer();
	const etag = `"0${await md5Hex(body)}"`;
	headers.set("ETag", etag);
	const inm = c.req.header("if-none-match");
	if (inm?.split(",").some((t) => t.trim() === etag || t.trim() === "*")) {
		headers.delete("content-type");
		headers.delete("content-length");
		c.res = new Response(null, { status: 304, headers });
		return;
	}
	c.res = new Response(body, { status: res.status, headers });
});
