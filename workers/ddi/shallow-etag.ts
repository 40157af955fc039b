/**
 * hawkBit's "shallow ETag" filter for DDI GETs (§1.2, Spring ShallowEtagHeaderFilter) and its HAL media
 * type choice (§1.1). Every 2xx GET gets `ETag: "0<md5 hex of the body>"`; a matching `If-None-Match`
 * turns it into 304 with no body. Artifact paths are excluded, as in hawkBit (they carry the SHA-1 ETag).
 */
import { createMiddleware } from "hono/factory";

const HAL_JSON = "application/hal+json";
const JSON_TYPE = "application/json";

/**
 * hawkBit produces `application/hal+json` first and `application/json` second: `application/json` is
 * answered only when the client asks for it (SWUpdate, rauc) and not for hal+json or a wildcard.
 */
export function negotiateJsonType(accept: string | undefined): string {
	if (!accept) {
		return HAL_JSON;
	}
	let best = HAL_JSON;
	let bestQ = -1;
	for (const part of accept.split(",")) {
		const [rawType = "", ...params] = part.split(";");
		const type = rawType.trim().toLowerCase();
		const qParam = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
		const q = qParam ? Number(qParam.slice(2)) : 1;
		if (Number.isNaN(q) || q <= 0) {
			continue;
		}
		const produced =
			type === HAL_JSON || type === "*/*" || type === "application/*"
				? HAL_JSON
				: type === JSON_TYPE
					? JSON_TYPE
					: undefined;
		// Equal quality keeps the server's order (hal+json first).
		if (produced && (q > bestQ || (q === bestQ && produced === HAL_JSON))) {
			best = produced;
			bestQ = q;
		}
	}
	return best;
}

/** `"0" + md5(body)`, quoted: the exact shape of Spring's shallow ETag. */
export async function shallowEtag(body: ArrayBuffer): Promise<string> {
	const digest = await crypto.subtle.digest("MD5", body);
	const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
	return `"0${hex}"`;
}

/** Whether `If-None-Match` names `etag` (or `*`, or its weak form). */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
	if (!header) {
		return false;
	}
	return header.split(",").some((candidate) => {
		const tag = candidate.trim();
		return tag === "*" || tag === etag || tag === `W/${etag}`;
	});
}

/**
 * Post-processes DDI answers: JSON bodies get the negotiated HAL/JSON content type; 2xx GETs get the
 * shallow ETag and honour If-None-Match.
 */
export const shallowEtagJson = createMiddleware(async (c, next) => {
	await next();
	const res = c.res;
	const type = res.headers.get("Content-Type") ?? "";
	const isJson = type.startsWith(JSON_TYPE) || type.startsWith(HAL_JSON);
	if (isJson && res.status >= 200 && res.status < 300) {
		// Errors keep application/json, as Spring renders ExceptionInfo.
		res.headers.set("Content-Type", negotiateJsonType(c.req.header("Accept")));
	}
	const method = c.req.method;
	if (
		(method !== "GET" && method !== "HEAD") ||
		res.status < 200 ||
		res.status >= 300 ||
		res.headers.has("ETag") ||
		/\/softwaremodules\/[^/]+\/artifacts(\/|$)/.test(c.req.path)
	) {
		return;
	}
	const body = await res.clone().arrayBuffer();
	const etag = await shallowEtag(body);
	if (ifNoneMatchHits(c.req.header("If-None-Match"), etag)) {
		c.res = new Response(null, { status: 304, headers: { ETag: etag } });
		return;
	}
	res.headers.set("ETag", etag);
});
