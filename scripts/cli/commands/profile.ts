/**
 * `updraft profile set|list|show|use|remove` (the profile file) and `updraft whoami`
 * (checks a profile against the server's `GET /rest/v1/userinfo`).
 */
import { CliError, EXIT } from "../exit-codes";
import {
	maskProfile,
	normaliseUrl,
	type Profile,
	readProfileFile,
	writeProfileFile,
} from "../profile";
import {
	type CliIo,
	commandContext,
	configPathFor,
	type GlobalFlags,
	outputFor,
	type Root,
} from "../root-command";

export function registerProfileCommands(root: Root, io: CliIo): void {
	const profile = root.command("profile").description("manage connection profiles");

	profile
		.command("set")
		.description(
			"create or update a profile from --url, --tenant, --user, --password, --token (only the given fields change)",
		)
		.argument("<name>", "profile name")
		.option("--default", "make it the default profile")
		.action((name, _opts, cmd) => {
			// The fields come from the global connection flags, so they read the same everywhere.
			const flags = cmd.optsWithGlobals() as GlobalFlags & { default?: boolean };
			const opts = flags;
			const out = outputFor(flags, io);
			const path = configPathFor(flags, io);
			const file = readProfileFile(path);
			const next: Profile = { ...file.profiles[name] };
			if (opts.url !== undefined) {
				next.url = normaliseUrl(opts.url);
			}
			if (opts.tenant !== undefined) {
				next.tenant = opts.tenant;
			}
			if (opts.user !== undefined) {
				next.username = opts.user;
			}
			if (opts.password !== undefined) {
				next.password = opts.password;
			}
			if (opts.token !== undefined) {
				next.token = opts.token;
			}
			file.profiles[name] = next;
			if (opts.default || file.default === undefined) {
				file.default = name;
			}
			writeProfileFile(path, file);
			out.result(
				{ name, default: file.default === name, path, profile: maskProfile(next) },
				`profile "${name}" saved in ${path}${file.default === name ? " (default)" : ""}`,
			);
		});

	profile
		.command("list")
		.description("list the stored profiles")
		.action((_opts, cmd) => {
			const flags = cmd.optsWithGlobals() as GlobalFlags;
			const out = outputFor(flags, io);
			const path = configPathFor(flags, io);
			const file = readProfileFile(path);
			const names = Object.keys(file.profiles).sort();
			out.result(
				{
					path,
					default: file.default ?? null,
					profiles: names.map((n) => ({ name: n, ...maskProfile(file.profiles[n] ?? {}) })),
				},
				names.length === 0
					? `no profiles in ${path}`
					: names.map((n) => {
							const p = file.profiles[n] ?? {};
							const who = p.token ? "token" : (p.username ?? "?");
							return `${n === file.default ? "*" : " "} ${n.padEnd(16)} ${p.url ?? "(default URL)"}  tenant ${p.tenant ?? "DEFAULT"}  ${who}`;
						}),
			);
		});

	profile
		.command("show")
		.description("show a profile (secrets masked)")
		.argument("[name]", "profile name (default: the default profile)")
		.action((name, _opts, cmd) => {
			const flags = cmd.optsWithGlobals() as GlobalFlags;
			const out = outputFor(flags, io);
			const path = configPathFor(flags, io);
			const file = readProfileFile(path);
			const chosen = name ?? flags.profile ?? file.default;
			const p = chosen === undefined ? undefined : file.profiles[chosen];
			if (!chosen || !p) {
				throw new CliError(
					EXIT.config,
					`no profile ${chosen ? `"${chosen}"` : "is set"} in ${path}`,
				);
			}
			const masked = maskProfile(p);
			out.result(
				{ name: chosen, default: file.default === chosen, path, profile: masked },
				Object.entries({ name: chosen, ...masked })
					.filter(([, v]) => v !== undefined)
					.map(([k, v]) => `${k.padEnd(9)} ${v}`),
			);
		});

	profile
		.command("use")
		.description("make a profile the default")
		.argument("<name>", "profile name")
		.action((name, _opts, cmd) => {
			const flags = cmd.optsWithGlobals() as GlobalFlags;
			const out = outputFor(flags, io);
			const path = configPathFor(flags, io);
			const file = readProfileFile(path);
			if (!file.profiles[name]) {
				throw new CliError(EXIT.config, `no profile "${name}" in ${path}`);
			}
			file.default = name;
			writeProfileFile(path, file);
			out.result({ default: name }, `default profile: ${name}`);
		});

	profile
		.command("remove")
		.description("delete a profile")
		.argument("<name>", "profile name")
		.action((name, _opts, cmd) => {
			const flags = cmd.optsWithGlobals() as GlobalFlags;
			const out = outputFor(flags, io);
			const path = configPathFor(flags, io);
			const file = readProfileFile(path);
			if (!file.profiles[name]) {
				throw new CliError(EXIT.config, `no profile "${name}" in ${path}`);
			}
			delete file.profiles[name];
			if (file.default === name) {
				file.default = undefined;
			}
			writeProfileFile(path, file);
			out.result({ removed: name }, `profile "${name}" removed`);
		});

	root
		.command("whoami")
		.description("check the connection: who the server says you are (GET /rest/v1/userinfo)")
		.action(async (_opts, cmd) => {
			const ctx = commandContext(cmd.optsWithGlobals() as GlobalFlags, io);
			const info = await ctx.client.get<{
				tenant?: string;
				username?: string;
				permissions?: string[];
			}>("/userinfo", { signal: ctx.signal });
			const lines = [
				`${info?.username ?? "?"} @ ${ctx.connection.url} (tenant ${info?.tenant ?? "?"})`,
				`permissions: ${(info?.permissions ?? []).join(", ")}`,
			];
			if (info?.tenant && info.tenant.toUpperCase() !== ctx.connection.tenant) {
				lines.push(
					`note: the profile's tenant is ${ctx.connection.tenant}, the credential's is ${info.tenant}; devices must use ${info.tenant}`,
				);
			}
			ctx.out.result(
				{ url: ctx.connection.url, profile: ctx.connection.profileName ?? null, ...info },
				lines,
			);
		});
}
