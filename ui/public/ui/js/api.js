/**
 * The UI's only way to the server: hawkBit's Management API under /rest/v1, with the session's
 * credential. Errors become ApiError carrying hawkBit's error body (`message`, `errorCode`), so pages
 * can show the server's own words in place.
 */
import { authorization, signOut } from "./session.js";

export const API = "/rest/v1";

/**
 * Targets whose last poll is older than polling interval + overdue time. `${OVERDUE_TS}` is hawkBit's
 * RSQL placeholder, substituted by the server from the tenant's polling configuration.
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: an RSQL placeholder, not a template
export const OVERDUE_QUERY = "lastcontrollerrequestat=lt=${OVERDUE_TS}";

export class ApiError extends Error {
	/**
	 * @param {number} status
	 * @param {{ message?: string, errorCode?: string, error?: string } | null} body
	 */
	constructor(status, body) {
		super(body?.message || body?.error || describeStatus(status));
		this.status = status;
		this.code = body?.errorCode?.replace(/^hawkbit\.server\.error\./, "");
		this.body = body;
	}
}

function describeStatus(status) {
	switch (status) {
		case 0:
			return "The server could not be reached.";
		case 403:
			return "You do not have permission to do this.";
		case 404:
			return "Not found.";
		case 413:
			return "The request is too large.";
		case 429:
			return "Too many requests or a quota was exceeded.";
		default:
			return `The server answered HTTP ${status}.`;
	}
}

/** Builds `/rest/v1<path>?<query>`, leaving out empty query values. */
export function apiUrl(path, query) {
	const params = new URLSearchParams();
	for (const [k, v] of Object.entries(query ?? {})) {
		if (v !== undefined && v !== null && v !== "") {
			params.set(k, String(v));
		}
	}
	const qs = params.toString();
	return `${API}${path}${qs ? `?${qs}` : ""}`;
}

/**
 * One Management API call. Resolves to the parsed JSON body, or null for 204/empty bodies.
 * @param {string} method
 * @param {string} path below /rest/v1, already encoded (use `seg()` for ids)
 * @param {{ query?: Record<string, unknown>, body?: unknown, signal?: AbortSignal }} [opts]
 */
export async function request(method, path, opts = {}) {
	const headers = { Accept: "application/json" };
	const auth = authorization();
	if (auth) {
		headers.Authorization = auth;
	}
	if (opts.body !== undefined) {
		headers["Content-Type"] = "application/json";
	}
	let res;
	try {
		res = await fetch(apiUrl(path, opts.query), {
			method,
			headers,
			body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
			signal: opts.signal,
			credentials: "omit",
			cache: "no-cache",
		});
	} catch (err) {
		if (err?.name === "AbortError") {
			throw err;
		}
		throw new ApiError(0, null);
	}
	const text = await res.text();
	let body = null;
	if (text) {
		try {
			body = JSON.parse(text);
		} catch {
			body = null;
		}
	}
	if (res.status === 401) {
		signOut("expired");
		throw new ApiError(401, { message: "Your session has ended. Please sign in again." });
	}
	if (!res.ok) {
		throw new ApiError(res.status, body);
	}
	return body;
}

export const get = (path, query, signal) => request("GET", path, { query, signal });
export const post = (path, body, query) => request("POST", path, { body, query });
export const put = (path, body, query) => request("PUT", path, { body, query });
export const del = (path, query, body) => request("DELETE", path, { query, body });

/** Encodes one path segment (controller ids may hold any character). */
export function seg(value) {
	return encodeURIComponent(String(value));
}

/** RSQL value quoting: quotes values with reserved characters or spaces. */
export function rsqlValue(value) {
	const v = String(value);
	return /^[^\s'"();,=!~<>]+$/.test(v) ? v : `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** The total count of a collection for a query, fetched as a one-element page. */
export async function count(path, q, signal) {
	const page = await get(path, { q, limit: 1 }, signal);
	return page?.total ?? 0;
}

/**
 * Multipart upload with progress (fetch has no upload progress; XMLHttpRequest does).
 * @param {string} path below /rest/v1
 * @param {FormData} form
 * @param {(loaded: number, total: number) => void} onProgress
 * @returns {{ promise: Promise<unknown>, abort: () => void }}
 */
export function upload(path, form, onProgress) {
	const xhr = new XMLHttpRequest();
	const promise = new Promise((resolve, reject) => {
		xhr.open("POST", apiUrl(path));
		xhr.setRequestHeader("Accept", "application/json");
		const auth = authorization();
		if (auth) {
			xhr.setRequestHeader("Authorization", auth);
		}
		xhr.upload.addEventListener("progress", (e) => {
			if (e.lengthComputable) {
				onProgress(e.loaded, e.total);
			}
		});
		xhr.addEventListener("load", () => {
			let body = null;
			try {
				body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
			} catch {
				body = null;
			}
			if (xhr.status === 401) {
				signOut("expired");
			}
			if (xhr.status >= 200 && xhr.status < 300) {
				resolve(body);
			} else {
				reject(new ApiError(xhr.status, body));
			}
		});
		xhr.addEventListener("error", () => reject(new ApiError(0, null)));
		xhr.addEventListener("abort", () => reject(new ApiError(0, { message: "Upload cancelled." })));
		xhr.send(form);
	});
	return { promise, abort: () => xhr.abort() };
}
