/**
 * How the console behaves on a large fleet: seeds N targets (default 100,000) straight into the
 * local D1 database of `npm start` (the Management API would take ~30 minutes to create that many
 * locally), then times what an operator waits for in Chromium — dashboard, targets list, sorting,
 * filtering, the last page — and the API requests behind each. Not part of CI; run by hand:
 * `npx tsx scripts/e2e/ui/measure.ts [targets]`.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type Page } from "playwright-core";
import { startServer } from "./server";

const COUNT = Number(process.argv[2] ?? 100_000);
const work = mkdtempSync(join(tmpdir(), "updraft-ui-measure-"));
const state = join(work, "state");

function seed() {
	const now = Date.now();
	const sql = `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ${COUNT})
INSERT INTO targets (tenant, controller_id, name, security_token, address, update_status, last_target_query, created_at, last_modified_at)
SELECT 'DEFAULT', printf('dev-%06d', i), printf('Device %06d', i), lower(hex(randomblob(16))),
  'http://10.' || (i / 65536) || '.' || (i / 256 % 256) || '.' || (i % 256),
  CASE WHEN i % 37 = 0 THEN 'error' WHEN i % 10 = 0 THEN 'pending' WHEN i % 3 = 0 THEN 'registered' ELSE 'in_sync' END,
  CASE WHEN i % 50 = 0 THEN ${now} - 7200000 ELSE ${now} - (i % 240) * 1000 END,
  ${now} - i * 1000, ${now}
FROM seq;`;
	const file = join(work, "seed.sql");
	writeFileSync(file, sql);
	const res = spawnSync(
		resolve("node_modules/.bin/wrangler"),
		["d1", "execute", "DB", "--local", "--persist-to", state, "--file", file],
		{
			env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
			encoding: "utf8",
		},
	);
	if (res.status !== 0) {
		throw new Error(`seeding failed: ${res.stdout}\n${res.stderr}`);
	}
}

async function timed(
	page: Page,
	label: string,
	action: () => Promise<void>,
	done: () => Promise<void>,
	rows: string[][],
) {
	const apiTimes: number[] = [];
	const onFinished = (req: import("playwright-core").Request) => {
		if (new URL(req.url()).pathname.startsWith("/rest/v1/")) {
			const t = req.timing();
			apiTimes.push(Math.round(t.responseEnd));
		}
	};
	page.on("requestfinished", onFinished);
	const t0 = performance.now();
	await action();
	await done();
	const ms = Math.round(performance.now() - t0);
	page.off("requestfinished", onFinished);
	rows.push([
		label,
		`${ms} ms`,
		`${apiTimes.length}`,
		apiTimes.length ? `${Math.max(...apiTimes)} ms` : "-",
	]);
}

async function main() {
	// First start creates the schema and tenant; seed while stopped, then start again on the same data.
	let server = await startServer(state);
	await server.stop();
	const s0 = performance.now();
	seed();
	console.log(`seeded ${COUNT} targets in ${Math.round(performance.now() - s0)} ms`);
	server = await startServer(state);
	const context = await chromium.launchPersistentContext(join(work, "profile"), {
		executablePath: "/usr/bin/chromium",
		headless: true,
		args: [
			"--no-sandbox",
			"--disable-gpu",
			"--disable-quic",
			"--no-first-run",
			"--disable-background-networking",
			"--disable-component-update",
			"--disable-sync",
		],
		viewport: { width: 1366, height: 860 },
	});
	const rows: string[][] = [];
	try {
		const page = context.pages()[0] ?? (await context.newPage());
		page.setDefaultTimeout(60_000);
		await page.goto(`${server.base}/ui/`);
		await page.getByLabel("Username").fill("admin");
		await page.getByLabel("Password").fill("admin");
		const go = (hash: string) => () =>
			page.evaluate((h) => {
				location.hash = h;
			}, hash);
		await timed(
			page,
			"sign in → dashboard (5 counts, 2 lists)",
			() => page.getByRole("button", { name: "Sign in" }).click(),
			() => page.locator(".donut").waitFor(),
			rows,
		);
		await timed(
			page,
			"targets list, first page (50)",
			go("#/targets"),
			() => page.getByRole("link", { name: "Device 000001" }).waitFor(),
			rows,
		);
		await timed(
			page,
			"sort by last poll",
			() => page.getByRole("button", { name: "Last poll" }).click(),
			async () => {
				await page.locator("th[aria-sort=ascending]").waitFor();
				await page.locator(".paged:not([aria-busy])").waitFor();
			},
			rows,
		);
		await page.evaluate(() => {
			location.hash = "#/";
		});
		await page.locator(".donut").waitFor();
		await timed(
			page,
			"filter updatestatus==error",
			go("#/targets?q=updatestatus%3D%3Derror"),
			() => page.getByText(/of 2,70\d/).waitFor(),
			rows,
		);
		await timed(
			page,
			"filter controllerid==dev-0999*",
			go("#/targets?q=controllerid%3D%3Ddev-0999*"),
			() => page.getByText(/of 100/).waitFor(),
			rows,
		);
		await timed(
			page,
			"last page (offset 99,950)",
			go(`#/targets?offset=${COUNT - 50}`),
			() => page.getByRole("link", { name: `Device ${String(COUNT).padStart(6, "0")}` }).waitFor(),
			rows,
		);
		await timed(
			page,
			"overdue filter",
			go("#/targets?q=lastcontrollerrequestat%3Dlt%3D%24%7BOVERDUE_TS%7D"),
			() => page.getByText(/of 2,000/).waitFor(),
			rows,
		);
		console.log(
			`\n| ${COUNT.toLocaleString()} targets | time to shown | API requests | slowest API response |\n|---|---|---|---|`,
		);
		for (const r of rows) {
			console.log(`| ${r.join(" | ")} |`);
		}
	} catch (err) {
		await context
			.pages()[0]
			?.screenshot({ path: join(tmpdir(), "updraft-ui-measure-failure.png") });
		throw err;
	} finally {
		await context.close();
		await server.stop();
		rmSync(work, { recursive: true, force: true });
	}
}

await main();
