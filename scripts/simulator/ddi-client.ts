/**
 * The device simulator's HTTP side: DDI requests with the device's `Authorization` header, a
 * shared cap on requests in flight (so N devices cannot open N sockets at once), and counters for
 * the summary (requests by kind and status, poll latencies).
 */

export type RequestKind =
	| "poll"
	| "configData"
	| "deploymentBase"
	| "feedback"
	| "cancelAction"
	| "confirmation"
	| "download";

/** Counts every request the simulated fleet made. */
export class RequestStats {
	total = 0;
	/** Requests that got no HTTP answer (refused, reset, timeout). */
	networkErrors = 0;
	readonly byKind: Record<RequestKind, number> = {
		poll: 0,
		configData: 0,
		deploymentBase: 0,
		feedback: 0,
		cancelAction: 0,
		confirmation: 0,
		download: 0,
	};
	readonly byStatus: Record<string, number> = {};
	/** Poll latencies in ms, kept up to a cap (enough for percentiles). */
	readonly pollLatencies: number[] = [];

	record(kind: RequestKind, status: number | "network", ms: number): void {
		this.total++;
		this.byKind[kind]++;
		if (status === "network") {
			this.networkErrors++;
		} else {
			this.byStatus[String(status)] = (this.byStatus[String(status)] ?? 0) + 1;
		}
		if (kind === "poll" && this.pollLatencies.length < 200_000) {
			this.pollLatencies.push(ms);
		}
	}

	latencyPercentiles(): { p50: number; p95: number; p99: number; max: number } | undefined {
		if (this.pollLatencies.length === 0) {
			return undefined;
		}
		const sorted = [...this.pollLatencies].sort((a, b) => a - b);
		const at = (q: number) =>
			Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) * 10) /
			10;
		return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
	}
}

/** A counting semaphore: at most `limit` holders at once, FIFO. */
export class Limiter {
	#active = 0;
	readonly #waiting: (() => void)[] = [];

	constructor(readonly limit: number) {}

	async run<T>(fn: () => Promise<T>): Promise<T> {
		if (this.#active >= this.limit) {
			await new Promise<void>((resolve) => this.#waiting.push(resolve));
		} else {
			this.#active++;
		}
		try {
			return await fn();
		} finally {
			const next = this.#waiting.shift();
			if (next) {
				next(); // the slot passes straight to the next waiter
			} else {
				this.#active--;
			}
		}
	}
}

export type DdiResponse = { status: number; body: unknown; headers: Headers };

export type DdiClientOptions = {
	/** Server base, e.g. http://127.0.0.1:8080 (no trailing slash). */
	baseUrl: string;
	tenant: string;
	limiter: Limiter;
	stats: RequestStats;
	timeoutMs: number;
	signal: AbortSignal;
};

/** Thrown for requests that got no HTTP answer; the device backs off and tries again later. */
export class NetworkError extends Error {}

export class DdiClient {
	constructor(readonly opts: DdiClientOptions) {}

	controllerUrl(controllerId: string): string {
		return `${this.opts.baseUrl}/${encodeURIComponent(this.opts.tenant)}/controller/v1/${encodeURIComponent(controllerId)}`;
	}

	/** A JSON request; any status is returned (the device decides what it means). */
	async json(
		kind: RequestKind,
		url: string,
		authorization: string,
		init: { method?: string; body?: unknown; ifNoneMatch?: string } = {},
	): Promise<DdiResponse> {
		const headers: Record<string, string> = {
			Authorization: authorization,
			Accept: "application/hal+json, application/json",
		};
		if (init.body !== undefined) {
			headers["Content-Type"] = "application/json";
		}
		if (init.ifNoneMatch) {
			headers["If-None-Match"] = init.ifNoneMatch;
		}
		return this.opts.limiter.run(async () => {
			const started = performance.now();
			const abort = requestSignal(this.opts.signal, this.opts.timeoutMs);
			let res: Response;
			let text: string;
			try {
				res = await fetch(url, {
					method: init.method ?? "GET",
					headers,
					body: init.body === undefined ? undefined : JSON.stringify(init.body),
					signal: abort.signal,
				});
				text = await res.text();
			} catch (err) {
				this.opts.stats.record(kind, "network", performance.now() - started);
				throw new NetworkError(`${init.method ?? "GET"} ${url}: ${describe(err)}`);
			} finally {
				abort.dispose();
			}
			this.opts.stats.record(kind, res.status, performance.now() - started);
			let body: unknown;
			if (text) {
				try {
					body = JSON.parse(text);
				} catch {
					body = text;
				}
			}
			return { status: res.status, body, headers: res.headers };
		});
	}
}

/**
 * An abort signal for one request: fires when `parent` aborts or after `timeoutMs`. Unlike
 * AbortSignal.any it detaches from the long-lived parent when disposed, so thousands of requests
 * do not pile listeners onto the fleet's stop signal.
 */
export function requestSignal(
	parent: AbortSignal,
	timeoutMs: number,
): { signal: AbortSignal; abort(reason: unknown): void; dispose(): void } {
	const controller = new AbortController();
	const onAbort = () => controller.abort(parent.reason);
	const timer = setTimeout(
		() => controller.abort(new DOMException("request timed out", "TimeoutError")),
		timeoutMs,
	);
	if (parent.aborted) {
		onAbort();
	} else {
		parent.addEventListener("abort", onAbort, { once: true });
	}
	return {
		signal: controller.signal,
		abort(reason: unknown) {
			controller.abort(reason);
		},
		dispose() {
			clearTimeout(timer);
			parent.removeEventListener("abort", onAbort);
		},
	};
}

export function describe(err: unknown): string {
	if (err instanceof Error) {
		const cause = err.cause as { code?: string; message?: string } | undefined;
		return cause?.code ?? cause?.message ?? err.message;
	}
	return String(err);
}
