/**
 * `updraft ds create|show|list`: distribution sets (hawkBit `POST /rest/v1/distributionsets`, a
 * name + version + DS type with software modules named by id or `name:version`).
 */
import { CliError, EXIT } from "../exit-codes";
import { ApiError } from "../mgmt-client";
import {
	findDistributionSet,
	type MgmtDistributionSet,
	resolveDistributionSet,
	resolveSoftwareModule,
} from "../references";
import { type CliIo, commandContext, type GlobalFlags, type Root } from "../root-command";

export function registerDsCommands(root: Root, io: CliIo): void {
	const ds = root.command("ds").description("distribution sets");

	ds.command("create")
		.description("create a distribution set from software modules")
		.requiredOption("-n, --name <name>", "name")
		.requiredOption("-v, --version <version>", "version")
		.option("-t, --type <key>", "distribution set type key (default: the tenant's default, os_app)")
		.option(
			"-m, --module <ref...>",
			"software module: id or name:version (repeat for several)",
			[] as string[],
		)
		.option("--description <text>", "description")
		.option("--required-migration-step", "mark as a required migration step")
		.option("--reuse", "if name:version exists with the same modules, return it instead of failing")
		.action(async (opts, cmd) => {
			const ctx = commandContext(cmd.optsWithGlobals() as GlobalFlags, io);
			const { client, out, signal } = ctx;
			const modules = [];
			for (const ref of opts.module) {
				modules.push(await resolveSoftwareModule(client, ref));
			}
			const wantedIds = modules.map((m) => m.id).sort((a, b) => a - b);
			const existing = await findDistributionSet(client, opts);
			if (existing) {
				const full = await client.get<MgmtDistributionSet>(`/distributionsets/${existing.id}`);
				const haveIds = (full.modules ?? []).map((m) => m.id).sort((a, b) => a - b);
				if (opts.reuse && haveIds.join(",") === wantedIds.join(",")) {
					out.note(`distribution set ${full.id} ${full.name}:${full.version} exists; reusing it`);
					out.result({ ...summary(full), created: false }, describe(full, false));
					return;
				}
				throw new CliError(
					EXIT.rejected,
					`distribution set ${opts.name}:${opts.version} already exists (id ${existing.id}${opts.reuse ? ", with other modules" : ""})`,
					{ distributionSetId: existing.id },
				);
			}
			let created: MgmtDistributionSet | undefined;
			try {
				const list = await client.post<MgmtDistributionSet[]>(
					"/distributionsets",
					[
						{
							name: opts.name,
							version: opts.version,
							type: opts.type,
							description: opts.description,
							requiredMigrationStep: opts.requiredMigrationStep === true,
							modules: modules.map((m) => ({ id: m.id })),
						},
					],
					{ signal },
				);
				created = list?.[0];
			} catch (err) {
				if (err instanceof ApiError && err.code === "repo.entityNotFound" && opts.type) {
					throw new CliError(
						EXIT.notFound,
						`${err.serverMessage ?? err.message} (is "${opts.type}" a distribution set type key? hawkBit's defaults: os, app, os_app)`,
					);
				}
				throw err;
			}
			if (!created) {
				throw new CliError(EXIT.server, "the server created no distribution set");
			}
			out.result({ ...summary(created), created: true }, describe(created, true));
		});

	ds.command("show")
		.description("show a distribution set")
		.argument("<ds>", "id or name:version")
		.action(async (ref, _opts, cmd) => {
			const ctx = commandContext(cmd.optsWithGlobals() as GlobalFlags, io);
			const found = await resolveDistributionSet(ctx.client, ref);
			const full = await ctx.client.get<MgmtDistributionSet>(`/distributionsets/${found.id}`);
			ctx.out.result(full, describe(full, false));
		});

	ds.command("list")
		.description("list distribution sets")
		.option("-q, --query <rsql>", "RSQL filter, e.g. name==firmware")
		.option("--limit <n>", "at most this many", "50")
		.action(async (opts, cmd) => {
			const ctx = commandContext(cmd.optsWithGlobals() as GlobalFlags, io);
			const page = await ctx.client.get<{ content?: MgmtDistributionSet[]; total?: number }>(
				"/distributionsets",
				{ query: { q: opts.query, limit: opts.limit, sort: "id:DESC" } },
			);
			const items = page?.content ?? [];
			ctx.out.result(
				{ total: page?.total ?? items.length, content: items.map(summary) },
				items.length === 0
					? "no distribution sets"
					: items.map(
							(d) =>
								`${String(d.id).padStart(5)}  ${`${d.name}:${d.version}`.padEnd(32)} ${(d.type ?? "").padEnd(8)} ${d.complete === false ? "incomplete" : "complete"}${d.locked ? ", locked" : ""}${d.valid === false ? ", invalidated" : ""}`,
						),
			);
		});
}

function summary(d: MgmtDistributionSet) {
	return {
		id: d.id,
		name: d.name,
		version: d.version,
		type: d.type,
		complete: d.complete,
		locked: d.locked,
		valid: d.valid,
		modules: (d.modules ?? []).map((m) => ({
			id: m.id,
			name: m.name,
			version: m.version,
			type: m.type,
		})),
	};
}

function describe(d: MgmtDistributionSet, created: boolean): string[] {
	return [
		`distribution set ${d.id} ${d.name}:${d.version} (${d.type ?? "?"})${created ? " created" : ""}${d.complete === false ? " — incomplete: add the mandatory modules before assigning" : ""}`,
		...(d.modules ?? []).map((m) => `  module ${m.id} ${m.name}:${m.version} (${m.type})`),
	];
}
