/**
 * Rollout benchmark: creation + start time for 10 000 and 100 000 targets, cascade decision latency,
 * emergency-halt latency and overshoot — measured at the Worker itself (Miniflare in this process,
 * configured from wrangler.toml with unstable_getMiniflareWorkerOptions; no `wrangler dev` proxy),
 * with file-backed local D1/KV/DO storage as `npm start` uses, and alarms firing by themselves.
 *
 *   WRANGLER_SEND_METRICS=false npx tsx scripts/bench-rollout.ts [--sizes 10000,100000] [--no-write]
 *
 * Writes the results to the "Rollouts" section of BENCHMARKS.md (other sections are kept).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

const root = resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const sizesArg = args.includes("--sizes") ? args[args.indexOf("--sizes") + 1] : undefined;
const SIZES = (sizesArg ?? "10000,100000").split(",").map(Number);
const WRITE = !args.includes("--no-write");
const TENANT = "DEFAULT";
const AUTH = `Basic ${Buffer.from("admin:admin").toString("base64")}`;
const BASE = "http://bench.local";

// The Miniflare that ships with (and matches) the pinned wrangler, not the vitest plugin's newer one.
const { Miniflare } = createRequire(join(root, "node_modules", "wrangler", "package.json"))(
	"miniflare",
) as typeof import("miniflare");
type Miniflare = InstanceType<typeof Miniflare>;

function log(...parts: unknown[]) {
	console.log(`[bench-rollout]`, ...parts);
}

/** Bundles the Worker exactly as `wrangler deploy` would. */
function bundle(): string {
	const out = join(root, ".wrangler", "bench-rollout");
	execFileSync(
		join(root, "node_modules", ".bin", "wrangler"),
		["deploy", "--dry-run", "--outdir", out],
		{ cwd: root, stdio: "ignore", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
	);
	return join(out, "index.js");
}

async function start(persist: string): Promise<Miniflare> {
	const { workerOptions } = unstable_getMiniflareWorkerOptions(join(root, "wrangler.toml"));
	const { assets: _assets, ...options } = workerOptions as typeof workerOptions & {
		assets?: unknown;
	};
	const mf = new Miniflare({
		workers: [
			{
				...options,
				name: "updraft",
				modules: true,
				scriptPath: bundle(),
				bindings: {
					...options.bindings,
					DEPLOYMENT: "local",
					ADMIN_PASSWORD: "admin",
					DOWNLOAD_SIGNING_KEY: "bench-signing-key",
				},
			} as never,
		],
		d1Persist: join(persist, "d1"),
		kvPersist: join(persist, "kv"),
		r2Persist: join(persist, "r2"),
		durableObjectsPersist: join(persist, "do"),
	});
	await mf.ready;
	return mf;
}

async function migrate(mf: Miniflare) {
	const db = await mf.getD1Database("DB");
	const dir = join(root, "migrations");
	for (const file of readdirSync(dir)
		.filter((f) => f.endsWith(".sql"))
		.sort()) {
		const statements = readFileSync(join(dir, file), "utf8")
			.split("--> statement-breakpoint")
			.map((s) => s.trim())
			.filter(Boolean);
		await db.batch(statements.map((s) => db.prepare(s)));
	}
}

async function api(mf: Miniflare, method: string, path: string, body?: unknown) {
	const res = await mf.dispatchFetch(`${BASE}/rest/v1${path}`, {
		method,
		headers: {
			Authorization: AUTH,
			...(body === undefined ? {} : { "Content-Type": "application/json" }),
		},
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await res.text();
	if (res.status >= 400) {
		throw new Error(`${method} ${path} → ${res.status} ${text}`);
	}
	return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

type Group = { id: number; name: string; status: string; totalTargets: number };

async function groupsOf(mf: Miniflare, id: number): Promise<Group[]> {
	return (await api(mf, "GET", `/rollouts/${id}/deploygroups?limit=500`)).content as Group[];
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 600_000) {
	const t0 = performance.now();
	for (;;) {
		const v = await probe();
		if (v !== undefined) {
			return v;
		}
		if (performance.now() - t0 > timeoutMs) {
			throw new Error(`timed out waiting for ${what}`);
		}
		await new Promise((r) => setTimeout(r, 10));
	}
}

/** One DS (complete os_app set) and `count` registered targets `<prefix>-<i>`, seeded directly in D1. */
async function seed(mf: Miniflare, count: number, prefix: string) {
	const db = await mf.getD1Database("DB");
	const now = Date.now() - 1_000;
	await db.batch([
		db
			.prepare(
				`INSERT INTO software_modules (tenant, type_id, name, version, created_at, created_by, last_modified_at, last_modified_by)
				 SELECT ?1, id, ?2, '1.0', ?3, 'bench', ?3, 'bench' FROM software_module_types WHERE tenant = ?1 AND key = 'os'`,
			)
			.bind(TENANT, `fw-${prefix}`, now),
		db
			.prepare(
				`INSERT INTO distribution_sets (tenant, type_id, name, version, created_at, created_by, last_modified_at, last_modified_by)
				 SELECT ?1, id, ?2, '1.0', ?3, 'bench', ?3, 'bench' FROM distribution_set_types WHERE tenant = ?1 AND key = 'os_app'`,
			)
			.bind(TENANT, `ds-${prefix}`, now),
		db
			.prepare(
				`INSERT INTO distribution_set_modules (ds_id, sm_id)
				 SELECT (SELECT id FROM distribution_sets WHERE tenant = ?1 AND name = ?2), (SELECT id FROM software_modules WHERE tenant = ?1 AND name = ?3)`,
			)
			.bind(TENANT, `ds-${prefix}`, `fw-${prefix}`),
	]);
	for (let from = 1; from <= count; from += 50_000) {
		await db
			.prepare(
				`WITH RECURSIVE seq(i) AS (SELECT CAST(?1 AS INTEGER) UNION ALL SELECT i + 1 FROM seq WHERE i < ?2)
				 INSERT INTO targets (tenant, controller_id, name, security_token, update_status, created_at, created_by, last_modified_at, last_modified_by)
				 SELECT ?3, ?4 || '-' || i, ?4 || '-' || i, 'tok-' || ?4 || '-' || i, 'registered', ?5, 'bench', ?5, 'bench' FROM seq`,
			)
			.bind(from, Math.min(count, from + 49_999), TENANT, prefix, now)
			.run();
	}
	const ds = await db
		.prepare("SELECT id FROM distribution_sets WHERE tenant = ?1 AND name = ?2")
		.bind(TENANT, `ds-${prefix}`)
		.first<{ id: number }>();
	return ds?.id ?? 0;
}

/** A device's full cycle through the real DDI API; returns the feedback round-trip in ms. */
async function device(mf: Miniflare, controllerId: string, result: "success" | "failure") {
	const headers = { Authorization: `TargetToken tok-${controllerId}`, Accept: "application/json" };
	const poll = await mf.dispatchFetch(`${BASE}/${TENANT}/controller/v1/${controllerId}`, {
		headers,
	});
	const body = (await poll.json()) as { _links?: Record<string, { href: string }> };
	const href = body._links?.deploymentBase?.href;
	if (!href) {
		throw new Error(`${controllerId} has no deployment`);
	}
	const deployment = (await (await mf.dispatchFetch(href, { headers })).json()) as { id: string };
	const t0 = performance.now();
	const fb = await mf.dispatchFetch(
		`${BASE}/${TENANT}/controller/v1/${controllerId}/deploymentBase/${deployment.id}/feedback`,
		{
			method: "POST",
			headers: { ...headers, "Content-Type": "application/json" },
			body: JSON.stringify({ status: { execution: "closed", result: { finished: result } } }),
		},
	);
	await fb.arrayBuffer();
	if (fb.status !== 200) {
		throw new Error(`feedback of ${controllerId} → ${fb.status}`);
	}
	return performance.now() - t0;
}

/** Closes `count` running actions of a group in D1 without notifying (devices that reported earlier). */
async function closeSilently(mf: Miniflare, groupId: number, count: number, status: string) {
	const db = await mf.getD1Database("DB");
	const rows = await db
		.prepare(
			`UPDATE actions SET status = ?2, active = 0 WHERE id IN (SELECT id FROM actions WHERE rollout_group_id = ?1 AND active = 1 ORDER BY id LIMIT ?3)
			 RETURNING target_id`,
		)
		.bind(groupId, status, count)
		.all<{ target_id: number }>();
	await db
		.prepare(
			`UPDATE targets SET update_status = ?2 WHERE id IN (SELECT target_id FROM actions WHERE rollout_group_id = ?1 AND active = 0)`,
		)
		.bind(groupId, status === "FINISHED" ? "in_sync" : "error")
		.run();
	return rows.results.length;
}

async function openControllerIds(mf: Miniflare, groupId: number, limit: number) {
	const db = await mf.getD1Database("DB");
	const rows = await db
		.prepare(
			"SELECT t.controller_id AS c FROM actions a JOIN targets t ON t.id = a.target_id WHERE a.rollout_group_id = ?1 AND a.active = 1 ORDER BY a.id LIMIT ?2",
		)
		.bind(groupId, limit)
		.all<{ c: string }>();
	return rows.results.map((r) => r.c);
}

async function actionCount(mf: Miniflare, sql: string, ...params: unknown[]) {
	const db = await mf.getD1Database("DB");
	return (
		(
			await db
				.prepare(sql)
				.bind(...params)
				.first<{ n: number }>()
		)?.n ?? 0
	);
}

type Result = {
	targets: number;
	groups: number;
	createMs: number;
	readyMs: number;
	startMs: number;
	firstGroupActiveMs: number;
	decisionMs: number;
	visibleMs: number;
	nextGroupActiveMs: number;
	haltMs: number;
	overshoot: number;
};

async function benchmark(mf: Miniflare, targets: number): Promise<Result> {
	const prefix = `b${targets}-${Date.now().toString(36)}`;
	const dsId = await seed(mf, targets, prefix);
	const groups = Math.max(5, Math.ceil(targets / 10_000));
	log(`${targets} targets seeded; ${groups} groups`);

	const t0 = performance.now();
	const created = await api(mf, "POST", "/rollouts", {
		name: `bench-${prefix}`,
		distributionSetId: dsId,
		targetFilterQuery: `controllerId==${prefix}-*`,
		amountGroups: groups,
		successCondition: { condition: "THRESHOLD", expression: "50" },
		errorCondition: { condition: "THRESHOLD", expression: "10" },
	});
	const createMs = performance.now() - t0;
	const id = created.id as number;
	await waitFor("ready", async () =>
		(await api(mf, "GET", `/rollouts/${id}`)).status === "ready" ? true : undefined,
	);
	const readyMs = performance.now() - t0;
	log(`created in ${createMs.toFixed(0)} ms, ready after ${readyMs.toFixed(0)} ms`);

	const t1 = performance.now();
	await api(mf, "POST", `/rollouts/${id}/start`);
	const [first, second, third] = await groupsOf(mf, id);
	if (!first || !second || !third) {
		throw new Error("expected at least three groups");
	}
	await waitFor("first group active", async () => {
		const g = await api(mf, "GET", `/rollouts/${id}/deploygroups/${first.id}`);
		const totals = g.totalTargetsPerStatus as Record<string, number>;
		return totals.running === first.totalTargets ? true : undefined;
	});
	const firstGroupActiveMs = performance.now() - t1;
	const startMs =
		(await api(mf, "GET", `/rollouts/${id}`)).status === "running"
			? firstGroupActiveMs
			: Number.NaN;
	log(
		`started; first group (${first.totalTargets}) active after ${firstGroupActiveMs.toFixed(0)} ms`,
	);

	// Cascade: all but one of the outcomes the success threshold needs were reported earlier; the
	// coordinator learns them by re-deriving its counts. The last one comes from a device over DDI.
	const needed = Math.ceil(first.totalTargets / 2);
	await closeSilently(mf, first.id, needed - 1, "FINISHED");
	const stub = await mf.getDurableObjectNamespace("ROLLOUT_COORDINATOR", "updraft");
	const coordinator = stub.get(stub.idFromName(`${TENANT}:${id}`)) as unknown as {
		poke(ref: unknown): Promise<void>;
		settle(): Promise<void>;
		inspect(): Promise<{ counts: Record<number, Record<string, number>>; workPending: boolean }>;
	};
	await coordinator.poke({ tenant: TENANT, rolloutId: id });
	await waitFor("counts re-derived", async () =>
		((await coordinator.inspect()).counts[first.id]?.FINISHED ?? 0) === needed - 1
			? true
			: undefined,
	);
	if ((await groupsOf(mf, id))[1]?.status !== "scheduled") {
		throw new Error("second group started too early");
	}
	const [lastDevice] = await openControllerIds(mf, first.id, 1);
	const t2 = performance.now();
	const feedbackMs = await device(mf, lastDevice as string, "success");
	const afterFeedback = await groupsOf(mf, id);
	const visibleMs = performance.now() - t2;
	// The feedback answers only after the coordinator counted it and wrote its decision to D1.
	const decisionMs = feedbackMs;
	if (afterFeedback[1]?.status !== "running") {
		throw new Error(
			`second group not running after the decisive feedback (${afterFeedback[1]?.status})`,
		);
	}
	await waitFor("second group active", async () => {
		const g = await api(mf, "GET", `/rollouts/${id}/deploygroups/${second.id}`);
		return (g.totalTargetsPerStatus as Record<string, number>).scheduled === 0 ? true : undefined;
	});
	const nextGroupActiveMs = performance.now() - t2;
	log(
		`cascade: feedback incl. decision ${decisionMs.toFixed(1)} ms, visible via API after ${visibleMs.toFixed(1)} ms, next group active after ${nextGroupActiveMs.toFixed(0)} ms`,
	);

	// Emergency halt: group 2 crosses its 10 % error threshold with the last failure coming over DDI.
	const errorsNeeded = Math.floor(second.totalTargets / 10) + 1;
	await closeSilently(mf, second.id, errorsNeeded - 1, "ERROR");
	await coordinator.poke({ tenant: TENANT, rolloutId: id });
	await waitFor("error counts re-derived", async () =>
		((await coordinator.inspect()).counts[second.id]?.ERROR ?? 0) === errorsNeeded - 1
			? true
			: undefined,
	);
	// Meanwhile group 2 also passes its success threshold: only the error rule may win.
	await closeSilently(mf, second.id, Math.ceil(second.totalTargets / 2), "FINISHED");
	const [failing] = await openControllerIds(mf, second.id, 1);
	const haltMs = await device(mf, failing as string, "failure");
	const halted = (await api(mf, "GET", `/rollouts/${id}`)).status;
	if (halted !== "paused") {
		throw new Error(`rollout not paused after the decisive failure (${halted})`);
	}
	await coordinator.poke({ tenant: TENANT, rolloutId: id });
	await new Promise((r) => setTimeout(r, 2_000));
	await coordinator.settle();
	const overshoot = await actionCount(
		mf,
		"SELECT count(*) AS n FROM actions WHERE rollout_id = ?1 AND rollout_group_id NOT IN (?2, ?3) AND status <> 'SCHEDULED'",
		id,
		first.id,
		second.id,
	);
	const thirdStatus = (await groupsOf(mf, id))[2]?.status;
	log(
		`halt visible after ${haltMs.toFixed(1)} ms; overshoot ${overshoot} actions; group 3 ${thirdStatus}`,
	);
	return {
		targets,
		groups,
		createMs,
		readyMs,
		startMs,
		firstGroupActiveMs,
		decisionMs,
		visibleMs,
		nextGroupActiveMs,
		haltMs,
		overshoot,
	};
}

function section(results: Result[]): string {
	const cpu = cpus()[0]?.model ?? "unknown CPU";
	const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(0)} ms`);
	const rows = results.map(
		(r) =>
			`| ${r.targets.toLocaleString("en")} | ${r.groups} | ${ms(r.createMs)} | ${ms(r.readyMs)} | ${ms(r.firstGroupActiveMs)} | **${ms(r.readyMs + r.firstGroupActiveMs)}** | ${r.decisionMs.toFixed(0)} ms | ${r.visibleMs.toFixed(0)} ms | ${ms(r.nextGroupActiveMs)} | ${r.haltMs.toFixed(0)} ms | ${r.overshoot} |`,
	);
	return `## Rollouts

Measured ${new Date().toISOString().slice(0, 10)} on this machine (${cpus().length} × ${cpu}, Node ${process.version}),
at the Worker itself: Miniflare in-process, configured from \`wrangler.toml\` via
\`unstable_getMiniflareWorkerOptions\` and the bundle \`wrangler deploy --dry-run\` produces, with
file-backed local D1/KV/Durable Object storage; alarms fire on their own. The machine was shared
with other work while measuring, so single runs vary by tens of percent. Command:

\`\`\`
WRANGLER_SEND_METRICS=false npx tsx scripts/bench-rollout.ts --sizes ${results.map((r) => r.targets).join(",")}
\`\`\`

| targets | groups | POST /rollouts | → ready (groups filled) | start → first group active | **create + start** | cascade decision | decision visible | → next group active | error → paused | overshoot |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${rows.join("\n")}

- *POST /rollouts*: validation, counts, rollout + group rows; the answer (201, status \`creating\`).
- *→ ready*: from the POST until every group is filled (INSERT … SELECT in chunks of 5 000 across
  alarms, 2 s of work per alarm).
- *start → first group active*: POST start until every action of group 1 is RUNNING (all SCHEDULED
  actions created, then group 1 started: assignments, history entries, poll-cache generation bump).
- *cascade decision*: round trip of the device's decisive \`POST …/deploymentBase/{id}/feedback\`
  through the real DDI API. It answers only after the coordinator counted the outcome and wrote its
  decision (next group \`running\`) to D1, so this bounds the decision latency from above.
- *decision visible*: same start, until a management \`GET …/deploygroups\` shows the next group
  \`running\` (this read competes for the local D1 with the activation of that very group).
- *→ next group active*: same start, until none of the next group's actions is SCHEDULED.
- *error → paused*: round trip of the decisive failing feedback, after which the rollout reads
  \`paused\` (group 2 had also passed its 50 % success threshold by then; the error rule wins).
- *overshoot*: actions of later groups that left SCHEDULED after the halt (2 s later): must be 0.
`;
}

function writeBenchmarks(text: string) {
	const file = join(root, "BENCHMARKS.md");
	let current = "";
	try {
		current = readFileSync(file, "utf8");
	} catch {
		current = "# Benchmarks\n";
	}
	const start = current.indexOf("## Rollouts");
	if (start === -1) {
		writeFileSync(file, `${current.trimEnd()}\n\n${text}`);
		return;
	}
	const next = current.indexOf("\n## ", start + 1);
	const rest = next === -1 ? "" : current.slice(next + 1);
	writeFileSync(file, `${current.slice(0, start)}${text}${rest ? `\n${rest}` : ""}`);
}

const persist = mkdtempSync(join(tmpdir(), "updraft-bench-rollout-"));
const mf = await start(persist);
try {
	await migrate(mf);
	await api(mf, "GET", "/userinfo"); // creates tenant DEFAULT with hawkBit's default types
	await api(mf, "PUT", "/system/configs/authentication.targettoken.enabled", { value: true });
	const results: Result[] = [];
	for (const size of SIZES) {
		results.push(await benchmark(mf, size));
	}
	const text = section(results);
	console.log(`\n${text}`);
	if (WRITE) {
		writeBenchmarks(text);
		log("BENCHMARKS.md updated");
	}
} finally {
	await mf.dispose();
	rmSync(persist, { recursive: true, force: true });
}
