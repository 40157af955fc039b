/** A tiny management API client for tests: JSON in, Response out, admin credentials by default. */
import { exports } from "cloudflare:workers";
import { ADMIN_AUTH } from "./principals";

export const MGMT = "https://mgmt.test/rest/v1";

export async function mgmtFetch(
	method: string,
	path: string,
	o: { body?: unknown; auth?: string | null; headers?: Record<string, string> } = {},
): Promise<Response> {
	const headers: Record<string, string> = { ...o.headers };
	if (o.auth !== null) {
		headers.Authorization = o.auth ?? ADMIN_AUTH;
	}
	let body: string | undefined;
	if (o.body !== undefined) {
		headers["Content-Type"] ??= "application/json";
		body = typeof o.body === "string" ? o.body : JSON.stringify(o.body);
	}
	return exports.default.fetch(`${MGMT}${path}`, { method, headers, body });
}

/** Calls and parses JSON, failing loudly on an unexpected status. */
export async function mgmtJson<T = unknown>(
	method: string,
	path: string,
	expectedStatus: number,
	o: { body?: unknown; auth?: string | null } = {},
): Promise<T> {
	const res = await mgmtFetch(method, path, o);
	const text = await res.text();
	if (res.status !== expectedStatus) {
		throw new Error(`${method} ${path}: expected ${expectedStatus}, got ${res.status}: ${text}`);
	}
	return (text ? JSON.parse(text) : undefined) as T;
}
