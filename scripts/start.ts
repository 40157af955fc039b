/**
 * `npm start`: the whole system on one machine. Applies the D1 migrations to the local database,
 * serves the Worker with `wrangler dev` (local D1, KV, R2, Durable Objects and Queues persisted under
 * PERSIST_DIR), makes sure tenant DEFAULT exists and prints the URL and the admin credential.
 */
import { spawn, spawnSync } from "node:child_process";
import { resolve } from "node:path";

const port = process.env.PORT ?? "8080";
const host = process.env.HOST ?? "127.0.0.1";
const persistDir = resolve(process.env.PERSIST_DIR ?? ".wrangler/state");
const adminUser = process.env.ADMIN_USER ?? "admin";
const adminPassword = process.env.ADMIN_PASSWORD ?? "admin";
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: process.env.CI ?? "" };
const wrangler = resolve("node_modules/.bin/wrangler");

const migrate = spawnSync(
	wrangler,
	["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistDir],
	{ stdio: "inherit", env: { ...env, CI: "true" } },
);
if (migrate.status !== 0) {
	console.error("updraft: applying the D1 migrations failed");
	process.exit(migrate.status ?? 1);
}

const dev = spawn(
	wrangler,
	[
		"dev",
		"--ip",
		host,
		"--port",
		port,
		"--persist-to",
		persistDir,
		"--var",
		"DEPLOYMENT:local",
		"--var",
		`ADMIN_USER:${adminUser}`,
		"--var",
		`ADMIN_PASSWORD:${adminPassword}`,
		"--var",
		`DOWNLOAD_SIGNING_KEY:${process.env.DOWNLOAD_SIGNING_KEY ?? "local-download-signing-key"}`,
		"--test-scheduled",
		// Several servers on one machine (tests, other checkouts) must not race for the default 9229.
		...(process.env.INSPECTOR_PORT ? ["--inspector-port", process.env.INSPECTOR_PORT] : []),
	],
	{ stdio: ["inherit", "inherit", "inherit"], env },
);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
	process.on(signal, () => dev.kill(signal));
}
dev.on("exit", (code) => process.exit(code ?? 0));

const base = `http://${host}:${port}`;
const auth = `Basic ${Buffer.from(`${adminUser}:${adminPassword}`).toString("base64")}`;
for (let attempt = 0; attempt < 240; attempt++) {
	try {
		// The first authenticated management request creates tenant DEFAULT with hawkBit's default types.
		const res = await fetch(`${base}/rest/v1/userinfo`, { headers: { Authorization: auth } });
		if (res.status < 500) {
			console.log(`
  Updraft is running at ${base}
    Management API  ${base}/rest/v1   (tenant DEFAULT, user ${adminUser} / ${adminPassword})
    Device API      ${base}/DEFAULT/controller/v1/<controllerId>
    Web UI          ${base}/ui
    OpenAPI         ${base}/rest/v1/openapi.json
  Data is kept in ${persistDir}
`);
			break;
		}
	} catch {
		// not listening yet
	}
	await new Promise((r) => setTimeout(r, 500));
}
