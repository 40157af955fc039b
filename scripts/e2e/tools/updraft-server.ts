/**
 * A real Updraft for the tools tests: `scripts/start.ts` (migrations + `wrangler dev` with local
 * D1/KV/R2/Durable Objects/Queues) on a free loopback port of this suite's range (18400–18499),
 * with its data in a temporary directory, stopped with its whole process group afterwards.
 * `UPDRAFT_E2E_URL` points the suite at a server that is already running instead.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const PORT_FIRST = 18400;
const PORT_LAST = 18499;
export const REPO_ROOT = resolve(import.meta.dirname, "../../..");

export type UpdraftServer = {
	url: string;
	adminUser: string;
	adminPassword: string;
	/** Temporary directory of this run (state, logs, files the tests make). */
	workDir: string;
	/** The server's combined output so far. */
	output(): string;
	stop(): Promise<void>;
};

function portIsFree(port: number): Promise<boolean> {
	return new Promise((done) => {
		const srv = createServer();
		srv.once("error", () => done(false));
		srv.listen({ host: "127.0.0.1", port, exclusive: true }, () => srv.close(() => done(true)));
	});
}

/** A free port of the suite's range, other than `except`. */
export async function freePort(except: number[] = []): Promise<number> {
	const span = PORT_LAST - PORT_FIRST + 1;
	const offset = Math.floor(Math.random() * span);
	for (let i = 0; i < span; i++) {
		const port = PORT_FIRST + ((offset + i) % span);
		if (!except.includes(port) && (await portIsFree(port))) {
			return port;
		}
	}
	throw new Error(`no free port in ${PORT_FIRST}-${PORT_LAST}`);
}

export async function startUpdraft(timeoutMs = 180_000): Promise<UpdraftServer> {
	const workDir = await mkdtemp(join(tmpdir(), "updraft-tools-"));
	const adminUser = "admin";
	const adminPassword = "admin";
	const external = process.env.UPDRAFT_E2E_URL;
	if (external) {
		return {
			url: external.replace(/\/+$/, ""),
			adminUser: process.env.UPDRAFT_E2E_USER ?? adminUser,
			adminPassword: process.env.UPDRAFT_E2E_PASSWORD ?? adminPassword,
			workDir,
			output: () => "",
			stop: () => rm(workDir, { recursive: true, force: true }),
		};
	}
	const port = await freePort();
	// wrangler's inspector defaults to 9229, which any other local wrangler may hold.
	const inspectorPort = await freePort([port]);
	const log = createWriteStream(join(workDir, "server.log"));
	let text = "";
	const child: ChildProcess = spawn(
		resolve(REPO_ROOT, "node_modules/.bin/tsx"),
		["scripts/start.ts"],
		{
			cwd: REPO_ROOT,
			detached: true, // own process group: wrangler's workerd goes down with it
			stdio: ["ignore", "pipe", "pipe"],
			env: {
				...process.env,
				PORT: String(port),
				INSPECTOR_PORT: String(inspectorPort),
				HOST: "127.0.0.1",
				PERSIST_DIR: join(workDir, "state"),
				ADMIN_USER: adminUser,
				ADMIN_PASSWORD: adminPassword,
				WRANGLER_SEND_METRICS: "false",
				CI: "true",
			},
		},
	);
	const take = (b: Buffer) => {
		log.write(b);
		text = (text + b.toString("utf8")).slice(-2 * 1024 * 1024);
	};
	child.stdout?.on("data", take);
	child.stderr?.on("data", take);
	let exited = false;
	const exit = new Promise<void>((done) =>
		child.on("exit", () => {
			exited = true;
			done();
		}),
	);

	const stop = async () => {
		const kill = (sig: NodeJS.Signals) => {
			try {
				if (child.pid !== undefined) {
					process.kill(-child.pid, sig);
				}
			} catch {
				// already gone
			}
		};
		if (!exited) {
			kill("SIGTERM");
			await Promise.race([exit, new Promise((r) => setTimeout(r, 5000))]);
			kill("SIGKILL");
		}
		log.end();
		if (!process.env.UPDRAFT_E2E_KEEP) {
			await rm(workDir, { recursive: true, force: true });
		}
	};

	const deadline = Date.now() + timeoutMs;
	while (!/Updraft is running at/.test(text)) {
		if (exited) {
			throw new Error(`npm start exited before it was ready:\n${text.slice(-4000)}`);
		}
		if (Date.now() > deadline) {
			await stop();
			throw new Error(
				`npm start was not ready within ${timeoutMs / 1000} s:\n${text.slice(-4000)}`,
			);
		}
		await new Promise((r) => setTimeout(r, 250));
	}
	return {
		url: `http://127.0.0.1:${port}`,
		adminUser,
		adminPassword,
		workDir,
		output: () => text,
		stop,
	};
}
