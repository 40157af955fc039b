/**
 * Following a rollout until it ends: polls `GET /rollouts/{id}` and its deploy groups (full
 * representation, with hawkBit's per-status totals) and draws one progress bar per group on a
 * terminal, or prints a line whenever something changed elsewhere (CI logs, pipes).
 */
import cliProgress from "cli-progress";
import { CliError, EXIT } from "./exit-codes";
import type { MgmtClient } from "./mgmt-client";
import type { Output } from "./output";
import type { MgmtRollout, MgmtRolloutGroup, RolloutStatusTotals } from "./references";

/** Rollout states after which nothing will happen any more (hawkBit §7.1). */
export const TERMINAL_ROLLOUT_STATES = new Set([
	"finished",
	"stopped",
	"deleted",
	"approval_denied",
]);

export type WatchOptions = {
	intervalMs: number;
	timeoutMs: number;
	/** Stop watching (as a failure) when the rollout pauses, e.g. after a group's error threshold. */
	exitOnPause: boolean;
	signal?: AbortSignal;
};

export type RolloutSnapshot = {
	rollout: MgmtRollout;
	groups: MgmtRolloutGroup[];
};

export type WatchResult = RolloutSnapshot & {
	outcome: "success" | "failure" | "paused";
	elapsedMs: number;
};

export async function fetchSnapshot(
	client: MgmtClient,
	id: number,
	signal?: AbortSignal,
): Promise<RolloutSnapshot> {
	const rollout = await client.get<MgmtRollout>(`/rollouts/${id}`, { signal });
	let groups = await client.listAll<MgmtRolloutGroup>(`/rollouts/${id}/deploygroups`, {
		representation: "full",
	});
	// A server whose list lacks the totals (compact only) still answers them per group.
	if (groups.some((g) => g.totalTargetsPerStatus === undefined)) {
		groups = await Promise.all(
			groups.map((g) =>
				client.get<MgmtRolloutGroup>(`/rollouts/${id}/deploygroups/${g.id}`, { signal }),
			),
		);
	}
	return { rollout, groups };
}

/** finished + error + cancelled: targets that will not change any more. */
export function doneCount(t: RolloutStatusTotals | undefined): number {
	return (t?.finished ?? 0) + (t?.error ?? 0) + (t?.cancelled ?? 0);
}

export function describeTotals(
	t: RolloutStatusTotals | undefined,
	total: number | undefined,
): string {
	const parts = [`${t?.finished ?? 0}/${total ?? 0} finished`];
	for (const key of ["running", "scheduled", "error", "cancelled", "notstarted"] as const) {
		const n = t?.[key] ?? 0;
		if (n > 0) {
			parts.push(`${n} ${key}`);
		}
	}
	return parts.join(", ");
}

/** One line for logs: rollout state and every group's. */
export function snapshotLine(s: RolloutSnapshot): string {
	const r = s.rollout;
	const groups = s.groups.map(
		(g) => `${g.name} ${g.status} ${doneCount(g.totalTargetsPerStatus)}/${g.totalTargets ?? 0}`,
	);
	return `rollout ${r.id} ${r.name} ${r.status}: ${describeTotals(r.totalTargetsPerStatus, r.totalTargets)}${groups.length ? ` | ${groups.join(" | ")}` : ""}`;
}

/** Waits for the end of the rollout; returns the last snapshot and whether it went well. */
export async function watchRollout(
	client: MgmtClient,
	out: Output,
	rolloutId: number,
	opts: WatchOptions,
): Promise<WatchResult> {
	const started = Date.now();
	const view = out.bars ? new BarView(out) : new LineView(out);
	try {
		let failures = 0;
		for (;;) {
			let snap: RolloutSnapshot;
			try {
				snap = await fetchSnapshot(client, rolloutId, opts.signal);
				failures = 0;
			} catch (err) {
				// A long watch outlives a server restart or a busy spell; give up only if it lasts.
				if (
					!(err instanceof CliError && err.exitCode === EXIT.server) ||
					++failures > 10 ||
					opts.signal?.aborted
				) {
					throw err;
				}
				out.note(`(server not answering: ${err.message}; retrying)`);
				await sleep(opts.intervalMs, opts.signal);
				continue;
			}
			view.render(snap);
			const status = snap.rollout.status;
			const errors = snap.rollout.totalTargetsPerStatus?.error ?? 0;
			if (TERMINAL_ROLLOUT_STATES.has(status)) {
				const ok =
					status === "finished" && errors === 0 && !snap.groups.some((g) => g.status === "error");
				return { ...snap, outcome: ok ? "success" : "failure", elapsedMs: Date.now() - started };
			}
			if (status === "paused" && opts.exitOnPause) {
				return { ...snap, outcome: "paused", elapsedMs: Date.now() - started };
			}
			if (Date.now() - started > opts.timeoutMs) {
				throw new CliError(
					EXIT.timeout,
					`rollout ${rolloutId} is still ${status} after ${Math.round(opts.timeoutMs / 1000)} s: ${snapshotLine(snap)}`,
					{ rolloutId, status },
				);
			}
			await sleep(opts.intervalMs, opts.signal);
		}
	} finally {
		view.stop();
	}
}

/** Polls until the rollout leaves `creating` (hawkBit fills groups asynchronously). */
export async function waitWhileCreating(
	client: MgmtClient,
	rolloutId: number,
	opts: { intervalMs: number; timeoutMs: number; signal?: AbortSignal },
): Promise<MgmtRollout> {
	const started = Date.now();
	for (;;) {
		const r = await client.get<MgmtRollout>(`/rollouts/${rolloutId}`, { signal: opts.signal });
		if (r.status !== "creating") {
			return r;
		}
		if (Date.now() - started > opts.timeoutMs) {
			throw new CliError(EXIT.timeout, `rollout ${rolloutId} is still creating its groups`, {
				rolloutId,
			});
		}
		await sleep(opts.intervalMs, opts.signal);
	}
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
	return new Promise((resolve, reject) => {
		if (signal?.aborted) {
			reject(signal.reason);
			return;
		}
		const t = setTimeout(() => {
			signal?.removeEventListener("abort", onAbort);
			resolve();
		}, ms);
		const onAbort = () => {
			clearTimeout(t);
			reject(signal?.reason);
		};
		signal?.addEventListener("abort", onAbort, { once: true });
	});
}

interface View {
	render(s: RolloutSnapshot): void;
	stop(): void;
}

/** Prints the snapshot line when it differs from the last one. */
class LineView implements View {
	#last = "";
	constructor(private readonly out: Output) {}

	render(s: RolloutSnapshot): void {
		const line = snapshotLine(s);
		if (line !== this.#last) {
			this.#last = line;
			this.out.note(line);
		}
	}

	stop(): void {}
}

/** A bar for the rollout and one per group: done / total, with the counts beside it. */
class BarView implements View {
	readonly #multi: cliProgress.MultiBar;
	#rolloutBar: cliProgress.SingleBar | undefined;
	readonly #groupBars = new Map<number, cliProgress.SingleBar>();

	constructor(out: Output) {
		this.#multi = new cliProgress.MultiBar(
			{
				stream: out.stderr,
				format: "{label} {bar} {value}/{total} | {status} | {counts}",
				hideCursor: true,
				barsize: 30,
				clearOnComplete: false,
				emptyOnZero: true,
				fps: 5,
			},
			cliProgress.Presets.shades_classic,
		);
	}

	render(s: RolloutSnapshot): void {
		const r = s.rollout;
		const payload = (label: string, status: string, t: RolloutStatusTotals | undefined) => ({
			label: label.slice(0, 16).padEnd(16),
			status: status.padEnd(9),
			counts: `${t?.finished ?? 0} ok, ${t?.error ?? 0} failed, ${t?.running ?? 0} running`,
		});
		const total = r.totalTargets ?? 0;
		if (!this.#rolloutBar) {
			this.#rolloutBar = this.#multi.create(
				total,
				0,
				payload(`rollout ${r.name}`, r.status, r.totalTargetsPerStatus),
			);
		}
		this.#rolloutBar.setTotal(total);
		this.#rolloutBar.update(
			doneCount(r.totalTargetsPerStatus),
			payload(`rollout ${r.name}`, r.status, r.totalTargetsPerStatus),
		);
		for (const g of s.groups) {
			let bar = this.#groupBars.get(g.id);
			const p = payload(`  ${g.name}`, g.status, g.totalTargetsPerStatus);
			if (!bar) {
				bar = this.#multi.create(g.totalTargets ?? 0, 0, p);
				this.#groupBars.set(g.id, bar);
			}
			bar.setTotal(g.totalTargets ?? 0);
			bar.update(doneCount(g.totalTargetsPerStatus), p);
		}
	}

	stop(): void {
		this.#multi.stop();
	}
}
