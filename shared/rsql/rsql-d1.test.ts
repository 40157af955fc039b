/** Runs compiled RSQL against real D1 rows and checks the in-memory evaluator agrees. */
import { env } from "cloudflare:workers";
import { and, asc, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { createDb } from "../db/client";
import { ensureTenant } from "../db/queries/tenants";
import { actions, distributionSets, targets, targetTypes } from "../db/schema";
import { DomainError } from "../errors";
import { ACTIONS, compileRsql, matchesRsql, type RsqlTargetRecord, TARGETS } from ".";

const TENANT = "RSQL-D1";
const OTHER = "RSQL-D1-OTHER";
const db = createDb(env.DB);

const records: RsqlTargetRecord[] = [
	{
		controllerId: "dev-1",
		name: "Device One",
		description: "first",
		updateStatus: "in_sync",
		address: "http://10.0.0.7",
		attributes: { hwRevision: "2", os: "linux" },
		metadata: {},
		tags: ["prod", "eu"],
		group: "Europe/East",
		lastControllerRequestAt: 1000,
		assignedDs: { name: "fw", version: "1.0" },
		type: { id: 0, key: "gateway", name: "Gateway" },
		autoConfirm: false,
	},
	{
		controllerId: "dev-2",
		name: "Device Two",
		description: null,
		updateStatus: "pending",
		address: null,
		attributes: { hwRevision: "3" },
		metadata: { region: "eu" },
		tags: ["prod"],
		group: null,
		lastControllerRequestAt: null,
		assignedDs: { name: "fw", version: "2.0" },
		type: null,
		autoConfirm: true,
	},
	{
		controllerId: "Dev_3*",
		name: "odd%name",
		description: "",
		updateStatus: "unknown",
		address: null,
		attributes: {},
		metadata: {},
		tags: [],
		group: null,
		lastControllerRequestAt: null,
		assignedDs: null,
		type: null,
		autoConfirm: false,
	},
];
const ids = new Map<string, number>();

beforeAll(async () => {
	const { defaultDsTypeId } = await ensureTenant(db, env.DB, TENANT);
	const [gw] = await db
		.insert(targetTypes)
		.values({ tenant: TENANT, key: "gateway", name: "Gateway" })
		.returning();
	const dsIds = new Map<string, number>();
	for (const v of ["1.0", "2.0"]) {
		const [ds] = await db
			.insert(distributionSets)
			.values({ tenant: TENANT, typeId: defaultDsTypeId, name: "fw", version: v })
			.returning();
		dsIds.set(v, ds?.id as number);
	}
	for (const r of records) {
		const [row] = await db
			.insert(targets)
			.values({
				tenant: TENANT,
				controllerId: r.controllerId,
				name: r.name as string,
				description: r.description,
				securityToken: "x",
				address: r.address,
				updateStatus: r.updateStatus as "unknown",
				group: r.group,
				lastTargetQuery: r.lastControllerRequestAt,
				assignedDsId: r.assignedDs ? dsIds.get(r.assignedDs.version) : null,
				targetTypeId: r.type ? gw?.id : null,
				autoConfirmActive: r.autoConfirm,
			})
			.returning();
		const id = row?.id as number;
		ids.set(r.controllerId, id);
		for (const [k, v] of Object.entries(r.attributes ?? {})) {
			await env.DB.prepare("INSERT INTO target_attributes (target_id, key, value) VALUES (?, ?, ?)")
				.bind(id, k, v)
				.run();
		}
		for (const [k, v] of Object.entries(r.metadata ?? {})) {
			await env.DB.prepare("INSERT INTO target_metadata (target_id, key, value) VALUES (?, ?, ?)")
				.bind(id, k, v)
				.run();
		}
		for (const tag of r.tags ?? []) {
			await env.DB.prepare(
				"INSERT OR IGNORE INTO target_tags (tenant, name, created_at, last_modified_at) VALUES (?, ?, 0, 0)",
			)
				.bind(TENANT, tag)
				.run();
			await env.DB.prepare(
				"INSERT INTO target_tag_assignments (target_id, tag_id) SELECT ?, id FROM target_tags WHERE tenant = ? AND name = ?",
			)
				.bind(id, TENANT, tag)
				.run();
		}
	}
	// A look-alike in another tenant must never appear.
	await db
		.insert(targets)
		.values({ tenant: OTHER, controllerId: "dev-1", name: "Device One", securityToken: "y" });
	await db.insert(actions).values([
		{
			tenant: TENANT,
			targetId: ids.get("dev-1") as number,
			dsId: dsIds.get("1.0") as number,
			status: "RUNNING",
			active: true,
			weight: 600,
		},
		{
			tenant: TENANT,
			targetId: ids.get("dev-2") as number,
			dsId: dsIds.get("2.0") as number,
			status: "FINISHED",
			active: false,
		},
	]);
	for (const r of records) {
		if (r.type) {
			r.type.id = gw?.id as number;
		}
	}
});

async function query(q: string, ctx = {}): Promise<string[]> {
	const rows = await db
		.select({ cid: targets.controllerId })
		.from(targets)
		.where(and(eq(targets.tenant, TENANT), compileRsql(q, TARGETS, ctx)))
		.orderBy(asc(targets.id));
	return rows.map((r) => r.cid);
}

const CASES: [string, string[], object?][] = [
	["id==dev-1", ["dev-1"]],
	["controllerId==DEV-1", ["dev-1"]],
	["name==device*", ["dev-1", "dev-2"]],
	["name==*TWO", ["dev-2"]],
	["name==odd%name", ["Dev_3*"]],
	["name==odd*name", ["Dev_3*"]],
	["id==dev_*", ["Dev_3*"]],
	["id==dev_3\\*", ["Dev_3*"]],
	["id==dev-\\*", []],
	["name=='Device One'", ["dev-1"]],
	['name=="device one"', ["dev-1"]],
	["description!=first", ["dev-2", "Dev_3*"]],
	["description==''", ["dev-2", "Dev_3*"]],
	["description!=''", ["dev-1"]],
	["description=is=null", ["dev-2"]],
	["description=not=null", ["dev-1", "Dev_3*"]],
	["description=eq=first", ["dev-1"]],
	["description=ne=first", ["dev-2", "Dev_3*"]],
	["updatestatus==IN_SYNC", ["dev-1"]],
	["updatestatus=in=(pending,unknown)", ["dev-2", "Dev_3*"]],
	["updatestatus=out=(pending)", ["dev-1", "Dev_3*"]],
	["ipaddress==*10.0.0.7*", ["dev-1"]],
	["ipaddress!=*10.0.0.7*", ["dev-2", "Dev_3*"]],
	["attribute.hwRevision==2", ["dev-1"]],
	["attribute.hwrevision!=2", ["dev-2", "Dev_3*"]],
	["attribute.os=is=null", ["dev-2", "Dev_3*"]],
	["attribute.os=not=null", ["dev-1"]],
	["attribute.hwRevision=gt=2", ["dev-2"]],
	["attribute.hwRevision=in=(2,3)", ["dev-1", "dev-2"]],
	["metadata.region==EU", ["dev-2"]],
	["tag==prod", ["dev-1", "dev-2"]],
	["tag!=eu", ["dev-2", "Dev_3*"]],
	["tag.name=out=(prod)", ["Dev_3*"]],
	["tag=is=null", ["Dev_3*"]],
	["group==Europe/*", ["dev-1"]],
	["group!=Europe/East", ["dev-2", "Dev_3*"]],
	["assignedds.version==1.0", ["dev-1"]],
	["assignedds.name==fw;assignedds.version!=1.0", ["dev-2"]],
	["assignedds.name!=fw", ["Dev_3*"]],
	["installedds.name=is=null", ["dev-1", "dev-2", "Dev_3*"]],
	["lastcontrollerrequestat=le=${OVERDUE_TS}", ["dev-1"], { overdueTs: 5000 }],
	["lastcontrollerrequestat=gt=${NOW_TS}", [], { now: 2000 }],
	["lastcontrollerrequestat=lt=${NOW_TS}", ["dev-1"], { now: 2000 }],
	["type==gateway", ["dev-1"]],
	["targettype.key==GATEWAY", ["dev-1"]],
	["type.name!=gateway", ["dev-2", "Dev_3*"]],
	["autoconfirm==true", ["dev-2"]],
	["name==device* and id!=dev-1 or id==dev_3\\*", ["dev-2", "Dev_3*"]],
	["(id==dev-1,id==dev-2);tag==eu", ["dev-1"]],
	["id==dev-1,id==dev-2;tag==eu", ["dev-1"]],
];

describe("compiled RSQL on D1 (targets)", () => {
	for (const [q, expected, ctx] of CASES) {
		it(`${q} → [${expected.join(", ")}]`, async () => {
			expect(await query(q, ctx)).toEqual(expected);
			const inMemory = records
				.filter((r) => matchesRsql(q, TARGETS, r, ctx))
				.map((r) => r.controllerId);
			expect(inMemory).toEqual(expected);
		});
	}

	it("never reads another tenant's rows", async () => {
		expect(await query("id==dev-1")).toEqual(["dev-1"]);
		const all = await db.select().from(targets).where(compileRsql("id==dev-1", TARGETS));
		expect(all.length).toBe(2); // the tenant filter is what separates them
	});

	it("raises 400 errors before touching D1", () => {
		expect(() => compileRsql("foo==1", TARGETS)).toThrow(DomainError);
	});
});

describe("compiled RSQL on D1 (actions)", () => {
	it("filters by upper-case stored status, references and weight", async () => {
		const run = async (q: string) =>
			(
				await db
					.select({ id: actions.id, targetId: actions.targetId })
					.from(actions)
					.where(and(eq(actions.tenant, TENANT), compileRsql(q, ACTIONS)))
			).map((r) => r.targetId);
		expect(await run("status==RUNNING")).toEqual([ids.get("dev-1")]);
		expect(await run("active==false")).toEqual([ids.get("dev-2")]);
		expect(await run("target.controllerId==dev-2")).toEqual([ids.get("dev-2")]);
		expect(await run("distributionset.version==1.0;weight=ge=600")).toEqual([ids.get("dev-1")]);
		expect(await run("weight!=600")).toEqual([ids.get("dev-2")]);
		expect(await run("distributionset.type==os_app")).toHaveLength(2);
	});
});
