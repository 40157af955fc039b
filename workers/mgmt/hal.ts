/**
 * HAL link helpers. hawkBit (Spring HATEOAS) always emits expanded, absolute hrefs built from the
 * incoming request's scheme/host/port, honouring forwarded headers from a proxy.
 */
import type { Context } from "hono";
import { z } from "zod";

export const HalLink = z
	.object({ href: z.string(), name: z.string().optional() })
	.meta({ id: "Link", description: "HAL link (always expanded, absolute)" });
export type HalLink = z.infer<typeof HalLink>;

/** `_links` of a resource: rel → link. */
export const HalLinks = z.record(z.string(), HalLink).meta({ id: "Links" });
export type HalLinks = z.infer<typeof HalLinks>;

function firstValue(v: string | undefined): string | undefined {
	const first = v?.split(",")[0]?.trim();
	return first ? first : undefined;
}

/** The request's origin as the client saw it (X-Forwarded-Proto / -Host honoured). */
export function requestOrigin(c: Context): string {
	const url = new URL(c.req.url);
	const proto = firstValue(c.req.header("x-forwarded-proto"));
	const host = firstValue(c.req.header("x-forwarded-host"));
	const scheme = proto === "http" || proto === "https" ? proto : url.protocol.slice(0, -1);
	return `${scheme}://${host ?? url.host}`;
}

/** Absolute href of a management path (`/targets/dev-1` → `https://host/rest/v1/targets/dev-1`). */
export function mgmtHref(c: Context, path: string): string {
	return `${requestOrigin(c)}/rest/v1${path}`;
}

/** One HAL link to a management path, optionally with hawkBit's `name` (e.g. `"DS:1.0"`). */
export function mgmtLink(c: Context, path: string, name?: string): HalLink {
	return name === undefined ? { href: mgmtHref(c, path) } : { href: mgmtHref(c, path), name };
}

/** Encodes one path segment the way hawkBit's links do (controller ids may hold spaces etc.). */
export function seg(value: string | number): string {
	return encodeURIComponent(String(value));
}

/** The paging query hawkBit appends to collection links (`?offset=0&limit=50&sort=id%3ADESC`). */
export function pagingSuffix(sort: string, limit = 50): string {
	return `?offset=0&limit=${limit}&sort=${encodeURIComponent(sort)}`;
}
