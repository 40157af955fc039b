/**
 * Where the CLI writes: results to stdout (human text, or one JSON document with --json), progress
 * bars and notes to stderr. Bars are drawn only on a terminal, so pipes and CI logs stay clean.
 */
import cliProgress from "cli-progress";
import { formatBytes } from "./units";

export type OutputOptions = {
	json: boolean;
	/** false with --no-progress. */
	progress: boolean;
	stdout?: NodeJS.WriteStream;
	stderr?: NodeJS.WriteStream;
};

/** A byte counter with a bar on terminals; a no-op elsewhere. */
export type ByteProgress = { update(bytes: number): void; stop(): void };

export class Output {
	readonly json: boolean;
	readonly #progress: boolean;
	readonly stdout: NodeJS.WriteStream;
	readonly stderr: NodeJS.WriteStream;

	constructor(opts: OutputOptions) {
		this.json = opts.json;
		this.#progress = opts.progress;
		this.stdout = opts.stdout ?? process.stdout;
		this.stderr = opts.stderr ?? process.stderr;
	}

	/** Bars only make sense for a person at a terminal. */
	get bars(): boolean {
		return this.#progress && !this.json && this.stderr.isTTY === true;
	}

	/** A progress note for people (stderr); silent with --json. */
	note(message: string): void {
		if (!this.json) {
			this.stderr.write(`${message}\n`);
		}
	}

	/** The command's result: `data` as JSON with --json, else the human lines. */
	result(data: unknown, human: string | string[]): void {
		if (this.json) {
			this.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
		} else {
			const lines = Array.isArray(human) ? human : [human];
			this.stdout.write(`${lines.join("\n")}\n`);
		}
	}

	byteBar(label: string, total: number): ByteProgress {
		if (!this.bars) {
			return { update() {}, stop() {} };
		}
		const started = Date.now();
		const bar = new cliProgress.SingleBar(
			{
				stream: this.stderr,
				format: `${label.padEnd(10)} {bar} {percentage}% | {done}/{size} | {speed} | ETA {eta_formatted}`,
				hideCursor: true,
				barsize: 30,
				fps: 10,
			},
			cliProgress.Presets.shades_classic,
		);
		const payload = (bytes: number) => ({
			done: formatBytes(bytes),
			size: formatBytes(total),
			speed: `${formatBytes(bytes / Math.max((Date.now() - started) / 1000, 0.001))}/s`,
		});
		bar.start(total, 0, payload(0));
		return {
			update(bytes: number) {
				bar.update(bytes, payload(bytes));
			},
			stop() {
				bar.stop();
			},
		};
	}
}
