/**
 * Updraft under benchmark: the real Worker bundle (or the metered one of the cost model) in Miniflare,
 * its D1 migrated, tenant DEFAULT with target tokens (and signed download links) switched on, and a fleet
 * of targets created through the Management API, each polled once so that it is registered and its poll
 * entry sits in KV (the state every later poll of a quiet fleet finds).
 */
import { randomBytes } from "node:crypto";
import { ApiError, MgmtClient } from "../cli/mgmt-client";
import { applyMigrations, bundle, type RunningWorker, startWorker } from "./runtime";

export const TENANT = "DEFAULT";
export const SIGNING_KEY = "bench-download-signing-key";

export type Device = { controllerId: string; token: string };

export type Fleet = { worker: RunningWorker; client: MgmtClient; devices: Device[] };

/** The DDI poll path of a device. */
export function pollPath(d: Device): string {
	return `/${TENANT}/controller/v1/${encodeURIComponent(d.controllerId)}`;
}

/** The DDI headers of a device. */
export function ddiHeaders(d: Device): Record<string, string> {
	return { Authorization: `TargetToken ${d.token}` };
}

/** Runs `task` over `items` with at most `limit` in flight. */
export async function inParallel<T>(
	items: T[],
	limit: number,
	task: (item: T) => Promise<void>,
): Promise<void> {
	let next = 0;
	const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
		while (next < items.length) {
			const item = items[next++] as T;
			await task(item);
		}
	});
	await Promise.all(runners);
}

/**
 * fetch, retried twice after a lost connection (a loaded machine sometimes drops one while workerd
 * starts up); HTTP errors are answers and are returned.
 */
export async function fetchWithRetry(url: string, init?: RequestInit): Promise<Response> {
	for (let attempt = 1; ; attempt++) {
		try {
			return await fetch(url, init);
		} catch (err) {
			if (attempt >= 3) {
				throw new Error(`${init?.method ?? "GET"} ${url}: ${String((err as Error).cause ?? err)}`);
			}
			await new Promise((r) => setTimeout(r, 200 * attempt));
		}
	}
}

/** Starts Updraft (plain or metered) with `count` registered devices. */
export async function startUpdraft(o: {
	metered: boolean;
	count: number;
	/** Further tenant configuration keys. */
	config?: Record<string, unknown>;
}): Promise<Fleet> {
	const script = o.metered
		? bundle("wrangler.toml", "updraft-metered", "scripts/bench/workers/metered-entry.ts")
		: bundle("wrangler.toml", "updraft");
	const worker = await startWorker({
		name: o.metered ? "updraft-metered" : "updraft",
		configPath: "wrangler.toml",
		scriptPath: script,
		bindings: {
			DEPLOYMENT: "local",
			ADMIN_USER: "admin",
			ADMIN_PASSWORD: "admin",
			DOWNLOAD_SIGNING_KEY: SIGNING_KEY,
		},
	});
	try {
		await applyMigrations(await worker.mf.getD1Database("DB"));
		const client = new MgmtClient({
			url: worker.url,
			tenant: TENANT,
			credentials: { kind: "basic", username: "admin", password: "admin" },
		});
		await client.put("/system/configs", {
			"authentication.targettoken.enabled": true,
			"download.signedUrls.enabled": true,
			...o.config,
		});
		const devices: Device[] = Array.from({ length: o.count }, (_, i) => ({
			controllerId: `bench-${String(i + 1).padStart(6, "0")}`,
			token: randomBytes(16).toString("hex"),
		}));
		for (let i = 0; i < devices.length; i += 500) {
			const batch = devices.slice(i, i + 500).map((d) => ({
				controllerId: d.controllerId,
				name: d.controllerId,
				securityToken: d.token,
			}));
			for (let attempt = 1; ; attempt++) {
				try {
					await client.post("/targets", batch);
					break;
				} catch (err) {
					// A reused keep-alive connection the server had just closed: the batch may or may not
					// have landed (it is one D1 batch, all or nothing); 409 on the retry means it had.
					if (err instanceof ApiError && err.status === 409 && attempt > 1) {
						break;
					}
					if (err instanceof ApiError || attempt >= 3) {
						throw err;
					}
					await new Promise((r) => setTimeout(r, 300));
				}
			}
		}
		// First poll: registers the device (unknown → registered) and leaves its poll entry in KV.
		await inParallel(devices, 8, async (d) => {
			const res = await fetchWithRetry(`${worker.url}${pollPath(d)}`, { headers: ddiHeaders(d) });
			await res.arrayBuffer();
			if (res.status !== 200) {
				throw new Error(`warm-up poll of ${d.controllerId}: HTTP ${res.status}`);
			}
		});
		return { worker, client, devices };
	} catch (err) {
		await worker.stop();
		throw err;
	}
}
