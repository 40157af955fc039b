/**
 * Runs the release CLI the way a user does (`scripts/cli/bin.mjs`, what `npx updraft` starts) in a
 * child process with its own profile file and upload-state directory, and collects its output.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "./updraft-server";

export type CliRun = {
	code: number | null;
	stdout: string;
	stderr: string;
	/** stdout parsed as JSON (with --json), else undefined. */
	json: unknown;
	/** The `{"error": …}` line on stderr (with --json), else undefined. */
	error: Record<string, unknown> | undefined;
};

export type CliEnv = { configFile: string; stateDir: string; extra?: NodeJS.ProcessEnv };

export function cliEnv(workDir: string): CliEnv {
	return { configFile: join(workDir, "profiles.json"), stateDir: join(workDir, "upload-state") };
}

export function spawnCli(args: string[], env: CliEnv): ChildProcess {
	return spawn(process.execPath, [join(REPO_ROOT, "scripts/cli/bin.mjs"), ...args], {
		cwd: REPO_ROOT,
		stdio: ["ignore", "pipe", "pipe"],
		env: {
			PATH: process.env.PATH,
			HOME: process.env.HOME,
			UPDRAFT_CONFIG: env.configFile,
			UPDRAFT_UPLOAD_STATE_DIR: env.stateDir,
			...env.extra,
		},
	});
}

export async function runCli(args: string[], env: CliEnv, timeoutMs = 120_000): Promise<CliRun> {
	const child = spawnCli(args, env);
	let stdout = "";
	let stderr = "";
	child.stdout?.on("data", (b: Buffer) => {
		stdout += b.toString("utf8");
	});
	child.stderr?.on("data", (b: Buffer) => {
		stderr += b.toString("utf8");
	});
	const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
	const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
	clearTimeout(timer);
	let json: unknown;
	try {
		json = stdout.trim() ? JSON.parse(stdout) : undefined;
	} catch {
		json = undefined;
	}
	let error: Record<string, unknown> | undefined;
	for (const line of stderr.split("\n")) {
		if (line.startsWith('{"error"')) {
			error = (JSON.parse(line) as { error: Record<string, unknown> }).error;
		}
	}
	return { code, stdout, stderr, json, error };
}

/** Fails with everything the CLI printed when it did not exit with `expected`. */
export function expectExit(run: CliRun, expected: number, what: string): void {
	if (run.code !== expected) {
		throw new Error(
			`${what}: exit ${run.code}, expected ${expected}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`,
		);
	}
}
