/**
 * `npm run bench -- <poll|cost|range|all> [options]`: Updraft's benchmarks (see BENCHMARKS.md for
 * results and the exact commands). Each prints a Markdown section on stdout and its progress on stderr.
 * Everything runs on loopback, bounded in time, and every process started here is stopped at the end.
 */
import { parseArgs } from "node:util";
import { benchCost } from "./cost";
import { benchIdlePoll } from "./poll";
import { benchRange } from "./range";

const { positionals, values } = parseArgs({
	allowPositionals: true,
	options: {
		rounds: { type: "string", default: "3" },
		duration: { type: "string", default: "5" },
		warmup: { type: "string", default: "2" },
		threads: { type: "string", default: "2" },
		connections: { type: "string", default: "16" },
		devices: { type: "string", default: "1000" },
		"cost-devices": { type: "string", default: "200" },
		"file-mib": { type: "string", default: "32" },
		"range-kib": { type: "string", default: "64,1024" },
	},
});

const which = positionals[0] ?? "all";
const num = (v: string | undefined, name: string, max: number) => {
	const n = Number(v);
	if (!Number.isInteger(n) || n < 1 || n > max) {
		throw new Error(`--${name} must be an integer from 1 to ${max}`);
	}
	return n;
};
const wrk = {
	threads: num(values.threads, "threads", 8),
	connections: num(values.connections, "connections", 256),
	durationS: num(values.duration, "duration", 60),
};

async function main(): Promise<void> {
	const out: string[] = [];
	if (which === "poll" || which === "all") {
		out.push(
			"### Idle-poll throughput",
			"",
			await benchIdlePoll({
				...wrk,
				rounds: num(values.rounds, "rounds", 10),
				devices: num(values.devices, "devices", 10_000),
				warmupS: num(values.warmup, "warmup", 30),
			}),
			"",
		);
	}
	if (which === "cost" || which === "all") {
		out.push(
			"### Cost model of a poll",
			"",
			await benchCost({ devices: num(values["cost-devices"], "cost-devices", 5_000) }),
			"",
		);
	}
	if (which === "range" || which === "all") {
		out.push(
			"### Range-download throughput",
			"",
			await benchRange({
				...wrk,
				rounds: num(values.rounds, "rounds", 10),
				warmupS: num(values.warmup, "warmup", 30),
				fileMiB: num(values["file-mib"], "file-mib", 256),
				rangeKiB: (values["range-kib"] ?? "64,1024")
					.split(",")
					.map((v) => num(v, "range-kib", 65_536)),
			}),
			"",
		);
	}
	if (out.length === 0) {
		throw new Error(`unknown benchmark ${which} (poll, cost, range, all)`);
	}
	console.log(out.join("\n"));
}

main().then(
	() => process.exit(0),
	(err) => {
		console.error(err instanceof Error ? err.stack : err);
		process.exit(1);
	},
);
