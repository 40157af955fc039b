/**
 * `updraft rollout create|start|pause|resume|watch|show|list` over hawkBit's `/rest/v1/rollouts`.
 * `create --start --watch` is the whole release in one command: it waits for the groups to be
 * filled (`creating` → `ready`), starts, and follows the groups to the end.
 */
import { Option } from "@commander-js/extra-typings";
import { CliError, EXIT } from "../exit-codes";
import { type MgmtRollout, resolveDistributionSet, resolveRollout } from "../references";
import {
	describeTotals,
	fetchSnapshot,
	snapshotLine,
	TERMINAL_ROLLOUT_STATES,
	type WatchResult,
	waitWhileCreating,
	watchRollout,
} from "../rollout-watch";
import {
	type CliIo,
	type CommandContext,
	commandContext,
	type GlobalFlags,
	parseOption,
	parsePercent,
	parsePositiveInt,
	parseTimestamp,
	parseWeight,
	type Root,
} from "../root-command";
import { parseDuration } from "../units";

const ACTION_TYPES = ["forced", "soft", "timeforced", "downloadonly"] as const;

type WatchFlags = { interval: string; watchTimeout: string; exitOnPause?: boolean };

export function registerRolloutCommands(root: Root, io: CliIo): void {
	const rollout = root
		.command("rollout")
		.description("rollouts: staged deployment to many targets");

	rollout
		.command("create")
		.description("create a rollout of a distribution set to the targets matching a filter")
		.requiredOption("-n, --name <name>", "rollout name")
		.requiredOption("--ds <ds>", "distribution set: id or name:version")
		.requiredOption("-f, --filter <rsql>", "target filter query, e.g. 'controllerid==sim-*'")
		.option("--description <text>", "description")
		.option("-g, --groups <n>", "number of deployment groups", "1")
		.option("--success-threshold <percent>", "a group succeeds when this % finished", "50")
		.option(
			"--error-threshold <percent>",
			"a group fails (rollout pauses) above this % errors",
			"50",
		)
		.addOption(
			new Option("--type <type>", "action type").choices(ACTION_TYPES).default("forced" as const),
		)
		.option("--forcetime <time>", "for --type timeforced: epoch ms or ISO date-time")
		.option("--start-at <time>", "start automatically at this time (epoch ms or ISO)")
		.option("--weight <n>", "action weight 0-1000")
		.option("--confirmation-required", "devices must confirm (user-consent flow)")
		.option("--start", "start it as soon as its groups are ready")
		.option("--watch", "follow it until it ends (implies waiting for ready)")
		.option("--interval <duration>", "watch: time between polls", "2s")
		.option("--watch-timeout <duration>", "watch: give up after", "1h")
		.option("--exit-on-pause", "watch: stop (exit code 9) when the rollout pauses")
		.action(async (opts, cmd) => {
			const ctx = commandContext(cmd.optsWithGlobals() as GlobalFlags, io);
			const ds = await resolveDistributionSet(ctx.client, opts.ds);
			const success = parseOption("--success-threshold", opts.successThreshold, parsePercent);
			const error = parseOption("--error-threshold", opts.errorThreshold, parsePercent);
			if (opts.type === "timeforced" && !opts.forcetime) {
				throw new CliError(EXIT.usage, "--type timeforced needs --forcetime");
			}
			const body = {
				name: opts.name,
				description: opts.description,
				distributionSetId: ds.id,
				targetFilterQuery: opts.filter,
				type: opts.type,
				forcetime: opts.forcetime
					? parseOption("--forcetime", opts.forcetime, parseTimestamp)
					: undefined,
				startAt: opts.startAt ? parseOption("--start-at", opts.startAt, parseTimestamp) : undefined,
				weight: opts.weight ? parseOption("--weight", opts.weight, parseWeight) : undefined,
				confirmationRequired: opts.confirmationRequired === true ? true : undefined,
				amountGroups: parseOption("--groups", opts.groups, parsePositiveInt),
				successCondition: { condition: "THRESHOLD", expression: String(success) },
				successAction: { action: "NEXTGROUP", expression: "" },
				errorCondition: { condition: "THRESHOLD", expression: String(error) },
				errorAction: { action: "PAUSE", expression: "" },
			};
			const created = await ctx.client.post<MgmtRollout>("/rollouts", body, { signal: ctx.signal });
			ctx.out.note(
				`created rollout ${created.id} ${created.name} (${created.status}) for ${ds.name}:${ds.version}`,
			);
			if (!opts.start && !opts.watch) {
				ctx.out.result(
					created,
					`rollout ${created.id} ${created.name}: ${created.status}, ${created.totalTargets ?? "?"} targets`,
				);
				return;
			}
			await startAndWatch(ctx, created.id, {
				start: opts.start === true,
				watch: opts.watch === true,
				...opts,
			});
		});

	rollout
		.command("start")
		.description("start a ready rollout (waits while its groups are being created)")
		.argument("<rollout>", "id or name")
		.option("--watch", "follow it until it ends")
		.option("--interval <duration>", "watch: time between polls", "2s")
		.option("--watch-timeout <duration>", "watch: give up after", "1h")
		.option("--exit-on-pause", "watch: stop (exit code 9) when the rollout pauses")
		.action(async (ref, opts, cmd) => {
			const ctx = commandContext(cmd.optsWithGlobals() as GlobalFlags, io);
			const r = await resolveRollout(ctx.client, ref);
			await startAndWatch(ctx, r.id, { start: true, watch: opts.watch === true, ...opts });
		});

	for (const [verb, help] of [
		["pause", "pause a running rollout (running actions go on; no new group starts)"],
		["resume", "resume a paused rollout"],
	] as const) {
		rollout
			.command(verb)
			.description(help)
			.argument("<rollout>", "id or name")
			.action(async (ref, _opts, cmd) => {
				const ctx = commandContext(cmd.optsWithGlobals() as GlobalFlags, io);
				const r = await resolveRollout(ctx.client, ref);
				await ctx.client.post(`/rollouts/${r.id}/${verb}`, undefined, { signal: ctx.signal });
				const after = await ctx.client.get<MgmtRollout>(`/rollouts/${r.id}`);
				ctx.out.result(after, `rollout ${after.id} ${after.name}: ${after.status}`);
			});
	}

	rollout
		.command("watch")
		.description("follow a rollout with per-group progress until it ends")
		.argument("<rollout>", "id or name")
		.option("--interval <duration>", "time between polls", "2s")
		.option("--watch-timeout <duration>", "give up after", "1h")
		.option("--exit-on-pause", "stop (exit code 9) when the rollout pauses")
		.action(async (ref, opts, cmd) => {
			const ctx = commandContext(cmd.optsWithGlobals() as GlobalFlags, io);
			const r = await resolveRollout(ctx.client, ref);
			await startAndWatch(ctx, r.id, { start: false, watch: true, ...opts });
		});

	rollout
		.command("show")
		.description("show a rollout and its groups")
		.argument("<rollout>", "id or name")
		.action(async (ref, _opts, cmd) => {
			const ctx = commandContext(cmd.optsWithGlobals() as GlobalFlags, io);
			const r = await resolveRollout(ctx.client, ref);
			const snap = await fetchSnapshot(ctx.client, r.id, ctx.signal);
			ctx.out.result(snap, [
				`rollout ${snap.rollout.id} ${snap.rollout.name}: ${snap.rollout.status}, ${describeTotals(snap.rollout.totalTargetsPerStatus, snap.rollout.totalTargets)}`,
				...snap.groups.map(
					(g) =>
						`  ${g.name.padEnd(16)} ${g.status.padEnd(9)} ${describeTotals(g.totalTargetsPerStatus, g.totalTargets)}`,
				),
			]);
		});

	rollout
		.command("list")
		.description("list rollouts, newest first")
		.option("-q, --query <rsql>", "RSQL filter, e.g. status==running")
		.option("--limit <n>", "at most this many", "50")
		.action(async (opts, cmd) => {
			const ctx = commandContext(cmd.optsWithGlobals() as GlobalFlags, io);
			const page = await ctx.client.get<{ content?: MgmtRollout[]; total?: number }>("/rollouts", {
				query: { q: opts.query, limit: opts.limit, sort: "id:DESC" },
			});
			const items = page?.content ?? [];
			ctx.out.result(
				page ?? { content: [], total: 0 },
				items.length === 0
					? "no rollouts"
					: items.map(
							(r) =>
								`${String(r.id).padStart(5)}  ${r.name.padEnd(24)} ${r.status.padEnd(12)} ${r.totalTargets ?? "?"} targets`,
						),
			);
		});
}

async function startAndWatch(
	ctx: CommandContext,
	rolloutId: number,
	o: { start: boolean; watch: boolean } & WatchFlags,
): Promise<void> {
	const intervalMs = parseOption("--interval", o.interval, parseDuration);
	const timeoutMs = parseOption("--watch-timeout", o.watchTimeout, parseDuration);
	let r = await waitWhileCreating(ctx.client, rolloutId, {
		intervalMs: Math.min(intervalMs, 1000),
		timeoutMs,
		signal: ctx.signal,
	});
	if (o.start) {
		if (r.status === "waiting_for_approval") {
			throw new CliError(
				EXIT.rejected,
				`rollout ${rolloutId} waits for approval (POST /rest/v1/rollouts/${rolloutId}/approve by a user with APPROVE_ROLLOUT)`,
				{ rolloutId, status: r.status },
			);
		}
		await ctx.client.post(`/rollouts/${rolloutId}/start`, undefined, { signal: ctx.signal });
		r = await ctx.client.get<MgmtRollout>(`/rollouts/${rolloutId}`);
		ctx.out.note(`started rollout ${r.id} ${r.name} (${r.totalTargets ?? "?"} targets)`);
	}
	if (!o.watch) {
		ctx.out.result(r, `rollout ${r.id} ${r.name}: ${r.status}`);
		return;
	}
	const result = await watchRollout(ctx.client, ctx.out, rolloutId, {
		intervalMs,
		timeoutMs,
		exitOnPause: o.exitOnPause === true,
		signal: ctx.signal,
	});
	report(ctx, result);
}

function report(ctx: CommandContext, w: WatchResult): void {
	const r = w.rollout;
	const data = { ...w.rollout, groups: w.groups, outcome: w.outcome, elapsedMs: w.elapsedMs };
	const line = `${snapshotLine(w)} (${Math.round(w.elapsedMs / 1000)} s)`;
	if (w.outcome === "success") {
		ctx.out.result(data, line);
		return;
	}
	const why =
		w.outcome === "paused"
			? "paused"
			: TERMINAL_ROLLOUT_STATES.has(r.status) && r.status !== "finished"
				? r.status
				: `finished with ${r.totalTargetsPerStatus?.error ?? 0} failed targets`;
	if (ctx.out.json) {
		ctx.out.result(data, line);
	}
	throw new CliError(EXIT.rolloutFailed, `rollout ${r.id} ${r.name} ${why}: ${line}`, {
		rolloutId: r.id,
		status: r.status,
		outcome: w.outcome,
	});
}
