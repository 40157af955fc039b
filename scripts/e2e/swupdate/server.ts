/**
 * Updraft under test: `npm start` on a free loopback port with its data in the harness's temp dir,
 * so a run never touches the developer's .wrangler/state.
 */
import { createServer } from "node:net";
import { join } from "node:path";
import { Proc } from "./proc";

/** The e2e harness's port range; other tools on this machine keep out of it. */
const PORT_FIRST = 18200;
const PORT_LAST = 18299;

function portIsFree(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const srv = createServer();
		srv.once("error", () => resolve(false));
		srv.listen({ host: "127.0.0.1", port, exclusive: true }, () => srv.close(() => resolve(true)));
	});
}

export async function findFreePort(preferred?: number, exclude: number[] = []): Promise<number> {
	if (preferred !== undefined) {
		if (await portIsFree(preferred)) {
			return preferred;
		}
		throw new Error(`port ${preferred} is in use`);
	}
	// Start at a random offset so two harness runs at once rarely race for the same port.
	const span = PORT_LAST - PORT_FIRST + 1;
	const offset = Math.floor(Math.random() * span);
	for (let i = 0; i < span; i++) {
		const port = PORT_FIRST + ((offset + i) % span);
		if (!exclude.includes(port) && (await portIsFree(port))) {
			return port;
		}
	}
	throw new Error(`no free port in ${PORT_FIRST}-${PORT_LAST}`);
}

export type Server = {
	base: string;
	port: number;
	/** Absent when the harness runs against a server someone else started (E2E_BASE_URL). */
	proc?: Proc;
	adminUser: string;
	adminPassword: string;
};

export async function startServer(opts: {
	repoRoot: string;
	workDir: string;
	port: number;
	timeoutMs: number;
}): Promise<Server> {
	const adminUser = "admin";
	const adminPassword = "admin";
	// wrangler's inspector would otherwise take 9229, which another local server may hold.
	const inspectorPort = await findFreePort(undefined, [opts.port]);
	const proc = new Proc("npm start", "npm", ["start"], {
		cwd: opts.repoRoot,
		logFile: join(opts.workDir, "server.log"),
		env: {
			...process.env,
			PORT: String(opts.port),
			INSPECTOR_PORT: String(inspectorPort),
			HOST: "127.0.0.1",
			PERSIST_DIR: join(opts.workDir, "state"),
			ADMIN_USER: adminUser,
			ADMIN_PASSWORD: adminPassword,
			WRANGLER_SEND_METRICS: "false",
			// wrangler must not wait for a keypress or open a browser.
			CI: "true",
		},
	});
	const base = `http://127.0.0.1:${opts.port}`;
	await proc.waitForOutput(/Updraft is running at/, opts.timeoutMs);
	return { base, port: opts.port, proc, adminUser, adminPassword };
}

/** A server that is already running; the harness neither starts nor stops it. */
export function attachServer(base: string, adminUser: string, adminPassword: string): Server {
	const port = Number(new URL(base).port || 80);
	return { base: base.replace(/\/$/, ""), port, adminUser, adminPassword };
}

/** The request lines wrangler dev logged for one controller, e.g. `GET /DEFAULT/controller/v1/dev01 200 OK (9ms)`. */
export function requestLog(serverOutput: string, controllerId: string): string[] {
	const lines: string[] = [];
	for (const raw of serverOutput.split("\n")) {
		// biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colours from wrangler's log
		const line = raw.replace(/\u001b\[[0-9;]*m/g, "").trim();
		if (
			line.includes(`/controller/v1/${controllerId}`) &&
			/\b(GET|HEAD|POST|PUT|DELETE)\b/.test(line)
		) {
			lines.push(line.replace(/^\[wrangler:\w+\]\s*/, ""));
		}
	}
	return lines;
}
