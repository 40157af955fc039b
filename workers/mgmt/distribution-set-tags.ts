/**
 * /rest/v1/distributionsettags: tag CRUD and tagging of distribution sets (by DS id).
 * hawkBit: MgmtDistributionSetTagRestApi / MgmtDistributionSetTagResource (§4.6).
 */
import { and } from "drizzle-orm";
import type { Context } from "hono";
import { z } from "zod";
import {
	changeDsTagAssignment,
	type DsTagRow,
	deleteDsTag,
	getDsTag,
	insertDsTags,
	listDsTags,
	type NotFoundPolicy,
	taggedSetsCondition,
	updateDsTag,
} from "../../shared/db/queries/distribution-set-tags";
import { listDistributionSets } from "../../shared/db/queries/distribution-sets";
import { assertConstraints, SIZES } from "../../shared/domain/repository-constraints";
import { MgmtDistributionSet } from "../../shared/mgmt/distribution-sets";
import { arrayOrSingle, audit, nonNull } from "../../shared/mgmt/repository-base";
import {
	MgmtTag,
	MgmtTagRequestBodyPut,
	type MgmtTag as MgmtTagType,
} from "../../shared/mgmt/targets";
import { DISTRIBUTION_SET_TAGS, DISTRIBUTION_SETS, rsqlWhere } from "../../shared/rsql";
import type { MgmtEnv } from "../middleware/mgmt-auth";
import { toMgmtDistributionSet } from "./distribution-sets";
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

const TAG = ["Distribution set tags"];
const TagIdParam = z.object({ distributionsetTagId: z.coerce.number().int() });
const TagDsParam = TagIdParam.extend({ distributionsetId: z.coerce.number().int() });
const PolicyQuery = z.object({
	onNotFoundPolicy: z
		.enum(["FAIL", "ON_WHAT_FOUND_AND_FAIL", "ON_WHAT_FOUND_AND_SUCCESS"])
		.optional()
		.meta({ description: "What to do with unknown distribution set ids (default FAIL)" }),
});
const DsIds = arrayOrSingle(z.number().int());

/** hawkBit's MgmtTagMapper for DS tags: links `self` and `assignedDistributionSets`. */
export function toMgmtDsTag(c: Context, t: DsTagRow): MgmtTagType {
	return nonNull({
		...audit(t),
		id: t.id,
		name: t.name,
		description: t.description,
		colour: t.colour,
		_links: {
			self: mgmtLink(c, `/distributionsettags/${t.id}`),
			assignedDistributionSets: mgmtLink(
				c,
				`/distributionsettags/${t.id}/assigned${pagingSuffix("name:ASC")}`,
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

const list = mgmtRoute({
	method: "get",
	path: "/distributionsettags",
	tags: TAG,
	summary: "List distribution set tags",
	permissions: ["READ_DISTRIBUTION_SET"],
	request: { query: PagingQuery },
	responses: { 200: jsonResponse(PagedList(MgmtTag, "PagedListMgmtTag"), "Page of tags") },
});

const create = mgmtRoute({
	method: "post",
	path: "/distributionsettags",
	tags: TAG,
	summary: "Create distribution set tags",
	permissions: ["CREATE_DISTRIBUTION_SET"],
	request: { body: jsonBody(arrayOrSingle(MgmtTagRequestBodyPut)) },
	responses: { 201: jsonResponse(z.array(MgmtTag), "Created tags"), ...CONFLICT },
});

const getOne = mgmtRoute({
	method: "get",
	path: "/distributionsettags/{distributionsetTagId}",
	tags: TAG,
	summary: "One distribution set tag",
	permissions: ["READ_DISTRIBUTION_SET"],
	request: { params: TagIdParam },
	responses: { 200: jsonResponse(MgmtTag, "The tag"), ...NOT_FOUND },
});

const update = mgmtRoute({
	method: "put",
	path: "/distributionsettags/{distributionsetTagId}",
	tags: TAG,
	summary: "Update a distribution set tag",
	permissions: ["UPDATE_DISTRIBUTION_SET"],
	request: { params: TagIdParam, body: jsonBody(MgmtTagRequestBodyPut) },
	responses: { 200: jsonResponse(MgmtTag, "The tag"), ...NOT_FOUND, ...CONFLICT },
});

const remove = mgmtRoute({
	method: "delete",
	path: "/distributionsettags/{distributionsetTagId}",
	tags: TAG,
	summary: "Delete a distribution set tag",
	permissions: ["DELETE_DISTRIBUTION_SET"],
	request: { params: TagIdParam },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

const assigned = mgmtRoute({
	method: "get",
	path: "/distributionsettags/{distributionsetTagId}/assigned",
	tags: TAG,
	summary: "Distribution sets carrying the tag",
	permissions: ["READ_DISTRIBUTION_SET"],
	request: { params: TagIdParam, query: PagingQuery },
	responses: {
		200: jsonResponse(PagedList(MgmtDistributionSet, "PagedListMgmtDistributionSet"), "Sets"),
		...NOT_FOUND,
	},
});

const assign = mgmtRoute({
	method: "post",
	path: "/distributionsettags/{distributionsetTagId}/assigned",
	tags: TAG,
	summary: "Tag distribution sets (body: array of ids)",
	permissions: ["UPDATE_DISTRIBUTION_SET"],
	request: { params: TagIdParam, query: PolicyQuery, body: jsonBody(DsIds) },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

const assignOne = mgmtRoute({
	method: "post",
	path: "/distributionsettags/{distributionsetTagId}/assigned/{distributionsetId}",
	tags: TAG,
	summary: "Tag one distribution set",
	permissions: ["UPDATE_DISTRIBUTION_SET"],
	request: { params: TagDsParam },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

const unassign = mgmtRoute({
	method: "delete",
	path: "/distributionsettags/{distributionsetTagId}/assigned",
	tags: TAG,
	summary: "Untag distribution sets (body: array of ids)",
	permissions: ["UPDATE_DISTRIBUTION_SET"],
	request: { params: TagIdParam, query: PolicyQuery, body: jsonBody(DsIds) },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

const unassignOne = mgmtRoute({
	method: "delete",
	path: "/distributionsettags/{distributionsetTagId}/assigned/{distributionsetId}",
	tags: TAG,
	summary: "Untag one distribution set",
	permissions: ["UPDATE_DISTRIBUTION_SET"],
	request: { params: TagDsParam },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

async function change(
	c: Context<MgmtEnv>,
	tagId: number,
	dsIds: number[],
	assignTag: boolean,
	policy: NotFoundPolicy = "FAIL",
) {
	await changeDsTagAssignment(c.var.db, {
		tenant: c.var.tenant,
		tagId,
		dsIds,
		assign: assignTag,
		policy,
	});
	return c.body(null, 204);
}

export const distributionSetTagsApi = mgmtRouter()
	.openapi(list, async (c) => {
		const query = c.req.valid("query");
		const page = pageRequest(query, DISTRIBUTION_SET_TAGS);
		const where = rsqlWhere(query.q, DISTRIBUTION_SET_TAGS);
		const { rows, total } = await listDsTags(c.var.db, { tenant: c.var.tenant, where, ...page });
		return c.json(
			paged(
				rows.map((t) => toMgmtDsTag(c, t)),
				total,
			),
			200,
		);
	})
	.openapi(create, async (c) => {
		const body = c.req.valid("json");
		for (const t of body) {
			checkTag(t, true);
		}
		const rows = await insertDsTags(c.var.db, {
			tenant: c.var.tenant,
			by: c.var.principal.username,
			items: body.map((t) => ({ ...t, name: t.name as string })),
		});
		return c.json(
			rows.map((t) => toMgmtDsTag(c, t)),
			201,
		);
	})
	.openapi(getOne, async (c) => {
		const { distributionsetTagId: id } = c.req.valid("param");
		return c.json(toMgmtDsTag(c, await getDsTag(c.var.db, { tenant: c.var.tenant, id })), 200);
	})
	.openapi(update, async (c) => {
		const { distributionsetTagId: id } = c.req.valid("param");
		const body = c.req.valid("json");
		checkTag(body, false);
		const row = await updateDsTag(c.var.db, {
			tenant: c.var.tenant,
			id,
			by: c.var.principal.username,
			...body,
		});
		return c.json(toMgmtDsTag(c, row), 200);
	})
	.openapi(remove, async (c) => {
		const { distributionsetTagId: id } = c.req.valid("param");
		await deleteDsTag(c.var.db, { tenant: c.var.tenant, id });
		return c.body(null, 204);
	})
	.openapi(assigned, async (c) => {
		const { distributionsetTagId: id } = c.req.valid("param");
		const query = c.req.valid("query");
		const tag = await getDsTag(c.var.db, { tenant: c.var.tenant, id });
		const page = pageRequest(query, DISTRIBUTION_SETS);
		const where = rsqlWhere(query.q, DISTRIBUTION_SETS);
		const { rows, total } = await listDistributionSets(c.var.db, {
			tenant: c.var.tenant,
			where: and(taggedSetsCondition(c.var.db, tag.id), where),
			...page,
		});
		return c.json(
			paged(
				rows.map((d) => toMgmtDistributionSet(c, d)),
				total,
			),
			200,
		);
	})
	.openapi(assign, async (c) => {
		const { distributionsetTagId: id } = c.req.valid("param");
		return change(c, id, c.req.valid("json"), true, c.req.valid("query").onNotFoundPolicy);
	})
	.openapi(assignOne, async (c) => {
		const { distributionsetTagId: id, distributionsetId } = c.req.valid("param");
		return change(c, id, [distributionsetId], true);
	})
	.openapi(unassign, async (c) => {
		const { distributionsetTagId: id } = c.req.valid("param");
		return change(c, id, c.req.valid("json"), false, c.req.valid("query").onNotFoundPolicy);
	})
	.openapi(unassignOne, async (c) => {
		const { distributionsetTagId: id, distributionsetId } = c.req.valid("param");
		return change(c, id, [distributionsetId], false);
	});
