/**
 * `npm run simulate -- …`: the device simulator as a command (docs/simulator.md). Takes the
 * server URL and tenant from the release CLI's profile unless given, optionally prepares the tenant
 * (`--setup`), shows live counters on a terminal and prints a summary (JSON with --json).
 */
import { Command, Option } from "@commander-js/extra-typings";
import cliProgress from "cli-progress";
import { CliError, EXIT } from "../cli/exit-codes";
import { MgmtClient } from "../cli/mgmt-client";
import {
	DEFAULT_TENANT,
	DEFAULT_URL,
	normaliseUrl,
	profileFilePath,
	readProfileFile,
	resolveConnection,
} from "../cli/profile";
import { formatBytes, parseDuration } from "../cli/units";
import {
	type DeviceAuth,
	deviceIds,
	type SimulationProgress,
	type SimulationSummary,
	simulate,
} from "./index";
import { enableGatewayToken, ensureTargetsWithTokens, randomGatewayToken } from "./tenant-setup";

function program() {
	return new Command()
		.name("simulate")
		.description("N virtual devices speaking hawkBit's DDI API to Updraft")
		.option("--profile <name>", "release CLI profile for URL, tenant (and credentials for --setup)")
		.option("--url <url>", "server base URL (default: the profile's, else http://127.0.0.1:8080)")
		.option("--tenant <tenant>", "tenant (default: the profile's, else DEFAULT)")
		.option("-u, --user <name>", "Management API user, for --setup")
		.option("-p, --password <password>", "password, for --setup")
		.option("--token <token>", "Management API token, for --setup")
		.option("-n, --count <n>", "number of devices", "10")
		.option("--prefix <prefix>", "controller id prefix (ids are prefix001, prefix002, …)", "sim-")
		.option("--start-index <n>", "first device number", "1")
		.addOption(
			new Option("--auth <kind>", "device authentication")
				.choices(["gateway", "target"] as const)
				.default("gateway" as const),
		)
		.option("--gateway-token <token>", "gateway token (env UPDRAFT_GATEWAY_TOKEN)")
		.option(
			"--setup",
			"prepare the tenant through the Management API: enable the auth method (and its key), create targets for --auth target",
		)
		.option(
			"--poll-interval <duration>",
			"fixed poll interval (default: the server's config.polling.sleep)",
		)
		.option("--duration <duration>", "stop after this long", "5m")
		.option(
			"--updates <n>",
			"each device stops after this many finished updates; the run ends when all have",
		)
		.option("--failure-rate <ratio>", "share of installations that fail (0..1)", "0")
		.option(
			"--install-time <duration[-duration]>",
			"time from downloaded to closed, e.g. 2s or 1s-5s",
			"0s",
		)
		.option(
			"--interrupt-rate <ratio>",
			"share of downloads cut off once and resumed with Range (0..1)",
			"0",
		)
		.option("--concurrency <n>", "requests in flight across all devices", "64")
		.option("--seed <n>", "seed for reproducible failure choices")
		.option("--allow-remote", "allow a non-loopback server URL")
		.option("--json", "print the summary as JSON")
		.option("--devices", "with --json: include one report per device")
		.option("--no-progress", "no live counters")
		.exitOverride();
}

type Flags = ReturnType<ReturnType<typeof program>["opts"]>;

export async function runSimulatorCli(argv: string[], signal: AbortSignal): Promise<number> {
	const cmd = program();
	try {
		cmd.parse(argv, { from: "user" });
	} catch (err) {
		const code = (err as { exitCode?: number; code?: string }).code;
		return code === "commander.helpDisplayed" || code === "commander.help" ? 0 : EXIT.usage;
	}
	const flags = cmd.opts();
	try {
		const summary = await run(flags, signal);
		if (flags.json) {
			process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
		} else {
			process.stdout.write(`${describeSummary(summary).join("\n")}\n`);
		}
		return summary.downloads.hashMismatches > 0 ? EXIT.integrity : EXIT.ok;
	} catch (err) {
		const code =
			err instanceof CliError
				? err.exitCode
				: err instanceof RangeError
					? EXIT.usage
					: EXIT.internal;
		process.stderr.write(`simulate: ${err instanceof Error ? err.message : String(err)}\n`);
		return code;
	}
}

async function run(flags: Flags, signal: AbortSignal): Promise<SimulationSummary> {
	const num = (name: string, v: string, min: number, max: number) => {
		const n = Number(v);
		if (!Number.isFinite(n) || n < min || n > max) {
			throw new CliError(EXIT.usage, `${name}: "${v}" is not a number in ${min}..${max}`);
		}
		return n;
	};
	const dur = (name: string, v: string) => {
		try {
			return parseDuration(v);
		} catch (err) {
			throw new CliError(EXIT.usage, `${name}: ${(err as Error).message}`);
		}
	};
	const file = readProfileFile(profileFilePath());
	const profile =
		file.profiles[flags.profile ?? process.env.UPDRAFT_PROFILE ?? file.default ?? ""] ?? {};
	const url = normaliseUrl(flags.url ?? process.env.UPDRAFT_URL ?? profile.url ?? DEFAULT_URL);
	const tenant = (
		flags.tenant ??
		process.env.UPDRAFT_TENANT ??
		profile.tenant ??
		DEFAULT_TENANT
	).toUpperCase();
	const count = num("--count", flags.count, 1, 100_000);
	const ids = deviceIds(flags.prefix, count, num("--start-index", flags.startIndex, 0, 1e9));
	const [minInstall, maxInstall = minInstall] = flags.installTime
		.split("-")
		.map((p) => dur("--install-time", p));

	let auth: DeviceAuth;
	const mgmt = () =>
		new MgmtClient(
			resolveConnection(
				{
					profile: flags.profile,
					url,
					tenant,
					user: flags.user,
					password: flags.password,
					token: flags.token,
				},
				file,
			),
		);
	if (flags.auth === "gateway") {
		let token = flags.gatewayToken ?? process.env.UPDRAFT_GATEWAY_TOKEN;
		if (flags.setup) {
			token ??= randomGatewayToken();
			await enableGatewayToken(mgmt(), token);
			note(flags, `gateway-token authentication enabled for tenant ${tenant}`);
		}
		if (!token) {
			throw new CliError(
				EXIT.usage,
				"give --gateway-token (or --setup to configure one), or use --auth target --setup",
			);
		}
		auth = { kind: "gateway", token };
	} else {
		if (!flags.setup) {
			throw new CliError(
				EXIT.usage,
				"--auth target needs --setup (the targets and their tokens are created through the Management API)",
			);
		}
		note(flags, `creating/reading ${ids.length} targets …`);
		auth = { kind: "target", tokens: await ensureTargetsWithTokens(mgmt(), ids) };
	}

	const live = liveView(flags, ids.length);
	try {
		return await simulate({
			url,
			tenant,
			controllerIds: ids,
			auth,
			pollIntervalMs: flags.pollInterval ? dur("--poll-interval", flags.pollInterval) : undefined,
			durationMs: dur("--duration", flags.duration),
			updatesPerDevice: flags.updates ? num("--updates", flags.updates, 1, 1e6) : undefined,
			failureRate: num("--failure-rate", flags.failureRate, 0, 1),
			installDelayMs: [minInstall ?? 0, maxInstall ?? 0],
			downloadInterruptRate: num("--interrupt-rate", flags.interruptRate, 0, 1),
			maxConcurrentRequests: num("--concurrency", flags.concurrency, 1, 10_000),
			seed: flags.seed ? num("--seed", flags.seed, 0, 2 ** 32) : undefined,
			allowRemote: flags.allowRemote === true,
			includeDevices: flags.devices === true,
			onEvent: (_e, p) => live.update(p),
			signal,
		});
	} finally {
		live.stop();
	}
}

function note(flags: Flags, message: string): void {
	if (!flags.json) {
		process.stderr.write(`${message}\n`);
	}
}

/** Live counters: a bar on a terminal, a line every 10 s elsewhere, nothing with --json. */
function liveView(
	flags: Flags,
	devices: number,
): { update(p: SimulationProgress): void; stop(): void } {
	if (flags.json || flags.progress === false) {
		return { update() {}, stop() {} };
	}
	const text = (p: SimulationProgress) =>
		`${p.registered}/${devices} registered | ${p.succeeded} updated, ${p.failed + p.downloadFailed} failed, ${p.canceled} canceled | ${p.errors} errors`;
	if (!process.stderr.isTTY) {
		let last: SimulationProgress | undefined;
		const timer = setInterval(() => {
			if (last) {
				process.stderr.write(`${text(last)}\n`);
			}
		}, 10_000);
		return {
			update(p) {
				last = p;
			},
			stop() {
				clearInterval(timer);
			},
		};
	}
	const bar = new cliProgress.SingleBar(
		{
			stream: process.stderr,
			format: "devices {bar} {value}/{total} updated | {text}",
			hideCursor: true,
			barsize: 30,
			fps: 5,
		},
		cliProgress.Presets.shades_classic,
	);
	bar.start(devices, 0, { text: "starting" });
	return {
		update(p) {
			bar.update(Math.min(devices, p.succeeded + p.failed + p.downloadFailed + p.downloadOnly), {
				text: text(p),
			});
		},
		stop() {
			bar.stop();
		},
	};
}

export function describeSummary(s: SimulationSummary): string[] {
	const a = s.actions;
	const lines = [
		`${s.devices} devices against ${s.url} (tenant ${s.tenant}) for ${(s.durationMs / 1000).toFixed(1)} s, stopped by ${s.stoppedBy}`,
		`registered ${s.registered}; updates: ${a.started} started, ${a.succeeded} succeeded, ${a.failed} failed, ${a.downloadFailed} download failures, ${a.downloadOnly} download-only, ${a.canceled} canceled${a.confirmed ? `, ${a.confirmed} confirmed` : ""}`,
		`downloads: ${s.downloads.artifacts} artifacts, ${formatBytes(s.downloads.bytes)}, ${s.downloads.resumes} resumed, ${s.downloads.hashMismatches} hash mismatches`,
		`requests: ${s.requests.total} (${s.requests.perSecond}/s), ${s.requests.polls} polls (${s.requests.notModified} not modified), ${s.requests.networkErrors} network errors; statuses ${Object.entries(
			s.requests.byStatus,
		)
			.map(([k, v]) => `${k}:${v}`)
			.join(" ")}`,
	];
	if (s.pollLatencyMs) {
		const l = s.pollLatencyMs;
		lines.push(`poll latency ms: p50 ${l.p50}, p95 ${l.p95}, p99 ${l.p99}, max ${l.max}`);
	}
	if (s.errors > 0) {
		lines.push(`${s.errors} errors, e.g.: ${s.errorSamples.slice(0, 3).join(" | ")}`);
	}
	return lines;
}

// This module is the command's entry point (`tsx scripts/simulator/main.ts`); the library is ./index.ts.
{
	const controller = new AbortController();
	for (const sig of ["SIGINT", "SIGTERM"] as const) {
		process.on(sig, () => {
			if (controller.signal.aborted) {
				process.exit(130);
			}
			controller.abort(new Error(sig));
		});
	}
	const code = await runSimulatorCli(process.argv.slice(2), controller.signal);
	process.stdout.write("", () => process.exit(code));
}
