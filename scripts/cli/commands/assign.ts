/**
 * `updraft assign <ds>`: to named targets (hawkBit `POST /distributionsets/{id}/assignedTargets`,
 * 5,000 per request as hawkBit's quota allows) or to every target matching an RSQL filter, now and
 * later, through a target filter's auto-assignment (`POST /targetfilters/{id}/autoAssignDS`).
 */
import { readFileSync } from "node:fs";
import { Option } from "@commander-js/extra-typings";
import { CliError, EXIT } from "../exit-codes";
import {
	findTargetFilter,
	type MgmtDistributionSet,
	type MgmtTargetFilter,
	resolveDistributionSet,
} from "../references";
import {
	type CliIo,
	type CommandContext,
	commandContext,
	type GlobalFlags,
	parseOption,
	parseTimestamp,
	parseWeight,
	type Root,
} from "../root-command";

/** hawkBit's maxTargetDistributionSetAssignmentsPerManualAssignment. */
const ASSIGNMENTS_PER_REQUEST = 5000;
const ACTION_TYPES = ["forced", "soft", "timeforced", "downloadonly"] as const;

type AssignmentResponse = {
	assigned?: number;
	alreadyAssigned?: number;
	total?: number;
	assignedActions?: { id: number }[];
};

export function registerAssignCommand(root: Root, io: CliIo): void {
	root
		.command("assign")
		.description(
			"assign a distribution set to targets (--target / --targets-file) or to a target filter (--filter: auto-assignment)",
		)
		.argument("<ds>", "distribution set: id or name:version")
		.option("--target <controllerId...>", "target controller ids (repeatable)", [] as string[])
		.option("--targets-file <file>", "file with one controller id per line")
		.option("--filter <rsql>", "auto-assign to every target matching this RSQL query")
		.option("--filter-name <name>", "name of the target filter to create or reuse with --filter")
		.option("--filter-id <id>", "auto-assign through an existing target filter")
		.addOption(
			new Option("--type <type>", "action type").choices(ACTION_TYPES).default("forced" as const),
		)
		.option("--forcetime <time>", "for --type timeforced: epoch ms or ISO date-time")
		.option("--weight <n>", "action weight 0-1000")
		.option("--confirmation-required", "devices must confirm (user-consent flow)")
		.option("--offline", "record as installed without a deployment (targets only)")
		.action(async (dsRef, opts, cmd) => {
			const ctx = commandContext(cmd.optsWithGlobals() as GlobalFlags, io);
			const targets = [...opts.target];
			if (opts.targetsFile) {
				targets.push(...readTargetsFile(opts.targetsFile));
			}
			const byFilter = opts.filter !== undefined || opts.filterId !== undefined;
			if (byFilter === targets.length > 0) {
				throw new CliError(
					EXIT.usage,
					"give either targets (--target, --targets-file) or a filter (--filter, --filter-id)",
				);
			}
			if (byFilter && opts.type === "timeforced") {
				throw new CliError(EXIT.usage, "auto-assignment does not support --type timeforced");
			}
			if (opts.type === "timeforced" && !opts.forcetime) {
				throw new CliError(EXIT.usage, "--type timeforced needs --forcetime");
			}
			const weight =
				opts.weight === undefined ? undefined : parseOption("--weight", opts.weight, parseWeight);
			const ds = await resolveDistributionSet(ctx.client, dsRef);
			const common = {
				type: opts.type,
				weight,
				confirmationRequired: opts.confirmationRequired === true ? true : undefined,
			};
			if (byFilter) {
				const filter = await autoAssign(ctx, ds, {
					...common,
					query: opts.filter,
					filterName: opts.filterName,
					filterId: opts.filterId,
				});
				ctx.out.result(
					{ distributionSetId: ds.id, targetFilter: filter },
					`target filter ${filter.id} "${filter.name}" (${filter.query}) now auto-assigns ${ds.name}:${ds.version} (${filter.autoAssignActionType ?? opts.type})`,
				);
				return;
			}
			const forcetime =
				opts.forcetime === undefined
					? undefined
					: parseOption("--forcetime", opts.forcetime, parseTimestamp);
			const result = await assignTargets(ctx, ds, [...new Set(targets)], {
				...common,
				forcetime,
				offline: opts.offline === true,
			});
			ctx.out.result(
				{ distributionSetId: ds.id, ...result },
				`${ds.name}:${ds.version} → ${result.assigned} assigned, ${result.alreadyAssigned} already assigned (of ${result.total})${result.actions.length ? `; actions ${abbreviate(result.actions)}` : ""}`,
			);
		});
}

function readTargetsFile(path: string): string[] {
	let text: string;
	try {
		text = readFileSync(path, "utf8");
	} catch (err) {
		throw new CliError(EXIT.usage, `cannot read ${path}: ${(err as Error).message}`);
	}
	return text
		.split(/\r?\n/)
		.map((l) => l.trim())
		.filter((l) => l.length > 0 && !l.startsWith("#"));
}

async function assignTargets(
	ctx: CommandContext,
	ds: MgmtDistributionSet,
	targets: string[],
	o: {
		type: string;
		weight?: number;
		confirmationRequired?: boolean;
		forcetime?: number;
		offline: boolean;
	},
) {
	const total = { assigned: 0, alreadyAssigned: 0, total: 0, actions: [] as number[] };
	for (let i = 0; i < targets.length; i += ASSIGNMENTS_PER_REQUEST) {
		const chunk = targets.slice(i, i + ASSIGNMENTS_PER_REQUEST);
		const body = chunk.map((id) => ({
			id,
			type: o.type,
			weight: o.weight,
			forcetime: o.forcetime,
			confirmationRequired: o.confirmationRequired,
		}));
		const res = await ctx.client.post<AssignmentResponse>(
			`/distributionsets/${ds.id}/assignedTargets`,
			body,
			{ query: { offline: o.offline ? "true" : undefined }, signal: ctx.signal },
		);
		total.assigned += res?.assigned ?? 0;
		total.alreadyAssigned += res?.alreadyAssigned ?? 0;
		total.total += res?.total ?? chunk.length;
		total.actions.push(...(res?.assignedActions ?? []).map((a) => a.id));
	}
	return total;
}

async function autoAssign(
	ctx: CommandContext,
	ds: MgmtDistributionSet,
	o: {
		type: string;
		weight?: number;
		confirmationRequired?: boolean;
		query?: string;
		filterName?: string;
		filterId?: string;
	},
): Promise<MgmtTargetFilter> {
	const { client, signal } = ctx;
	let filter: MgmtTargetFilter;
	if (o.filterId !== undefined) {
		filter = await client.get<MgmtTargetFilter>(`/targetfilters/${encodeURIComponent(o.filterId)}`);
		if (o.query !== undefined && o.query !== filter.query) {
			filter = await client.put<MgmtTargetFilter>(`/targetfilters/${filter.id}`, {
				query: o.query,
			});
		}
	} else {
		const query = o.query as string;
		const name = o.filterName ?? `auto-assign ${ds.name}:${ds.version}`;
		const existing = await findTargetFilter(client, name);
		if (existing) {
			filter =
				existing.query === query
					? existing
					: await client.put<MgmtTargetFilter>(`/targetfilters/${existing.id}`, { query });
		} else {
			filter = await client.post<MgmtTargetFilter>("/targetfilters", { name, query }, { signal });
		}
	}
	return client.post<MgmtTargetFilter>(
		`/targetfilters/${filter.id}/autoAssignDS`,
		{
			id: ds.id,
			type: o.type,
			weight: o.weight,
			confirmationRequired: o.confirmationRequired,
		},
		{ signal },
	);
}

function abbreviate(ids: number[]): string {
	return ids.length <= 10 ? ids.join(", ") : `${ids.slice(0, 10).join(", ")}, … (${ids.length})`;
}
