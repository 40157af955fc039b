/**
 * Benchmark-only entry point for the cost model (scripts/bench/cost.ts): Updraft's own Worker
 * (workers/index.ts) with every binding wrapped in a counter. Nothing is mocked: each call goes through
 * to the real local binding. D1 rows read and written come from the `meta` of D1's own answers (read
 * off the binding's internal fetcher, so `first()` and `raw()` are counted as well).
 *
 * `GET /__bench/meter` returns the counters, `POST /__bench/meter` resets them. This file is bundled by
 * wrangler in place of `main` only by the benchmarks; it is never deployed.
 */
import updraft, { RolloutCoordinator as UpdraftRolloutCoordinator } from "../../../workers/index";

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

const zero = (): Counters => ({
	requests: 0,
	kvReads: 0,
	kvWrites: 0,
	kvDeletes: 0,
	kvLists: 0,
	d1Queries: 0,
	d1RowsRead: 0,
	d1RowsWritten: 0,
	doRequests: 0,
	queueMessagesSent: 0,
	queueBatchesConsumed: 0,
	queueMessagesConsumed: 0,
	r2ClassA: 0,
	r2ClassB: 0,
});

let counters = zero();
const pending = new Set<Promise<unknown>>();

type Fn = (...args: unknown[]) => unknown;

/** A proxy that calls `onCall(name, args)` before every method call of `target`. */
function counting<T extends object>(target: T, onCall: (name: string, args: unknown[]) => void): T {
	return new Proxy(target, {
		get(t, prop) {
			const value = Reflect.get(t, prop, t) as unknown;
			if (typeof value !== "function") {
				return value;
			}
			return (...args: unknown[]) => {
				onCall(String(prop), args);
				return Reflect.apply(value as Fn, t, args);
			};
		},
	});
}

const wrappedFetchers = new WeakSet<object>();

type D1Meta = { meta?: { rows_read?: number; rows_written?: number } };

/** Wraps the internal fetcher of a D1 binding (and its sessions) to read `meta` off every answer. */
function meterD1(db: D1Database): D1Database {
	const patch = (holder: Record<string, unknown>) => {
		const inner = holder.fetcher as { fetch: Fn } | undefined;
		// A service binding answers any property name with an RPC stub, so no marker on the fetcher
		// itself: remember the wrappers instead.
		if (!inner || wrappedFetchers.has(inner)) {
			return;
		}
		const wrapper = {
			fetch: async (...args: unknown[]) => {
				const res = (await Reflect.apply(inner.fetch, inner, args)) as Response;
				const parsing = res
					.clone()
					.json()
					.then((body) => {
						for (const r of (Array.isArray(body) ? body : [body]) as D1Meta[]) {
							counters.d1Queries += 1;
							counters.d1RowsRead += r.meta?.rows_read ?? 0;
							counters.d1RowsWritten += r.meta?.rows_written ?? 0;
						}
					})
					.catch(() => undefined);
				pending.add(parsing);
				await parsing;
				pending.delete(parsing);
				return res;
			},
		};
		wrappedFetchers.add(wrapper);
		holder.fetcher = wrapper;
	};
	const holder = db as unknown as Record<string, unknown>;
	patch(holder);
	if (holder.alwaysPrimarySession) {
		patch(holder.alwaysPrimarySession as Record<string, unknown>);
	}
	return new Proxy(db, {
		get(t, prop) {
			const value = Reflect.get(t, prop, t) as unknown;
			if (prop === "withSession" && typeof value === "function") {
				return (...args: unknown[]) => {
					const session = Reflect.apply(value as Fn, t, args) as Record<string, unknown>;
					patch(session);
					return session;
				};
			}
			return typeof value === "function" ? (value as Fn).bind(t) : value;
		},
	});
}

function meterKv(kv: KVNamespace): KVNamespace {
	return counting(kv, (name, args) => {
		if (name === "get" || name === "getWithMetadata") {
			counters.kvReads += Array.isArray(args[0]) ? args[0].length : 1;
		} else if (name === "put") {
			counters.kvWrites += 1;
		} else if (name === "delete") {
			counters.kvDeletes += 1;
		} else if (name === "list") {
			counters.kvLists += 1;
		}
	});
}

function meterR2(bucket: R2Bucket): R2Bucket {
	const classA = new Set(["put", "list", "createMultipartUpload", "resumeMultipartUpload"]);
	return counting(bucket, (name) => {
		if (classA.has(name)) {
			counters.r2ClassA += 1;
		} else if (name === "get" || name === "head") {
			counters.r2ClassB += 1;
		}
	});
}

function meterQueue(queue: Queue): Queue {
	return counting(queue, (name, args) => {
		if (name === "send") {
			counters.queueMessagesSent += 1;
		} else if (name === "sendBatch") {
			counters.queueMessagesSent += (args[0] as unknown[]).length;
		}
	});
}

function meterDoNamespace<T extends object>(ns: T): T {
	const stub = (s: object) =>
		new Proxy(s, {
			get(t, prop) {
				const value = Reflect.get(t, prop, t) as unknown;
				if (typeof value !== "function" || prop === "then") {
					return value;
				}
				// Every RPC method call (and fetch) on a stub is one billed Durable Object request.
				return (...args: unknown[]) => {
					counters.doRequests += 1;
					return Reflect.apply(value as Fn, t, args);
				};
			},
		});
	return new Proxy(ns, {
		get(t, prop) {
			const value = Reflect.get(t, prop, t) as unknown;
			if (prop === "get" || prop === "getByName") {
				return (...args: unknown[]) => stub(Reflect.apply(value as Fn, t, args) as object);
			}
			return typeof value === "function" ? (value as Fn).bind(t) : value;
		},
	});
}

function metered(env: Env): Env {
	return {
		...env,
		DB: meterD1(env.DB),
		POLL_CACHE: meterKv(env.POLL_CACHE),
		ARTIFACTS: meterR2(env.ARTIFACTS),
		POLL_EVENTS: meterQueue(env.POLL_EVENTS),
		ROLLOUT_COORDINATOR: meterDoNamespace(env.ROLLOUT_COORDINATOR),
	};
}

export class RolloutCoordinator extends UpdraftRolloutCoordinator {
	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, metered(env));
	}
}

export default {
	async fetch(req, env, ctx) {
		const url = new URL(req.url);
		if (url.pathname === "/__bench/meter") {
			await Promise.all(pending);
			if (req.method === "POST") {
				counters = zero();
			}
			return Response.json(counters);
		}
		counters.requests += 1;
		return updraft.fetch(req, metered(env), ctx);
	},
	async queue(batch, env) {
		counters.queueBatchesConsumed += 1;
		counters.queueMessagesConsumed += batch.messages.length;
		return updraft.queue(batch as Parameters<typeof updraft.queue>[0], metered(env));
	},
	async scheduled(controller, env, ctx) {
		return updraft.scheduled(controller, metered(env), ctx);
	},
} satisfies ExportedHandler<Env>;
