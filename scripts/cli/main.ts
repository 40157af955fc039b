/**
 * Entry point of the `updraft` release CLI (docs/cli.md). `runCli` parses, runs one command and
 * returns the exit code; errors are printed here once, as text or (with --json) as JSON on stderr.
 */
import { CommanderError } from "@commander-js/extra-typings";
import { registerAssignCommand } from "./commands/assign";
import { registerDsCommands } from "./commands/ds";
import { registerProfileCommands } from "./commands/profile";
import { registerPushCommand } from "./commands/push";
import { registerRolloutCommands } from "./commands/rollout";
import { CliError, EXIT } from "./exit-codes";
import { ApiError } from "./mgmt-client";
import { CLI_VERSION, type CliIo, createRoot } from "./root-command";

export async function runCli(argv: string[], io: CliIo): Promise<number> {
	const root = createRoot(io);
	registerProfileCommands(root, io);
	registerPushCommand(root, io);
	registerDsCommands(root, io);
	registerAssignCommand(root, io);
	registerRolloutCommands(root, io);
	root
		.command("version")
		.description("print the CLI version")
		.action(() => {
			io.stdout.write(`${CLI_VERSION}\n`);
		});
	try {
		await root.parseAsync(argv, { from: "user" });
		return EXIT.ok;
	} catch (err) {
		return reportError(err, argv.includes("--json"), io);
	}
}

function reportError(err: unknown, json: boolean, io: CliIo): number {
	if (err instanceof CommanderError) {
		// Help and version "errors" are normal exits; commander already printed the usage problem.
		if (
			err.code === "commander.helpDisplayed" ||
			err.code === "commander.help" ||
			err.code === "commander.version" ||
			err.exitCode === 0
		) {
			return EXIT.ok;
		}
		return EXIT.usage;
	}
	if (io.signal.aborted) {
		io.stderr.write("updraft: interrupted\n");
		return EXIT.interrupted;
	}
	let code: number = EXIT.internal;
	let message: string;
	let detail: Record<string, unknown> | undefined;
	if (err instanceof CliError) {
		code = err.exitCode;
		message = err.message;
		detail = err.detail;
	} else {
		message = err instanceof Error ? (err.stack ?? err.message) : String(err);
	}
	if (json) {
		const serverMessage = err instanceof ApiError ? err.serverMessage : undefined;
		const body = { ...detail, exitCode: code, message: serverMessage ?? message };
		io.stderr.write(`${JSON.stringify({ error: body })}\n`);
	} else {
		io.stderr.write(`updraft: ${message}\n`);
	}
	return code;
}
