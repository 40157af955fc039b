/**
 * Where a device downloads an artifact from, besides hawkBit's default DDI link (§2.11):
 *
 * - Signed, expiring links (an Updraft extension, tenant keys `download.signedUrls.*`): the link itself
 *   is the credential, so the edge serves it without asking D1. This module computes their expiry.
 * - A tenant-configured CDN URL pattern (tenant key `download.cdn.urlPattern`), the counterpart of
 *   hawkBit's `hawkbit.artifact.url.protocols.<name>.ref` for rel `download`. hawkBit:
 *   PropertyBasedArtifactUrlResolver#getReplaceMap (same placeholder names, file name form-encoded).
 *
 * Pure functions: no bindings, no clock unless passed in.
 */

/** Shortest and longest lifetime a tenant may give signed links. */
export const MIN_SIGNED_URL_TTL_MS = 60_000;
export const MAX_SIGNED_URL_TTL_MS = 7 * 86_400_000;

/**
 * Unix second at which a link issued at `nowMs` stops working: at least `ttlMs` from now, rounded up to
 * a step of a tenth of the TTL (at least a minute). All links issued within one step are identical, so
 * a repeated deploymentBase read keeps its ETag and a CDN in front of the links sees one URL per step.
 */
export function signedLinkExpiry(nowMs: number, ttlMs: number): number {
	const ttl = Math.ceil(ttlMs / 1000);
	const step = Math.max(60, Math.floor(ttl / 10));
	const now = Math.floor(nowMs / 1000);
	return (Math.floor(now / step) + 1) * step + ttl;
}

/** The placeholders a CDN pattern may use (hawkBit's names). */
export const CDN_PLACEHOLDERS = [
	"tenant",
	"controllerId",
	"softwareModuleId",
	"artifactFileName",
	"artifactSHA1",
] as const;
export type CdnPlaceholder = (typeof CDN_PLACEHOLDERS)[number];

/** Thrown for a pattern that cannot produce download links; tenant config reports it as invalid. */
export class DownloadLinkConfigError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "DownloadLinkConfigError";
	}
}

const PLACEHOLDER = /\{([^{}]*)\}/g;

/**
 * Checks a CDN URL pattern: empty (= off), or an absolute http(s) URL whose `{…}` placeholders are all
 * known. hawkBit leaves unknown placeholders in the URL as they are; here they are refused when the
 * operator sets the key, because a device could not download from such a URL.
 * @throws DownloadLinkConfigError
 */
export function validateCdnUrlPattern(pattern: string): void {
	if (pattern === "") {
		return;
	}
	for (const m of pattern.matchAll(PLACEHOLDER)) {
		if (!(CDN_PLACEHOLDERS as readonly string[]).includes(m[1] ?? "")) {
			throw new DownloadLinkConfigError(
				`Unknown placeholder {${m[1]}} in download.cdn.urlPattern; known: ${CDN_PLACEHOLDERS.map((p) => `{${p}}`).join(", ")}.`,
			);
		}
	}
	const sample = fillCdnUrlPattern(pattern, {
		tenant: "T",
		controllerId: "c",
		softwareModuleId: "1",
		artifactFileName: "f",
		artifactSHA1: "0".repeat(40),
	});
	let url: URL;
	try {
		url = new URL(sample);
	} catch {
		throw new DownloadLinkConfigError("download.cdn.urlPattern must be an absolute URL.");
	}
	if (url.protocol !== "https:" && url.protocol !== "http:") {
		throw new DownloadLinkConfigError("download.cdn.urlPattern must be an http or https URL.");
	}
}

/**
 * Fills a CDN pattern with values the caller has already encoded for a URL (hawkBit form-encodes the
 * file name; see workers/artifacts/download-links.ts). Unknown placeholders stay as they are.
 */
export function fillCdnUrlPattern(
	pattern: string,
	encoded: Record<CdnPlaceholder, string>,
): string {
	return pattern.replace(PLACEHOLDER, (whole, name: string) =>
		Object.hasOwn(encoded, name) ? encoded[name as CdnPlaceholder] : whole,
	);
}

/** java.net.URLEncoder (UTF-8), which hawkBit applies to `{artifactFileName}`. */
export function formUrlEncode(text: string): string {
	let out = "";
	for (const byte of new TextEncoder().encode(text)) {
		if (
			(byte >= 0x30 && byte <= 0x39) ||
			(byte >= 0x41 && byte <= 0x5a) ||
			(byte >= 0x61 && byte <= 0x7a) ||
			byte === 0x2e ||
			byte === 0x2d ||
			byte === 0x2a ||
			byte === 0x5f
		) {
			out += String.fromCharCode(byte);
		} else if (byte === 0x20) {
			out += "+";
		} else {
			out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
		}
	}
	return out;
}
