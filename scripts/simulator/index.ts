/**
 * Updraft's device simulator as a library: `simulate(options)` runs N virtual devices against a
 * server's DDI API until a time bound, an update count or a condition is reached, and resolves to
 * a summary. Used by `npm run simulate`, the tools end-to-end test and benchmarks (docs/simulator.md).
 *
 * Bounded by design: at most MAX_DEVICES devices, at most MAX_DURATION_MS, a cap on requests in
 * flight, and loopback addresses only unless `allowRemote` is set.
 */
import { setMaxListeners } from "node:events";
import { isIP } from "node:net";
import { DdiClient, Limiter, RequestStats } from "./ddi-client";
import {
	type DeviceEvent,
	type DeviceReport,
	sleep,
	type UpdateResult,
	VirtualDevice,
} from "./device";

export type { DeviceEvent, DeviceReport, UpdateResult } from "./device";
export { actionIdFromHref } from "./device";
export { parsePollingSleep } from "./polling-time";

export const MAX_DEVICES = 100_000;
export const MAX_DURATION_MS = 24 * 60 * 60 * 1000;

export type DeviceAuth =
	| { kind: "gateway"; token: string }
	/** Per-target tokens (the targets must exist: a target token never registers a device). */
	| { kind: "target"; tokens: Record<string, string> };

export type SimulatorOptions = {
	/** Server base URL, e.g. http://127.0.0.1:8080. */
	url: string;
	tenant?: string;
	/** Number of devices (ignored when `controllerIds` is given). */
	count?: number;
	/** Device names: `${prefix}${index}` zero-padded to 3 digits or more, like hawkBit's `prefix%03d`. */
	prefix?: string;
	/** First index (default 1). */
	startIndex?: number;
	/** Explicit controller ids instead of prefix + count. */
	controllerIds?: string[];
	auth: DeviceAuth;
	/** Fixed poll interval in ms; default: honour the server's config.polling.sleep. */
	pollIntervalMs?: number;
	/** Sleep when the server gave none or after an error (default 10 s). */
	fallbackPollMs?: number;
	/** First polls are spread over this time (default: min(poll interval, 10 s)). */
	rampUpMs?: number;
	/** Hard stop (default 5 minutes, at most 24 h). */
	durationMs?: number;
	/** Each device stops after this many finished updates; the run ends when all have. */
	updatesPerDevice?: number;
	/** Share (0..1) of installations reported as closed/failure (default 0). */
	failureRate?: number;
	/** Time from "downloaded" to "closed", [min, max] ms (default [0, 0]). */
	installDelayMs?: [number, number];
	/** Share (0..1) of downloads cut off once and resumed with Range (default 0). */
	downloadInterruptRate?: number;
	/** Attempts per artifact download including resumes (default 5). */
	downloadAttempts?: number;
	/** Requests in flight across all devices (default 64). */
	maxConcurrentRequests?: number;
	/** Per-request timeout (default 30 s). */
	requestTimeoutMs?: number;
	/** Extra controller attributes sent on configData (plus `simulator` and `device.index`). */
	attributes?: Record<string, string>;
	/** Deterministic runs: a seed for the failure / interruption / jitter choices. */
	seed?: number;
	/** Allow a non-loopback URL (off by default: the simulator is a load generator). */
	allowRemote?: boolean;
	/** Include one report per device in the summary. */
	includeDevices?: boolean;
	/** Stop early when this returns true (checked after every device event). */
	stopWhen?: (progress: SimulationProgress) => boolean;
	onEvent?: (event: DeviceEvent, progress: SimulationProgress) => void;
	signal?: AbortSignal;
};

/** Live counters, passed to `stopWhen` and `onEvent`. */
export type SimulationProgress = {
	devices: number;
	registered: number;
	actionsStarted: number;
	succeeded: number;
	failed: number;
	downloadFailed: number;
	downloadOnly: number;
	canceled: number;
	confirmed: number;
	/** Devices that reached `updatesPerDevice`. */
	devicesDone: number;
	errors: number;
};

export type SimulationSummary = {
	url: string;
	tenant: string;
	devices: number;
	startedAt: string;
	durationMs: number;
	stoppedBy: "duration" | "updates" | "condition" | "signal";
	registered: number;
	actions: {
		started: number;
		succeeded: number;
		failed: number;
		downloadFailed: number;
		downloadOnly: number;
		canceled: number;
		confirmed: number;
		/** Feedback answered 410: the action had been closed or canceled server-side. */
		gone: number;
	};
	downloads: {
		artifacts: number;
		failed: number;
		bytes: number;
		resumes: number;
		hashMismatches: number;
	};
	requests: {
		total: number;
		perSecond: number;
		polls: number;
		notModified: number;
		networkErrors: number;
		byKind: Record<string, number>;
		byStatus: Record<string, number>;
	};
	pollLatencyMs?: { p50: number; p95: number; p99: number; max: number };
	errors: number;
	/** A few distinct error messages, for diagnosis. */
	errorSamples: string[];
	perDevice?: DeviceReport[];
};

/** Throws for options outside the simulator's bounds. */
export function checkOptions(o: SimulatorOptions): void {
	const count = o.controllerIds?.length ?? o.count ?? 0;
	if (!Number.isInteger(count) || count < 1 || count > MAX_DEVICES) {
		throw new RangeError(`device count must be 1..${MAX_DEVICES}, not ${count}`);
	}
	const duration = o.durationMs ?? 5 * 60_000;
	if (!(duration > 0 && duration <= MAX_DURATION_MS)) {
		throw new RangeError(`duration must be above 0 and at most 24 h, not ${duration} ms`);
	}
	for (const [name, v] of [
		["failureRate", o.failureRate],
		["downloadInterruptRate", o.downloadInterruptRate],
	] as const) {
		if (v !== undefined && !(v >= 0 && v <= 1)) {
			throw new RangeError(`${name} must be between 0 and 1, not ${v}`);
		}
	}
	if (o.pollIntervalMs !== undefined && !(o.pollIntervalMs >= 10)) {
		throw new RangeError(`poll interval must be at least 10 ms, not ${o.pollIntervalMs}`);
	}
	let url: URL;
	try {
		url = new URL(o.url);
	} catch {
		throw new RangeError(`not a URL: ${o.url}`);
	}
	if (!o.allowRemote && !isLoopbackHost(url.hostname)) {
		throw new RangeError(
			`${url.hostname} is not a loopback address; the simulator only talks to this machine unless allowRemote (--allow-remote) is set`,
		);
	}
	if (o.auth.kind === "gateway" && !o.auth.token) {
		throw new RangeError("a gateway token is required");
	}
}

export function isLoopbackHost(hostname: string): boolean {
	const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
	if (h === "localhost" || h.endsWith(".localhost")) {
		return true;
	}
	if (isIP(h) === 4) {
		return h.startsWith("127.");
	}
	if (isIP(h) === 6) {
		return h === "::1" || h === "0:0:0:0:0:0:0:1";
	}
	return false;
}

/** Controller ids `prefix001…`; at least three digits, more when the count needs them. */
export function deviceIds(prefix: string, count: number, startIndex = 1): string[] {
	const width = Math.max(3, String(startIndex + count - 1).length);
	return Array.from(
		{ length: count },
		(_, i) => `${prefix}${String(startIndex + i).padStart(width, "0")}`,
	);
}

/** mulberry32: small, fast, seedable; good enough for choosing which device fails. */
export function seededRandom(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

export async function simulate(o: SimulatorOptions): Promise<SimulationSummary> {
	checkOptions(o);
	const tenant = o.tenant ?? "DEFAULT";
	const baseUrl = o.url.replace(/\/+$/, "");
	const ids = o.controllerIds ?? deviceIds(o.prefix ?? "sim-", o.count ?? 0, o.startIndex ?? 1);
	const durationMs = o.durationMs ?? 5 * 60_000;
	const random = o.seed === undefined ? Math.random : seededRandom(o.seed);
	const stats = new RequestStats();
	const stop = new AbortController();
	// Every sleeping device and request in flight listens to it: thousands of listeners by design.
	setMaxListeners(0, stop.signal);
	let stoppedBy: SimulationSummary["stoppedBy"] = "duration";
	const halt = (why: SimulationSummary["stoppedBy"]) => {
		if (!stop.signal.aborted) {
			stoppedBy = why;
			stop.abort(new Error(`simulation stopped: ${why}`));
		}
	};
	const onOuterAbort = () => halt("signal");
	if (o.signal?.aborted) {
		halt("signal");
	}
	o.signal?.addEventListener("abort", onOuterAbort, { once: true });

	const ddi = new DdiClient({
		baseUrl,
		tenant,
		limiter: new Limiter(o.maxConcurrentRequests ?? 64),
		stats,
		timeoutMs: o.requestTimeoutMs ?? 30_000,
		signal: stop.signal,
	});

	const progress: SimulationProgress = {
		devices: ids.length,
		registered: 0,
		actionsStarted: 0,
		succeeded: 0,
		failed: 0,
		downloadFailed: 0,
		downloadOnly: 0,
		canceled: 0,
		confirmed: 0,
		devicesDone: 0,
		errors: 0,
	};
	const downloads = { artifacts: 0, failed: 0, bytes: 0, resumes: 0, hashMismatches: 0 };
	let gone = 0;
	const errorSamples = new Set<string>();
	const finishedCount = new Map<string, number>();

	const onEvent = (e: DeviceEvent) => {
		switch (e.type) {
			case "registered":
				progress.registered++;
				break;
			case "action-started":
				progress.actionsStarted++;
				break;
			case "action-finished":
				countResult(e.result);
				if (e.result !== "gone" && o.updatesPerDevice !== undefined) {
					const n = (finishedCount.get(e.controllerId) ?? 0) + 1;
					finishedCount.set(e.controllerId, n);
					if (n === o.updatesPerDevice) {
						progress.devicesDone++;
					}
				}
				break;
			case "action-canceled":
				progress.canceled++;
				break;
			case "confirmed":
				progress.confirmed++;
				break;
			case "download":
				downloads.artifacts++;
				downloads.bytes += e.bytes;
				downloads.resumes += e.resumes;
				if (!e.ok) {
					downloads.failed++;
				}
				if (e.hashMismatch) {
					downloads.hashMismatches++;
				}
				break;
			case "error":
				if (stop.signal.aborted) {
					return;
				}
				progress.errors++;
				if (errorSamples.size < 10) {
					errorSamples.add(e.message.replace(/\b[0-9a-f-]{8,}\b/g, "…"));
				}
				break;
		}
		o.onEvent?.(e, progress);
		if (o.updatesPerDevice !== undefined && progress.devicesDone >= ids.length) {
			halt("updates");
		} else if (o.stopWhen?.(progress)) {
			halt("condition");
		}
	};
	const countResult = (r: UpdateResult) => {
		if (r === "success") {
			progress.succeeded++;
		} else if (r === "failure") {
			progress.failed++;
		} else if (r === "download-failure") {
			progress.downloadFailed++;
		} else if (r === "downloaded") {
			progress.downloadOnly++;
		} else {
			gone++;
		}
	};

	const authFor = (cid: string): string => {
		if (o.auth.kind === "gateway") {
			return `GatewayToken ${o.auth.token}`;
		}
		const token = o.auth.tokens[cid];
		if (!token) {
			throw new RangeError(`no target token for ${cid}`);
		}
		return `TargetToken ${token}`;
	};
	const devices = ids.map(
		(cid, i) =>
			new VirtualDevice(
				{
					controllerId: cid,
					authorization: authFor(cid),
					attributes: { simulator: "updraft", "device.index": String(i), ...o.attributes },
					pollIntervalMs: o.pollIntervalMs,
					fallbackPollMs: o.fallbackPollMs ?? 10_000,
					failureRate: o.failureRate ?? 0,
					installDelayMs: o.installDelayMs ?? [0, 0],
					downloadInterruptRate: o.downloadInterruptRate ?? 0,
					downloadAttempts: o.downloadAttempts ?? 5,
					maxUpdates: o.updatesPerDevice,
					random,
				},
				ddi,
				onEvent,
			),
	);

	const started = Date.now();
	const startedAt = new Date(started).toISOString();
	const timer = setTimeout(() => halt("duration"), durationMs);
	const rampUpMs = o.rampUpMs ?? Math.min(o.pollIntervalMs ?? 10_000, 10_000);
	try {
		await Promise.all(
			devices.map((d, i) =>
				d.run(stop.signal, devices.length > 1 ? (rampUpMs * i) / devices.length : 0),
			),
		);
		// Every device stopped by itself (all reached updatesPerDevice).
		halt("updates");
	} finally {
		clearTimeout(timer);
		o.signal?.removeEventListener("abort", onOuterAbort);
	}
	// Let aborted requests settle so the counters are final.
	await sleep(10, new AbortController().signal);

	const elapsed = Date.now() - started;
	return {
		url: baseUrl,
		tenant,
		devices: ids.length,
		startedAt,
		durationMs: elapsed,
		stoppedBy,
		registered: progress.registered,
		actions: {
			started: progress.actionsStarted,
			succeeded: progress.succeeded,
			failed: progress.failed,
			downloadFailed: progress.downloadFailed,
			downloadOnly: progress.downloadOnly,
			canceled: progress.canceled,
			confirmed: progress.confirmed,
			gone,
		},
		downloads,
		requests: {
			total: stats.total,
			perSecond: Math.round((stats.total / Math.max(elapsed, 1)) * 1000 * 10) / 10,
			polls: stats.byKind.poll,
			notModified: stats.byStatus["304"] ?? 0,
			networkErrors: stats.networkErrors,
			byKind: { ...stats.byKind },
			byStatus: { ...stats.byStatus },
		},
		pollLatencyMs: stats.latencyPercentiles(),
		errors: progress.errors,
		errorSamples: [...errorSamples],
		perDevice: o.includeDevices ? devices.map((d) => d.report) : undefined,
	};
}
