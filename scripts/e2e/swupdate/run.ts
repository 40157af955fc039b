/**
 * End-to-end check with a real hawkBit device client: Debian's swupdate (suricatta mode) updates a
 * target served by `npm start`, set up through the Management API like an operator would.
 *
 *   npm run test:e2e                       all scenarios (ok, gateway, fail, cancel)
 *   E2E_SCENARIOS=ok npm run test:e2e      just one
 *   E2E_KEEP=1 …                           keep the temp dir (logs, keys, images, server state)
 *   E2E_PORT=18234 …                       fixed port (default: a free one in 18200-18299)
 *   E2E_NO_NAMESPACE=1 …                   run swupdate without a private /tmp (what happens where
 *                                          unshare -m is not allowed)
 *   E2E_WIRE_LOG=1 …                       record every device request and answer in wire.log
 *   E2E_BASE_URL=http://127.0.0.1:8080 …   use a server that is already running (E2E_ADMIN_USER,
 *                                          E2E_ADMIN_PASSWORD; default admin/admin) instead of npm start
 *
 * Needs root (swupdate installs, mount namespaces) and `apt-get install -y swupdate openssl cpio`.
 * Loopback only; every process it starts is stopped before it exits; the whole run is bounded by
 * E2E_DEADLINE_S (default 300 s). Exit status 0 only if every scenario completed its update cycle.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server as HttpServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Mgmt } from "./mgmt";
import { Fatal, killAllSync, type Proc, waitUntil } from "./proc";
import { attachServer, findFreePort, requestLog, type Server, startServer } from "./server";
import { buildSwu, makeSigningKey, type SigningKey, type SwuImage } from "./swu";
import {
	canUseMountNamespace,
	configFileArgs,
	localInstallArgs,
	startSwupdate,
	suricattaArgs,
	suricattaConfigFile,
} from "./swupdate";
import { startWireProxy } from "./wire";

const TENANT = "DEFAULT";
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const deadlineS = Number(process.env.E2E_DEADLINE_S ?? 300);
const keep = process.env.E2E_KEEP === "1";
const verbose = process.env.E2E_SWUPDATE_VERBOSE !== "0";
const wanted = (process.env.E2E_SCENARIOS ?? "ok,gateway,fail,cancel")
	.split(",")
	.map((s) => s.trim());

const log = (msg: string) => console.log(`[e2e ${new Date().toISOString().slice(11, 19)}] ${msg}`);

type ImageKey = "ok" | "fail" | "cancel" | "gateway";

type Ctx = {
	workDir: string;
	signer: SigningKey;
	server: Server;
	/** Where the device is pointed: the server, or the recording proxy in front of it. */
	deviceBase: string;
	mgmt: Mgmt;
	images: Record<ImageKey, SwuImage>;
	modules: Record<ImageKey, { sm: number; ds: number }>;
};

type Scenario = {
	name: string;
	what: string;
	run: (ctx: Ctx, s: ScenarioRun) => Promise<void>;
};

/** What one scenario started and saw, for diagnostics when it fails. */
class ScenarioRun {
	readonly procs: Proc[] = [];
	controllerId = "";
	actionId = 0;
	constructor(readonly name: string) {}
}

function preflight() {
	const missing = ["swupdate", "openssl", "cpio", "unshare"].filter(
		(bin) => spawnSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" }).status !== 0,
	);
	if (missing.length > 0) {
		throw new Error(
			`missing ${missing.join(", ")}: apt-get install -y swupdate openssl cpio (see .ci/run)`,
		);
	}
	if (process.getuid?.() !== 0) {
		throw new Error("swupdate installs need root here (mount namespaces, raw-file handler)");
	}
}

function hookLog(image: SwuImage): string {
	const p = join(image.outdir, "hook.log");
	return existsSync(p) ? readFileSync(p, "utf8") : "";
}

function clearOutdir(image: SwuImage) {
	rmSync(image.outdir, { recursive: true, force: true });
	mkdirSync(image.outdir, { recursive: true });
}

/**
 * `swupdate -i` on the image, without any server: proves the image itself is sound before a scenario
 * relies on it. swupdate -i itself is racy here: its exit status races with its helper processes (seen:
 * 1 after "SWUPDATE successful"), and once under load it reported success without installing. So the
 * outcome is judged by what the install did, and a run that did nothing is tried again (3 times at most).
 */
async function verifyImageLocally(
	workDir: string,
	signer: SigningKey,
	image: SwuImage,
	expectOk: boolean,
) {
	let problem = "";
	for (let attempt = 1; attempt <= 3; attempt++) {
		clearOutdir(image);
		const proc = startSwupdate({
			label: `swupdate -i ${image.path}`,
			workDir,
			args: localInstallArgs(signer.cert, image.path),
			logFile: join(workDir, `local-${expectOk ? "ok" : "fail"}-${attempt}.log`),
		});
		await waitUntil(
			`local install of ${image.path} to end`,
			60_000,
			async () => (proc.running ? undefined : true),
			500,
		);
		await proc.stop();
		const hooks = hookLog(image);
		const installed = existsSync(join(image.outdir, "payload.txt"));
		if (expectOk) {
			if (installed && hooks.includes("hook preinst") && hooks.includes("hook postinst")) {
				clearOutdir(image);
				return;
			}
			problem = `ok image did not install locally (attempt ${attempt}):\n${proc.output.slice(-3000)}`;
		} else {
			if (installed) {
				throw new Error(`fail image wrote its payload locally:\n${proc.output.slice(-3000)}`);
			}
			if (proc.output.includes("harness: simulated install failure")) {
				clearOutdir(image);
				return;
			}
			problem = `fail image did not fail in preinst locally (attempt ${attempt}):\n${proc.output.slice(-3000)}`;
		}
		log(problem.split("\n")[0] ?? problem);
	}
	throw new Error(problem);
}

function device(ctx: Ctx, s: ScenarioRun, args: string[], suffix: string): Proc {
	const label = `swupdate[${s.name}${suffix ? ` ${suffix}` : ""}]`;
	log(
		`${label}: swupdate ${args.map((a) => (a === "" || a.includes(" ") ? `'${a}'` : a)).join(" ")}`,
	);
	const proc = startSwupdate({
		label,
		workDir: ctx.workDir,
		args,
		logFile: join(ctx.workDir, `swupdate-${s.name}${suffix.replace(/\W+/g, "")}.log`),
	});
	s.procs.push(proc);
	return proc;
}

/** The command-line form with a target token. */
function suricatta(ctx: Ctx, s: ScenarioRun, token: string, confirm?: 1 | 2 | 3): Proc {
	const args = suricattaArgs({
		cert: ctx.signer.cert,
		tenant: TENANT,
		base: ctx.deviceBase,
		controllerId: s.controllerId,
		targetToken: token,
		confirm,
		verbose,
	});
	return device(ctx, s, args, confirm ? `-c ${confirm}` : "");
}

/** Fails fast when swupdate died instead of waiting for the timeout. */
function alive(proc: Proc) {
	if (!proc.running) {
		throw new Fatal(`${proc.label} exited with ${proc.exitCode}`);
	}
}

async function waitForActionStatus(
	ctx: Ctx,
	s: ScenarioRun,
	proc: Proc,
	want: string,
	timeoutMs: number,
): Promise<Record<string, unknown>> {
	let last = "(none)";
	try {
		return await waitUntil(`action ${s.actionId} to become "${want}"`, timeoutMs, async () => {
			const action = await ctx.mgmt.getAction(s.controllerId, s.actionId);
			last = String(action.status);
			if (last === want) {
				return action;
			}
			alive(proc);
			return undefined;
		});
	} catch (err) {
		throw new Error(`${(err as Error).message}; its last status was "${last}"`);
	}
}

async function newTarget(ctx: Ctx, s: ScenarioRun, suffix: string): Promise<string> {
	s.controllerId = `e2e-${suffix}-${randomBytes(3).toString("hex")}`;
	const token = randomBytes(16).toString("hex");
	await ctx.mgmt.createTarget(s.controllerId, token);
	return token;
}

function expectEqual(what: string, actual: unknown, expected: unknown) {
	if (actual !== expected) {
		throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
	}
}

/**
 * One whole update cycle: the running swupdate installs the image and reports "All Chunks Installed.",
 * then it is restarted with `-c 2` (the "reboot": the state lives in RAM only, bootloader "none") and
 * reports closed/success; the action must be finished and the target in sync with the DS installed.
 */
async function installAndConfirm(
	ctx: Ctx,
	s: ScenarioRun,
	key: ImageKey,
	start: (confirm?: 2) => Proc,
	running?: Proc,
): Promise<void> {
	const image = ctx.images[key];
	const first = running ?? start();
	await waitUntil(`swupdate to run ${key}.swu's postinst hook`, 90_000, async () => {
		alive(first);
		return hookLog(image).includes("hook postinst") ? true : undefined;
	});
	// "All Chunks Installed." is swupdate's last feedback before it waits for a reboot.
	await waitUntil(`feedback "All Chunks Installed." on action ${s.actionId}`, 60_000, async () => {
		alive(first);
		const history = await ctx.mgmt.getActionStatus(s.controllerId, s.actionId);
		return history.some((h) => h.messages.some((m) => m.includes("All Chunks Installed")))
			? true
			: undefined;
	});
	const mid = await ctx.mgmt.getAction(s.controllerId, s.actionId);
	if (mid.status === "finished" || mid.status === "error") {
		throw new Error(`action closed before the restart: ${JSON.stringify(mid)}`);
	}
	await first.stop();
	const second = start(2);
	const action = await waitForActionStatus(ctx, s, second, "finished", 90_000);
	await second.stop();
	expectEqual("action type", action.type, "update");
	const target = await ctx.mgmt.getTarget(s.controllerId);
	expectEqual("target updateStatus", target.updateStatus, "in_sync");
	const installed = await ctx.mgmt.getInstalledDs(s.controllerId);
	expectEqual("installed DS id", installed?.id, ctx.modules[key].ds);
	const payload = readFileSync(join(image.outdir, "payload.txt"), "utf8");
	if (!payload.startsWith(`Updraft e2e payload ${key}.swu`)) {
		throw new Error(`unexpected payload.txt: ${payload}`);
	}
}

const scenarios: Scenario[] = [
	{
		name: "ok",
		what: "target token: poll, download ok.swu, install, restart with -c 2, feedback closed/success",
		async run(ctx, s) {
			const token = await newTarget(ctx, s, "ok");
			s.actionId = await ctx.mgmt.assign(s.controllerId, ctx.modules.ok.ds);
			log(`ok: target ${s.controllerId}, action ${s.actionId}`);
			await installAndConfirm(ctx, s, "ok", (confirm) => suricatta(ctx, s, token, confirm));
		},
	},
	{
		name: "gateway",
		what: "gateway token + config file: plug-and-play registration, configData, then a whole update",
		async run(ctx, s) {
			s.controllerId = `e2e-gw-${randomBytes(3).toString("hex")}`;
			const gatewayToken = randomBytes(16).toString("hex");
			// hawkBit's shortest allowed polling interval, so the next poll comes within the scenario.
			await ctx.mgmt.setConfig("pollingTime", "00:00:30");
			await ctx.mgmt.setConfig("authentication.gatewaytoken.key", gatewayToken);
			await ctx.mgmt.setConfig("authentication.gatewaytoken.enabled", true);
			const identify = { hwRevision: "1.0", serialNo: `harness-${s.controllerId}` };
			const file = join(ctx.workDir, `swupdate-${s.controllerId}.cfg`);
			writeFileSync(
				file,
				suricattaConfigFile(
					{
						cert: ctx.signer.cert,
						tenant: TENANT,
						base: ctx.deviceBase,
						controllerId: s.controllerId,
						gatewayToken,
						identify,
					},
					verbose,
				),
			);
			const start = (confirm?: 2) =>
				device(ctx, s, configFileArgs(file, confirm), confirm ? `-c ${confirm}` : "");
			// An unknown controller id: the first poll registers it, then swupdate PUTs configData.
			const running = start();
			const attributes = await waitUntil(
				`${s.controllerId} to register and send configData`,
				60_000,
				async () => {
					alive(running);
					const attrs = await ctx.mgmt.getAttributes(s.controllerId);
					return attrs.serialNo ? attrs : undefined;
				},
			);
			for (const [name, value] of Object.entries(identify)) {
				expectEqual(`configData attribute ${name}`, attributes[name], value);
			}
			// The device keeps running and sleeps config.polling.sleep (30 s here): the assignment must
			// reach it on its next poll, the way a fleet picks up work.
			s.actionId = await ctx.mgmt.assign(s.controllerId, ctx.modules.gateway.ds);
			log(`gateway: target ${s.controllerId} registered itself, action ${s.actionId}`);
			await installAndConfirm(ctx, s, "gateway", start, running);
		},
	},
	{
		name: "fail",
		what: "poll, download fail.swu, install fails in preinst, feedback closed/failure",
		async run(ctx, s) {
			const token = await newTarget(ctx, s, "fail");
			s.actionId = await ctx.mgmt.assign(s.controllerId, ctx.modules.fail.ds);
			log(`fail: target ${s.controllerId}, action ${s.actionId}`);
			const proc = suricatta(ctx, s, token);
			const action = await waitForActionStatus(ctx, s, proc, "error", 120_000);
			await proc.stop();
			expectEqual("action type", action.type, "update");
			const target = await ctx.mgmt.getTarget(s.controllerId);
			expectEqual("target updateStatus", target.updateStatus, "error");
			if (!hookLog(ctx.images.fail).includes("hook preinst")) {
				throw new Error("fail.swu's preinst hook never ran: the failure was not the install's");
			}
			if (existsSync(join(ctx.images.fail.outdir, "payload.txt"))) {
				throw new Error("fail.swu wrote its payload although preinst failed");
			}
			const history = await ctx.mgmt.getActionStatus(s.controllerId, s.actionId);
			const messages = history.flatMap((h) => h.messages).join("\n");
			if (!messages.includes("simulated install failure")) {
				log(
					`fail: note: the installer's error text did not reach the server (swupdate forwards it only with -v)`,
				);
			}
		},
	},
	{
		name: "cancel",
		what: "assignment canceled before the device polls; device acknowledges, nothing installed",
		async run(ctx, s) {
			const token = await newTarget(ctx, s, "cancel");
			s.actionId = await ctx.mgmt.assign(s.controllerId, ctx.modules.cancel.ds);
			await ctx.mgmt.cancelAction(s.controllerId, s.actionId);
			const canceling = await ctx.mgmt.getAction(s.controllerId, s.actionId);
			expectEqual("action status after DELETE", canceling.status, "canceling");
			log(`cancel: target ${s.controllerId}, action ${s.actionId} canceling`);
			const proc = suricatta(ctx, s, token);
			const action = await waitForActionStatus(ctx, s, proc, "canceled", 90_000);
			await proc.stop();
			expectEqual("action type", action.type, "cancel");
			if (hookLog(ctx.images.cancel).length > 0) {
				throw new Error("cancel.swu was installed although its action was canceled");
			}
		},
	},
];

type Images = Ctx["images"];

function buildImages(workDir: string, signer: SigningKey): Images {
	const image = (name: ImageKey, version: string) =>
		buildSwu({
			dir: join(workDir, "images"),
			name: `${name}.swu`,
			version,
			outdir: join(workDir, `out-${name}`),
			fail: name === "fail",
			signer,
		});
	return {
		ok: image("ok", "1.0.0"),
		fail: image("fail", "1.0.1"),
		cancel: image("cancel", "1.0.2"),
		gateway: image("gateway", "1.0.3"),
	};
}

/** The operator's part, through the real Management API. */
async function setup(
	workDir: string,
	signer: SigningKey,
	images: Images,
	server: Server,
	deviceBase: string,
): Promise<Ctx> {
	const mgmt = new Mgmt(server.base, server.adminUser, server.adminPassword);
	await mgmt.setConfig("authentication.targettoken.enabled", true);
	const modules = {} as Ctx["modules"];
	for (const [key, image] of Object.entries(images) as [keyof Images, SwuImage][]) {
		const version = `1.0.0-${image.sha1.slice(0, 8)}`;
		const sm = await mgmt.createSoftwareModule(`e2e-${key}`, version, "os");
		const artifact = await mgmt.uploadArtifact(sm, image.path);
		const hashes = artifact.hashes as Record<string, string> | undefined;
		expectEqual(`${key}.swu sha1 reported by the server`, hashes?.sha1, image.sha1);
		expectEqual(`${key}.swu size reported by the server`, artifact.size, image.size);
		const ds = await mgmt.createDistributionSet(`e2e-${key}`, version, "os", [sm]);
		modules[key] = { sm, ds };
	}
	log(`set up: target-token auth on; software modules and DS ${JSON.stringify(modules)}`);
	return { workDir, signer, server, deviceBase, mgmt, images, modules };
}

async function diagnose(ctx: Ctx | undefined, s: ScenarioRun) {
	console.log(`---- diagnostics for scenario ${s.name} ----`);
	if (ctx && s.controllerId) {
		try {
			const action = s.actionId ? await ctx.mgmt.getAction(s.controllerId, s.actionId) : undefined;
			console.log(`action: ${JSON.stringify(action)}`);
			const target = await ctx.mgmt.getTarget(s.controllerId);
			console.log(
				`target: updateStatus=${target.updateStatus} ${JSON.stringify(target).slice(0, 400)}`,
			);
			if (s.actionId) {
				const history = await ctx.mgmt.getActionStatus(s.controllerId, s.actionId);
				for (const h of history.slice(0, 15)) {
					console.log(`  status ${h.type}: ${h.messages.map((m) => m.slice(0, 160)).join(" | ")}`);
				}
			}
		} catch (err) {
			console.log(`(management API: ${(err as Error).message})`);
		}
		console.log("requests the server logged for this device:");
		for (const line of requestLog(ctx.server.proc?.output ?? "", s.controllerId).slice(-40)) {
			console.log(`  ${line}`);
		}
	}
	for (const p of s.procs) {
		console.log(`-- last lines of ${p.label} (exit ${p.exitCode ?? "running"}):`);
		const lines = p.output
			.split("\n")
			.filter((l) => /ERROR|WARN|INFO|HTTP|hawkbit|channel/i.test(l));
		console.log(lines.slice(-40).join("\n"));
	}
}

async function main(): Promise<number> {
	preflight();
	const workDir = mkdtempSync(join(tmpdir(), "updraft-e2e-swupdate-"));
	log(
		`work dir ${workDir} (namespaces: ${canUseMountNamespace() ? "unshare -m, private /tmp" : "unavailable, runs one after another"})`,
	);
	const signer = makeSigningKey(join(workDir, "keys"));
	const results: { name: string; ok: boolean; detail: string; seconds: number }[] = [];
	let server: Server | undefined;
	let ctx: Ctx | undefined;
	let setupError: unknown;
	let wire: HttpServer | undefined;
	try {
		const images = buildImages(workDir, signer);
		await verifyImageLocally(workDir, signer, images.ok, true);
		await verifyImageLocally(workDir, signer, images.fail, false);
		log(
			"built ok.swu, fail.swu, cancel.swu; ok.swu installs and fail.swu fails under `swupdate -i`",
		);
		if (process.env.E2E_BASE_URL) {
			server = attachServer(
				process.env.E2E_BASE_URL,
				process.env.E2E_ADMIN_USER ?? "admin",
				process.env.E2E_ADMIN_PASSWORD ?? "admin",
			);
			log(`using the running server at ${server.base}`);
		} else {
			const port = await findFreePort(
				process.env.E2E_PORT ? Number(process.env.E2E_PORT) : undefined,
			);
			log(`starting Updraft (npm start) on 127.0.0.1:${port}, PERSIST_DIR in the work dir`);
			server = await startServer({ repoRoot, workDir, port, timeoutMs: 180_000 });
			log(`Updraft is up at ${server.base}`);
		}
		let deviceBase = server.base;
		if (process.env.E2E_WIRE_LOG === "1") {
			const proxyPort = await findFreePort();
			wire = await startWireProxy({
				listenPort: proxyPort,
				upstreamPort: server.port,
				logFile: join(workDir, "wire.log"),
			});
			deviceBase = `http://127.0.0.1:${proxyPort}`;
			log(`devices go through the recording proxy ${deviceBase} (${join(workDir, "wire.log")})`);
		}
		ctx = await setup(workDir, signer, images, server, deviceBase);
	} catch (err) {
		setupError = err;
		console.log(`SETUP FAILED: ${(err as Error).message}`);
		if (server?.proc) {
			console.log(`-- last lines of the server log:\n${server.proc.output.slice(-4000)}`);
		}
	}
	if (ctx) {
		for (const sc of scenarios.filter((x) => wanted.includes(x.name))) {
			const s = new ScenarioRun(sc.name);
			const started = Date.now();
			log(`scenario ${sc.name}: ${sc.what}`);
			try {
				await sc.run(ctx, s);
				const seconds = (Date.now() - started) / 1000;
				results.push({ name: sc.name, ok: true, detail: "", seconds });
				log(`scenario ${sc.name}: PASS (${seconds.toFixed(1)} s)`);
				for (const line of requestLog(ctx.server.proc?.output ?? "", s.controllerId)) {
					console.log(`    ${line}`);
				}
			} catch (err) {
				const seconds = (Date.now() - started) / 1000;
				results.push({ name: sc.name, ok: false, detail: (err as Error).message, seconds });
				log(`scenario ${sc.name}: FAIL (${seconds.toFixed(1)} s): ${(err as Error).message}`);
				await diagnose(ctx, s);
			} finally {
				for (const p of s.procs) {
					await p.stop();
				}
			}
		}
	}
	wire?.close();
	await server?.proc?.stop(10_000);
	const failed = results.filter((r) => !r.ok).length + (setupError ? 1 : 0);
	const passed = results.filter((r) => r.ok).length;
	console.log("");
	for (const r of results) {
		console.log(
			`  ${r.ok ? "PASS" : "FAIL"}  swupdate ${r.name} (${r.seconds.toFixed(1)} s)${r.ok ? "" : `: ${r.detail}`}`,
		);
	}
	if (setupError) {
		console.log(`  FAIL  setup: ${(setupError as Error).message}`);
	}
	if (keep || failed > 0) {
		console.log(`logs, keys, images and server state kept in ${workDir}`);
	} else {
		rmSync(workDir, { recursive: true, force: true });
	}
	console.log(`e2e: ${passed} passed, ${failed} failed`);
	return failed === 0 && passed > 0 ? 0 : 1;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
	process.on(signal, () => {
		killAllSync();
		process.exit(130);
	});
}
process.on("exit", killAllSync);
const deadline = setTimeout(() => {
	console.log(`swupdate e2e: deadline of ${deadlineS} s exceeded, stopping everything`);
	console.log("e2e: 0 passed, 1 failed");
	killAllSync();
	process.exit(1);
}, deadlineS * 1000);

main()
	.then((code) => {
		clearTimeout(deadline);
		process.exit(code);
	})
	.catch((err) => {
		console.error(`swupdate e2e: ${(err as Error).stack ?? err}`);
		console.log("e2e: 0 passed, 1 failed");
		killAllSync();
		process.exit(1);
	});
