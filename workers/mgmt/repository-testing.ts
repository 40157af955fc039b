/**
 * Test helpers of the repository resources (software modules, distribution sets, target filters):
 * JSON calls as the built-in admin and creation shortcuts that go through the real API.
 */
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import { ADMIN_AUTH } from "../testing/principals";

export const BASE = "https://repo.test/rest/v1";

let seq = 0;
/** A name unique within the test file's storage. */
export function uniq(prefix: string): string {
	seq += 1;
	return `${prefix}-${seq}-${crypto.randomUUID().slice(0, 6)}`;
}

export async function api(
	method: string,
	path: string,
	body?: unknown,
	auth: string = ADMIN_AUTH,
): Promise<Response> {
	const headers: Record<string, string> = { Authorization: auth };
	if (body !== undefined) {
		headers["Content-Type"] = "application/json";
	}
	return exports.default.fetch(`${BASE}${path}`, {
		method,
		headers,
		body: body === undefined ? undefined : JSON.stringify(body),
	});
}

// biome-ignore lint/suspicious/noExplicitAny: test JSON is inspected freely
export type Json = any;

export async function json(res: Response, status: number): Promise<Json> {
	const text = await res.text();
	expect(res.status, text).toBe(status);
	return text ? JSON.parse(text) : undefined;
}

export async function errorCode(res: Response): Promise<string> {
	return ((await res.json()) as { errorCode: string }).errorCode.replace(
		"hawkbit.server.error.",
		"",
	);
}

/** Creates a software module (default type `os`) through the API; answers its JSON. */
export async function createModule(
	o: { type?: string; name?: string; version?: string; auth?: string } = {},
): Promise<Json> {
	const res = await api(
		"POST",
		"/softwaremodules",
		[{ name: o.name ?? uniq("sm"), version: o.version ?? "1.0", type: o.type ?? "os" }],
		o.auth,
	);
	return (await json(res, 201))[0];
}

/** Uploads `content` as multipart/form-data; answers the raw response. */
export async function uploadArtifact(
	smId: number,
	content: Uint8Array | string,
	o: { filename?: string; fields?: Record<string, string>; auth?: string } = {},
): Promise<Response> {
	const form = new FormData();
	const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
	form.append("file", new File([bytes], o.filename ?? "file.bin"));
	for (const [k, v] of Object.entries(o.fields ?? {})) {
		form.append(k, v);
	}
	return exports.default.fetch(`${BASE}/softwaremodules/${smId}/artifacts`, {
		method: "POST",
		headers: { Authorization: o.auth ?? ADMIN_AUTH },
		body: form,
	});
}

/** Creates a DS of type `os_app` with the given modules; answers its JSON. */
export async function createDs(
	o: { modules?: number[]; type?: string; name?: string; version?: string } = {},
): Promise<Json> {
	const res = await api("POST", "/distributionsets", [
		{
			name: o.name ?? uniq("ds"),
			version: o.version ?? "1.0",
			type: o.type ?? "os_app",
			modules: (o.modules ?? []).map((id) => ({ id })),
		},
	]);
	return (await json(res, 201))[0];
}

/** A complete DS (one `os` module with an artifact-free type: minArtifacts 0). */
export async function createCompleteDs(): Promise<Json> {
	const sm = await createModule();
	return createDs({ modules: [sm.id] });
}
