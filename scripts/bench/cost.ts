/**
 * The cost model of a poll: what one idle poll, one poll that finds a new action (plus its
 * deploymentBase read and signed download), and one feedback consume in billed units — KV reads and
 * writes, D1 rows read and written, Durable Object requests, queue messages, R2 operations — and the
 * CPU time of the workerd process per request. Measured on the metered bundle
 * (workers/metered-entry.ts: every binding counted, nothing mocked), then priced for 1,000,000 devices
 * polling every 5 minutes at Cloudflare's published prices (BENCHMARKS.md cites the pages).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { uploadForm } from "../cli/artifact-upload";
import { hashFile } from "../cli/file-hashes";
import {
	type Device,
	ddiHeaders,
	type Fleet,
	fetchWithRetry,
	inParallel,
	pollPath,
	startUpdraft,
} from "./fleet";
import { mib, processUsage, watchPeakRss } from "./runtime";

type Counters = {
	requests: number;
	kvReads: number;
	kvWrites: number;
	kvDeletes: number;
	kvLists: number;
	d1Queries: number;
	d1RowsRead: number;
	d1RowsWritten: number;
	doRequests: number;
	queueMessagesSent: number;
	queueBatchesConsumed: number;
	queueMessagesConsumed: number;
	r2ClassA: number;
	r2ClassB: number;
};

type Measured = { name: string; count: number; per: Counters; cpuMs: number; peakRss: number };

/** Prices per unit (USD) beyond the Workers Paid plan's monthly inclusions; see BENCHMARKS.md. */
export const PRICES = {
	requests: { perMillion: 0.3, includedMillions: 10 },
	cpuMs: { perMillion: 0.02, includedMillions: 30 },
	kvReads: { perMillion: 0.5, includedMillions: 10 },
	kvWrites: { perMillion: 5.0, includedMillions: 1 },
	d1RowsRead: { perMillion: 0.001, includedMillions: 25_000 },
	d1RowsWritten: { perMillion: 1.0, includedMillions: 50 },
	doRequests: { perMillion: 0.15, includedMillions: 1 },
	// Three operations (write, read, delete) per message under 64 KB.
	queueOperations: { perMillion: 0.4, includedMillions: 1 },
	r2ClassA: { perMillion: 4.5, includedMillions: 1 },
	r2ClassB: { perMillion: 0.36, includedMillions: 10 },
} as const;
export const BASE_PLAN_USD = 5;
const POLLS_PER_DEVICE_PER_MONTH = 30 * 24 * 12;

async function meter(fleet: Fleet, reset = false): Promise<Counters> {
	const res = await fetchWithRetry(`${fleet.worker.url}/__bench/meter`, {
		method: reset ? "POST" : "GET",
	});
	return (await res.json()) as Counters;
}

function divide(c: Counters, n: number): Counters {
	return Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v / n])) as Counters;
}

/** Runs `work` over the fleet, waits for the queue consumer, and returns the counters per item. */
async function measure(
	fleet: Fleet,
	name: string,
	count: number,
	work: () => Promise<void>,
	settleMs = 0,
): Promise<Measured> {
	await meter(fleet, true);
	const before = processUsage(fleet.worker.pid);
	const stop = watchPeakRss(fleet.worker.pid);
	await work();
	if (settleMs > 0) {
		// The queue consumer batches for up to 2 s (max_batch_timeout); let it deliver.
		await new Promise((r) => setTimeout(r, settleMs));
	}
	const peakRss = stop();
	const after = processUsage(fleet.worker.pid);
	const totals = await meter(fleet);
	return {
		name,
		count,
		per: divide(totals, count),
		cpuMs: (after.cpuMs - before.cpuMs) / count,
		peakRss,
	};
}

async function expectOk(res: Response, what: string): Promise<void> {
	const text = await res.text();
	if (res.status >= 300) {
		throw new Error(`${what}: HTTP ${res.status} ${text.slice(0, 300)}`);
	}
}

type PollBody = { _links?: Record<string, { href: string }> };

async function pollOnce(fleet: Fleet, d: Device, headers: Record<string, string> = {}) {
	const res = await fetchWithRetry(`${fleet.worker.url}${pollPath(d)}`, {
		headers: { ...ddiHeaders(d), ...headers },
	});
	if (res.status !== 200) {
		throw new Error(`poll of ${d.controllerId}: HTTP ${res.status}`);
	}
	return (await res.json()) as PollBody;
}

/** An artifact, a module, a distribution set, and a one-group rollout over the fleet, started. */
async function rollOut(fleet: Fleet): Promise<void> {
	const dir = mkdtempSync(join(tmpdir(), "updraft-bench-"));
	try {
		const file = join(dir, "bench.swu");
		writeFileSync(file, Buffer.alloc(256 * 1024, 7));
		const [module] = await fleet.client.post<{ id: number }[]>("/softwaremodules", [
			{ name: "bench-os", version: "1.0.0", type: "os" },
		]);
		if (!module) {
			throw new Error("software module not created");
		}
		const hashes = await hashFile(file);
		await uploadForm(fleet.client, {
			softwareModuleId: module.id,
			path: file,
			filename: "bench.swu",
			size: 256 * 1024,
			hashes,
		});
		const [ds] = await fleet.client.post<{ id: number }[]>("/distributionsets", [
			{ name: "bench-ds", version: "1.0.0", type: "os", modules: [{ id: module.id }] },
		]);
		if (!ds) {
			throw new Error("distribution set not created");
		}
		const rollout = await fleet.client.post<{ id: number }>("/rollouts", {
			name: "bench-rollout",
			distributionSetId: ds.id,
			targetFilterQuery: "controllerId==bench-*",
			amountGroups: 1,
		});
		const deadline = Date.now() + 60_000;
		let started = false;
		while (Date.now() < deadline) {
			const r = await fleet.client.get<{ status: string }>(`/rollouts/${rollout.id}`);
			if (r.status === "ready" && !started) {
				await fleet.client.post(`/rollouts/${rollout.id}/start`);
				started = true;
			}
			if (r.status === "running") {
				const last = fleet.devices[fleet.devices.length - 1] as Device;
				if ((await pollOnce(fleet, last))._links?.deploymentBase) {
					return;
				}
			}
			await new Promise((r2) => setTimeout(r2, 300));
		}
		throw new Error("rollout did not reach the devices within 60 s");
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

/** Monthly USD for `quantity` units of a priced item. */
function monthly(item: keyof typeof PRICES, quantity: number): number {
	const p = PRICES[item];
	return (Math.max(0, quantity / 1e6 - p.includedMillions) * p.perMillion) as number;
}

function fmt(n: number, digits = 3): string {
	if (n === 0) {
		return "0";
	}
	return Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(digits);
}

/** Runs the cost model and returns the Markdown section for BENCHMARKS.md. */
export async function benchCost(o: { devices: number }): Promise<string> {
	console.error(`cost: starting the metered Updraft with ${o.devices} devices …`);
	const fleet = await startUpdraft({ metered: true, count: o.devices });
	try {
		const rows: Measured[] = [];
		// The warm-up poll registered each device (written to D1 at once); one more poll each puts the
		// fleet in its steady state, recorded moments ago.
		await inParallel(fleet.devices, 8, async (d) => {
			await pollOnce(fleet, d);
		});
		// …and its last-seen messages are delivered before anything is counted.
		await new Promise((r) => setTimeout(r, 4_000));
		// Seen moments ago by this isolate (the poll marker holds): what polls faster than half their
		// interval cost, e.g. a retry or a device polling while it installs.
		rows.push(
			await measure(fleet, "idle poll, device seen < interval/2 ago", o.devices, async () => {
				await inParallel(fleet.devices, 8, async (d) => {
					await pollOnce(fleet, d);
				});
			}),
		);
		// Every 5 minutes the marker (150 s) has expired: one queue message per poll, written behind.
		// A new client address per poll makes each one miss the marker, as a 5-minute poll would.
		let n = 0;
		rows.push(
			await measure(
				fleet,
				"idle poll every 5 min (marker expired: written behind)",
				o.devices,
				async () => {
					await inParallel(fleet.devices, 8, async (d) => {
						n += 1;
						// Documentation range: only a header value, no traffic leaves loopback.
						await pollOnce(fleet, d, { "X-Forwarded-For": `198.51.100.${n % 256}` });
					});
				},
				4_000,
			),
		);
		console.error("cost: rolling out a distribution set to the fleet …");
		await rollOut(fleet);
		const links = new Map<string, string>();
		rows.push(
			await measure(
				fleet,
				"poll that finds the new action",
				o.devices,
				async () => {
					await inParallel(fleet.devices, 8, async (d) => {
						const body = await pollOnce(fleet, d);
						const href = body._links?.deploymentBase?.href;
						if (!href) {
							throw new Error(`${d.controllerId} sees no deploymentBase`);
						}
						links.set(d.controllerId, href);
					});
				},
				4_000,
			),
		);
		const downloads = new Map<string, string>();
		rows.push(
			await measure(fleet, "GET deploymentBase (first read: RETRIEVED)", o.devices, async () => {
				await inParallel(fleet.devices, 8, async (d) => {
					const href = (links.get(d.controllerId) ?? "").replace(/^https?:\/\/[^/]+/, "");
					const res = await fetchWithRetry(`${fleet.worker.url}${href}`, {
						headers: { ...ddiHeaders(d), Accept: "application/json" },
					});
					const body = (await res.json()) as {
						deployment?: {
							chunks?: { artifacts?: { _links?: Record<string, { href: string }> }[] }[];
						};
					};
					const dl = body.deployment?.chunks?.[0]?.artifacts?.[0]?._links?.download?.href;
					if (res.status !== 200 || !dl) {
						throw new Error(`deploymentBase of ${d.controllerId}: HTTP ${res.status}`);
					}
					downloads.set(d.controllerId, dl.replace(/^https?:\/\/[^/]+/, ""));
				});
			}),
		);
		rows.push(
			await measure(fleet, "signed download of the 256 KiB artifact", o.devices, async () => {
				await inParallel(fleet.devices, 8, async (d) => {
					await expectOk(
						await fetchWithRetry(`${fleet.worker.url}${downloads.get(d.controllerId)}`),
						`download by ${d.controllerId}`,
					);
				});
			}),
		);
		const feedback = (d: Device, execution: string, finished: string) =>
			fetchWithRetry(
				`${fleet.worker.url}${(links.get(d.controllerId) ?? "").replace(/^https?:\/\/[^/]+/, "").replace(/\?.*$/, "")}/feedback`,
				{
					method: "POST",
					headers: { ...ddiHeaders(d), "Content-Type": "application/json" },
					body: JSON.stringify({ status: { execution, result: { finished } } }),
				},
			);
		rows.push(
			await measure(fleet, "feedback: proceeding", o.devices, async () => {
				await inParallel(fleet.devices, 8, async (d) => {
					await expectOk(await feedback(d, "proceeding", "none"), `feedback of ${d.controllerId}`);
				});
			}),
		);
		rows.push(
			await measure(
				fleet,
				"feedback: closed / success (rollout coordinator told)",
				o.devices,
				async () => {
					await inParallel(fleet.devices, 8, async (d) => {
						await expectOk(await feedback(d, "closed", "success"), `feedback of ${d.controllerId}`);
					});
				},
				1_000,
			),
		);
		return render(rows, o.devices);
	} finally {
		await fleet.worker.stop();
	}
}

function render(rows: Measured[], devices: number): string {
	const table = [
		"| operation | KV reads | KV writes | D1 queries | D1 rows read | D1 rows written | DO requests | queue msgs sent | R2 A / B | workerd CPU ms | peak RSS |",
		"|---|---|---|---|---|---|---|---|---|---|---|",
		...rows.map(
			(r) =>
				`| ${r.name} | ${fmt(r.per.kvReads)} | ${fmt(r.per.kvWrites)} | ${fmt(r.per.d1Queries)} | ${fmt(r.per.d1RowsRead)} | ${fmt(r.per.d1RowsWritten)} | ${fmt(r.per.doRequests)} | ${fmt(r.per.queueMessagesSent)} | ${fmt(r.per.r2ClassA)} / ${fmt(r.per.r2ClassB)} | ${fmt(r.cpuMs, 2)} | ${mib(r.peakRss)} |`,
		),
	];
	const idle = rows.find((r) => r.name.startsWith("idle poll every 5 min"));
	if (!idle) {
		return table.join("\n");
	}
	const polls = 1_000_000 * POLLS_PER_DEVICE_PER_MONTH;
	// Queue consumer invocations are Worker invocations too (one per delivered batch).
	const requests = polls * (1 + idle.per.queueBatchesConsumed);
	const lines: [string, number, number][] = [
		["Workers requests (polls + queue consumer batches)", requests, monthly("requests", requests)],
		[
			"Workers CPU (measured workerd process CPU, an upper bound)",
			polls * idle.cpuMs,
			monthly("cpuMs", polls * idle.cpuMs),
		],
		["KV reads", polls * idle.per.kvReads, monthly("kvReads", polls * idle.per.kvReads)],
		["KV writes", polls * idle.per.kvWrites, monthly("kvWrites", polls * idle.per.kvWrites)],
		[
			"D1 rows read",
			polls * idle.per.d1RowsRead,
			monthly("d1RowsRead", polls * idle.per.d1RowsRead),
		],
		[
			"D1 rows written (last-seen write-behind)",
			polls * idle.per.d1RowsWritten,
			monthly("d1RowsWritten", polls * idle.per.d1RowsWritten),
		],
		[
			"Queue operations (3 per message)",
			polls * idle.per.queueMessagesSent * 3,
			monthly("queueOperations", polls * idle.per.queueMessagesSent * 3),
		],
		[
			"Durable Object requests",
			polls * idle.per.doRequests,
			monthly("doRequests", polls * idle.per.doRequests),
		],
	];
	const total = BASE_PLAN_USD + lines.reduce((s, l) => s + l[2], 0);
	return [
		`Measured on ${devices} devices (per-operation averages), metered bundle in Miniflare.`,
		"",
		...table,
		"",
		`Monthly, 1,000,000 devices polling every 5 minutes (${POLLS_PER_DEVICE_PER_MONTH.toLocaleString("en")} polls per device per 30-day month, ${(polls / 1e9).toFixed(2)} billion polls), idle, at the prices below:`,
		"",
		"| item | quantity / month | USD / month |",
		"|---|---|---|",
		...lines.map(
			([name, q, usd]) =>
				`| ${name} | ${(q / 1e6).toLocaleString("en", { maximumFractionDigits: 1 })} M | ${usd.toLocaleString("en", { maximumFractionDigits: 0 })} |`,
		),
		`| Workers Paid plan | — | ${BASE_PLAN_USD} |`,
		`| **total** | | **${total.toLocaleString("en", { maximumFractionDigits: 0 })}** |`,
	].join("\n");
}
