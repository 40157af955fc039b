/**
 * Child processes the harness owns: started in their own process group (so wrangler's workerd and
 * swupdate's worker processes go with them), logged to a file, and always stopped by the harness.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";

const live = new Set<Proc>();

export class Proc {
	readonly child: ChildProcess;
	private readonly log: WriteStream;
	private text = "";
	private exited: Promise<number | null>;
	exitCode: number | null | undefined;

	constructor(
		readonly label: string,
		command: string,
		args: string[],
		opts: { cwd?: string; env?: NodeJS.ProcessEnv; logFile: string },
	) {
		this.log = createWriteStream(opts.logFile, { flags: "a" });
		this.child = spawn(command, args, {
			cwd: opts.cwd,
			env: opts.env,
			detached: true,
			stdio: ["ignore", "pipe", "pipe"],
		});
		const take = (chunk: Buffer) => {
			this.log.write(chunk);
			// Keep the newest 4 MiB for waits and diagnostics; swupdate -v is chatty.
			this.text = (this.text + chunk.toString("utf8")).slice(-4 * 1024 * 1024);
		};
		this.child.stdout?.on("data", take);
		this.child.stderr?.on("data", take);
		this.exited = new Promise((resolve) => {
			this.child.on("exit", (code, signal) => {
				this.exitCode = code ?? (signal ? -1 : null);
				live.delete(this);
				resolve(this.exitCode);
			});
			this.child.on("error", (err) => {
				take(Buffer.from(`\n[harness] could not start ${command}: ${err.message}\n`));
				this.exitCode = -1;
				live.delete(this);
				resolve(-1);
			});
		});
		live.add(this);
	}

	get output(): string {
		return this.text;
	}

	get running(): boolean {
		return this.exitCode === undefined;
	}

	/** Resolves once `pattern` has appeared in the output; rejects on exit or timeout. */
	async waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const m = this.text.match(pattern);
			if (m) {
				return m;
			}
			if (!this.running) {
				throw new Error(`${this.label} exited (code ${this.exitCode}) before printing ${pattern}`);
			}
			if (Date.now() > deadline) {
				throw new Error(`${this.label} did not print ${pattern} within ${timeoutMs / 1000} s`);
			}
			await sleep(200);
		}
	}

	/** SIGTERM to the whole process group, SIGKILL after `graceMs`. */
	async stop(graceMs = 5000): Promise<void> {
		if (!this.running) {
			this.log.end();
			return;
		}
		this.signal("SIGTERM");
		const killed = await Promise.race([
			this.exited.then(() => true),
			sleep(graceMs).then(() => false),
		]);
		if (!killed) {
			this.signal("SIGKILL");
			await Promise.race([this.exited, sleep(2000)]);
		}
		// The group leader may be gone while workers of the group still live.
		this.signal("SIGKILL");
		for (let i = 0; i < 30 && this.groupAlive(); i++) {
			await sleep(100);
		}
		this.log.end();
	}

	private groupAlive(): boolean {
		const pid = this.child.pid;
		if (pid === undefined) {
			return false;
		}
		try {
			process.kill(-pid, 0);
			return true;
		} catch {
			return false;
		}
	}

	private signal(sig: NodeJS.Signals) {
		const pid = this.child.pid;
		if (pid === undefined) {
			return;
		}
		try {
			process.kill(-pid, sig);
		} catch {
			// the group is already gone
		}
	}
}

/** Last resort on an unexpected exit: kill every process group this harness started. */
export function killAllSync() {
	for (const p of live) {
		const pid = p.child.pid;
		if (pid !== undefined) {
			try {
				process.kill(-pid, "SIGKILL");
			} catch {
				// already gone
			}
		}
	}
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** An error that ends a wait at once instead of being retried (e.g. the device client died). */
export class Fatal extends Error {}

/** Runs `step` until it returns a value other than undefined, or throws a timeout naming `what`. */
export async function waitUntil<T>(
	what: string,
	timeoutMs: number,
	step: () => Promise<T | undefined>,
	intervalMs = 1000,
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let lastError: unknown;
	for (;;) {
		try {
			const v = await step();
			if (v !== undefined) {
				return v;
			}
		} catch (err) {
			if (err instanceof Fatal) {
				throw err;
			}
			lastError = err;
		}
		if (Date.now() > deadline) {
			const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
			throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${why}`);
		}
		await sleep(intervalMs);
	}
}
