/**
 * End-to-end test of the operator UI in Debian's Chromium (driven by playwright-core, never a
 * downloaded browser) against `npm start`: sign-in, permissions, system configuration, artifact
 * upload by drag and drop, composing a distribution set, assigning it with a device completing the
 * update, and a rollout's life (wizard with group preview, start, cascade, pause, resume, trigger
 * next group, error pause, finish; approve and deny), at laptop and tablet widths.
 *
 * Run: `npm run test:ui`. Set UI_SCREENSHOTS=docs/screenshots to refresh the documentation images.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { Device } from "./device";
import { type Server, startServer } from "./server";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOTS = process.env.UI_SCREENSHOTS ? resolve(process.env.UI_SCREENSHOTS) : undefined;
const LAPTOP = { width: 1366, height: 860 };
const TABLET = { width: 820, height: 1180 };

let step = 0;
function log(message: string) {
	console.log(`[ui-e2e ${new Date().toISOString().slice(11, 19)}] ${message}`);
}
async function check(name: string, fn: () => Promise<void>) {
	step += 1;
	const started = Date.now();
	await fn();
	log(`ok ${step} - ${name} (${Date.now() - started} ms)`);
}

/** Management API calls the test itself makes (fixtures and cross-checks), as admin by default. */
function mgmt(base: string, user = "admin", password = "admin") {
	const auth = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
	return async <T = unknown>(method: string, path: string, body?: unknown): Promise<T> => {
		const res = await fetch(`${base}/rest/v1${path}`, {
			method,
			headers: {
				Authorization: auth,
				Accept: "application/json",
				...(body === undefined ? {} : { "Content-Type": "application/json" }),
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await res.text();
		if (!res.ok) {
			throw new Error(`${method} ${path} → ${res.status} ${text}`);
		}
		return (text ? JSON.parse(text) : null) as T;
	};
}

async function until<T>(
	what: string,
	fn: () => Promise<T | undefined | false>,
	timeoutMs = 90_000,
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let last: unknown;
	while (Date.now() < deadline) {
		try {
			const v = await fn();
			if (v) {
				return v;
			}
		} catch (err) {
			last = err;
		}
		await new Promise((r) => setTimeout(r, 500));
	}
	throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
}

async function shot(page: Page, name: string, fullPage = false) {
	if (!SCREENSHOTS) {
		return;
	}
	await page.evaluate(() => document.getElementById("toasts")?.replaceChildren());
	await page.waitForTimeout(400);
	await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });
}

async function signIn(page: Page, base: string, user: string, password: string) {
	await page.goto(`${base}/`);
	await page.getByLabel("Username").fill(user);
	await page.getByLabel("Password").fill(password);
	await page.getByRole("button", { name: "Sign in" }).click();
	await page.getByRole("navigation", { name: "Main" }).waitFor();
}

async function nav(page: Page, label: string) {
	const menu = page.getByRole("button", { name: "Menu" });
	if (await menu.isVisible()) {
		await menu.click();
	}
	await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: label }).click();
	await page.getByRole("heading", { level: 1, name: label }).waitFor();
}

/** Picks an entry of a search combobox by typing and clicking the matching option. */
async function pick(page: Page, label: string, text: string, option: string) {
	const box = page.getByRole("combobox", { name: label });
	await box.fill(text);
	await page.getByRole("option", { name: option }).first().click();
}

function badgeIn(page: Page, scope: string) {
	return page.locator(`${scope} .badge`).first();
}

async function main() {
	const work = mkdtempSync(join(tmpdir(), "updraft-ui-chromium-"));
	let server: Server | undefined;
	let context: BrowserContext | undefined;
	const pageErrors: string[] = [];
	const listRequests: string[] = [];
	try {
		if (SCREENSHOTS) {
			mkdirSync(SCREENSHOTS, { recursive: true });
		}
		log("starting npm start on a free port in 18300-18399");
		server = await startServer();
		const base = server.base;
		const api = mgmt(base);
		log(`server at ${base}`);

		// Fixtures the operator would not click together: devices and extra principals.
		const fleet = ["ui-dev-1", ...Array.from({ length: 6 }, (_, i) => `roll-${i + 1}`)];
		const extra = SCREENSHOTS
			? Array.from({ length: 36 }, (_, i) => `gw-${String(i + 1).padStart(3, "0")}`)
			: [];
		const created = await api<Array<{ controllerId: string; securityToken: string }>>(
			"POST",
			"/targets",
			[...fleet, ...extra].map((controllerId) => ({
				controllerId,
				name: controllerId.startsWith("gw-") ? `Gateway ${controllerId.slice(3)}` : undefined,
			})),
		);
		const devices = new Map(
			created.map((t) => [t.controllerId, new Device(base, t.controllerId, t.securityToken)]),
		);
		const device = (id: string) => {
			const d = devices.get(id);
			assert.ok(d, id);
			return d;
		};
		await api("POST", "/system/users", {
			username: "viewer",
			password: "viewer-password",
			authorities: ["READ_TARGET"],
		});
		await api("POST", "/system/users", {
			username: "creator",
			password: "creator-password",
			authorities: ["READ_TARGET", "READ_DISTRIBUTION_SET", "READ_ROLLOUT", "CREATE_ROLLOUT"],
		});

		context = await chromium.launchPersistentContext(join(work, "profile"), {
			executablePath: CHROMIUM,
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
			viewport: LAPTOP,
		});
		const page = context.pages()[0] ?? (await context.newPage());
		page.setDefaultTimeout(20_000);
		page.on("pageerror", (e) => pageErrors.push(e.message));
		page.on("request", (req) => {
			const url = new URL(req.url());
			if (req.method() === "GET" && url.pathname === "/rest/v1/targets") {
				listRequests.push(url.search);
			}
		});

		await check("/ redirects to the console and a wrong password is refused in place", async () => {
			await page.goto(`${base}/`);
			assert.equal(new URL(page.url()).pathname, "/ui/");
			await page.getByLabel("Username").fill("admin");
			await page.getByLabel("Password").fill("wrong");
			await shot(page, "login");
			await page.getByRole("button", { name: "Sign in" }).click();
			await page
				.getByRole("alert")
				.filter({ hasText: "Wrong username, password or token." })
				.waitFor();
		});

		await check("sign in with the Management API's credentials (keyboard only)", async () => {
			await page.getByLabel("Password").fill("admin");
			await page.getByLabel("Password").press("Enter");
			await page.getByRole("heading", { level: 1, name: "Dashboard" }).waitFor();
			assert.equal(
				await page.evaluate(() =>
					sessionStorage.getItem("updraft.authorization")?.startsWith("Basic "),
				),
				true,
			);
		});

		await check("system configuration: enable target-token device authentication", async () => {
			await nav(page, "System");
			await page.getByRole("switch", { name: "Target token" }).check();
			await page.getByText("Target token saved.").waitFor();
			const cfg = await api<{ value: boolean }>(
				"GET",
				"/system/configs/authentication.targettoken.enabled",
			);
			assert.equal(cfg.value, true);
			await shot(page, "system");
		});

		// Devices poll once so that the fleet has real statuses.
		for (const d of devices.values()) {
			await d.poll();
		}

		const artifact = randomBytes(2 * 1024 * 1024 + 123);
		const sha256 = createHash("sha256").update(artifact).digest("hex");
		await check(
			"create a software module and upload an artifact by drag and drop, with progress and hashes",
			async () => {
				await nav(page, "Software modules");
				await page.getByRole("button", { name: "New software module" }).first().click();
				const dialog = page.getByRole("dialog", { name: "New software module" });
				await dialog.getByLabel("Name").fill("firmware");
				await dialog.getByLabel("Version").fill("1.0.0");
				await dialog.getByLabel("Type").selectOption("os");
				await dialog.getByLabel("Vendor").fill("ACME");
				await dialog.getByRole("button", { name: "Create" }).click();
				await page.getByRole("heading", { level: 1, name: "firmware:1.0.0" }).waitFor();
				await page.getByText("No artifacts yet").waitFor();
				// Record every progress value the bar shows, then drop the file on the drop zone.
				await page.evaluate(
					async ({ name, b64 }) => {
						const w = window as unknown as { progressSeen: number[] };
						w.progressSeen = [];
						new MutationObserver(() => {
							for (const p of document.querySelectorAll(".uploads progress")) {
								w.progressSeen.push(
									(p as HTMLProgressElement).value / (p as HTMLProgressElement).max,
								);
							}
						}).observe(document.body, { subtree: true, attributes: true, childList: true });
						const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
						const dt = new DataTransfer();
						dt.items.add(new File([bytes], name, { type: "application/octet-stream" }));
						const zone = document.querySelector(".dropzone");
						zone?.dispatchEvent(
							new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }),
						);
						zone?.dispatchEvent(
							new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }),
						);
					},
					{ name: "firmware-1.0.0.swu", b64: artifact.toString("base64") },
				);
				await page.locator(".uploads li", { hasText: "done" }).waitFor();
				const seen = await page.evaluate(
					() => (window as unknown as { progressSeen: number[] }).progressSeen,
				);
				assert.ok(
					seen.some((v) => v >= 1),
					`progress reached 100 % (${seen.join(",")})`,
				);
				const row = page
					.getByRole("table", { name: "Artifacts" })
					.getByRole("row", { name: /firmware-1\.0\.0\.swu/ });
				await row.waitFor();
				await row.getByText(sha256).waitFor();
				const md5 = createHash("md5").update(artifact).digest("hex");
				await row.getByText(md5).waitFor();
				await shot(page, "software-module");
			},
		);

		await check("compose a distribution set from the module", async () => {
			await nav(page, "Distribution sets");
			await page.getByRole("button", { name: "New distribution set" }).first().click();
			const dialog = page.getByRole("dialog", { name: "New distribution set" });
			await dialog.getByLabel("Name").fill("Firmware");
			await dialog.getByLabel("Version").fill("1.0.0");
			await dialog.getByLabel("Type").selectOption("os");
			await pick(page, "Add software module", "firmware", "firmware:1.0.0");
			await dialog
				.getByRole("list", { name: "Chosen modules" })
				.getByText("firmware:1.0.0")
				.waitFor();
			await dialog.getByRole("button", { name: "Create" }).click();
			await page.getByRole("heading", { level: 1, name: "Firmware:1.0.0" }).waitFor();
			await page.locator(".page-head .badge", { hasText: "complete" }).waitFor();
			await page
				.getByRole("table", { name: "Software modules" })
				.getByRole("link", { name: "firmware:1.0.0" })
				.waitFor();
			await shot(page, "distribution-set");
		});

		await check(
			"assignment: an invalid maintenance window is refused with the API's message, in place",
			async () => {
				await nav(page, "Targets");
				await page.getByLabel("Filter targets (RSQL)").fill("controllerid==ui-dev-1");
				await page.getByRole("button", { name: "Filter", exact: true }).click();
				await page.getByRole("link", { name: "ui-dev-1" }).click();
				await page.getByRole("heading", { level: 1, name: "ui-dev-1" }).waitFor();
				await page.getByRole("button", { name: "Assign distribution set…" }).click();
				const dialog = page.getByRole("dialog", { name: "Assign to ui-dev-1" });
				await pick(page, "Distribution set", "Firmware", "Firmware:1.0.0");
				await dialog.getByLabel("Maintenance window").check();
				await dialog.getByLabel("Schedule (Quartz cron, with seconds)").fill("not a cron");
				await dialog.getByLabel("Duration").fill("01:00:00");
				await dialog.getByLabel("Time zone").fill("+00:00");
				await dialog.getByRole("button", { name: "Assign" }).click();
				await dialog.getByRole("alert").waitFor();
				assert.match((await dialog.getByRole("alert").textContent()) ?? "", /\S/);
				await dialog.getByLabel("Maintenance window").uncheck();
				await dialog.getByLabel("Action type").selectOption("forced");
				await dialog.getByRole("button", { name: "Assign" }).click();
				await dialog.waitFor({ state: "detached" });
				await page.getByText(/Firmware:1\.0\.0: 1 assigned/).waitFor();
				await badgeIn(page, ".page-head").filter({ hasText: "pending" }).waitFor();
			},
		);

		await check(
			"the device installs it: status in sync, action history with the device's messages",
			async () => {
				const actionId = await device("ui-dev-1").update(
					"success",
					"installed firmware 1.0.0 on slot B",
				);
				assert.ok(actionId, "ui-dev-1 had an update waiting");
				await page.reload();
				await page.getByRole("heading", { level: 1, name: "ui-dev-1" }).waitFor();
				await badgeIn(page, ".page-head").filter({ hasText: "in sync" }).waitFor();
				const history = page.getByRole("table", { name: "Action history" });
				const row = history.getByRole("row", { name: new RegExp(`#${actionId}`) });
				await row.getByText("finished").waitFor();
				await row.getByText("Firmware:1.0.0").waitFor();
				await row.getByText("Show").click();
				await row.getByText("installed firmware 1.0.0 on slot B").waitFor();
				await shot(page, "target", true);
			},
		);

		let rolloutId = 0;
		await check(
			"rollout wizard: target query with live count, equal groups, preview of the groups",
			async () => {
				await nav(page, "Rollouts");
				await page.getByRole("link", { name: "New rollout" }).first().click();
				await page.getByRole("heading", { level: 1, name: "New rollout" }).waitFor();
				await page.getByLabel("Name", { exact: true }).first().fill("wave-1");
				await pick(page, "Distribution set", "Firmware", "Firmware:1.0.0");
				await page.getByRole("button", { name: "Next" }).click();
				await page.getByLabel("Target filter (RSQL)").fill("controllerid==roll-*");
				await page.getByText("Matches 6 targets now.").waitFor();
				await page.getByRole("button", { name: "Next" }).click();
				await page.getByLabel("Number of groups").fill("3");
				await page.getByLabel("Next group when finished ≥ (%)").fill("100");
				await page.getByLabel("Pause when errors > (%)").fill("40");
				await page.getByRole("button", { name: "Next" }).click();
				const preview = page.getByRole("table", { name: "Group preview" });
				await preview.waitFor();
				const rows = await preview.locator("tbody tr").allTextContents();
				assert.deepEqual(
					rows.map((r) => r.replace(/\s+/g, " ")),
					["group-1—33.33 %2", "group-2—33.33 %2", "group-3—33.33 %2"],
				);
				await shot(page, "rollout-wizard");
				await page.getByRole("button", { name: "Create rollout" }).click();
				await page.getByRole("heading", { level: 1, name: "wave-1" }).waitFor();
				rolloutId = Number(new URL(page.url()).hash.split("/").pop());
				assert.ok(rolloutId > 0);
			},
		);

		const status = () => badgeIn(page, ".page-head");
		const groupStatus = (name: string) =>
			page.locator(".group-list li", { hasText: name }).locator(".badge").first();
		const groupTargets = async (name: string) => {
			const groups = await api<{ content: Array<{ id: number; name: string }> }>(
				"GET",
				`/rollouts/${rolloutId}/deploygroups?limit=50`,
			);
			const g = groups.content.find((x) => x.name === name);
			assert.ok(g, name);
			const targets = await api<{ content: Array<{ controllerId: string }> }>(
				"GET",
				`/rollouts/${rolloutId}/deploygroups/${g.id}/targets?limit=50`,
			);
			return targets.content.map((t) => t.controllerId).sort();
		};

		await check("the rollout becomes ready and starts from the UI", async () => {
			await status().filter({ hasText: "ready" }).waitFor({ timeout: 90_000 });
			await page.getByRole("button", { name: "Start", exact: true }).click();
			await status().filter({ hasText: "running" }).waitFor({ timeout: 60_000 });
			await groupStatus("group-1").filter({ hasText: "running" }).waitFor({ timeout: 60_000 });
		});

		await check(
			"group 1 succeeds and the rollout cascades to group 2 (live progress)",
			async () => {
				for (const id of await groupTargets("group-1")) {
					await until(`${id} got its update`, () => device(id).update("success"));
				}
				await groupStatus("group-1").filter({ hasText: "finished" }).waitFor({ timeout: 90_000 });
				await groupStatus("group-2").filter({ hasText: "running" }).waitFor({ timeout: 90_000 });
				await page
					.locator(".legend li", { hasText: "Finished" })
					.filter({ hasText: "2" })
					.first()
					.waitFor();
				await shot(page, "rollout");
				if (SCREENSHOTS) {
					// The dashboard looks best with a rollout in flight.
					await nav(page, "Dashboard");
					await page.locator(".group-list li").first().waitFor();
					await shot(page, "dashboard");
					await page.goto(`${base}/ui/#/rollouts/${rolloutId}`);
					await page.getByRole("heading", { level: 1, name: "wave-1" }).waitFor();
				}
			},
		);

		await check("pause and resume from the UI", async () => {
			await page.getByRole("button", { name: "Pause" }).click();
			await status().filter({ hasText: "paused" }).waitFor();
			await page.getByRole("button", { name: "Resume" }).click();
			await status().filter({ hasText: "running" }).waitFor();
		});

		await check("trigger the next group without waiting for group 2", async () => {
			await page.getByRole("button", { name: "Trigger next group" }).click();
			await page
				.getByRole("dialog", { name: "Start the next group now?" })
				.getByRole("button", { name: "Start next group" })
				.click();
			await groupStatus("group-3").filter({ hasText: "running" }).waitFor({ timeout: 60_000 });
		});

		await check(
			"a failing device in group 2 crosses the error threshold and pauses the rollout",
			async () => {
				const [bad, good] = await groupTargets("group-2");
				assert.ok(bad && good, "group 2 has two targets");
				await until(`${bad} got its update`, () =>
					device(bad).update("failure", "checksum mismatch"),
				);
				await status().filter({ hasText: "paused" }).waitFor({ timeout: 90_000 });
				await groupStatus("group-2").filter({ hasText: "error" }).waitFor({ timeout: 60_000 });
				await page.locator(".alert", { hasText: /Paused: .*group-2/ }).waitFor();
				await shot(page, "rollout-paused");
				await page.getByRole("button", { name: "Resume" }).click();
				await status().filter({ hasText: "running" }).waitFor();
				await until(`${good} got its update`, () => device(good).update("success"));
				for (const id of await groupTargets("group-3")) {
					await until(`${id} got its update`, () => device(id).update("success"));
				}
				await status().filter({ hasText: "finished" }).waitFor({ timeout: 90_000 });
				const legend = (await page.locator(".donut-chart .legend").first().textContent()) ?? "";
				assert.match(legend.replace(/\s+/g, " "), /Finished 5(?!\d).*Error 1(?!\d)/);
				await page.getByRole("button", { name: "Retry failed…" }).waitFor();
			},
		);

		await check(
			"approval: a creator without APPROVE_ROLLOUT waits; the admin approves one and denies another",
			async () => {
				await nav(page, "System");
				await page.getByRole("switch", { name: "Rollout approval" }).check();
				await page.getByText("Rollout approval saved.").waitFor();
				const asCreator = mgmt(base, "creator", "creator-password");
				const ds = await api<{ content: Array<{ id: number }> }>(
					"GET",
					"/distributionsets?q=name==Firmware",
				);
				const make = (name: string) =>
					asCreator<{ id: number }>("POST", "/rollouts", {
						name,
						distributionSetId: ds.content[0]?.id,
						targetFilterQuery: "controllerid==roll-1",
						amountGroups: 1,
					});
				const a = await make("needs-approval");
				const b = await make("gets-denied");
				await page.goto(`${base}/ui/#/rollouts/${a.id}`);
				await status().filter({ hasText: "waiting for approval" }).waitFor({ timeout: 90_000 });
				await page.getByRole("button", { name: "Approve…" }).click();
				await page.getByRole("dialog").getByLabel("Remark (optional)").fill("looks good");
				await page.getByRole("dialog").getByRole("button", { name: "Approve" }).click();
				await status().filter({ hasText: "ready" }).waitFor({ timeout: 60_000 });
				await page.goto(`${base}/ui/#/rollouts/${b.id}`);
				await status().filter({ hasText: "waiting for approval" }).waitFor({ timeout: 90_000 });
				await page.getByRole("button", { name: "Deny…" }).click();
				await page.getByRole("dialog").getByRole("button", { name: "Deny" }).click();
				await status().filter({ hasText: "approval denied" }).waitFor({ timeout: 60_000 });
			},
		);

		await check("dashboard: fleet by update status and rollouts", async () => {
			await nav(page, "Dashboard");
			const targets = page.locator(".stat", { hasText: "Targets" }).locator(".stat-value");
			assert.equal((await targets.textContent())?.trim(), String(fleet.length + extra.length));
			await page.getByRole("img", { name: /Targets by update status: In sync: 6/ }).waitFor();
		});

		await check(
			"targets list: sorting, saved filters and an RSQL error shown in place",
			async () => {
				await nav(page, "Targets");
				await page.getByRole("button", { name: "Update status" }).click();
				await page
					.getByRole("columnheader", { name: "Update status" })
					.and(page.locator("[aria-sort=ascending]"))
					.waitFor();
				await shot(page, "targets");
				await page.getByLabel("Filter targets (RSQL)").fill("nosuchfield==1");
				await page.getByRole("button", { name: "Filter", exact: true }).click();
				await page
					.getByRole("alert")
					.filter({ hasText: /nosuchfield/i })
					.waitFor();
				// Save the current query as a target filter, clear, then apply it from "Saved filters".
				await page.getByLabel("Filter targets (RSQL)").fill("updatestatus==error");
				await page.getByRole("button", { name: "Save filter…" }).click();
				const dialog = page.getByRole("dialog", { name: "Save filter" });
				await dialog.getByLabel("Name").fill("failed devices");
				await dialog.getByRole("button", { name: "Save" }).click();
				await dialog.waitFor({ state: "detached" });
				const saved = await api<{ content: Array<{ name: string; query: string }> }>(
					"GET",
					"/targetfilters?q=name==%22failed%20devices%22",
				);
				assert.equal(saved.content[0]?.query, "updatestatus==error");
				await page.getByRole("button", { name: "Clear" }).click();
				await page
					.getByRole("table", { name: "Targets" })
					.getByRole("link", { name: "ui-dev-1" })
					.waitFor();
				await pick(page, "Saved filter", "failed", "failed devices");
				await page.getByText("1–1 of 1").waitFor();
				assert.equal(
					await page.getByLabel("Filter targets (RSQL)").inputValue(),
					"updatestatus==error",
				);
			},
		);

		await check("target filters: auto-assign a distribution set to every match", async () => {
			await nav(page, "Target filters");
			const row = page.getByRole("row", { name: /failed devices/ });
			await row.getByRole("button", { name: "Auto-assignment of failed devices" }).click();
			const dialog = page.getByRole("dialog", { name: "Auto-assignment: failed devices" });
			await pick(page, "Distribution set", "Firmware", "Firmware:1.0.0");
			await dialog.getByLabel("Action type").selectOption("soft");
			await dialog.getByRole("button", { name: "Save" }).click();
			await dialog.waitFor({ state: "detached" });
			await row.getByText("Firmware:1.0.0").waitFor();
			await row.getByText("soft").waitFor();
			const filters = await api<{
				content: Array<{
					autoAssignDistributionSet: number | null;
					autoAssignActionType: string | null;
				}>;
			}>("GET", "/targetfilters?q=name==%22failed%20devices%22");
			assert.ok(filters.content[0]?.autoAssignDistributionSet);
			assert.equal(filters.content[0]?.autoAssignActionType, "soft");
		});

		await check(
			"keyboard: a destructive action asks first, Escape cancels and returns focus",
			async () => {
				await page.goto(`${base}/ui/#/targets/roll-6`);
				await page.getByRole("heading", { level: 1, name: "roll-6" }).waitFor();
				const del = page.getByRole("button", { name: "Delete…" });
				await del.focus();
				await page.keyboard.press("Enter");
				const dialog = page.getByRole("dialog", { name: "Delete target roll-6?" });
				await dialog.waitFor();
				assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Cancel");
				await page.keyboard.press("Escape");
				await dialog.waitFor({ state: "detached" });
				assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Delete…");
				await api("GET", "/targets/roll-6");
			},
		);

		await check(
			"tablet width: navigation behind the menu button, no sideways scrolling",
			async () => {
				await page.setViewportSize(TABLET);
				for (const path of ["#/targets", `#/rollouts/${rolloutId}`, "#/distributionsets", "#/"]) {
					await page.goto(`${base}/ui/${path}`);
					await page.locator("main h1").waitFor();
					await page.waitForTimeout(300);
					const overflow = await page.evaluate(
						() => document.documentElement.scrollWidth - window.innerWidth,
					);
					assert.ok(overflow <= 0, `${path} overflows by ${overflow}px`);
					if (path.startsWith("#/rollouts/")) {
						await shot(page, "tablet-rollout");
					}
				}
				assert.equal(await page.getByRole("navigation", { name: "Main" }).isVisible(), false);
				await page.getByRole("button", { name: "Menu" }).click();
				await page
					.getByRole("navigation", { name: "Main" })
					.getByRole("link", { name: "Rollouts" })
					.waitFor();
				await shot(page, "tablet-menu");
				await page
					.getByRole("navigation", { name: "Main" })
					.getByRole("link", { name: "Rollouts" })
					.click();
				await page.getByRole("heading", { level: 1, name: "Rollouts" }).waitFor();
				await page.setViewportSize(LAPTOP);
			},
		);

		await check("a user with READ_TARGET only is not offered what they may not do", async () => {
			await page.getByRole("button", { name: "Sign out" }).click();
			await signIn(page, base, "viewer", "viewer-password");
			const links = await page
				.getByRole("navigation", { name: "Main" })
				.getByRole("link")
				.allTextContents();
			assert.deepEqual(links, ["Dashboard", "Targets", "Target filters"]);
			await nav(page, "Targets");
			await page.getByRole("table", { name: "Targets" }).waitFor();
			assert.equal(await page.getByRole("button", { name: "New target" }).count(), 0);
			assert.equal(await page.getByRole("checkbox").count(), 0);
			await page.goto(`${base}/ui/#/rollouts`);
			await page.getByRole("heading", { level: 1, name: "Not allowed" }).waitFor();
		});

		await check("API token sign-in", async () => {
			const token = await api<{ token: string }>("POST", "/system/tokens", {
				name: "ui-e2e",
				authorities: ["ROLE_ROLLOUT_ADMIN", "READ_TARGET"],
			});
			await page.getByRole("button", { name: "Sign out" }).click();
			await page.getByRole("tab", { name: "API token" }).click();
			await page.getByLabel("API token").fill(token.token);
			await page.getByRole("button", { name: "Sign in" }).click();
			await page.getByRole("navigation", { name: "Main" }).waitFor();
			const links = await page
				.getByRole("navigation", { name: "Main" })
				.getByRole("link")
				.allTextContents();
			assert.deepEqual(links, ["Dashboard", "Targets", "Target filters", "Rollouts"]);
		});

		await check(
			"only paged target reads: every GET /rest/v1/targets had a limit ≤ 500",
			async () => {
				assert.ok(listRequests.length > 0);
				for (const search of listRequests) {
					const limit = Number(new URLSearchParams(search).get("limit"));
					assert.ok(limit > 0 && limit <= 500, `GET /rest/v1/targets${search}`);
				}
			},
		);

		assert.deepEqual(pageErrors, [], "no uncaught errors in the page");
		log(`all ${step} checks passed`);
	} catch (err) {
		console.error(err);
		const failure = join(tmpdir(), "updraft-ui-e2e-failure.png");
		await context
			?.pages()[0]
			?.screenshot({ path: failure, fullPage: true })
			.then(() => console.error(`screenshot of the failure: ${failure}`))
			.catch(() => {});
		if (server) {
			console.error(`--- server output (tail) ---\n${server.log().slice(-4000)}`);
		}
		if (pageErrors.length > 0) {
			console.error(`--- page errors ---\n${pageErrors.join("\n")}`);
		}
		process.exitCode = 1;
	} finally {
		await context?.close().catch(() => {});
		await server?.stop();
		rmSync(work, { recursive: true, force: true });
	}
}

await main();
