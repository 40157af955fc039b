/**
 * /rest/v1/targetgroups: a target's optional free-text group (`Europe/East`, `/` builds sub-groups).
 * hawkBit: MgmtTargetGroupRestApi / MgmtTargetGroupResource (§4.7, since 0.10.0).
 */
import type { Context } from "hono";
import { z } from "zod";
import { allOf } from "../../shared/db/queries/repository-common";
import {
	findTargetIds,
	groupCondition,
	listTargetGroups,
	listTargets,
	setTargetGroup,
	setTargetGroupWhere,
} from "../../shared/db/queries/targets";
import { assertConstraints } from "../../shared/domain/repository-constraints";
import { arrayOrSingle } from "../../shared/mgmt/repository-base";
import { MgmtTarget } from "../../shared/mgmt/targets";
import { refreshPollEntries } from "../../shared/poll-cache";
import { rsqlWhere, TARGETS } from "../../shared/rsql";
import { ApiError } from "../http-errors";
import type { MgmtEnv } from "../middleware/mgmt-auth";
import { jsonBody, jsonResponse, mgmtRoute, mgmtRouter, NO_CONTENT } from "./openapi";
import { PagedList, PagingQuery, paged, pageRequest } from "./paging";
import { targetRenderContext, toMgmtTarget } from "./targets";

const TAG = ["Target groups"];
const TargetPage = PagedList(MgmtTarget, "PagedListMgmtTarget");
const GroupParam = z.object({ group: z.string().min(1) });
const GroupQuery = z.object({
	group: z.string().min(1).meta({ description: "Group path, e.g. Europe/East" }),
});
const ControllerIds = arrayOrSingle(z.string());

function checkGroup(group: string) {
	assertConstraints([{ property: "group", value: group, max: 256 }]);
}

async function page(
	c: Context<MgmtEnv>,
	group: string,
	subgroups: boolean,
	query: z.infer<typeof PagingQuery>,
) {
	const p = pageRequest(query, TARGETS);
	const where = allOf(groupCondition(group, subgroups), rsqlWhere(query.q, TARGETS));
	const { rows, total } = await listTargets(c.var.db, { tenant: c.var.tenant, where, ...p });
	const ctx = await targetRenderContext(c, rows);
	return paged(
		rows.map((t) => toMgmtTarget(c, t, ctx, false)),
		total,
	);
}

async function assignByIds(c: Context<MgmtEnv>, group: string | null, controllerIds: string[]) {
	const ids = [
		...(await findTargetIds(c.var.db, { tenant: c.var.tenant, controllerIds })).values(),
	];
	await setTargetGroup(c.var.db, {
		tenant: c.var.tenant,
		targetIds: ids,
		group,
		by: c.var.principal.username,
	});
	// `group==…` may appear in pollingTime overrides.
	await refreshPollEntries(c.env, c.var.tenant, ids);
}

async function assignByQuery(c: Context<MgmtEnv>, group: string | null, q: string | undefined) {
	if (!q?.trim()) {
		throw new ApiError("rest.param.rsqlParamSyntax", "The RSQL query parameter q is required");
	}
	const ids = await setTargetGroupWhere(c.var.db, {
		tenant: c.var.tenant,
		where: rsqlWhere(q, TARGETS),
		group,
		by: c.var.principal.username,
	});
	await refreshPollEntries(c.env, c.var.tenant, ids);
}

const listGroups = mgmtRoute({
	method: "get",
	path: "/targetgroups",
	tags: TAG,
	summary: "All group names in use (plain array)",
	permissions: ["READ_TARGET"],
	responses: { 200: jsonResponse(z.array(z.string()), "Group names") },
});

const assignedInPath = mgmtRoute({
	method: "get",
	path: "/targetgroups/{group}/assigned",
	tags: TAG,
	summary: "Targets of a group (URL-encode `/` in the path segment)",
	permissions: ["READ_TARGET"],
	request: { params: GroupParam, query: PagingQuery },
	responses: { 200: jsonResponse(TargetPage, "Page of targets") },
});

const assignedByParam = mgmtRoute({
	method: "get",
	path: "/targetgroups/assigned",
	tags: TAG,
	summary: "Targets of a group, optionally with its sub-groups",
	permissions: ["READ_TARGET"],
	request: {
		query: PagingQuery.extend({
			group: z.string().min(1),
			subgroups: z.enum(["true", "false"]).optional(),
		}),
	},
	responses: { 200: jsonResponse(TargetPage, "Page of targets") },
});

const putAssignedInPath = mgmtRoute({
	method: "put",
	path: "/targetgroups/{group}/assigned",
	tags: TAG,
	summary: "Put targets (controller ids) into a group",
	permissions: ["UPDATE_TARGET"],
	request: { params: GroupParam, body: jsonBody(ControllerIds) },
	responses: { ...NO_CONTENT },
});

const putAssignedByParam = mgmtRoute({
	method: "put",
	path: "/targetgroups/assigned",
	tags: TAG,
	summary: "Put targets (controller ids) into the group given as parameter",
	permissions: ["UPDATE_TARGET"],
	request: { query: GroupQuery, body: jsonBody(ControllerIds) },
	responses: { ...NO_CONTENT },
});

const putByFilterInPath = mgmtRoute({
	method: "put",
	path: "/targetgroups/{group}",
	tags: TAG,
	summary: "Put every target matching the RSQL `q` into a group",
	permissions: ["UPDATE_TARGET"],
	request: { params: GroupParam, query: z.object({ q: z.string().optional() }) },
	responses: { ...NO_CONTENT },
});

const putByFilterParam = mgmtRoute({
	method: "put",
	path: "/targetgroups",
	tags: TAG,
	summary: "Put every target matching the RSQL `q` into the group given as parameter",
	permissions: ["UPDATE_TARGET"],
	request: { query: GroupQuery.extend({ q: z.string().optional() }) },
	responses: { ...NO_CONTENT },
});

const unassignIds = mgmtRoute({
	method: "delete",
	path: "/targetgroups/assigned",
	tags: TAG,
	summary: "Remove targets (controller ids) from their group",
	permissions: ["UPDATE_TARGET"],
	request: { body: jsonBody(ControllerIds) },
	responses: { ...NO_CONTENT },
});

const unassignFilter = mgmtRoute({
	method: "delete",
	path: "/targetgroups",
	tags: TAG,
	summary: "Remove every target matching the RSQL `q` from its group",
	permissions: ["UPDATE_TARGET"],
	request: { query: z.object({ q: z.string().optional() }) },
	responses: { ...NO_CONTENT },
});

export const targetGroupsApi = mgmtRouter()
	.openapi(listGroups, async (c) => c.json(await listTargetGroups(c.var.db, c.var.tenant), 200))
	.openapi(assignedByParam, async (c) => {
		const query = c.req.valid("query");
		return c.json(await page(c, query.group, query.subgroups === "true", query), 200);
	})
	.openapi(assignedInPath, async (c) => {
		return c.json(await page(c, c.req.valid("param").group, false, c.req.valid("query")), 200);
	})
	.openapi(putAssignedByParam, async (c) => {
		const { group } = c.req.valid("query");
		checkGroup(group);
		await assignByIds(c, group, c.req.valid("json"));
		return c.body(null, 204);
	})
	.openapi(putAssignedInPath, async (c) => {
		const { group } = c.req.valid("param");
		checkGroup(group);
		await assignByIds(c, group, c.req.valid("json"));
		return c.body(null, 204);
	})
	.openapi(putByFilterParam, async (c) => {
		const { group, q } = c.req.valid("query");
		checkGroup(group);
		await assignByQuery(c, group, q);
		return c.body(null, 204);
	})
	.openapi(putByFilterInPath, async (c) => {
		const { group } = c.req.valid("param");
		checkGroup(group);
		await assignByQuery(c, group, c.req.valid("query").q);
		return c.body(null, 204);
	})
	.openapi(unassignIds, async (c) => {
		await assignByIds(c, null, c.req.valid("json"));
		return c.body(null, 204);
	})
	.openapi(unassignFilter, async (c) => {
		await assignByQuery(c, null, c.req.valid("query").q);
		return c.body(null, 204);
	});
