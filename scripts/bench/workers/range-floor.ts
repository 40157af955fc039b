/**
 * Benchmark references for range downloads: the least any Worker pays to answer `Range: bytes=a-b` for
 * a stored file in this runtime, with no access check, no headers beyond Content-Range, no logic.
 *
 * - `/r2/{key}`: one ranged R2 read, streamed;
 * - `/cache/{key}`: one ranged Cache API read, streamed (filled from R2 on the first miss);
 * - `/mem/{key}`: a slice of a copy held in isolate memory (the runtime's own ceiling).
 */

type Env = { ARTIFACTS: R2Bucket };

const CACHE_ORIGIN = "https://range-floor.bench.internal/";
let inMemory: Uint8Array | undefined;

function parseRange(header: string | null, size: number): { start: number; end: number } {
	const m = header ? /^bytes=(\d+)-(\d+)$/.exec(header) : null;
	if (!m) {
		return { start: 0, end: size - 1 };
	}
	return { start: Number(m[1]), end: Math.min(size - 1, Number(m[2])) };
}

function partial(body: BodyInit | null, start: number, end: number, size: number): Response {
	return new Response(body, {
		status: 206,
		headers: {
			"Content-Range": `bytes ${start}-${end}/${size}`,
			"Content-Length": String(end - start + 1),
		},
	});
}

export default {
	async fetch(req: Request, env: Env): Promise<Response> {
		const [, kind, key = ""] = new URL(req.url).pathname.split("/");
		const range = req.headers.get("Range");
		if (kind === "r2") {
			const head = await env.ARTIFACTS.head(key);
			if (!head) {
				return new Response(null, { status: 404 });
			}
			const { start, end } = parseRange(range, head.size);
			const object = await env.ARTIFACTS.get(key, {
				range: { offset: start, length: end - start + 1 },
			});
			return partial(object?.body ?? null, start, end, head.size);
		}
		if (kind === "cache") {
			const cache = await caches.open("range-floor");
			const url = `${CACHE_ORIGIN}${key}`;
			let hit = await cache.match(new Request(url, { headers: range ? { Range: range } : {} }));
			if (!hit) {
				const object = await env.ARTIFACTS.get(key);
				if (!object) {
					return new Response(null, { status: 404 });
				}
				await cache.put(
					url,
					new Response(object.body, {
						headers: { "Cache-Control": "max-age=86400", "Content-Length": String(object.size) },
					}),
				);
				hit = await cache.match(new Request(url, { headers: range ? { Range: range } : {} }));
			}
			return hit ?? new Response(null, { status: 500 });
		}
		if (kind === "mem") {
			if (!inMemory) {
				const object = await env.ARTIFACTS.get(key);
				if (!object) {
					return new Response(null, { status: 404 });
				}
				inMemory = new Uint8Array(await object.arrayBuffer());
			}
			const { start, end } = parseRange(range, inMemory.byteLength);
			return partial(inMemory.subarray(start, end + 1), start, end, inMemory.byteLength);
		}
		return new Response(null, { status: 404 });
	},
} satisfies ExportedHandler<Env>;
