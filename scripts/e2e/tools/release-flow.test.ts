/**
 * The release tools against a real Updraft (`npm start` on a loopback port, temp state): push
 * artifacts with the CLI (one-request and resumable, including a resumed broken upload), create a
 * distribution set, let 20 simulated devices register, create + start + watch a rollout with the
 * CLI until it finishes, and check every outcome through the Management API. Then direct and
 * filter assignment, and the CLI's error reporting and exit codes.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { EXIT } from "../../cli/exit-codes";
import { MgmtClient } from "../../cli/mgmt-client";
import { type SimulationProgress, type SimulationSummary, simulate } from "../../simulator/index";
import { ensureTargetsWithTokens } from "../../simulator/tenant-setup";
import { type CliEnv, cliEnv, expectExit, runCli, spawnCli } from "./run-cli";
import { freePort, REPO_ROOT, startUpdraft, type UpdraftServer } from "./updraft-server";

const DEVICES = 20;
const GATEWAY_TOKEN = "tools-e2e-gateway-token";

let server: UpdraftServer;
let env: CliEnv;

/** Management API call for assertions (independent of the CLI's own client). */
async function api<T = unknown>(
	method: string,
	path: string,
	body?: unknown,
): Promise<{ status: number; body: T }> {
	const res = await fetch(`${server.url}/rest/v1${path}`, {
		method,
		headers: {
			Authorization: `Basic ${Buffer.from(`${server.adminUser}:${server.adminPassword}`).toString("base64")}`,
			Accept: "application/json",
			...(body === undefined ? {} : { "Content-Type": "application/json" }),
		},
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await res.text();
	return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

function localHashes(bytes: Buffer) {
	return {
		md5: createHash("md5").update(bytes).digest("hex"),
		sha1: createHash("sha1").update(bytes).digest("hex"),
		sha256: createHash("sha256").update(bytes).digest("hex"),
	};
}

function writeRandomFile(name: string, size: number): { path: string; bytes: Buffer } {
	const bytes = randomBytes(size);
	const path = join(server.workDir, name);
	writeFileSync(path, bytes);
	return { path, bytes };
}

async function waitFor<T>(
	what: string,
	timeoutMs: number,
	probe: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const v = await probe();
		if (v !== undefined) {
			return v;
		}
		if (Date.now() > deadline) {
			throw new Error(`timed out waiting for ${what}`);
		}
		await new Promise((r) => setTimeout(r, 250));
	}
}

type PushJson = {
	softwareModule: { id: number; created: boolean; type: string };
	artifact: {
		id: number;
		size: number;
		hashes: Record<string, string>;
		uploaded: boolean;
		method: string;
		parts?: number;
		resumedParts?: number;
	};
	verified: boolean;
};

describe("release CLI and device simulator against a real Updraft", {
	timeout: 15 * 60_000,
}, () => {
	let firmware: { path: string; bytes: Buffer };
	let dsId: number;

	before(async () => {
		server = await startUpdraft();
		env = cliEnv(server.workDir);
		const set = await runCli(
			[
				"profile",
				"set",
				"e2e",
				"--url",
				server.url,
				"--user",
				server.adminUser,
				"--password",
				server.adminPassword,
				"--default",
			],
			env,
		);
		expectExit(set, 0, "profile set");
	});

	after(async () => {
		await server?.stop();
	});

	it("whoami checks the stored profile against the server", async () => {
		const run = await runCli(["whoami", "--json"], env);
		expectExit(run, 0, "whoami");
		assert.equal((run.json as { username: string }).username, server.adminUser);
		assert.equal((run.json as { tenant: string }).tenant, "DEFAULT");
	});

	it("push creates the software module, uploads in one request and verifies the server's hashes", async () => {
		firmware = writeRandomFile("tools-fw.bin", 2 * 1024 * 1024 + 123);
		const run = await runCli(
			["push", firmware.path, "--name", "tools-fw", "--version", "1.0.0", "--json"],
			env,
		);
		expectExit(run, 0, "push");
		const out = run.json as PushJson;
		assert.equal(out.softwareModule.created, true);
		assert.equal(out.softwareModule.type, "os");
		assert.equal(out.artifact.method, "form");
		assert.equal(out.artifact.size, firmware.bytes.length);
		assert.deepEqual(
			{
				md5: out.artifact.hashes.md5,
				sha1: out.artifact.hashes.sha1,
				sha256: out.artifact.hashes.sha256,
			},
			localHashes(firmware.bytes),
		);
		const listed = await api<
			{ providedFilename: string; size: number; hashes: { sha1: string } }[]
		>("GET", `/softwaremodules/${out.softwareModule.id}/artifacts`);
		assert.equal(listed.status, 200);
		assert.equal(listed.body.length, 1);
		assert.equal(listed.body[0]?.providedFilename, "tools-fw.bin");
		assert.equal(listed.body[0]?.hashes.sha1, localHashes(firmware.bytes).sha1);

		const again = await runCli(
			["push", firmware.path, "--name", "tools-fw", "--version", "1.0.0", "--json"],
			env,
		);
		expectExit(again, 0, "push again");
		const second = again.json as PushJson;
		assert.equal(second.softwareModule.id, out.softwareModule.id);
		assert.equal(second.softwareModule.created, false);
		assert.equal(second.artifact.uploaded, false);
		assert.equal(second.artifact.id, out.artifact.id);
	});

	it("push refuses other content under an existing module and filename (exit 6)", async () => {
		const other = join(server.workDir, "other");
		mkdirSync(other, { recursive: true });
		writeFileSync(join(other, "tools-fw.bin"), randomBytes(1000));
		const run = await runCli(
			["push", join(other, "tools-fw.bin"), "--name", "tools-fw", "--version", "1.0.0", "--json"],
			env,
		);
		expectExit(run, EXIT.rejected, "push of different content");
		assert.match(String(run.error?.message), /already has a different tools-fw\.bin/);
	});

	it("push sends big files as a resumable upload and resumes a broken one", async () => {
		const big = writeRandomFile("tools-big.img", 21 * 1024 * 1024 + 7);
		const args = [
			"push",
			big.path,
			"--name",
			"tools-big",
			"--version",
			"1.0.0",
			"--type",
			"application",
			"--multipart-threshold",
			"1MiB",
			"--part-size",
			"5MiB",
			"--parallel",
			"1",
			"--json",
		];
		// Break the first run once a part is on the server, as a lost connection or ^C would.
		const first = spawnCli(args, env);
		const firstExit = new Promise<number | null>((resolve) => first.on("close", (c) => resolve(c)));
		await waitFor("a finished part in the upload state", 120_000, () => {
			if (!existsSync(env.stateDir)) {
				return undefined;
			}
			for (const f of readdirSync(env.stateDir)) {
				const state = JSON.parse(readFileSync(join(env.stateDir, f), "utf8")) as {
					parts: Record<string, string>;
				};
				if (Object.keys(state.parts).length >= 1) {
					return true;
				}
			}
			return undefined;
		});
		first.kill("SIGKILL");
		assert.notEqual(await firstExit, 0);

		const run = await runCli(args, env, 300_000);
		expectExit(run, 0, "resumed push");
		const out = run.json as PushJson;
		assert.equal(out.artifact.method, "resumable");
		assert.equal(out.artifact.parts, 5);
		assert.ok((out.artifact.resumedParts ?? 0) >= 1, `resumed parts: ${out.artifact.resumedParts}`);
		assert.deepEqual(
			{
				md5: out.artifact.hashes.md5,
				sha1: out.artifact.hashes.sha1,
				sha256: out.artifact.hashes.sha256,
			},
			localHashes(big.bytes),
		);
		assert.deepEqual(readdirSync(env.stateDir), [], "the upload state is removed after success");
	});

	it("ds create bundles modules named name:version", async () => {
		const run = await runCli(
			["ds", "create", "-n", "tools-ds", "-v", "1.0.0", "-m", "tools-fw:1.0.0", "--json"],
			env,
		);
		expectExit(run, 0, "ds create");
		const ds = run.json as {
			id: number;
			complete: boolean;
			modules: { name: string }[];
			created: boolean;
		};
		assert.equal(ds.created, true);
		assert.equal(ds.complete, true);
		assert.deepEqual(
			ds.modules.map((m) => m.name),
			["tools-fw"],
		);
		dsId = ds.id;
		const fetched = await api<{ name: string; version: string }>(
			"GET",
			`/distributionsets/${dsId}`,
		);
		assert.equal(fetched.status, 200);
		assert.equal(fetched.body.name, "tools-ds");

		const reuse = await runCli(
			[
				"ds",
				"create",
				"-n",
				"tools-ds",
				"-v",
				"1.0.0",
				"-m",
				"tools-fw:1.0.0",
				"--reuse",
				"--json",
			],
			env,
		);
		expectExit(reuse, 0, "ds create --reuse");
		assert.equal((reuse.json as { id: number }).id, dsId);
		const dup = await runCli(
			["ds", "create", "-n", "tools-ds", "-v", "1.0.0", "-m", "tools-fw:1.0.0"],
			env,
		);
		expectExit(dup, EXIT.rejected, "duplicate ds create");
	});

	it(`${DEVICES} simulated devices update through a rollout the CLI creates, starts and watches`, async () => {
		const configs = await api("PUT", "/system/configs", {
			"authentication.gatewaytoken.enabled": true,
			"authentication.gatewaytoken.key": GATEWAY_TOKEN,
		});
		assert.equal(configs.status, 204);

		const stop = new AbortController();
		let progress: SimulationProgress | undefined;
		const simulation: Promise<SimulationSummary> = simulate({
			url: server.url,
			tenant: "DEFAULT",
			prefix: "tools-",
			count: DEVICES,
			auth: { kind: "gateway", token: GATEWAY_TOKEN },
			pollIntervalMs: 1000,
			rampUpMs: 1000,
			durationMs: 8 * 60_000,
			downloadInterruptRate: 0.5,
			installDelayMs: [0, 300],
			seed: 7,
			onEvent: (_e, p) => {
				progress = p;
			},
			signal: stop.signal,
		});
		let summary: SimulationSummary | undefined;
		try {
			await waitFor("all devices registered", 90_000, () =>
				progress?.registered === DEVICES ? true : undefined,
			);
			const targets = await api<{ total: number }>(
				"GET",
				"/targets?q=controllerid%3D%3Dtools-*&limit=1",
			);
			assert.equal(targets.body.total, DEVICES);

			const run = await runCli(
				[
					"rollout",
					"create",
					"-n",
					"tools-rollout",
					"--ds",
					"tools-ds:1.0.0",
					"--filter",
					"controllerid==tools-*",
					"--groups",
					"4",
					"--start",
					"--watch",
					"--interval",
					"1s",
					"--watch-timeout",
					"6m",
					"--json",
				],
				env,
				7 * 60_000,
			);
			expectExit(run, 0, "rollout create --start --watch");
			const watched = run.json as {
				id: number;
				status: string;
				outcome: string;
				totalTargets: number;
				totalTargetsPerStatus: Record<string, number>;
				groups: { status: string; totalTargets: number }[];
			};
			assert.equal(watched.outcome, "success");
			assert.equal(watched.status, "finished");
			assert.equal(watched.totalTargets, DEVICES);
			assert.equal(watched.totalTargetsPerStatus.finished, DEVICES);
			assert.equal(watched.groups.length, 4);

			// The server agrees, group by group and target by target.
			const rollout = await api<{ status: string; totalTargetsPerStatus: Record<string, number> }>(
				"GET",
				`/rollouts/${watched.id}`,
			);
			assert.equal(rollout.body.status, "finished");
			assert.equal(rollout.body.totalTargetsPerStatus.finished, DEVICES);
			assert.equal(rollout.body.totalTargetsPerStatus.error, 0);
			const groups = await api<{ content: { status: string; totalTargets: number }[] }>(
				"GET",
				`/rollouts/${watched.id}/deploygroups?limit=50`,
			);
			assert.deepEqual(
				groups.body.content.map((g) => g.status),
				["finished", "finished", "finished", "finished"],
			);
			assert.equal(
				groups.body.content.reduce((n, g) => n + g.totalTargets, 0),
				DEVICES,
			);
			const inSync = await api<{ total: number }>(
				"GET",
				"/targets?q=controllerid%3D%3Dtools-*%3Bupdatestatus%3D%3Din_sync&limit=1",
			);
			assert.equal(inSync.body.total, DEVICES);
			for (let i = 1; i <= DEVICES; i++) {
				const cid = `tools-${String(i).padStart(3, "0")}`;
				const installed = await api<{ id: number }>("GET", `/targets/${cid}/installedDS`);
				assert.equal(installed.status, 200, cid);
				assert.equal(installed.body.id, dsId, cid);
			}
		} finally {
			stop.abort();
			summary = await simulation;
		}
		assert.equal(summary.actions.succeeded, DEVICES);
		assert.equal(summary.actions.failed + summary.actions.downloadFailed, 0);
		assert.equal(summary.downloads.artifacts, DEVICES);
		assert.equal(summary.downloads.hashMismatches, 0);
		assert.equal(summary.downloads.bytes, DEVICES * firmware.bytes.length);
		assert.ok(
			summary.downloads.resumes >= 1,
			"some downloads were broken off and resumed with Range",
		);
		assert.equal(summary.stoppedBy, "signal");
	});

	it("rollout show and list report the finished rollout", async () => {
		const show = await runCli(["rollout", "show", "tools-rollout", "--json"], env);
		expectExit(show, 0, "rollout show");
		const snap = show.json as { rollout: { status: string }; groups: unknown[] };
		assert.equal(snap.rollout.status, "finished");
		assert.equal(snap.groups.length, 4);
		const list = await runCli(["rollout", "list"], env);
		expectExit(list, 0, "rollout list");
		assert.match(list.stdout, /tools-rollout\s+finished/);
	});

	it("assign --target deploys a distribution set to named devices", async () => {
		const v2 = writeRandomFile("tools-fw-2.bin", 300_000);
		expectExit(
			await runCli(
				["push", v2.path, "--name", "tools-fw", "--version", "2.0.0", "--filename", "tools-fw.bin"],
				env,
			),
			0,
			"push v2",
		);
		expectExit(
			await runCli(["ds", "create", "-n", "tools-ds", "-v", "2.0.0", "-m", "tools-fw:2.0.0"], env),
			0,
			"ds v2",
		);
		const run = await runCli(
			["assign", "tools-ds:2.0.0", "--target", "tools-001", "tools-002", "--json"],
			env,
		);
		expectExit(run, 0, "assign --target");
		const res = run.json as {
			assigned: number;
			alreadyAssigned: number;
			actions: number[];
			distributionSetId: number;
		};
		assert.equal(res.assigned, 2);
		assert.equal(res.actions.length, 2);

		const summary = await simulate({
			url: server.url,
			controllerIds: ["tools-001", "tools-002"],
			auth: { kind: "gateway", token: GATEWAY_TOKEN },
			pollIntervalMs: 500,
			rampUpMs: 0,
			durationMs: 120_000,
			updatesPerDevice: 1,
		});
		assert.equal(summary.stoppedBy, "updates");
		assert.equal(summary.actions.succeeded, 2);
		for (const cid of ["tools-001", "tools-002"]) {
			const installed = await api<{ id: number }>("GET", `/targets/${cid}/installedDS`);
			assert.equal(installed.body.id, res.distributionSetId, cid);
		}
		const again = await runCli(
			["assign", "tools-ds:2.0.0", "--target", "tools-001", "--json"],
			env,
		);
		expectExit(again, 0, "assign again");
		assert.equal((again.json as { alreadyAssigned: number }).alreadyAssigned, 1);
	});

	it("assign --filter auto-assigns the distribution set to every matching device", async () => {
		const run = await runCli(
			[
				"assign",
				"tools-ds:2.0.0",
				"--filter",
				"controllerid==tools-01*",
				"--type",
				"soft",
				"--filter-name",
				"tools-ring-1",
				"--json",
			],
			env,
		);
		expectExit(run, 0, "assign --filter");
		const out = run.json as { targetFilter: { id: number }; distributionSetId: number };
		const filter = await api<{
			name: string;
			query: string;
			autoAssignDistributionSet: number;
			autoAssignActionType: string;
		}>("GET", `/targetfilters/${out.targetFilter.id}`);
		assert.equal(filter.body.name, "tools-ring-1");
		assert.equal(filter.body.query, "controllerid==tools-01*");
		assert.equal(filter.body.autoAssignDistributionSet, out.distributionSetId);
		assert.equal(filter.body.autoAssignActionType, "soft");

		// The auto-assignment job runs on the cron trigger; `npm start` exposes it for tests.
		const ring = Array.from({ length: 10 }, (_, i) => `tools-01${i}`);
		await waitFor("the auto-assignment of tools-010…019", 60_000, async () => {
			// wrangler 4.86 serves the cron trigger at /__scheduled (its /cdn-cgi/handler/scheduled answers 500).
			await fetch(`${server.url}/__scheduled`);
			for (const cid of ring) {
				const assigned = await api<{ id: number }>("GET", `/targets/${cid}/assignedDS`);
				if (assigned.body?.id !== out.distributionSetId) {
					return undefined;
				}
			}
			return true;
		});
		const outside = await api<{ id: number }>("GET", "/targets/tools-020/assignedDS");
		assert.notEqual(outside.body?.id, out.distributionSetId, "tools-020 does not match the filter");

		const summary = await simulate({
			url: server.url,
			controllerIds: ring,
			auth: { kind: "gateway", token: GATEWAY_TOKEN },
			pollIntervalMs: 500,
			rampUpMs: 500,
			durationMs: 180_000,
			updatesPerDevice: 1,
		});
		assert.equal(summary.stoppedBy, "updates");
		assert.equal(summary.actions.succeeded, ring.length);
		const updated = await api<{ total: number }>(
			"GET",
			`/targets?q=${encodeURIComponent(`controllerid==tools-01*;installedds.version==2.0.0`)}&limit=1`,
		);
		assert.equal(updated.body.total, ring.length);

		// Re-running with a new query updates the same filter.
		const again = await runCli(
			[
				"assign",
				"tools-ds:2.0.0",
				"--filter",
				"controllerid==tools-02*",
				"--filter-name",
				"tools-ring-1",
				"--json",
			],
			env,
		);
		expectExit(again, 0, "assign --filter again");
		const moved = again.json as { targetFilter: { id: number; query: string } };
		assert.equal(moved.targetFilter.id, out.targetFilter.id);
		assert.equal(moved.targetFilter.query, "controllerid==tools-02*");
	});

	it("target-token devices created through the Management API update like gateway devices", async () => {
		const client = new MgmtClient({
			url: server.url,
			tenant: "DEFAULT",
			credentials: { kind: "basic", username: server.adminUser, password: server.adminPassword },
		});
		const ids = ["tools-tt-001", "tools-tt-002"];
		const tokens = await ensureTargetsWithTokens(client, ids);
		// A second call finds them and reads the same tokens back.
		assert.deepEqual(await ensureTargetsWithTokens(client, ids), tokens);
		expectExit(await runCli(["assign", "tools-ds:2.0.0", "--target", ...ids], env), 0, "assign");
		const summary = await simulate({
			url: server.url,
			controllerIds: ids,
			auth: { kind: "target", tokens },
			pollIntervalMs: 500,
			rampUpMs: 0,
			durationMs: 120_000,
			updatesPerDevice: 1,
		});
		assert.equal(summary.actions.succeeded, 2);
		assert.equal(summary.requests.byStatus["401"] ?? 0, 0);
	});

	it("npm run simulate runs a bounded fleet and prints a JSON summary", async () => {
		const child = spawn(
			process.execPath,
			[
				join(REPO_ROOT, "node_modules/tsx/dist/cli.mjs"),
				"scripts/simulator/main.ts",
				"--url",
				server.url,
				"--count",
				"3",
				"--prefix",
				"tools-cmd-",
				"--gateway-token",
				GATEWAY_TOKEN,
				"--poll-interval",
				"500ms",
				"--duration",
				"4s",
				"--json",
				"--devices",
			],
			{
				cwd: REPO_ROOT,
				stdio: ["ignore", "pipe", "pipe"],
				env: { PATH: process.env.PATH, HOME: server.workDir },
			},
		);
		let stdout = "";
		child.stdout?.on("data", (b: Buffer) => {
			stdout += b.toString();
		});
		const code = await new Promise<number | null>((r) => child.on("close", r));
		assert.equal(code, 0, stdout);
		const summary = JSON.parse(stdout) as SimulationSummary;
		assert.equal(summary.devices, 3);
		assert.equal(summary.registered, 3);
		assert.equal(summary.stoppedBy, "duration");
		assert.deepEqual(
			summary.perDevice?.map((d) => d.controllerId),
			["tools-cmd-001", "tools-cmd-002", "tools-cmd-003"],
		);
		const targets = await api<{ total: number }>(
			"GET",
			"/targets?q=controllerid%3D%3Dtools-cmd-*&limit=1",
		);
		assert.equal(targets.body.total, 3);
	});

	it("reports hawkBit's error message and code with a distinct exit code per kind of failure", async () => {
		const missing = await runCli(["ds", "show", "999999", "--json"], env);
		expectExit(missing, EXIT.notFound, "unknown ds");
		assert.equal(missing.error?.errorCode, "hawkbit.server.error.repo.entityNotFound");
		assert.match(String(missing.error?.message), /999999/);
		assert.equal(missing.error?.status, 404);

		const text = await runCli(["ds", "show", "999999"], env);
		assert.match(text.stderr, /hawkbit\.server\.error\.repo\.entityNotFound/);

		const badPassword = await runCli(["--password", "wrong", "whoami"], env);
		expectExit(badPassword, EXIT.auth, "wrong password");

		const port = await freePort();
		const down = await runCli(["--url", `http://127.0.0.1:${port}`, "whoami"], env);
		expectExit(down, EXIT.server, "no server");
		assert.match(down.stderr, /cannot reach/);

		const usage = await runCli(["rollout", "create", "--name", "x"], env);
		expectExit(usage, EXIT.usage, "missing options");

		const noProfile = await runCli(["--profile", "nope", "whoami"], env);
		expectExit(noProfile, EXIT.config, "unknown profile");

		const rejected = await runCli(
			[
				"rollout",
				"create",
				"-n",
				"tools-empty",
				"--ds",
				"tools-ds:1.0.0",
				"--filter",
				"controllerid==nothing-matches-*",
			],
			env,
		);
		expectExit(rejected, EXIT.rejected, "rollout without targets");
		assert.match(rejected.stderr, /hawkbit\.server\.error\./);
	});
});
