/**
 * /rest/v1/distributionsets: sets, their modules, metadata, target assignment, invalidation and
 * statistics. hawkBit: MgmtDistributionSetRestApi / MgmtDistributionSetResource (§4.8, §6.5, §6.9).
 */
import { and, eq } from "drizzle-orm";
import type { Context } from "hono";
import { z } from "zod";
import {
	assignDistributionSet,
	cancelAction,
	forceQuitAction,
} from "../../shared/db/queries/deployments";
import {
	addDsModules,
	type DsMetadataRow,
	type DsView,
	deleteDistributionSet,
	deleteDsMetadata,
	distributionSetStatistics,
	findDsMetadata,
	getDistributionSet,
	insertDistributionSets,
	insertDsMetadata,
	invalidateDistributionSet,
	listDistributionSets,
	listDsMetadata,
	listDsModules,
	removeDsModule,
	updateDistributionSet,
	updateDsMetadata,
} from "../../shared/db/queries/distribution-sets";
import { listTargetFilters } from "../../shared/db/queries/target-filters";
import { listTargets } from "../../shared/db/queries/targets";
import { targets } from "../../shared/db/schema";
import { assertConstraints, SIZES } from "../../shared/domain/repository-constraints";
import {
	MgmtDistributionSet,
	MgmtDistributionSetRequestBodyPost,
	MgmtDistributionSetRequestBodyPut,
	MgmtDistributionSetStatistics,
	MgmtInvalidateDistributionSetRequestBody,
	MgmtTargetAssignmentRequestBody,
	MgmtTargetAssignmentResponseBody,
} from "../../shared/mgmt/distribution-sets";
import {
	arrayOrSingle,
	audit,
	MgmtId,
	MgmtMetadata,
	MgmtMetadataBodyPut,
	nonNull,
	SoftDeletedMode,
} from "../../shared/mgmt/repository-base";
import { MgmtSoftwareModule } from "../../shared/mgmt/software-modules";
import { MgmtTargetFilterQuery } from "../../shared/mgmt/target-filters";
import { MgmtTarget } from "../../shared/mgmt/targets";
import { refreshPollingOverrides } from "../../shared/poll-cache";
import {
	DISTRIBUTION_SETS,
	rsqlWhere,
	SOFTWARE_MODULES,
	TARGET_FILTERS,
	TARGETS,
} from "../../shared/rsql";
import { readTenantConfigSnapshot } from "../../shared/tenant-config";
import type { MgmtEnv } from "../middleware/mgmt-auth";
import { stopRolloutsOfDistributionSet } from "../rollouts/notify";
import { mgmtLink, pagingSuffix, seg } from "./hal";
import {
	CONFLICT,
	jsonBody,
	jsonResponse,
	mgmtRoute,
	mgmtRouter,
	NO_CONTENT,
	NOT_FOUND,
} from "./openapi";
import { PagedList, PagingOnlyQuery, PagingQuery, paged, pageRequest } from "./paging";
import { toMgmtSoftwareModule } from "./software-modules";
import { toMgmtTargetFilter } from "./target-filters";
import { overdueContext, targetRenderContext, toMgmtTarget } from "./targets";

const TAG = ["Distribution sets"];
const IdParam = z.object({ distributionSetId: z.coerce.number().int() });
const MetaParam = IdParam.extend({ metadataKey: z.string() });
const ModuleParam = IdParam.extend({ softwareModuleId: z.coerce.number().int() });
const LOCKED = { 423: { description: "Locked" } } as const;

/** hawkBit's MgmtDistributionSetMapper; `full` adds the links of a single GET/PUT. */
export function toMgmtDistributionSet(c: Context, d: DsView, full = false): MgmtDistributionSet {
	const self = `/distributionsets/${d.id}`;
	const links: Record<string, { href: string }> = { self: mgmtLink(c, self) };
	if (full) {
		links.modules = mgmtLink(c, `${self}/assignedSM?offset=0&limit=50`);
		links.type = mgmtLink(c, `/distributionsettypes/${d.typeId}`);
		links.metadata = mgmtLink(c, `${self}/metadata${pagingSuffix("key:ASC")}`);
	}
	return nonNull({
		...audit(d),
		id: d.id,
		name: d.name,
		description: d.description,
		version: d.version,
		modules: d.modules.map((m) => toMgmtSoftwareModule(c, m)),
		requiredMigrationStep: d.requiredMigrationStep,
		type: d.typeKey,
		typeName: d.typeName,
		complete: d.complete,
		locked: d.locked,
		deleted: d.deleted,
		valid: d.valid,
		_links: links,
	}) as MgmtDistributionSet;
}

function checkDs(
	d: { name?: string | null; version?: string | null; description?: string | null },
	create: boolean,
) {
	assertConstraints([
		{ property: "name", value: d.name, max: SIZES.name, required: create },
		{ property: "version", value: d.version, max: SIZES.version, required: create },
		{ property: "description", value: d.description, max: SIZES.description },
	]);
}

function checkMetadata(m: { key?: string | null; value?: string | null }, withKey: boolean) {
	assertConstraints([
		{ property: "key", value: m.key, max: SIZES.metadataKey, required: withKey },
		{ property: "value", value: m.value, max: SIZES.metadataValue, allowMarkup: true },
	]);
}

const toMeta = (m: DsMetadataRow) => ({ key: m.key, value: m.value });

const list = mgmtRoute({
	method: "get",
	path: "/distributionsets",
	tags: TAG,
	summary: "List distribution sets",
	permissions: ["READ_DISTRIBUTION_SET"],
	request: { query: PagingQuery.extend({ soft_deleted_mode: SoftDeletedMode }) },
	responses: {
		200: jsonResponse(
			PagedList(MgmtDistributionSet, "PagedListMgmtDistributionSet"),
			"Page of sets",
		),
	},
});

const create = mgmtRoute({
	method: "post",
	path: "/distributionsets",
	tags: TAG,
	summary: "Create distribution sets (array; a single object is accepted too)",
	permissions: ["CREATE_DISTRIBUTION_SET"],
	request: { body: jsonBody(arrayOrSingle(MgmtDistributionSetRequestBodyPost)) },
	responses: {
		201: jsonResponse(z.array(MgmtDistributionSet), "Created sets"),
		...NOT_FOUND,
		...CONFLICT,
	},
});

const getOne = mgmtRoute({
	method: "get",
	path: "/distributionsets/{distributionSetId}",
	tags: TAG,
	summary: "Get one distribution set",
	permissions: ["READ_DISTRIBUTION_SET"],
	request: { params: IdParam },
	responses: { 200: jsonResponse(MgmtDistributionSet, "The set"), ...NOT_FOUND },
});

const update = mgmtRoute({
	method: "put",
	path: "/distributionsets/{distributionSetId}",
	tags: TAG,
	summary: "Update name, version, description, lock and requiredMigrationStep",
	permissions: ["UPDATE_DISTRIBUTION_SET"],
	request: { params: IdParam, body: jsonBody(MgmtDistributionSetRequestBodyPut) },
	responses: {
		200: jsonResponse(MgmtDistributionSet, "The updated set"),
		...NOT_FOUND,
		...CONFLICT,
	},
});

const remove = mgmtRoute({
	method: "delete",
	path: "/distributionsets/{distributionSetId}",
	tags: TAG,
	summary: "Delete a distribution set (soft delete once used by an action or rollout)",
	permissions: ["DELETE_DISTRIBUTION_SET"],
	request: { params: IdParam },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

const listModules = mgmtRoute({
	method: "get",
	path: "/distributionsets/{distributionSetId}/assignedSM",
	tags: TAG,
	summary: "Page of the software modules of a set",
	permissions: ["READ_DISTRIBUTION_SET"],
	request: { params: IdParam, query: PagingOnlyQuery },
	responses: {
		200: jsonResponse(PagedList(MgmtSoftwareModule, "PagedListMgmtSoftwareModule"), "Modules"),
		...NOT_FOUND,
	},
});

const addModules = mgmtRoute({
	method: "post",
	path: "/distributionsets/{distributionSetId}/assignedSM",
	tags: TAG,
	summary: "Add software modules to a set",
	permissions: ["UPDATE_DISTRIBUTION_SET"],
	request: { params: IdParam, body: jsonBody(arrayOrSingle(MgmtId)) },
	responses: { ...NO_CONTENT, ...NOT_FOUND, ...LOCKED },
});

const removeModule = mgmtRoute({
	method: "delete",
	path: "/distributionsets/{distributionSetId}/assignedSM/{softwareModuleId}",
	tags: TAG,
	summary: "Remove a software module from a set",
	permissions: ["UPDATE_DISTRIBUTION_SET"],
	request: { params: ModuleParam },
	responses: { ...NO_CONTENT, ...NOT_FOUND, ...LOCKED },
});

const TargetPage = PagedList(MgmtTarget, "PagedListMgmtTarget");

const assignedTargets = mgmtRoute({
	method: "get",
	path: "/distributionsets/{distributionSetId}/assignedTargets",
	tags: TAG,
	summary: "Page of the targets this set is assigned to",
	permissions: ["READ_DISTRIBUTION_SET", "READ_TARGET"],
	request: { params: IdParam, query: PagingQuery },
	responses: { 200: jsonResponse(TargetPage, "Targets"), ...NOT_FOUND },
});

const installedTargets = mgmtRoute({
	method: "get",
	path: "/distributionsets/{distributionSetId}/installedTargets",
	tags: TAG,
	summary: "Page of the targets this set is installed on",
	permissions: ["READ_DISTRIBUTION_SET", "READ_TARGET"],
	request: { params: IdParam, query: PagingQuery },
	responses: { 200: jsonResponse(TargetPage, "Targets"), ...NOT_FOUND },
});

const assignTargets = mgmtRoute({
	method: "post",
	path: "/distributionsets/{distributionSetId}/assignedTargets",
	tags: TAG,
	summary: "Assign the set to targets",
	permissions: ["READ_DISTRIBUTION_SET", "UPDATE_TARGET"],
	request: {
		params: IdParam,
		query: z.object({ offline: z.enum(["true", "false"]).optional() }),
		body: jsonBody(arrayOrSingle(MgmtTargetAssignmentRequestBody)),
	},
	responses: {
		200: jsonResponse(MgmtTargetAssignmentResponseBody, "Assignment result"),
		...NOT_FOUND,
	},
});

const autoAssignFilters = mgmtRoute({
	method: "get",
	path: "/distributionsets/{distributionSetId}/autoAssignTargetFilters",
	tags: TAG,
	summary: "Page of the target filters that auto-assign this set",
	permissions: ["READ_DISTRIBUTION_SET", "READ_TARGET"],
	request: { params: IdParam, query: PagingQuery },
	responses: {
		200: jsonResponse(
			PagedList(MgmtTargetFilterQuery, "PagedListMgmtTargetFilterQuery"),
			"Filters",
		),
		...NOT_FOUND,
	},
});

const listMeta = mgmtRoute({
	method: "get",
	path: "/distributionsets/{distributionSetId}/metadata",
	tags: TAG,
	summary: "List the metadata of a set",
	permissions: ["READ_DISTRIBUTION_SET"],
	request: { params: IdParam },
	responses: {
		200: jsonResponse(PagedList(MgmtMetadata, "PagedListMgmtMetadata"), "Entries"),
		...NOT_FOUND,
	},
});

const createMeta = mgmtRoute({
	method: "post",
	path: "/distributionsets/{distributionSetId}/metadata",
	tags: TAG,
	summary: "Add metadata entries to a set",
	permissions: ["UPDATE_DISTRIBUTION_SET"],
	request: { params: IdParam, body: jsonBody(arrayOrSingle(MgmtMetadata)) },
	responses: { 201: { description: "Created" }, ...NOT_FOUND, ...CONFLICT },
});

const getMeta = mgmtRoute({
	method: "get",
	path: "/distributionsets/{distributionSetId}/metadata/{metadataKey}",
	tags: TAG,
	summary: "Get one metadata entry",
	permissions: ["READ_DISTRIBUTION_SET"],
	request: { params: MetaParam },
	responses: { 200: jsonResponse(MgmtMetadata, "The entry"), ...NOT_FOUND },
});

const updateMeta = mgmtRoute({
	method: "put",
	path: "/distributionsets/{distributionSetId}/metadata/{metadataKey}",
	tags: TAG,
	summary: "Change the value of a metadata entry",
	permissions: ["UPDATE_DISTRIBUTION_SET"],
	request: { params: MetaParam, body: jsonBody(MgmtMetadataBodyPut) },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

const deleteMeta = mgmtRoute({
	method: "delete",
	path: "/distributionsets/{distributionSetId}/metadata/{metadataKey}",
	tags: TAG,
	summary: "Delete a metadata entry",
	permissions: ["UPDATE_DISTRIBUTION_SET"],
	request: { params: MetaParam },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

const invalidate = mgmtRoute({
	method: "post",
	path: "/distributionsets/{distributionSetId}/invalidate",
	tags: TAG,
	summary:
		"Invalidate a set: no further assignment; optionally stop its rollouts and cancel its actions",
	permissions: ["UPDATE_DISTRIBUTION_SET"],
	request: { params: IdParam, body: jsonBody(MgmtInvalidateDistributionSetRequestBody) },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

const STATISTICS_PARTS = ["", "/actions", "/rollouts", "/autoassignments"] as const;
const statisticsRoutes = STATISTICS_PARTS.map((part) =>
	mgmtRoute({
		method: "get",
		path: `/distributionsets/{distributionSetId}/statistics${part}`,
		tags: TAG,
		summary: `Statistics of a set${part ? ` (${part.slice(1)} only)` : ""}`,
		permissions: ["READ_DISTRIBUTION_SET"],
		request: { params: IdParam },
		responses: { 200: jsonResponse(MgmtDistributionSetStatistics, "Counts"), ...NOT_FOUND },
	}),
);

/** hawkBit's status map: upper-case status → count, plus `total`; undefined when empty. */
function countMap(rows: { status: string; n: number }[]): Record<string, number> | undefined {
	if (rows.length === 0) {
		return undefined;
	}
	const out: Record<string, number> = {};
	let total = 0;
	for (const r of rows) {
		out[r.status.toUpperCase()] = r.n;
		total += r.n;
	}
	out.total = total;
	return out;
}

async function targetsOf(
	c: Context<MgmtEnv>,
	dsId: number,
	which: "assigned" | "installed",
	q: { q?: string; offset?: number; limit?: number; sort?: string },
) {
	const tenant = c.var.tenant;
	await getDistributionSet(c.var.db, { tenant, id: dsId });
	const snapshot = await readTenantConfigSnapshot(c.env, tenant);
	const page = pageRequest(q, TARGETS);
	const where = and(
		eq(which === "assigned" ? targets.assignedDsId : targets.installedDsId, dsId),
		rsqlWhere(q.q, TARGETS, overdueContext(snapshot)),
	);
	const { rows, total } = await listTargets(c.var.db, { tenant, where, ...page });
	const ctx = await targetRenderContext(c, rows);
	return paged(
		rows.map((t) => toMgmtTarget(c, t, ctx, false)),
		total,
	);
}

const router = mgmtRouter()
	.openapi(list, async (c) => {
		const query = c.req.valid("query");
		const page = pageRequest(query, DISTRIBUTION_SETS);
		const where = rsqlWhere(query.q, DISTRIBUTION_SETS);
		const { rows, total } = await listDistributionSets(c.var.db, {
			tenant: c.var.tenant,
			where,
			mode: query.soft_deleted_mode,
			...page,
		});
		return c.json(
			paged(
				rows.map((r) => toMgmtDistributionSet(c, r)),
				total,
			),
			200,
		);
	})
	.openapi(create, async (c) => {
		const body = c.req.valid("json");
		for (const d of body) {
			checkDs(d, true);
		}
		const rows = await insertDistributionSets(c.var.db, {
			tenant: c.var.tenant,
			by: c.var.principal.username,
			items: body.map((d) => ({
				name: d.name,
				version: d.version,
				description: d.description,
				typeKey: d.type,
				moduleIds: (d.modules ?? []).map((m) => m.id),
				requiredMigrationStep: d.requiredMigrationStep,
				locked: d.locked,
			})),
		});
		return c.json(
			rows.map((r) => toMgmtDistributionSet(c, r, true)),
			201,
		);
	})
	.openapi(getOne, async (c) => {
		const { distributionSetId: id } = c.req.valid("param");
		const ds = await getDistributionSet(c.var.db, { tenant: c.var.tenant, id });
		return c.json(toMgmtDistributionSet(c, ds, true), 200);
	})
	.openapi(update, async (c) => {
		const { distributionSetId: id } = c.req.valid("param");
		const body = c.req.valid("json");
		checkDs(body, false);
		const ds = await updateDistributionSet(c.var.db, {
			tenant: c.var.tenant,
			id,
			by: c.var.principal.username,
			...body,
		});
		if (body.name != null || body.version != null) {
			// `assignedds.name==…` / `installedds.version==…` in pollingTime overrides may now match others.
			await refreshPollingOverrides(c.env, c.var.tenant);
		}
		return c.json(toMgmtDistributionSet(c, ds, true), 200);
	})
	.openapi(remove, async (c) => {
		const { distributionSetId: id } = c.req.valid("param");
		await deleteDistributionSet(c.var.db, {
			tenant: c.var.tenant,
			id,
			by: c.var.principal.username,
		});
		return c.body(null, 204);
	})
	.openapi(listModules, async (c) => {
		const { distributionSetId: id } = c.req.valid("param");
		const page = pageRequest(c.req.valid("query"), SOFTWARE_MODULES);
		const { rows, total } = await listDsModules(c.var.db, { tenant: c.var.tenant, id, ...page });
		return c.json(
			paged(
				rows.map((m) => toMgmtSoftwareModule(c, m)),
				total,
			),
			200,
		);
	})
	.openapi(addModules, async (c) => {
		const { distributionSetId: id } = c.req.valid("param");
		const body = c.req.valid("json");
		await addDsModules(c.var.db, {
			tenant: c.var.tenant,
			id,
			by: c.var.principal.username,
			moduleIds: body.map((m) => m.id),
		});
		return c.body(null, 204);
	})
	.openapi(removeModule, async (c) => {
		const { distributionSetId: id, softwareModuleId: smId } = c.req.valid("param");
		await removeDsModule(c.var.db, {
			tenant: c.var.tenant,
			id,
			smId,
			by: c.var.principal.username,
		});
		return c.body(null, 204);
	})
	.openapi(assignedTargets, async (c) => {
		const { distributionSetId: id } = c.req.valid("param");
		return c.json(await targetsOf(c, id, "assigned", c.req.valid("query")), 200);
	})
	.openapi(installedTargets, async (c) => {
		const { distributionSetId: id } = c.req.valid("param");
		return c.json(await targetsOf(c, id, "installed", c.req.valid("query")), 200);
	})
	.openapi(assignTargets, async (c) => {
		const { distributionSetId: dsId } = c.req.valid("param");
		const { offline } = c.req.valid("query");
		const body = c.req.valid("json");
		const result = await assignDistributionSet(c.var.db, c.env, {
			tenant: c.var.tenant,
			initiatedBy: c.var.principal.username,
			dsId,
			offline: offline === "true",
			assignments: body.map((a) => ({
				controllerId: a.id,
				type: a.type,
				forcetime: a.forcetime,
				weight: a.weight,
				confirmationRequired: a.confirmationRequired,
				maintenanceWindow: a.maintenanceWindow,
			})),
		});
		return c.json(
			{
				assigned: result.assigned,
				alreadyAssigned: result.alreadyAssigned,
				total: result.total,
				assignedActions: result.assignedActions.map((a) => ({
					id: a.id,
					_links: { self: mgmtLink(c, `/targets/${seg(a.controllerId)}/actions/${a.id}`) },
				})),
			},
			200,
		);
	})
	.openapi(autoAssignFilters, async (c) => {
		const { distributionSetId: id } = c.req.valid("param");
		const query = c.req.valid("query");
		const tenant = c.var.tenant;
		await getDistributionSet(c.var.db, { tenant, id });
		const page = pageRequest(query, TARGET_FILTERS);
		const { rows, total } = await listTargetFilters(c.var.db, {
			tenant,
			autoAssignDsId: id,
			where: rsqlWhere(query.q, TARGET_FILTERS),
			...page,
		});
		return c.json(
			paged(
				rows.map((f) => toMgmtTargetFilter(c, f)),
				total,
			),
			200,
		);
	})
	.openapi(listMeta, async (c) => {
		const { distributionSetId: id } = c.req.valid("param");
		const rows = await listDsMetadata(c.var.db, { tenant: c.var.tenant, id });
		return c.json(paged(rows.map(toMeta), rows.length), 200);
	})
	.openapi(createMeta, async (c) => {
		const { distributionSetId: id } = c.req.valid("param");
		const body = c.req.valid("json");
		for (const m of body) {
			checkMetadata(m, true);
		}
		await insertDsMetadata(c.var.db, {
			tenant: c.var.tenant,
			id,
			by: c.var.principal.username,
			items: body,
		});
		return c.body(null, 201);
	})
	.openapi(getMeta, async (c) => {
		const { distributionSetId: id, metadataKey: key } = c.req.valid("param");
		return c.json(toMeta(await findDsMetadata(c.var.db, { tenant: c.var.tenant, id, key })), 200);
	})
	.openapi(updateMeta, async (c) => {
		const { distributionSetId: id, metadataKey: key } = c.req.valid("param");
		const { value } = c.req.valid("json");
		checkMetadata({ value }, false);
		await updateDsMetadata(c.var.db, { tenant: c.var.tenant, id, key, value });
		return c.body(null, 204);
	})
	.openapi(deleteMeta, async (c) => {
		const { distributionSetId: id, metadataKey: key } = c.req.valid("param");
		await deleteDsMetadata(c.var.db, { tenant: c.var.tenant, id, key });
		return c.body(null, 204);
	})
	.openapi(invalidate, async (c) => {
		const { distributionSetId: dsId } = c.req.valid("param");
		const { actionCancelationType: mode, cancelRollouts } = c.req.valid("json");
		const tenant = c.var.tenant;
		const user = c.var.principal.username;
		const { activeActionIds } = await invalidateDistributionSet(c.var.db, {
			tenant,
			id: dsId,
			by: user,
		});
		if (mode !== "none" || cancelRollouts) {
			await stopRolloutsOfDistributionSet(c.env, {
				tenant,
				dsId,
				mode: mode === "force" ? "force" : "soft",
				actor: user,
			});
		}
		if (mode !== "none") {
			for (const actionId of activeActionIds) {
				await cancelActionForInvalidation(c, actionId, mode);
			}
		}
		return c.body(null, 204);
	});

/**
 * `soft`: the action goes to CANCELING (the device confirms); `force`: it is closed at once
 * (cancel, then force-quit). Actions already canceling are only force-quit.
 */
async function cancelActionForInvalidation(
	c: Context<MgmtEnv>,
	actionId: number,
	mode: "soft" | "force",
) {
	const q = { tenant: c.var.tenant, actionId, user: c.var.principal.username };
	try {
		await cancelAction(c.var.db, c.env, q);
	} catch (err) {
		// Already canceling: nothing to cancel, but force still closes it.
		if (!(err instanceof Error && "code" in err && err.code === "action.notCancelable")) {
			throw err;
		}
	}
	if (mode === "force") {
		await forceQuitAction(c.var.db, c.env, q);
	}
}

for (const [i, route] of statisticsRoutes.entries()) {
	const part = STATISTICS_PARTS[i];
	router.openapi(route, async (c) => {
		const { distributionSetId: id } = c.req.valid("param");
		const s = await distributionSetStatistics(c.var.db, { tenant: c.var.tenant, id });
		if (part === "") {
			// The combined view always carries all three parts (observed on hawkBit 1.0).
			return c.json(
				{
					actions: countMap(s.actions) ?? { total: 0 },
					rollouts: countMap(s.rollouts) ?? { total: 0 },
					totalAutoAssignments: s.autoAssignments,
				},
				200,
			);
		}
		return c.json(
			nonNull({
				actions: part === "/actions" ? countMap(s.actions) : undefined,
				rollouts: part === "/rollouts" ? countMap(s.rollouts) : undefined,
				totalAutoAssignments: part === "/autoassignments" ? s.autoAssignments : undefined,
			}),
			200,
		);
	});
}

export const distributionSetsApi = router;
