/**
 * Benchmark reference "floor": the least any real poll design pays. It checks the device's
 * `TargetToken` against one KV read (the SHA-256 of the token under `tok:{tenant}:{controllerId}`, as
 * Updraft keeps it) and answers constant JSON. No framework, no tenant configuration, no write-behind.
 */

type Env = { POLL_CACHE: KVNamespace };

const BODY = JSON.stringify({ config: { polling: { sleep: "00:05:00" } } });
const PREFIX = "TargetToken ";

async function sha256Hex(text: string): Promise<string> {
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
	return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export default {
	async fetch(req: Request, env: Env): Promise<Response> {
		const parts = new URL(req.url).pathname.split("/");
		// /{tenant}/controller/v1/{controllerId}
		const tenant = parts[1] ?? "";
		const controllerId = parts[4] ?? "";
		const auth = req.headers.get("Authorization") ?? "";
		if (parts.length !== 5 || !auth.startsWith(PREFIX)) {
			return new Response(null, { status: 401 });
		}
		const expected = await env.POLL_CACHE.get(`tok:${tenant}:${controllerId}`);
		if (expected === null || expected !== (await sha256Hex(auth.slice(PREFIX.length)))) {
			return new Response(null, { status: 401 });
		}
		return new Response(BODY, { headers: { "Content-Type": "application/json" } });
	},
} satisfies ExportedHandler<Env>;
