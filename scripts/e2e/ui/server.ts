/**
 * `npm start` on a free loopback port with a throw-away PERSIST_DIR, for the UI end-to-end test.
 * The server runs in its own process group so that stopping it also stops wrangler and workerd.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The UI test's port range (the team's allocation for this helper). */
const PORTS = { from: 18300, to: 18399 };

async function isFree(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const srv = createServer();
		srv.once("error", () => resolve(false));
		srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
	});
}

export async function freePort(): Promise<number> {
	for (let p = PORTS.from; p <= PORTS.to; p++) {
		if (await isFree(p)) {
			return p;
		}
	}
	throw new Error(`no free port in ${PORTS.from}-${PORTS.to}`);
}

export type Server = { base: string; stop: () => Promise<void>; log: () => string };

/**
 * Starts the server. With `persistDir` the data survives `stop()` (the caller removes it); without,
 * a temporary directory is used and removed on stop.
 */
export async function startServer(persistDir?: string): Promise<Server & { persistDir: string }> {
	const port = await freePort();
	const dir = persistDir ?? mkdtempSync(join(tmpdir(), "updraft-ui-e2e-"));
	let output = "";
	const child: ChildProcess = spawn("npm", ["start"], {
		env: {
			...process.env,
			PORT: String(port),
			HOST: "127.0.0.1",
			PERSIST_DIR: persistDir ?? join(dir, "state"),
			ADMIN_USER: "admin",
			ADMIN_PASSWORD: "admin",
			WRANGLER_SEND_METRICS: "false",
		},
		stdio: ["ignore", "pipe", "pipe"],
		detached: true,
	});
	child.stdout?.on("data", (d) => {
		output += d;
	});
	child.stderr?.on("data", (d) => {
		output += d;
	});
	const base = `http://127.0.0.1:${port}`;
	const stop = async () => {
		if (child.pid && child.exitCode === null) {
			try {
				process.kill(-child.pid, "SIGTERM");
			} catch {
				// already gone
			}
			await new Promise((r) => setTimeout(r, 1500));
			try {
				process.kill(-child.pid, "SIGKILL");
			} catch {
				// already gone
			}
		}
		if (!persistDir) {
			rmSync(dir, { recursive: true, force: true });
		}
	};
	const auth = `Basic ${Buffer.from("admin:admin").toString("base64")}`;
	const deadline = Date.now() + 180_000;
	while (Date.now() < deadline) {
		if (child.exitCode !== null) {
			throw new Error(`npm start exited with ${child.exitCode}:\n${output}`);
		}
		try {
			const res = await fetch(`${base}/rest/v1/userinfo`, { headers: { Authorization: auth } });
			if (res.status === 200) {
				return { base, stop, log: () => output, persistDir: persistDir ?? join(dir, "state") };
			}
		} catch {
			// not listening yet
		}
		await new Promise((r) => setTimeout(r, 500));
	}
	await stop();
	throw new Error(`npm start did not answer within 180 s:\n${output}`);
}
