/**
 * The benchmark runtime: every worker under test is bundled by wrangler (`deploy --dry-run`, the same
 * bundle that would be deployed) and run in its own Miniflare instance (wrangler's own miniflare and
 * workerd), listening on loopback. No `wrangler dev` proxy sits in front, so the load tool talks to
 * workerd directly. Bindings come from the worker's wrangler config via
 * `unstable_getMiniflareWorkerOptions`; storage is in memory and gone when the instance stops.
 *
 * Also here: the helpers that watch the workerd process (peak RSS, CPU time) and the port range.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";

/** This helper's port range (18500–18599); each server gets the next one. */
export const PORT_BASE = Number(process.env.BENCH_PORT_BASE ?? 18500);
const PORT_LIMIT = 18599;
let nextPort = PORT_BASE;

/** The next free port of the range. */
export function takePort(): number {
	if (nextPort > PORT_LIMIT) {
		throw new Error("benchmark port range 18500–18599 exhausted");
	}
	return nextPort++;
}

const require = createRequire(import.meta.url);
const wranglerEntry = require.resolve("wrangler");
// wrangler's own miniflare (the top-level one may be another major, pulled in by the vitest plugin).
const miniflareModule = createRequire(wranglerEntry)("miniflare") as {
	Miniflare: new (opts: Record<string, unknown>) => MiniflareInstance;
	Log: new (level: number) => unknown;
	LogLevel: { INFO: number };
};
const wranglerModule = require("wrangler") as {
	unstable_getMiniflareWorkerOptions: (configPath: string) => {
		workerOptions: Record<string, unknown>;
	};
};

/** The parts of Miniflare's API the benchmarks use. */
export type MiniflareInstance = {
	ready: Promise<URL>;
	dispose(): Promise<void>;
	getD1Database(binding: string): Promise<D1Like>;
	getKVNamespace(binding: string): Promise<KvLike>;
	getR2Bucket(binding: string): Promise<R2Like>;
};
export type D1Like = {
	prepare(sql: string): { bind(...v: unknown[]): unknown };
	batch(statements: unknown[]): Promise<unknown>;
};
export type KvLike = {
	put(key: string, value: string): Promise<void>;
	get(key: string): Promise<string | null>;
};
export type R2Like = { put(key: string, value: Uint8Array): Promise<unknown> };

export const BUILD_DIR = join(tmpdir(), "updraft-bench");

/**
 * Bundles a worker with wrangler exactly as `wrangler deploy` would (dry run) and returns the path of
 * the bundle. `entry` overrides the config's `main`.
 */
export function bundle(configPath: string, outName: string, entry?: string): string {
	const outdir = join(BUILD_DIR, outName);
	mkdirSync(outdir, { recursive: true });
	const args = ["deploy", "--dry-run", "--config", resolve(configPath), "--outdir", outdir];
	if (entry) {
		args.push(resolve(entry));
	}
	const run = spawnSync(resolve("node_modules/.bin/wrangler"), args, {
		encoding: "utf8",
		env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
	});
	if (run.status !== 0) {
		throw new Error(`wrangler bundle of ${configPath} failed:\n${run.stdout}\n${run.stderr}`);
	}
	const script = readdirSync(outdir).find((f) => f.endsWith(".js"));
	if (!script) {
		throw new Error(`no bundle in ${outdir}`);
	}
	return join(outdir, script);
}

/** A worker running in its own workerd process. */
export type RunningWorker = {
	name: string;
	url: string;
	port: number;
	mf: MiniflareInstance;
	/** The workerd process of this instance (for memory and CPU readings). */
	pid: number;
	stop(): Promise<void>;
};

function childWorkerdPids(): Set<number> {
	const out = new Set<number>();
	for (const entry of readdirSync("/proc")) {
		if (!/^\d+$/.test(entry)) {
			continue;
		}
		try {
			const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
			const close = stat.lastIndexOf(")");
			const comm = stat.slice(stat.indexOf("(") + 1, close);
			const ppid = Number(stat.slice(close + 2).split(" ")[1]);
			if (comm === "workerd" && ppid === process.pid) {
				out.add(Number(entry));
			}
		} catch {
			// the process ended while we looked
		}
	}
	return out;
}

/**
 * Starts a bundled worker in Miniflare with the bindings of `configPath` (plus `bindings`), on its own
 * loopback port. Static assets are left out: the benchmarks measure the Worker itself.
 */
export async function startWorker(o: {
	name: string;
	configPath: string;
	scriptPath: string;
	bindings?: Record<string, string>;
}): Promise<RunningWorker> {
	const { workerOptions } = wranglerModule.unstable_getMiniflareWorkerOptions(
		resolve(o.configPath),
	);
	const {
		assets: _assets,
		bindings,
		...rest
	} = workerOptions as {
		assets?: unknown;
		bindings?: Record<string, string>;
	};
	const port = takePort();
	const before = childWorkerdPids();
	const mf = new miniflareModule.Miniflare({
		...rest,
		name: o.name,
		bindings: { ...bindings, ...o.bindings },
		scriptPath: o.scriptPath,
		modules: true,
		modulesRoot: dirname(o.scriptPath),
		host: "127.0.0.1",
		port,
		// The inspector would slow every request down; nothing here uses it.
		inspectorPort: undefined,
		// BENCH_LOG=1 shows the workers' console and errors (off while measuring).
		log: process.env.BENCH_LOG ? new miniflareModule.Log(miniflareModule.LogLevel.INFO) : undefined,
	});
	const url = (await mf.ready).toString().replace(/\/$/, "");
	const started = [...childWorkerdPids()].filter((p) => !before.has(p));
	const pid = started[0];
	if (pid === undefined) {
		await mf.dispose();
		throw new Error(`no workerd process found for ${o.name}`);
	}
	return {
		name: o.name,
		url,
		port,
		mf,
		pid,
		stop: () => mf.dispose(),
	};
}

/** Resident memory and CPU time of a process, from /proc. */
export function processUsage(pid: number): { rssBytes: number; cpuMs: number } {
	const status = readFileSync(`/proc/${pid}/status`, "utf8");
	const rssKb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
	const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
	const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
	// utime and stime are fields 14 and 15 of stat (indexes 11 and 12 after the command name).
	const ticks = Number(fields[11]) + Number(fields[12]);
	return { rssBytes: rssKb * 1024, cpuMs: (ticks * 1000) / clockTicksPerSecond() };
}

let ticksPerSecond: number | undefined;
function clockTicksPerSecond(): number {
	if (ticksPerSecond === undefined) {
		const run = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
		ticksPerSecond = Number(run.stdout.trim()) || 100;
	}
	return ticksPerSecond;
}

/** Samples a process's RSS every `everyMs` until stopped; returns the peak. */
export function watchPeakRss(pid: number, everyMs = 50): () => number {
	let peak = processUsage(pid).rssBytes;
	const timer = setInterval(() => {
		try {
			peak = Math.max(peak, processUsage(pid).rssBytes);
		} catch {
			// process gone
		}
	}, everyMs);
	return () => {
		clearInterval(timer);
		try {
			peak = Math.max(peak, processUsage(pid).rssBytes);
		} catch {
			// process gone
		}
		return peak;
	};
}

/** Applies the project's D1 migrations (drizzle-kit's files, statement breakpoints) to a fresh database. */
export async function applyMigrations(db: D1Like, dir = "migrations"): Promise<void> {
	const files = readdirSync(dir)
		.filter((f) => /^\d+_.*\.sql$/.test(f))
		.sort();
	for (const file of files) {
		const sql = readFileSync(join(dir, file), "utf8");
		const statements = sql
			.split("--> statement-breakpoint")
			.map((s) => s.trim())
			.filter((s) => s.length > 0);
		await db.batch(statements.map((s) => db.prepare(s)));
	}
}

/** Human-readable MiB. */
export function mib(bytes: number): string {
	return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** The script name without extension (for messages). */
export function scriptName(path: string): string {
	return basename(path).replace(/\.[^.]+$/, "");
}
