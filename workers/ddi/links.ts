/**
 * Absolute hrefs of DDI answers (§1.1, §2.3): scheme from `X-Forwarded-Proto` (else the request's),
 * host and port from `Host`, default ports dropped, tenant as the device typed it.
 */
import type { Context } from "hono";

/** `scheme://host[:port]` of the request as the device reached us. */
export function requestOrigin(c: Context): string {
	return originOf(c.req.url, c.req.raw.headers);
}

/** {@link requestOrigin} for a plain URL and headers (the idle-poll fast path has no Hono context). */
export function originOf(requestUrl: string | URL, headers: Headers): string {
	const url = typeof requestUrl === "string" ? new URL(requestUrl) : requestUrl;
	const forwarded = headers.get("X-Forwarded-Proto")?.split(",")[0]?.trim().toLowerCase();
	const scheme =
		forwarded === "http" || forwarded === "https" ? forwarded : url.protocol.slice(0, -1);
	let host = headers.get("Host") ?? url.host;
	if (
		(scheme === "https" && host.endsWith(":443")) ||
		(scheme === "http" && host.endsWith(":80"))
	) {
		host = host.slice(0, host.lastIndexOf(":"));
	}
	return `${scheme}://${host}`;
}

/**
 * Encodes one path segment the way Spring's UriComponentsBuilder does for hawkBit's links: RFC 3986
 * `pchar` (unreserved, sub-delims, ":" and "@") stays as is, everything else is percent-encoded.
 */
export function encodePathSegment(segment: string): string {
	return encodeURIComponent(segment).replace(/%(3A|40|21|24|26|27|28|29|2A|2B|2C|3B|3D)/gi, (m) =>
		decodeURIComponent(m),
	);
}

/** `…/{tenant as typed}/controller/v1/{controllerId}` — the base of every link the poll hands out. */
export function controllerUrl(c: Context, controllerId: string): string {
	const typedTenant = c.req.param("tenant") ?? "";
	return `${requestOrigin(c)}/${encodePathSegment(typedTenant)}/controller/v1/${encodePathSegment(controllerId)}`;
}
