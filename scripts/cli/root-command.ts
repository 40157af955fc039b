/**
 * The `updraft` root command with its global options, and the per-invocation context (output,
 * resolved connection, API client) every sub-command builds from them.
 */
import { Command } from "@commander-js/extra-typings";
import { CliError, EXIT } from "./exit-codes";
import { MgmtClient } from "./mgmt-client";
import { Output } from "./output";
import { type Connection, profileFilePath, readProfileFile, resolveConnection } from "./profile";
import { parseDuration } from "./units";

export const CLI_VERSION = "0.1.0";

export type CliIo = {
	stdout: NodeJS.WriteStream;
	stderr: NodeJS.WriteStream;
	env: NodeJS.ProcessEnv;
	/** Aborted on SIGINT/SIGTERM. */
	signal: AbortSignal;
};

export function createRoot(io: CliIo) {
	return (
		new Command()
			.name("updraft")
			.description(
				"Release tool for Updraft (and any hawkBit server): push artifacts, create distribution sets, assign, run rollouts",
			)
			// Only -V: a root `--version` would swallow `push --version` (commander parses global options anywhere).
			.version(CLI_VERSION, "-V", "print the CLI version")
			.option("--profile <name>", "connection profile from the profile file (env UPDRAFT_PROFILE)")
			.option("--url <url>", "server base URL (overrides the profile; env UPDRAFT_URL)")
			.option("--tenant <tenant>", "tenant for device URLs (env UPDRAFT_TENANT)")
			.option("-u, --user <name>", "Management API user (env UPDRAFT_USER)")
			.option("-p, --password <password>", "password of --user (env UPDRAFT_PASSWORD)")
			.option("--token <token>", "API token, sent as Bearer (env UPDRAFT_TOKEN)")
			.option("--config <file>", "profile file (env UPDRAFT_CONFIG)")
			.option("--json", "print the result as one JSON document on stdout", false)
			.option("--no-progress", "no progress bars")
			.option("--timeout <duration>", "timeout of one HTTP request", "60s")
			.showHelpAfterError("(add --help for usage)")
			.exitOverride()
			.configureOutput({
				writeOut: (s) => io.stdout.write(s),
				writeErr: (s) => io.stderr.write(s),
			})
	);
}

export type Root = ReturnType<typeof createRoot>;

/** The global flags as every sub-command sees them via optsWithGlobals(). */
export type GlobalFlags = ReturnType<Root["opts"]>;

export type CommandContext = {
	out: Output;
	connection: Connection;
	client: MgmtClient;
	signal: AbortSignal;
	configPath: string;
};

export function outputFor(flags: GlobalFlags, io: CliIo): Output {
	return new Output({
		json: flags.json === true,
		progress: flags.progress !== false,
		stdout: io.stdout,
		stderr: io.stderr,
	});
}

export function configPathFor(flags: GlobalFlags, io: CliIo): string {
	return flags.config ?? profileFilePath(io.env);
}

/** Resolves profile + flags + env into a client; throws a config error when that is impossible. */
export function commandContext(flags: GlobalFlags, io: CliIo): CommandContext {
	const configPath = configPathFor(flags, io);
	const connection = resolveConnection(
		{
			profile: flags.profile,
			url: flags.url,
			tenant: flags.tenant,
			user: flags.user,
			password: flags.password,
			token: flags.token,
		},
		readProfileFile(configPath),
		io.env,
	);
	let timeoutMs: number;
	try {
		timeoutMs = parseDuration(flags.timeout);
	} catch (err) {
		throw new CliError(EXIT.usage, (err as Error).message);
	}
	return {
		out: outputFor(flags, io),
		connection,
		client: new MgmtClient(connection, timeoutMs),
		signal: io.signal,
		configPath,
	};
}

/** Parses an option value, turning a parse failure into a usage error that names the option. */
export function parseOption<T>(name: string, value: string, parse: (v: string) => T): T {
	try {
		return parse(value);
	} catch (err) {
		throw new CliError(EXIT.usage, `${name}: ${(err as Error).message}`);
	}
}

export function parsePercent(v: string): number {
	const n = Number(v);
	if (!Number.isInteger(n) || n < 0 || n > 100) {
		throw new Error(`"${v}" is not a whole percentage 0-100`);
	}
	return n;
}

export function parsePositiveInt(v: string): number {
	const n = Number(v);
	if (!Number.isInteger(n) || n < 1) {
		throw new Error(`"${v}" is not a positive whole number`);
	}
	return n;
}

/** hawkBit's action weight, 0–1000. */
export function parseWeight(v: string): number {
	const n = Number(v);
	if (!Number.isInteger(n) || n < 0 || n > 1000) {
		throw new Error(`"${v}" is not a whole number 0-1000`);
	}
	return n;
}

/** Epoch milliseconds, or an ISO-8601 date-time. */
export function parseTimestamp(v: string): number {
	if (/^\d+$/.test(v)) {
		return Number(v);
	}
	const t = Date.parse(v);
	if (Number.isNaN(t)) {
		throw new Error(`"${v}" is neither epoch milliseconds nor an ISO date-time`);
	}
	return t;
}
