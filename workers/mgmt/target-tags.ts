/**
 * /rest/v1/targettags: tag CRUD and assignment to targets. hawkBit: MgmtTargetTagRestApi /
 * MgmtTargetTagResource, MgmtTagMapper (§4.6).
 */
import type { Context } from "hono";
import { z } from "zod";
import { allOf } from "../../shared/db/queries/repository-common";
import {
	changeTagAssignment,
	deleteTargetTag,
	getTargetTag,
	insertTargetTags,
	listTargetTags,
	type NotFoundPolicy,
	type TargetTagRow,
	taggedCondition,
	updateTargetTag,
} from "../../shared/db/queries/target-tags";
import { listTargets } from "../../shared/db/queries/targets";
import { assertConstraints, SIZES } from "../../shared/domain/repository-constraints";
import { arrayOrSingle, audit, nonNull } from "../../shared/mgmt/repository-base";
import {
	MgmtTag,
	MgmtTagRequestBodyPut,
	type MgmtTag as MgmtTagType,
	MgmtTarget,
} from "../../shared/mgmt/targets";
import { refreshPollEntries, refreshPollingOverrides } from "../../shared/poll-cache";
import { rsqlWhere, TARGET_TAGS, TARGETS } from "../../shared/rsql";
import { mgmtLink, pagingSuffix } from "./hal";
import {
	CONFLICT,
	jsonBody,
	jsonResponse,
	mgmtRoute,
	mgmtRouter,
	NO_CONTENT,
	NOT_FOUND,
} from "./openapi";
import { PagedList, PagingQuery, paged, pageRequest } from "./paging";
import { targetRenderContext, toMgmtTarget } from "./targets";

const TAG = ["Target tags"];

/** hawkBit's MgmtTagMapper for target tags: links `self` and `assignedTargets`. */
export function toMgmtTag(c: Context, t: TargetTagRow): MgmtTagType {
	return nonNull({
		...audit(t),
		id: t.id,
		name: t.name,
		description: t.description,
		colour: t.colour,
		_links: {
			self: mgmtLink(c, `/targettags/${t.id}`),
			assignedTargets: mgmtLink(
				c,
				`/targettags/${t.id}/assigned${pagingSuffix("controllerId:ASC")}`,
			),
		},
	}) as MgmtTagType;
}

function checkTag(
	t: { name?: string | null; description?: string | null; colour?: string | null },
	create: boolean,
) {
	assertConstraints([
		{ property: "name", value: t.name, max: SIZES.name, required: create },
		{ property: "description", value: t.description, max: SIZES.description },
		{ property: "colour", value: t.colour, max: SIZES.colour },
	]);
}

const TagIdParam = z.object({ targetTagId: z.coerce.number().int() });
const TagTargetParam = TagIdParam.extend({ controllerId: z.string().min(1) });
const PolicyQuery = z.object({
	onNotFoundPolicy: z
		.enum(["FAIL", "ON_WHAT_FOUND_AND_FAIL", "ON_WHAT_FOUND_AND_SUCCESS"])
		.optional()
		.meta({ description: "What to do with unknown controller ids (default FAIL)" }),
});
const ControllerIds = arrayOrSingle(z.string());

const list = mgmtRoute({
	method: "get",
	path: "/targettags",
	tags: TAG,
	summary: "List target tags",
	permissions: ["READ_TARGET"],
	request: { query: PagingQuery },
	responses: { 200: jsonResponse(PagedList(MgmtTag, "PagedListMgmtTag"), "Page of tags") },
});

const create = mgmtRoute({
	method: "post",
	path: "/targettags",
	tags: TAG,
	summary: "Create target tags",
	permissions: ["CREATE_TARGET"],
	request: { body: jsonBody(arrayOrSingle(MgmtTagRequestBodyPut)) },
	responses: { 201: jsonResponse(z.array(MgmtTag), "Created tags"), ...CONFLICT },
});

const getOne = mgmtRoute({
	method: "get",
	path: "/targettags/{targetTagId}",
	tags: TAG,
	summary: "One target tag",
	permissions: ["READ_TARGET"],
	request: { params: TagIdParam },
	responses: { 200: jsonResponse(MgmtTag, "The tag"), ...NOT_FOUND },
});

const update = mgmtRoute({
	method: "put",
	path: "/targettags/{targetTagId}",
	tags: TAG,
	summary: "Update a target tag",
	permissions: ["UPDATE_TARGET"],
	request: { params: TagIdParam, body: jsonBody(MgmtTagRequestBodyPut) },
	responses: { 200: jsonResponse(MgmtTag, "The tag"), ...NOT_FOUND, ...CONFLICT },
});

const remove = mgmtRoute({
	method: "delete",
	path: "/targettags/{targetTagId}",
	tags: TAG,
	summary: "Delete a target tag",
	permissions: ["DELETE_TARGET"],
	request: { params: TagIdParam },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

const assigned = mgmtRoute({
	method: "get",
	path: "/targettags/{targetTagId}/assigned",
	tags: TAG,
	summary: "Targets carrying the tag",
	permissions: ["READ_TARGET"],
	request: { params: TagIdParam, query: PagingQuery },
	responses: {
		200: jsonResponse(PagedList(MgmtTarget, "PagedListMgmtTarget"), "Page of targets"),
		...NOT_FOUND,
	},
});

const assign = mgmtRoute({
	method: "post",
	path: "/targettags/{targetTagId}/assigned",
	tags: TAG,
	summary: "Tag targets (body: array of controller ids)",
	permissions: ["UPDATE_TARGET"],
	request: { params: TagIdParam, query: PolicyQuery, body: jsonBody(ControllerIds) },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

const assignOne = mgmtRoute({
	method: "post",
	path: "/targettags/{targetTagId}/assigned/{controllerId}",
	tags: TAG,
	summary: "Tag one target",
	permissions: ["UPDATE_TARGET"],
	request: { params: TagTargetParam },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

const unassign = mgmtRoute({
	method: "delete",
	path: "/targettags/{targetTagId}/assigned",
	tags: TAG,
	summary: "Untag targets (body: array of controller ids)",
	permissions: ["UPDATE_TARGET"],
	request: { params: TagIdParam, query: PolicyQuery, body: jsonBody(ControllerIds) },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

const unassignOne = mgmtRoute({
	method: "delete",
	path: "/targettags/{targetTagId}/assigned/{controllerId}",
	tags: TAG,
	summary: "Untag one target",
	permissions: ["UPDATE_TARGET"],
	request: { params: TagTargetParam },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

async function change(
	c: Context<import("../middleware/mgmt-auth").MgmtEnv>,
	tagId: number,
	controllerIds: string[],
	assignTag: boolean,
	policy: NotFoundPolicy,
) {
	const { targetIds, notFound } = await changeTagAssignment(c.var.db, {
		tenant: c.var.tenant,
		tagId,
		controllerIds,
		assign: assignTag,
		policy,
	});
	// Tags feed the pollingTime overrides (`tag==…`), so a device's interval may change; the found
	// targets changed even when unknown ids make the request fail (ON_WHAT_FOUND_AND_FAIL).
	await refreshPollEntries(c.env, c.var.tenant, targetIds);
	if (notFound) {
		throw notFound;
	}
}

export const targetTagsApi = mgmtRouter()
	.openapi(list, async (c) => {
		const query = c.req.valid("query");
		const page = pageRequest(query, TARGET_TAGS);
		const where = rsqlWhere(query.q, TARGET_TAGS);
		const { rows, total } = await listTargetTags(c.var.db, {
			tenant: c.var.tenant,
			where,
			...page,
		});
		return c.json(
			paged(
				rows.map((t) => toMgmtTag(c, t)),
				total,
			),
			200,
		);
	})
	.openapi(create, async (c) => {
		const items = c.req.valid("json");
		for (const t of items) {
			checkTag(t, true);
		}
		const rows = await insertTargetTags(c.var.db, {
			tenant: c.var.tenant,
			items: items.map((t) => ({ ...t, name: t.name as string })),
			by: c.var.principal.username,
		});
		return c.json(
			rows.map((t) => toMgmtTag(c, t)),
			201,
		);
	})
	.openapi(getOne, async (c) => {
		const t = await getTargetTag(c.var.db, {
			tenant: c.var.tenant,
			id: c.req.valid("param").targetTagId,
		});
		return c.json(toMgmtTag(c, t), 200);
	})
	.openapi(update, async (c) => {
		const body = c.req.valid("json");
		checkTag(body, false);
		const t = await updateTargetTag(c.var.db, {
			tenant: c.var.tenant,
			id: c.req.valid("param").targetTagId,
			patch: body,
			by: c.var.principal.username,
		});
		if (body.name != null) {
			// `tag==<name>` in pollingTime overrides may now match other targets.
			await refreshPollingOverrides(c.env, c.var.tenant);
		}
		return c.json(toMgmtTag(c, t), 200);
	})
	.openapi(remove, async (c) => {
		await deleteTargetTag(c.var.db, { tenant: c.var.tenant, id: c.req.valid("param").targetTagId });
		// The tag's assignments are gone with it (`tag==…` overrides).
		await refreshPollingOverrides(c.env, c.var.tenant);
		return c.body(null, 204);
	})
	.openapi(assigned, async (c) => {
		const { targetTagId } = c.req.valid("param");
		await getTargetTag(c.var.db, { tenant: c.var.tenant, id: targetTagId });
		const query = c.req.valid("query");
		const page = pageRequest(query, TARGETS);
		const where = allOf(taggedCondition(targetTagId), rsqlWhere(query.q, TARGETS));
		const { rows, total } = await listTargets(c.var.db, { tenant: c.var.tenant, where, ...page });
		const ctx = await targetRenderContext(c, rows);
		return c.json(
			paged(
				rows.map((t) => toMgmtTarget(c, t, ctx, false)),
				total,
			),
			200,
		);
	})
	.openapi(assign, async (c) => {
		await change(
			c,
			c.req.valid("param").targetTagId,
			c.req.valid("json"),
			true,
			c.req.valid("query").onNotFoundPolicy ?? "FAIL",
		);
		return c.body(null, 204);
	})
	.openapi(assignOne, async (c) => {
		const { targetTagId, controllerId } = c.req.valid("param");
		await change(c, targetTagId, [controllerId], true, "FAIL");
		return c.body(null, 204);
	})
	.openapi(unassign, async (c) => {
		await change(
			c,
			c.req.valid("param").targetTagId,
			c.req.valid("json"),
			false,
			c.req.valid("query").onNotFoundPolicy ?? "FAIL",
		);
		return c.body(null, 204);
	})
	.openapi(unassignOne, async (c) => {
		const { targetTagId, controllerId } = c.req.valid("param");
		await change(c, targetTagId, [controllerId], false, "FAIL");
		return c.body(null, 204);
	});
