import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../shared/db/client";
import { runAuthMatrix } from "../testing/auth-matrix";
import {
	api,
	createCompleteDs,
	createDs,
	createModule,
	errorCode,
	json,
	uniq,
} from "./repository-testing";

const db = createDb(env.DB);

/** A target straight in D1 (the targets API belongs to another module). */
async function givenTarget(controllerId = uniq("dev")): Promise<string> {
	const now = Date.now();
	await env.DB.prepare(
		`INSERT INTO targets (tenant, controller_id, name, security_token, update_status, created_at, last_modified_at)
		 VALUES ('DEFAULT', ?1, ?1, 'tok', 'registered', ?2, ?2)`,
	)
		.bind(controllerId, now)
		.run();
	return controllerId;
}

describe("POST /rest/v1/distributionsets", () => {
	it("creates a set with its modules, default type os_app, and answers complete", async () => {
		const os = await createModule();
		const app = await createModule({ type: "application" });
		const name = uniq("fw");
		const [ds] = await json(
			await api("POST", "/distributionsets", [
				{
					name,
					version: "1.0",
					description: "d",
					modules: [{ id: os.id }, { id: app.id }],
					requiredMigrationStep: false,
				},
			]),
			201,
		);
		expect(ds).toMatchObject({
			name,
			version: "1.0",
			type: "os_app",
			typeName: "OS with app(s)",
			complete: true,
			locked: false,
			deleted: false,
			valid: true,
			requiredMigrationStep: false,
		});
		expect(ds.modules.map((m: { id: number }) => m.id)).toEqual([os.id, app.id]);
		expect(Object.keys(ds._links).sort()).toEqual(["metadata", "modules", "self", "type"]);
	});

	it("accepts a single object, and answers incomplete without the mandatory module", async () => {
		const app = await createModule({ type: "application" });
		const res = await json(
			await api("POST", "/distributionsets", {
				name: uniq("one"),
				version: "1",
				modules: [{ id: app.id }],
			}),
			201,
		);
		expect(res).toHaveLength(1);
		expect(res[0].complete).toBe(false);
	});

	it("answers 409 for a taken name+version and creates none of the request", async () => {
		const ds = await createDs();
		const fresh = uniq("fresh");
		const res = await api("POST", "/distributionsets", [
			{ name: fresh, version: "1" },
			{ name: ds.name, version: ds.version },
		]);
		expect(res.status).toBe(409);
		expect((await json(await api("GET", `/distributionsets?q=name==${fresh}`), 200)).total).toBe(0);
	});

	it("refuses a module type the DS type does not support and a second OS module", async () => {
		const os1 = await createModule();
		const os2 = await createModule();
		const app = await createModule({ type: "application" });
		const unsupported = await api("POST", "/distributionsets", [
			{ name: uniq("x"), version: "1", type: "os", modules: [{ id: app.id }] },
		]);
		expect(unsupported.status).toBe(400);
		expect(await errorCode(unsupported)).toBe("distributionset.modules.unsupported");
		const two = await api("POST", "/distributionsets", [
			{ name: uniq("x"), version: "1", modules: [{ id: os1.id }, { id: os2.id }] },
		]);
		expect(await errorCode(two)).toBe("distributionset.modules.unsupported");
		const missing = await api("POST", "/distributionsets", [
			{ name: uniq("x"), version: "1", modules: [{ id: 99999999 }] },
		]);
		expect(missing.status).toBe(404);
	});
});

describe("GET /rest/v1/distributionsets", () => {
	it("filters with RSQL and hides soft-deleted sets unless asked", async () => {
		const ds = await createCompleteDs();
		const page = await json(
			await api("GET", `/distributionsets?q=name==${ds.name};type==os_app`),
			200,
		);
		expect(page).toMatchObject({ total: 1, size: 1 });
		expect(Object.keys(page.content[0]._links)).toEqual(["self"]);
	});
});

describe("/rest/v1/distributionsets/{id}/assignedSM", () => {
	it("adds and removes modules, then refuses both with 423 once locked", async () => {
		const ds = await createDs();
		const os = await createModule();
		const app = await createModule({ type: "application" });
		expect(
			(await api("POST", `/distributionsets/${ds.id}/assignedSM`, [{ id: os.id }, { id: app.id }]))
				.status,
		).toBe(204);
		const page = await json(
			await api("GET", `/distributionsets/${ds.id}/assignedSM?sort=name:DESC`),
			200,
		);
		expect(page.total).toBe(2);
		expect((await api("DELETE", `/distributionsets/${ds.id}/assignedSM/${app.id}`)).status).toBe(
			204,
		);
		const locked = await json(
			await api("PUT", `/distributionsets/${ds.id}`, { locked: true }),
			200,
		);
		expect(locked.locked).toBe(true);
		// Locking a set locks its modules too.
		expect((await json(await api("GET", `/softwaremodules/${os.id}`), 200)).locked).toBe(true);
		const add = await api("POST", `/distributionsets/${ds.id}/assignedSM`, [{ id: app.id }]);
		expect(add.status).toBe(423);
		expect(await errorCode(add)).toBe("locked");
		expect((await api("DELETE", `/distributionsets/${ds.id}/assignedSM/${os.id}`)).status).toBe(
			423,
		);
	});
});

describe("/rest/v1/distributionsets/{id}/metadata", () => {
	it("creates, lists, updates and deletes metadata", async () => {
		const ds = await createDs();
		const path = `/distributionsets/${ds.id}/metadata`;
		expect(
			(
				await api("POST", path, [
					{ key: "a", value: "1" },
					{ key: "b", value: "2" },
				])
			).status,
		).toBe(201);
		expect(await json(await api("GET", path), 200)).toEqual({
			content: [
				{ key: "a", value: "1" },
				{ key: "b", value: "2" },
			],
			total: 2,
			size: 2,
		});
		expect((await api("POST", path, [{ key: "a", value: "x" }])).status).toBe(409);
		expect((await api("PUT", `${path}/a`, { value: "9" })).status).toBe(204);
		expect(await json(await api("GET", `${path}/a`), 200)).toEqual({ key: "a", value: "9" });
		expect((await api("DELETE", `${path}/a`)).status).toBe(204);
		expect((await api("GET", `${path}/a`)).status).toBe(404);
	});
});

describe("POST /rest/v1/distributionsets/{id}/assignedTargets", () => {
	it("assigns a complete set, counts alreadyAssigned and lists the assigned targets", async () => {
		const ds = await createCompleteDs();
		const a = await givenTarget();
		const b = await givenTarget();
		const res = await json(
			await api("POST", `/distributionsets/${ds.id}/assignedTargets`, [
				{ id: a },
				{ id: b, type: "soft" },
			]),
			200,
		);
		expect(res).toMatchObject({ assigned: 2, alreadyAssigned: 0, total: 2 });
		expect(res.assignedActions[0]._links.self.href).toMatch(
			/\/rest\/v1\/targets\/.+\/actions\/\d+$/,
		);
		const again = await json(
			await api("POST", `/distributionsets/${ds.id}/assignedTargets`, { id: a }),
			200,
		);
		expect(again).toMatchObject({ assigned: 0, alreadyAssigned: 1, total: 1 });
		const assigned = await json(
			await api("GET", `/distributionsets/${ds.id}/assignedTargets?sort=controllerId:ASC`),
			200,
		);
		expect(assigned.content.map((t: { controllerId: string }) => t.controllerId)).toEqual(
			[a, b].sort(),
		);
		expect((await json(await api("GET", `/distributionsets/${ds.id}`), 200)).locked).toBe(true);
		const installed = await json(
			await api("GET", `/distributionsets/${ds.id}/installedTargets`),
			200,
		);
		expect(installed.total).toBe(0);
	});

	it("refuses an incomplete set with 400 distributionset.incomplete", async () => {
		const ds = await createDs();
		const res = await api("POST", `/distributionsets/${ds.id}/assignedTargets`, [
			{ id: await givenTarget() },
		]);
		expect(res.status).toBe(400);
		expect(await errorCode(res)).toBe("distributionset.incomplete");
	});
});

describe("POST /rest/v1/distributionsets/{id}/invalidate", () => {
	it("invalidates, removes auto-assignments, cancels actions (force) and blocks new assignments", async () => {
		const ds = await createCompleteDs();
		const target = await givenTarget();
		await json(
			await api("POST", `/distributionsets/${ds.id}/assignedTargets`, [{ id: target }]),
			200,
		);
		const filter = await json(
			await api("POST", "/targetfilters", { name: uniq("f"), query: "name==nothing" }),
			201,
		);
		await json(await api("POST", `/targetfilters/${filter.id}/autoAssignDS`, { id: ds.id }), 200);
		expect(
			(
				await api("POST", `/distributionsets/${ds.id}/invalidate`, {
					actionCancelationType: "force",
				})
			).status,
		).toBe(204);
		expect((await json(await api("GET", `/distributionsets/${ds.id}`), 200)).valid).toBe(false);
		expect(
			(await json(await api("GET", `/targetfilters/${filter.id}`), 200)).autoAssignDistributionSet,
		).toBeNull();
		const action = await db.query.actions.findFirst({ where: (a, { eq }) => eq(a.dsId, ds.id) });
		expect(action).toMatchObject({ status: "CANCELED", active: false });
		const res = await api("POST", `/distributionsets/${ds.id}/assignedTargets`, [
			{ id: await givenTarget() },
		]);
		expect(await errorCode(res)).toBe("distributionset.invalid");
		const stats = await json(await api("GET", `/distributionsets/${ds.id}/statistics`), 200);
		expect(stats).toEqual({
			actions: { CANCELED: 1, total: 1 },
			rollouts: { total: 0 },
			totalAutoAssignments: 0,
		});
		expect(
			await json(await api("GET", `/distributionsets/${ds.id}/statistics/rollouts`), 200),
		).toEqual({});
	});

	it("with soft leaves the action CANCELING for the device to confirm", async () => {
		const ds = await createCompleteDs();
		const target = await givenTarget();
		await json(
			await api("POST", `/distributionsets/${ds.id}/assignedTargets`, [{ id: target }]),
			200,
		);
		await api("POST", `/distributionsets/${ds.id}/invalidate`, { actionCancelationType: "soft" });
		const action = await db.query.actions.findFirst({ where: (a, { eq }) => eq(a.dsId, ds.id) });
		expect(action).toMatchObject({ status: "CANCELING", active: true });
	});
});

describe("DELETE /rest/v1/distributionsets/{id}", () => {
	it("hard-deletes an unused set and soft-deletes an assigned one", async () => {
		const unused = await createDs();
		expect((await api("DELETE", `/distributionsets/${unused.id}`)).status).toBe(204);
		expect((await api("GET", `/distributionsets/${unused.id}`)).status).toBe(404);
		const used = await createCompleteDs();
		await json(
			await api("POST", `/distributionsets/${used.id}/assignedTargets`, [
				{ id: await givenTarget() },
			]),
			200,
		);
		expect((await api("DELETE", `/distributionsets/${used.id}`)).status).toBe(204);
		expect(await json(await api("GET", `/distributionsets/${used.id}`), 200)).toMatchObject({
			deleted: true,
		});
		const listed = await json(
			await api("GET", `/distributionsets?q=id==${used.id}&soft_deleted_mode=INCLUDE_SOFT_DELETED`),
			200,
		);
		expect(listed.total).toBe(1);
		expect((await json(await api("GET", `/distributionsets?q=id==${used.id}`), 200)).total).toBe(0);
	});
});

const someDs = async () => `/rest/v1/distributionsets/${(await createDs()).id}`;
runAuthMatrix({
	method: "GET",
	path: "/rest/v1/distributionsets",
	permissions: ["READ_DISTRIBUTION_SET"],
	foreignTenant: async (res) => expect(((await res.json()) as { total: number }).total).toBe(0),
});
runAuthMatrix({ method: "GET", path: someDs, permissions: ["READ_DISTRIBUTION_SET"] });
runAuthMatrix({
	method: "POST",
	path: "/rest/v1/distributionsets",
	body: () => Promise.resolve([{ name: uniq("am"), version: "1" }]),
	permissions: ["CREATE_DISTRIBUTION_SET"],
	foreignTenant: 201,
});
runAuthMatrix({
	method: "PUT",
	path: someDs,
	body: { description: "x" },
	permissions: ["UPDATE_DISTRIBUTION_SET"],
});
runAuthMatrix({ method: "DELETE", path: someDs, permissions: ["DELETE_DISTRIBUTION_SET"] });
runAuthMatrix({
	method: "POST",
	path: async () => `${await someDs()}/assignedTargets`,
	body: [{ id: "nobody" }],
	permissions: ["READ_DISTRIBUTION_SET", "UPDATE_TARGET"],
});
runAuthMatrix({
	method: "POST",
	path: async () => `${await someDs()}/invalidate`,
	body: { actionCancelationType: "none" },
	permissions: ["UPDATE_DISTRIBUTION_SET"],
});
runAuthMatrix({
	method: "GET",
	path: async () => `${await someDs()}/statistics`,
	permissions: ["READ_DISTRIBUTION_SET"],
});
