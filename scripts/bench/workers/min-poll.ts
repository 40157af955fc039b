/**
 * Benchmark reference "floor": the least any real poll design pays. It checks the device's
 * `TargetToken` against one KV read (the SHA-256 of the token under `tok:{tenant}:{controllerId}`, as
 * Updraft keeps it) and answers constant JSON. No framework, no tenant configuration, no write-behind.
 *
 * With `KEY_MODE = "entry"` (min-poll-entry.toml) it reads Updraft's own poll entry JSON instead
 * (`poll:{tenant}:{controllerId}`, copied from Updraft's KV by the benchmark) and compares its
 * `tokenSha256`: the same floor, paying for the value Updraft actually stores.
 */

type Env = { POLL_CACHE: KVNamespace; KEY_MODE?: string };

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
		const expected =
			env.KEY_MODE === "entry"
				? (
						await env.POLL_CACHE.get<{ tokenSha256: string }>(
							`poll:${tenant}:${controllerId}`,
							"json",
						)
					)?.tokenSha256
				: await env.POLL_CACHE.get(`tok:${tenant}:${controllerId}`);
		if (!expected || expected !== (await sha256Hex(auth.slice(PREFIX.length)))) {
			return new Response(null, { status: 401 });
		}
		return new Response(BODY, { headers: { "Content-Type": "application/json" } });
	},
} satisfies ExportedHandler<Env>;
