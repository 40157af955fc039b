/**
 * The Cache API in front of R2 for artifact bytes, so that repeated downloads in one Cloudflare location
 * are served from that location's cache instead of all reaching R2.
 *
 * Why this is safe: the cache holds bytes keyed by their R2 key `artifacts/{TENANT}/{sha1}`, which is
 * content-addressed (the same key always means the same bytes), and it is only a byte source behind
 * `serveArtifact`: every request has passed its access check (the signed link's HMAC, or the DDI
 * route's D1 check) before anything is read from it, and the cache entries live under an internal
 * hostname in a named cache, never under a URL a client can request. Range semantics stay hawkBit's
 * (serve-artifact.ts); the cache is asked for one plain range at a time.
 *
 * Filling: a read that misses goes to R2 and schedules, at most once per key per isolate every
 * {@link FILL_RETRY_MS}, one background full read of the object into the cache (objects up to
 * {@link ARTIFACT_CACHE_MAX_BYTES}). A second R2 read instead of teeing the client's stream, because a
 * tee buffers whatever a slow device has not yet taken, in an isolate limited to 128 MB.
 *
 * Where the Cache API is a no-op (workers.dev hostnames), every read goes to R2 and the wasted fill is
 * bounded by the same once-per-isolate rule.
 */
import type { ArtifactByteSource, ByteRange } from "./serve-artifact";
import { r2ByteSource } from "./serve-artifact";

const CACHE_NAME = "updraft-artifacts";
const KEY_ORIGIN = "https://artifact-bytes.updraft.internal";
/** Cloudflare caches files up to 512 MB on Free/Pro/Business plans (workers/platform/limits). */
export const ARTIFACT_CACHE_MAX_BYTES = 512 * 1024 * 1024;
const FILL_RETRY_MS = 10 * 60_000;
const MEMO_LIMIT = 1000;
/** Content-addressed bytes never change, so cached entries may live as long as the cache keeps them. */
const IMMUTABLE = "public, max-age=31536000, immutable";

/** The part of an execution context a background cache fill needs. */
export type Background = { waitUntil(promise: Promise<unknown>): void };

/** What serving needs besides the bytes; `uploaded` is epoch ms. */
export type ArtifactMeta = { size: number; uploaded: number };

/** An artifact's metadata and where to read its bytes from. */
export type ArtifactBytes = ArtifactMeta & { source: ArtifactByteSource };

// Per-isolate memory: metadata of content-addressed objects cannot go stale (only disappear, which the
// read then reports), and the fill attempts keep a missing cache from costing an R2 read per request.
const metaMemo = new Map<string, ArtifactMeta>();
const fillAttempts = new Map<string, number>();

function remember<V>(map: Map<string, V>, key: string, value: V): void {
	map.delete(key);
	map.set(key, value);
	if (map.size > MEMO_LIMIT) {
		const oldest = map.keys().next().value;
		if (oldest !== undefined) {
			map.delete(oldest);
		}
	}
}

function cacheUrl(r2Key: string): string {
	return `${KEY_ORIGIN}/${r2Key.split("/").map(encodeURIComponent).join("/")}`;
}

function rangeHeader(r: ByteRange): string {
	return `bytes=${r.start}-${r.end}`;
}

/** `bytes a-b/total` → total; anything else → undefined. */
function totalOf(contentRange: string | null): number | undefined {
	const m = contentRange ? /^bytes \d+-\d+\/(\d+)$/.exec(contentRange) : null;
	return m?.[1] ? Number(m[1]) : undefined;
}

async function discard(res: Response): Promise<void> {
	await res.body?.cancel().catch(() => undefined);
}

/** Metadata from the cached entry, if this location has one (a one-byte range read). */
async function metaFromCache(cache: Cache, r2Key: string): Promise<ArtifactMeta | undefined> {
	const res = await cache.match(
		new Request(cacheUrl(r2Key), { headers: { Range: rangeHeader({ start: 0, end: 0 }) } }),
	);
	if (!res) {
		return undefined;
	}
	await discard(res);
	const size = totalOf(res.headers.get("Content-Range"));
	const uploaded = Date.parse(res.headers.get("Last-Modified") ?? "");
	return res.status === 206 && size !== undefined && !Number.isNaN(uploaded)
		? { size, uploaded }
		: undefined;
}

/** The bytes from this location's cache, or undefined when it does not hold exactly what was asked. */
async function readCached(
	cache: Cache,
	r2Key: string,
	size: number,
	r: ByteRange | undefined,
): Promise<ReadableStream<Uint8Array> | undefined> {
	const res = await cache.match(
		new Request(cacheUrl(r2Key), r ? { headers: { Range: rangeHeader(r) } } : undefined),
	);
	if (!res) {
		return undefined;
	}
	const exact = r
		? res.status === 206 && res.headers.get("Content-Range") === `bytes ${r.start}-${r.end}/${size}`
		: res.status === 200;
	if (!exact) {
		await discard(res);
		return undefined;
	}
	return res.body ?? new Response(new Uint8Array(0)).body ?? undefined;
}

async function fill(bucket: R2Bucket, cache: Cache, r2Key: string): Promise<void> {
	const object = await bucket.get(r2Key);
	if (!object) {
		return;
	}
	const headers = new Headers({
		"Cache-Control": IMMUTABLE,
		"Content-Length": String(object.size),
		"Content-Type": "application/octet-stream",
		"Last-Modified": object.uploaded.toUTCString(),
	});
	await cache.put(cacheUrl(r2Key), new Response(object.body, { headers }));
}

function scheduleFill(
	ctx: Background,
	bucket: R2Bucket,
	cache: Cache,
	r2Key: string,
	size: number,
): void {
	const now = Date.now();
	const last = fillAttempts.get(r2Key);
	if (size > ARTIFACT_CACHE_MAX_BYTES || (last !== undefined && now - last < FILL_RETRY_MS)) {
		return;
	}
	remember(fillAttempts, r2Key, now);
	ctx.waitUntil(
		fill(bucket, cache, r2Key).catch((err) => {
			console.warn("artifact cache fill failed", { r2Key, err: String(err) });
		}),
	);
}

/**
 * Opens the content-addressed bytes at `r2Key` for serving. Call it only after the requester has been
 * allowed these bytes. `known` (from D1) skips the metadata look-up; without it, metadata comes from the
 * isolate's memo, else this location's cache, else an R2 HEAD. Undefined when the object does not exist.
 */
export async function openArtifactBytes(
	bucket: R2Bucket,
	ctx: Background,
	r2Key: string,
	known?: ArtifactMeta,
): Promise<ArtifactBytes | undefined> {
	const cache = await caches.open(CACHE_NAME);
	let meta = known ?? metaMemo.get(r2Key) ?? (await metaFromCache(cache, r2Key));
	if (!meta) {
		const head = await bucket.head(r2Key);
		if (!head) {
			return undefined;
		}
		meta = { size: head.size, uploaded: head.uploaded.getTime() };
	}
	remember(metaMemo, r2Key, meta);
	const { size } = meta;
	const fromR2 = r2ByteSource(bucket, r2Key);
	const source: ArtifactByteSource = async (r) => {
		const cached = await readCached(cache, r2Key, size, r);
		if (cached) {
			return cached;
		}
		const body = await fromR2(r);
		scheduleFill(ctx, bucket, cache, r2Key, size);
		return body;
	};
	return { ...meta, source };
}

/** Forgets this isolate's metadata and fill attempts (tests). */
export function forgetArtifactCacheMemo(): void {
	metaMemo.clear();
	fillAttempts.clear();
}
