/**
 * Idle-poll throughput: Updraft against two reference workers, side by side in one run, on the same
 * runtime (each in its own Miniflare/workerd process), the same load tool (wrk) and the same settings.
 *
 * - `bare-hono`: constant JSON, no I/O (the ceiling);
 * - `min-poll`: checks the TargetToken with one KV read, constant JSON (the floor any real design pays);
 * - `updraft`: the real Worker bundle, DDI poll of registered devices with target tokens.
 *
 * The three are measured in interleaved rounds (updraft, min-poll, bare-hono, then again), so drift of a
 * shared machine hits all of them alike; the ratio is taken per round and the median reported. Each
 * target's workerd process is watched for peak RSS and CPU time during its runs.
 */
import { createHash } from "node:crypto";
import { type Device, ddiHeaders, pollPath, startUpdraft, TENANT } from "./fleet";
import {
	bundle,
	mib,
	processUsage,
	type RunningWorker,
	startWorker,
	watchPeakRss,
} from "./runtime";
import { describeSettings, requireWrk, runWrk, type WrkSettings, writeScript } from "./wrk";

export type PollBenchOptions = WrkSettings & { rounds: number; devices: number; warmupS: number };

let socketErrors = 0;

type Run = {
	rps: number;
	p50: number;
	p99: number;
	cpuMsPerRequest: number;
	peakRss: number;
};

function median(values: number[]): number {
	const s = [...values].sort((a, b) => a - b);
	const mid = Math.floor(s.length / 2);
	return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** A measured target: a worker and the request cycle it gets. */
type Target = { name: string; worker: RunningWorker; script: string };

async function measure(t: Target, s: WrkSettings): Promise<Run> {
	const { worker: w, script } = t;
	const before = processUsage(w.pid);
	const stopWatch = watchPeakRss(w.pid);
	const r = await runWrk(w.url, script, s);
	const peakRss = stopWatch();
	const after = processUsage(w.pid);
	socketErrors += r.socketErrors;
	// A loaded machine may drop a connection now and then; a real error rate fails the run.
	if (r.non2xx > 0 || r.socketErrors > r.requests / 1000) {
		throw new Error(`${t.name}: ${r.non2xx} non-2xx answers, ${r.socketErrors} socket errors`);
	}
	return {
		rps: r.requestsPerSec,
		p50: r.latencyP50Ms,
		p99: r.latencyP99Ms,
		cpuMsPerRequest: (after.cpuMs - before.cpuMs) / r.requests,
		peakRss,
	};
}

async function expectPollAnswer(w: RunningWorker, d: Device): Promise<void> {
	const res = await fetch(`${w.url}${pollPath(d)}`, { headers: ddiHeaders(d) });
	const body = (await res.json()) as { config?: { polling?: { sleep?: string } } };
	if (res.status !== 200 || !body.config?.polling?.sleep) {
		throw new Error(`${w.name} does not answer a poll: HTTP ${res.status} ${JSON.stringify(body)}`);
	}
}

/** Runs the benchmark and returns the Markdown section for BENCHMARKS.md. */
export async function benchIdlePoll(o: PollBenchOptions): Promise<string> {
	requireWrk();
	const workers: RunningWorker[] = [];
	let entryBytesAverage = 0;
	try {
		console.error(`poll: starting Updraft with ${o.devices} registered devices …`);
		// An hour's polling interval keeps every poll marker (half the interval) valid for the whole run.
		const fleet = await startUpdraft({
			metered: false,
			count: 2 * o.devices,
			config: { pollingTime: "01:00:00" },
		});
		workers.push(fleet.worker);
		const minPoll = await startWorker({
			name: "min-poll",
			configPath: "scripts/bench/workers/min-poll.toml",
			scriptPath: bundle("scripts/bench/workers/min-poll.toml", "min-poll"),
		});
		workers.push(minPoll);
		const kv = await minPoll.mf.getKVNamespace("POLL_CACHE");
		for (const d of fleet.devices) {
			await kv.put(
				`tok:${TENANT}:${d.controllerId}`,
				createHash("sha256").update(d.token).digest("hex"),
			);
		}
		const minEntry = await startWorker({
			name: "min-poll-entry",
			configPath: "scripts/bench/workers/min-poll-entry.toml",
			scriptPath: bundle("scripts/bench/workers/min-poll-entry.toml", "min-poll-entry"),
		});
		workers.push(minEntry);
		const updraftKv = await fleet.worker.mf.getKVNamespace("POLL_CACHE");
		const entryKv = await minEntry.mf.getKVNamespace("POLL_CACHE");
		let entryBytes = 0;
		for (const d of fleet.devices) {
			const key = `poll:${TENANT}:${d.controllerId}`;
			const entry = await updraftKv.get(key);
			if (entry === null) {
				throw new Error(`no poll entry for ${d.controllerId} in Updraft's KV`);
			}
			entryBytes += entry.length;
			await entryKv.put(key, entry);
		}
		entryBytesAverage = Math.round(entryBytes / fleet.devices.length);
		const bare = await startWorker({
			name: "bare-hono",
			configPath: "scripts/bench/workers/bare-hono.toml",
			scriptPath: bundle("scripts/bench/workers/bare-hono.toml", "bare-hono"),
		});
		workers.push(bare);
		// Two halves of the fleet: one polled as a quiet device is (its marker holds), the other with a
		// new client address on every poll, so that every poll is written behind as a 5-minute poll is.
		const quiet = fleet.devices.slice(0, o.devices);
		const writtenBehind = fleet.devices.slice(o.devices);
		const requestsOf = (devices: Device[]) =>
			devices.map((d) => ({ path: pollPath(d), headers: ddiHeaders(d) }));
		const script = writeScript("idle-poll", requestsOf(quiet));
		const targets: Target[] = [
			{ name: "updraft", worker: fleet.worker, script },
			{
				name: "updraft, every poll written behind",
				worker: fleet.worker,
				script: writeScript("idle-poll-write-behind", requestsOf(writtenBehind), {
					newAddressEachRequest: true,
				}),
			},
			{ name: "min-poll", worker: minPoll, script },
			{ name: "min-poll-entry", worker: minEntry, script },
			{ name: "bare-hono", worker: bare, script },
		];
		const first = fleet.devices[0] as Device;
		for (const t of targets) {
			await expectPollAnswer(t.worker, first);
		}
		// Warm-up: JIT, connection pools and (for Updraft) the poll markers of every device.
		for (const t of targets) {
			await runWrk(t.worker.url, t.script, { ...o, durationS: o.warmupS });
		}
		const runs = new Map<string, Run[]>(targets.map((t) => [t.name, []]));
		for (let round = 1; round <= o.rounds; round++) {
			for (const t of targets) {
				const run = await measure(t, o);
				runs.get(t.name)?.push(run);
				console.error(
					`poll: round ${round} ${t.name}: ${run.rps.toFixed(0)} req/s, p99 ${run.p99.toFixed(1)} ms, ${run.cpuMsPerRequest.toFixed(3)} CPU ms/req, peak ${mib(run.peakRss)}`,
				);
			}
		}
		const of = (name: string) => runs.get(name) ?? [];
		const ratios = (name: string) =>
			of("updraft").map((u, i) => u.rps / ((of(name)[i] as Run).rps || Number.NaN));
		const rows = targets.map((w) => {
			const r = of(w.name);
			return `| ${w.name} | ${median(r.map((x) => x.rps)).toFixed(0)} | ${r.map((x) => x.rps.toFixed(0)).join(" / ")} | ${median(r.map((x) => x.p50)).toFixed(2)} | ${median(r.map((x) => x.p99)).toFixed(2)} | ${median(r.map((x) => x.cpuMsPerRequest)).toFixed(3)} | ${mib(Math.max(...r.map((x) => x.peakRss)))} |`;
		});
		const vsMin = ratios("min-poll");
		const vsEntry = ratios("min-poll-entry");
		const entryVsMin = of("min-poll-entry").map(
			(e, i) => e.rps / ((of("min-poll")[i] as Run).rps || Number.NaN),
		);
		const vsBare = ratios("bare-hono");
		const behindVsMin = of("updraft, every poll written behind").map(
			(u, i) => u.rps / ((of("min-poll")[i] as Run).rps || Number.NaN),
		);
		return [
			`Settings: ${describeSettings(o)}, ${o.rounds} interleaved rounds, ${o.devices} devices cycled per target (Lua script), ${o.warmupS} s warm-up per target; each worker in its own Miniflare instance (wrangler's miniflare + workerd), loopback; tenant polling interval 1 h. wrk socket errors over all measured runs: ${socketErrors}.`,
			"",
			"| target | req/s (median) | req/s per round | p50 ms | p99 ms | workerd CPU ms/req | peak workerd RSS |",
			"|---|---|---|---|---|---|---|",
			...rows,
			"",
			`**Updraft / min-poll = ${median(vsMin).toFixed(2)}×** (per round: ${vsMin.map((r) => r.toFixed(2)).join(", ")}); goal ≥ 0.9×.`,
			`Updraft with every poll written behind (a 5-minute fleet) / min-poll = ${median(behindVsMin).toFixed(2)}× (per round: ${behindVsMin.map((r) => r.toFixed(2)).join(", ")}).`,
			`Updraft / min-poll-entry (the same floor reading Updraft's poll entry JSON, ${entryBytesAverage} bytes on average, instead of a 64-byte hash) = ${median(vsEntry).toFixed(2)}× (per round: ${vsEntry.map((r) => r.toFixed(2)).join(", ")}); min-poll-entry / min-poll = ${median(entryVsMin).toFixed(2)}×.`,
			`Updraft / bare Hono = ${median(vsBare).toFixed(2)}× (per round: ${vsBare.map((r) => r.toFixed(2)).join(", ")}).`,
		].join("\n");
	} finally {
		for (const w of workers) {
			await w.stop().catch(() => undefined);
		}
	}
}
