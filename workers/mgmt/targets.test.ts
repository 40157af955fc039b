import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../shared/db/client";
import { sha256Hex } from "../../shared/domain/credentials";
import { pollEntryKey } from "../../shared/poll-cache";
import { runAuthMatrix } from "../testing/auth-matrix";
import { uniqueName } from "../testing/factories";
import { mgmtFetch, mgmtJson } from "../testing/mgmt-client";
import { givenUser, uniqueTenant } from "../testing/principals";

type Target = Record<string, unknown> & {
	controllerId: string;
	_links: Record<string, { href: string }>;
};
type Page<T> = { content: T[]; total: number; size: number };

async function createTarget(body: Record<string, unknown> = {}): Promise<Target> {
	const controllerId = (body.controllerId as string) ?? uniqueName("dev");
	const [t] = await mgmtJson<Target[]>("POST", "/targets", 201, {
		body: [{ controllerId, ...body }],
	});
	return t as Target;
}

describe("POST /rest/v1/targets", () => {
	it("creates targets with hawkBit's defaults and answers 201 with the array", async () => {
		const a = uniqueName("dev");
		const b = uniqueName("dev");
		const created = await mgmtJson<Target[]>("POST", "/targets", 201, {
			body: [
				{
					controllerId: a,
					name: "Alpha",
					description: "first",
					address: "http://10.0.0.7",
					group: "Europe/East",
				},
				{ controllerId: b },
			],
		});
		expect(created).toHaveLength(2);
		expect(created[0]).toMatchObject({
			controllerId: a,
			name: "Alpha",
			description: "first",
			updateStatus: "unknown",
			address: "http://10.0.0.7",
			ipAddress: "10.0.0.7",
			group: "Europe/East",
			requestAttributes: true,
			createdBy: "admin",
			_links: { self: { href: `https://mgmt.test/rest/v1/targets/${a}` } },
		});
		expect(created[1]).toMatchObject({ controllerId: b, name: b });
		expect(created[0]?.securityToken).toMatch(/^[0-9a-f]{32}$/);
		expect(created[0]).not.toHaveProperty("pollStatus");
		expect(created[0]).not.toHaveProperty("lastControllerRequestAt");
	});

	it("accepts a single object as a one-element array (ACCEPT_SINGLE_VALUE_AS_ARRAY)", async () => {
		const cid = uniqueName("dev");
		const res = await mgmtJson<Target[]>("POST", "/targets", 201, { body: { controllerId: cid } });
		expect(res[0]?.controllerId).toBe(cid);
	});

	it("answers 409 when a controllerId exists and creates nothing of the batch", async () => {
		const existing = await createTarget();
		const fresh = uniqueName("dev");
		const res = await mgmtFetch("POST", "/targets", {
			body: [{ controllerId: fresh }, { controllerId: existing.controllerId }],
		});
		expect(res.status).toBe(409);
		expect(await res.json()).toMatchObject({
			errorCode: "hawkbit.server.error.repo.entityAlreadyExists",
		});
		expect((await mgmtFetch("GET", `/targets/${fresh}`)).status).toBe(404);
	});

	it("answers 400 notReadable for malformed JSON, a missing controllerId and wrong types", async () => {
		for (const body of [
			"[{",
			JSON.stringify([{ name: "x" }]),
			JSON.stringify([{ controllerId: 5 }]),
		]) {
			const res = await mgmtFetch("POST", "/targets", { body });
			expect(res.status, body).toBe(400);
			expect(await res.json()).toMatchObject({
				errorCode: "hawkbit.server.error.rest.body.notReadable",
				exceptionClass: "org.eclipse.hawkbit.rest.exception.MessageNotReadableException",
			});
		}
	});

	it("answers 400 constraintViolation for an over-long name or markup", async () => {
		const res = await mgmtFetch("POST", "/targets", {
			body: [{ controllerId: uniqueName("dev"), name: "x".repeat(129) }],
		});
		expect(res.status).toBe(400);
		expect(await res.json()).toMatchObject({
			errorCode: "hawkbit.server.error.repo.constraintViolation",
		});
		const html = await mgmtFetch("POST", "/targets", {
			body: [{ controllerId: uniqueName("dev"), description: "<script>x</script>" }],
		});
		expect(html.status).toBe(400);
	});

	it("answers 415 in Spring's shape for a non-JSON body and 413 for an oversized one", async () => {
		const res = await mgmtFetch("POST", "/targets", {
			body: "controllerId=x",
			headers: { "Content-Type": "text/plain" },
		});
		expect(res.status).toBe(415);
		expect(await res.json()).toMatchObject({ status: 415, error: "Unsupported Media Type" });
		const big = await mgmtFetch("POST", "/targets", {
			body: JSON.stringify([{ controllerId: "x", description: "y".repeat(3 * 1024 * 1024) }]),
		});
		expect(big.status).toBe(413);
	});

	it("accepts application/hal+json request bodies", async () => {
		const cid = uniqueName("dev");
		const res = await mgmtFetch("POST", "/targets", {
			body: [{ controllerId: cid }],
			headers: { "Content-Type": "application/hal+json" },
		});
		expect(res.status).toBe(201);
	});

	it("writes the device's poll entry at once", async () => {
		const t = await createTarget();
		const entry = await env.POLL_CACHE.get(pollEntryKey("DEFAULT", t.controllerId));
		expect(entry).not.toBeNull();
	});
});

describe("GET /rest/v1/targets", () => {
	it("pages with offset/limit, sorts and filters with RSQL", async () => {
		const prefix = uniqueName("pg");
		for (const n of ["c", "a", "b"]) {
			await createTarget({ controllerId: `${prefix}-${n}`, name: `N-${n}` });
		}
		const page = await mgmtJson<Page<Target>>(
			"GET",
			`/targets?q=${encodeURIComponent(`id==${prefix}-*`)}&limit=2&offset=0`,
			200,
		);
		expect(page.total).toBe(3);
		expect(page.size).toBe(2);
		expect(page.content.map((t) => t.controllerId)).toEqual([`${prefix}-a`, `${prefix}-b`]);
		expect(Object.keys(page.content[0]?._links ?? {})).toEqual(["self"]);
		const desc = await mgmtJson<Page<Target>>(
			"GET",
			`/targets?q=${encodeURIComponent(`id==${prefix}-*`)}&sort=name:DESC&offset=1`,
			200,
		);
		expect(desc.content.map((t) => t.controllerId)).toEqual([`${prefix}-b`, `${prefix}-a`]);
	});

	it("clamps limit (<1 → 50, >500 → 500) and negative offsets", async () => {
		const ok = await mgmtFetch("GET", "/targets?limit=0&offset=-5");
		expect(ok.status).toBe(200);
		const huge = await mgmtJson<Page<Target>>("GET", "/targets?limit=100000", 200);
		expect(huge.size).toBeLessThanOrEqual(500);
	});

	it("answers hawkBit's 400s for bad sort and bad RSQL", async () => {
		const cases: [string, string][] = [
			["sort=name", "rest.param.sortParamSyntax"],
			["sort=nope:ASC", "rest.param.invalidField"],
			["sort=name:UP", "rest.param.invalidDirection"],
			[`q=${encodeURIComponent("name==")}`, "rest.param.rsqlParamSyntax"],
			[`q=${encodeURIComponent("nope==1")}`, "rest.param.rsqlInvalidField"],
			[`q=${encodeURIComponent("updatestatus==bogus")}`, "rest.param.rsqlInvalidField"],
		];
		for (const [qs, code] of cases) {
			const res = await mgmtFetch("GET", `/targets?${qs}`);
			expect(res.status, qs).toBe(400);
			expect((await res.json()) as object, qs).toMatchObject({
				errorCode: `hawkbit.server.error.${code}`,
			});
		}
	});

	it("answers application/hal+json by default and application/json when asked, with an ETag", async () => {
		const hal = await mgmtFetch("GET", "/targets?limit=1");
		expect(hal.headers.get("content-type")).toBe("application/hal+json");
		const etag = hal.headers.get("etag");
		expect(etag).toMatch(/^"0[0-9a-f]{32}"$/);
		const json = await mgmtFetch("GET", "/targets?limit=1", {
			headers: { Accept: "application/json" },
		});
		expect(json.headers.get("content-type")).toMatch(/^application\/json/);
	});

	it("answers 304 for a matching If-None-Match", async () => {
		const t = await createTarget();
		const first = await mgmtFetch("GET", `/targets/${t.controllerId}`);
		const etag = first.headers.get("etag") as string;
		const again = await mgmtFetch("GET", `/targets/${t.controllerId}`, {
			headers: { "If-None-Match": etag },
		});
		expect(again.status).toBe(304);
	});

	it("honours X-Forwarded-Proto/Host in links", async () => {
		const t = await createTarget();
		const res = await mgmtFetch("GET", `/targets/${t.controllerId}`, {
			headers: { "X-Forwarded-Proto": "http", "X-Forwarded-Host": "proxy.example:8080" },
		});
		const body = (await res.json()) as Target;
		expect(body._links.self?.href).toBe(
			`http://proxy.example:8080/rest/v1/targets/${t.controllerId}`,
		);
	});

	it("filters on attributes, tags and poll time via the target field names", async () => {
		const t = await createTarget();
		const db = createDb(env.DB);
		const row = await db.query.targets.findFirst({
			where: (x, { eq }) => eq(x.controllerId, t.controllerId),
		});
		await env.DB.prepare(
			"INSERT INTO target_attributes (target_id, key, value) VALUES (?, 'hwRevision', 'R7')",
		)
			.bind(row?.id)
			.run();
		const page = await mgmtJson<Page<Target>>(
			"GET",
			`/targets?q=${encodeURIComponent(`attribute.hwrevision==r7;id==${t.controllerId}`)}`,
			200,
		);
		expect(page.content.map((x) => x.controllerId)).toEqual([t.controllerId]);
	});
});

describe("GET/PUT/DELETE /rest/v1/targets/{targetId}", () => {
	it("returns all links on a single read", async () => {
		const t = await createTarget();
		const body = await mgmtJson<Target>("GET", `/targets/${t.controllerId}`, 200);
		expect(Object.keys(body._links).sort()).toEqual(
			["actions", "assignedDS", "attributes", "installedDS", "metadata", "self"].sort(),
		);
		expect(body._links.actions?.href).toBe(
			`https://mgmt.test/rest/v1/targets/${t.controllerId}/actions?offset=0&limit=50&sort=id%3ADESC`,
		);
	});

	it("computes pollStatus from the last poll and the tenant's polling times", async () => {
		const t = await createTarget();
		const last = Date.now() - 60 * 60_000;
		await env.DB.prepare("UPDATE targets SET last_target_query = ? WHERE controller_id = ?")
			.bind(last, t.controllerId)
			.run();
		const body = await mgmtJson<Target>("GET", `/targets/${t.controllerId}`, 200);
		expect(body.lastControllerRequestAt).toBe(last);
		expect(body.pollStatus).toEqual({
			lastRequestAt: last,
			nextExpectedRequestAt: last + 5 * 60_000,
			overdue: true,
		});
		const overdue = await mgmtJson<Page<Target>>(
			"GET",
			`/targets?q=${encodeURIComponent(`id==${t.controllerId};lastcontrollerrequestat=le=\${OVERDUE_TS}`)}`,
			200,
		);
		expect(overdue.total).toBe(1);
	});

	it("updates partially, regenerates nothing unasked and refreshes the poll entry", async () => {
		const t = await createTarget({ description: "keep me" });
		const res = await mgmtJson<Target>("PUT", `/targets/${t.controllerId}`, 200, {
			body: { name: "Renamed", securityToken: "f".repeat(32), unknownField: 1 },
		});
		expect(res).toMatchObject({
			name: "Renamed",
			description: "keep me",
			securityToken: "f".repeat(32),
		});
		const entry = (await env.POLL_CACHE.get(pollEntryKey("DEFAULT", t.controllerId), "json")) as {
			tokenSha256: string;
		};
		expect(entry.tokenSha256).toBe(await sha256Hex("f".repeat(32)));
	});

	it("answers a bare 400 for requestAttributes:false", async () => {
		const t = await createTarget();
		const res = await mgmtFetch("PUT", `/targets/${t.controllerId}`, {
			body: { requestAttributes: false },
		});
		expect(res.status).toBe(400);
	});

	it("deletes a target (204), removes its poll entry, then answers 404 with hawkBit's info", async () => {
		const t = await createTarget();
		expect((await mgmtFetch("DELETE", `/targets/${t.controllerId}`)).status).toBe(204);
		expect(await env.POLL_CACHE.get(pollEntryKey("DEFAULT", t.controllerId))).toBeNull();
		const res = await mgmtFetch("GET", `/targets/${t.controllerId}`);
		expect(res.status).toBe(404);
		expect(await res.json()).toEqual({
			exceptionClass: "org.eclipse.hawkbit.repository.exception.EntityNotFoundException",
			errorCode: "hawkbit.server.error.repo.entityNotFound",
			message: `Target with given identifier {${t.controllerId}} does not exist.`,
			info: { type: "Target", entityId: t.controllerId },
		});
		expect((await mgmtFetch("DELETE", `/targets/${t.controllerId}`)).status).toBe(404);
	});

	it("shows securityToken only with READ_TARGET_SECURITY_TOKEN", async () => {
		const t = await createTarget();
		const reader = await givenUser(env, { authorities: ["READ_TARGET"] });
		const plain = await mgmtJson<Target>("GET", `/targets/${t.controllerId}`, 200, {
			auth: reader.auth,
		});
		expect(plain).not.toHaveProperty("securityToken");
		const trusted = await givenUser(env, {
			authorities: ["READ_TARGET", "READ_TARGET_SECURITY_TOKEN"],
		});
		const full = await mgmtJson<Target>("GET", `/targets/${t.controllerId}`, 200, {
			auth: trusted.auth,
		});
		expect(full.securityToken).toBe(t.securityToken);
	});

	it("never shows another tenant's targets", async () => {
		const t = await createTarget();
		const other = await givenUser(env, {
			tenant: uniqueTenant(),
			authorities: ["ROLE_TENANT_ADMIN"],
		});
		expect(
			(await mgmtFetch("GET", `/targets/${t.controllerId}`, { auth: other.auth })).status,
		).toBe(404);
		const list = await mgmtJson<Page<Target>>("GET", `/targets?q=id==${t.controllerId}`, 200, {
			auth: other.auth,
		});
		expect(list.total).toBe(0);
		expect(
			(await mgmtFetch("DELETE", `/targets/${t.controllerId}`, { auth: other.auth })).status,
		).toBe(404);
		expect((await mgmtFetch("GET", `/targets/${t.controllerId}`)).status).toBe(200);
	});
});

describe("target sub-resources", () => {
	it("GET attributes answers 204 when empty and the map otherwise", async () => {
		const t = await createTarget();
		expect((await mgmtFetch("GET", `/targets/${t.controllerId}/attributes`)).status).toBe(204);
		await env.DB.prepare(
			"INSERT INTO target_attributes (target_id, key, value) SELECT id, 'os', 'linux' FROM targets WHERE controller_id = ?",
		)
			.bind(t.controllerId)
			.run();
		expect(await mgmtJson("GET", `/targets/${t.controllerId}/attributes`, 200)).toEqual({
			os: "linux",
		});
	});

	it("assigns and removes a target type (204) and refuses an unknown one (404)", async () => {
		const t = await createTarget();
		const [type] = await mgmtJson<{ id: number }[]>("POST", "/targettypes", 201, {
			body: [{ name: uniqueName("gw") }],
		});
		expect(
			(await mgmtFetch("POST", `/targets/${t.controllerId}/targettype`, { body: { id: type?.id } }))
				.status,
		).toBe(204);
		const body = await mgmtJson<Target>("GET", `/targets/${t.controllerId}`, 200);
		expect(body.targetType).toBe(type?.id);
		expect(body._links.targetType?.href).toBe(`https://mgmt.test/rest/v1/targettypes/${type?.id}`);
		expect((await mgmtFetch("DELETE", `/targets/${t.controllerId}/targettype`)).status).toBe(204);
		expect(await mgmtJson<Target>("GET", `/targets/${t.controllerId}`, 200)).not.toHaveProperty(
			"targetType",
		);
		expect(
			(await mgmtFetch("POST", `/targets/${t.controllerId}/targettype`, { body: { id: 999999 } }))
				.status,
		).toBe(404);
		const unassign = await mgmtJson<Target>("PUT", `/targets/${t.controllerId}`, 200, {
			body: { targetType: type?.id },
		});
		expect(unassign.targetType).toBe(type?.id);
		const cleared = await mgmtJson<Target>("PUT", `/targets/${t.controllerId}`, 200, {
			body: { targetType: -1 },
		});
		expect(cleared).not.toHaveProperty("targetType");
	});

	it("manages metadata: 201 without body, 409 on duplicates, PUT upserts, DELETE 204 then 404", async () => {
		const t = await createTarget();
		const base = `/targets/${t.controllerId}/metadata`;
		const created = await mgmtFetch("POST", base, { body: [{ key: "region", value: "eu" }] });
		expect(created.status).toBe(201);
		expect(await created.text()).toBe("");
		expect((await mgmtFetch("POST", base, { body: [{ key: "region", value: "us" }] })).status).toBe(
			409,
		);
		expect(await mgmtJson("GET", `${base}/region`, 200)).toEqual({ key: "region", value: "eu" });
		expect((await mgmtFetch("PUT", `${base}/region`, { body: { value: "us" } })).status).toBe(204);
		expect((await mgmtFetch("PUT", `${base}/other`, { body: { value: "x" } })).status).toBe(204);
		expect(await mgmtJson("GET", base, 200)).toEqual({
			content: [
				{ key: "other", value: "x" },
				{ key: "region", value: "us" },
			],
			total: 2,
			size: 2,
		});
		expect((await mgmtFetch("DELETE", `${base}/region`)).status).toBe(204);
		expect((await mgmtFetch("GET", `${base}/region`)).status).toBe(404);
	});

	it("enforces the metadata quota with 429", async () => {
		const t = await createTarget();
		const entries = Array.from({ length: 101 }, (_, i) => ({ key: `k${i}`, value: "v" }));
		const res = await mgmtFetch("POST", `/targets/${t.controllerId}/metadata`, { body: entries });
		expect(res.status).toBe(429);
		expect(await res.json()).toMatchObject({
			errorCode: "hawkbit.server.error.quota.tooManyEntries",
		});
	});

	it("lists the target's tags as a plain array", async () => {
		const t = await createTarget();
		const [tag] = await mgmtJson<{ id: number; name: string }[]>("POST", "/targettags", 201, {
			body: [{ name: uniqueName("tag") }],
		});
		expect(await mgmtJson("GET", `/targets/${t.controllerId}/tags`, 200)).toEqual([]);
		expect(
			(await mgmtFetch("POST", `/targettags/${tag?.id}/assigned/${t.controllerId}`)).status,
		).toBe(204);
		const tags = await mgmtJson<{ id: number }[]>("GET", `/targets/${t.controllerId}/tags`, 200);
		expect(tags.map((x) => x.id)).toEqual([tag?.id]);
	});

	it("toggles auto-confirm: GET shows links, activate twice is 409", async () => {
		const t = await createTarget();
		const base = `/targets/${t.controllerId}/autoConfirm`;
		expect(await mgmtJson("GET", base, 200)).toEqual({
			active: false,
			_links: { activate: { href: `https://mgmt.test/rest/v1${base}/activate` } },
		});
		expect(
			(await mgmtFetch("POST", `${base}/activate`, { body: { initiator: "ops", remark: "night" } }))
				.status,
		).toBe(204);
		expect(await mgmtJson("GET", base, 200)).toMatchObject({
			active: true,
			initiator: "ops",
			remark: "night",
			_links: { deactivate: { href: `https://mgmt.test/rest/v1${base}/deactivate` } },
		});
		expect((await mgmtFetch("POST", `${base}/activate`)).status).toBe(409);
		expect((await mgmtFetch("POST", `${base}/deactivate`)).status).toBe(204);
		expect(await mgmtJson("GET", base, 200)).toMatchObject({ active: false });
	});
});

const targetPath = async () => `/rest/v1/targets/${(await createTarget()).controllerId}`;
const emptyList = async (res: Response) => {
	expect(res.status).toBe(200);
	expect(((await res.json()) as Page<unknown>).total).toBe(0);
};

runAuthMatrix({
	method: "GET",
	path: "/rest/v1/targets?q=id==never-there-xyz",
	permissions: ["READ_TARGET"],
	foreignTenant: emptyList,
});
runAuthMatrix({
	method: "POST",
	path: "/rest/v1/targets",
	body: () => Promise.resolve([{ controllerId: uniqueName("am") }]),
	permissions: ["CREATE_TARGET"],
	foreignTenant: 201,
});
runAuthMatrix({ method: "GET", path: targetPath, permissions: ["READ_TARGET"] });
runAuthMatrix({
	method: "PUT",
	path: targetPath,
	body: { name: "x" },
	permissions: ["UPDATE_TARGET"],
});
runAuthMatrix({ method: "DELETE", path: targetPath, permissions: ["DELETE_TARGET"] });
runAuthMatrix({
	method: "GET",
	path: async () => `${await targetPath()}/attributes`,
	permissions: ["READ_TARGET"],
});
runAuthMatrix({
	method: "POST",
	path: async () => `${await targetPath()}/targettype`,
	body: { id: 1 },
	permissions: ["UPDATE_TARGET"],
});
runAuthMatrix({
	method: "DELETE",
	path: async () => `${await targetPath()}/targettype`,
	permissions: ["UPDATE_TARGET"],
});
runAuthMatrix({
	method: "GET",
	path: async () => `${await targetPath()}/tags`,
	permissions: ["READ_TARGET"],
});
runAuthMatrix({
	method: "GET",
	path: async () => `${await targetPath()}/metadata`,
	permissions: ["READ_TARGET"],
});
runAuthMatrix({
	method: "POST",
	path: async () => `${await targetPath()}/metadata`,
	body: [{ key: "k", value: "v" }],
	permissions: ["UPDATE_TARGET"],
});
runAuthMatrix({
	method: "GET",
	path: async () => `${await targetPath()}/metadata/k`,
	permissions: ["READ_TARGET"],
});
runAuthMatrix({
	method: "PUT",
	path: async () => `${await targetPath()}/metadata/k`,
	body: { value: "v" },
	permissions: ["UPDATE_TARGET"],
});
runAuthMatrix({
	method: "DELETE",
	path: async () => `${await targetPath()}/metadata/k`,
	permissions: ["UPDATE_TARGET"],
});
runAuthMatrix({
	method: "GET",
	path: async () => `${await targetPath()}/autoConfirm`,
	permissions: ["READ_TARGET"],
});
runAuthMatrix({
	method: "POST",
	path: async () => `${await targetPath()}/autoConfirm/activate`,
	permissions: ["UPDATE_TARGET"],
});
runAuthMatrix({
	method: "POST",
	path: async () => `${await targetPath()}/autoConfirm/deactivate`,
	permissions: ["UPDATE_TARGET"],
});
