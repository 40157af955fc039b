/**
 * /rest/v1/targettypes: target types and their compatible distribution-set types.
 * hawkBit: MgmtTargetTypeRestApi / MgmtTargetTypeResource, MgmtTargetTypeMapper (§4.5).
 */
import type { Context } from "hono";
import { z } from "zod";
import {
	addCompatibleDsTypes,
	type DsTypeRow,
	deleteTargetType,
	getTargetType,
	insertTargetTypes,
	listCompatibleDsTypes,
	listTargetTypes,
	removeCompatibleDsType,
	type TargetTypeRow,
	updateTargetType,
} from "../../shared/db/queries/target-types";
import { assertConstraints, SIZES } from "../../shared/domain/repository-constraints";
import { DomainError } from "../../shared/errors";
import { arrayOrSingle, audit, MgmtId, nonNull } from "../../shared/mgmt/repository-base";
import {
	MgmtTargetType,
	MgmtTargetTypeRequestBodyPost,
	MgmtTargetTypeRequestBodyPut,
	type MgmtTargetType as MgmtTargetTypeT,
} from "../../shared/mgmt/targets";
import { refreshPollingOverrides } from "../../shared/poll-cache";
import { rsqlWhere, TARGET_TYPES } from "../../shared/rsql";
import { mgmtLink } from "./hal";
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

const TAG = ["Target types"];

/** hawkBit's MgmtTargetTypeMapper: links `self` and `compatibledistributionsettypes`. */
export function toMgmtTargetType(c: Context, t: TargetTypeRow): MgmtTargetTypeT {
	return nonNull({
		...audit(t),
		id: t.id,
		name: t.name,
		description: t.description,
		key: t.key,
		colour: t.colour,
		deleted: false,
		_links: {
			self: mgmtLink(c, `/targettypes/${t.id}`),
			compatibledistributionsettypes: mgmtLink(
				c,
				`/targettypes/${t.id}/compatibledistributionsettypes`,
			),
		},
	}) as MgmtTargetTypeT;
}

/** MgmtDistributionSetType as listed under a target type (self link to the DS type resource). */
function toDsType(c: Context, t: DsTypeRow) {
	return nonNull({
		...audit(t),
		id: t.id,
		name: t.name,
		description: t.description,
		key: t.key,
		colour: t.colour,
		deleted: t.deleted,
		_links: { self: mgmtLink(c, `/distributionsettypes/${t.id}`) },
	});
}

const DsTypeItem = z
	.object({
		id: z.number().int(),
		name: z.string(),
		key: z.string(),
		description: z.string().optional(),
		colour: z.string().optional(),
		deleted: z.boolean(),
	})
	.passthrough();

const IdParam = z.object({ targetTypeId: z.coerce.number().int() });

const list = mgmtRoute({
	method: "get",
	path: "/targettypes",
	tags: TAG,
	summary: "List target types",
	permissions: ["READ_TARGET_TYPE"],
	request: { query: PagingQuery },
	responses: {
		200: jsonResponse(PagedList(MgmtTargetType, "PagedListMgmtTargetType"), "Page of target types"),
	},
});

const create = mgmtRoute({
	method: "post",
	path: "/targettypes",
	tags: TAG,
	summary: "Create target types (name or key required; the other defaults to it)",
	permissions: ["CREATE_TARGET_TYPE"],
	request: { body: jsonBody(arrayOrSingle(MgmtTargetTypeRequestBodyPost)) },
	responses: {
		201: jsonResponse(z.array(MgmtTargetType), "Created types"),
		...CONFLICT,
		...NOT_FOUND,
	},
});

const getOne = mgmtRoute({
	method: "get",
	path: "/targettypes/{targetTypeId}",
	tags: TAG,
	summary: "One target type",
	permissions: ["READ_TARGET_TYPE"],
	request: { params: IdParam },
	responses: { 200: jsonResponse(MgmtTargetType, "The type"), ...NOT_FOUND },
});

const update = mgmtRoute({
	method: "put",
	path: "/targettypes/{targetTypeId}",
	tags: TAG,
	summary: "Update name, description, colour",
	permissions: ["UPDATE_TARGET_TYPE"],
	request: { params: IdParam, body: jsonBody(MgmtTargetTypeRequestBodyPut) },
	responses: { 200: jsonResponse(MgmtTargetType, "The type"), ...NOT_FOUND, ...CONFLICT },
});

const remove = mgmtRoute({
	method: "delete",
	path: "/targettypes/{targetTypeId}",
	tags: TAG,
	summary: "Delete a target type (409 while targets use it)",
	permissions: ["DELETE_TARGET_TYPE"],
	request: { params: IdParam },
	responses: { ...NO_CONTENT, ...NOT_FOUND, ...CONFLICT },
});

const compatible = mgmtRoute({
	method: "get",
	path: "/targettypes/{targetTypeId}/compatibledistributionsettypes",
	tags: TAG,
	summary: "Compatible distribution-set types (plain array)",
	permissions: ["READ_TARGET_TYPE", "READ_DISTRIBUTION_SET_TYPE"],
	request: { params: IdParam },
	responses: { 200: jsonResponse(z.array(DsTypeItem), "DS types"), ...NOT_FOUND },
});

const addCompatible = mgmtRoute({
	method: "post",
	path: "/targettypes/{targetTypeId}/compatibledistributionsettypes",
	tags: TAG,
	summary: "Add compatible distribution-set types",
	permissions: ["UPDATE_TARGET_TYPE", "READ_DISTRIBUTION_SET_TYPE"],
	request: { params: IdParam, body: jsonBody(arrayOrSingle(MgmtId)) },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

const removeCompatible = mgmtRoute({
	method: "delete",
	path: "/targettypes/{targetTypeId}/compatibledistributionsettypes/{distributionSetTypeId}",
	tags: TAG,
	summary: "Remove a compatible distribution-set type",
	permissions: ["UPDATE_TARGET_TYPE", "READ_DISTRIBUTION_SET_TYPE"],
	request: { params: IdParam.extend({ distributionSetTypeId: z.coerce.number().int() }) },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

function checkType(t: {
	name?: string | null;
	key?: string | null;
	description?: string | null;
	colour?: string | null;
}) {
	assertConstraints([
		{ property: "name", value: t.name, max: SIZES.name },
		{ property: "key", value: t.key, max: SIZES.key },
		{ property: "description", value: t.description, max: SIZES.description },
		{ property: "colour", value: t.colour, max: SIZES.colour },
	]);
}

export const targetTypesApi = mgmtRouter()
	.openapi(list, async (c) => {
		const query = c.req.valid("query");
		const page = pageRequest(query, TARGET_TYPES);
		const where = rsqlWhere(query.q, TARGET_TYPES);
		const { rows, total } = await listTargetTypes(c.var.db, {
			tenant: c.var.tenant,
			where,
			...page,
		});
		return c.json(
			paged(
				rows.map((t) => toMgmtTargetType(c, t)),
				total,
			),
			200,
		);
	})
	.openapi(create, async (c) => {
		const items = c.req.valid("json").map((t) => {
			checkType(t);
			const key = t.key || t.name;
			const name = t.name || t.key;
			if (!key || !name) {
				throw new DomainError(
					"target.type.keyOrNameRequired",
					"Target type key or name is required",
				);
			}
			return {
				key,
				name,
				description: t.description,
				colour: t.colour,
				dsTypeIds: (t.compatibledistributionsettypes ?? []).map((d) => d.id),
			};
		});
		const rows = await insertTargetTypes(c.var.db, {
			tenant: c.var.tenant,
			items,
			by: c.var.principal.username,
		});
		return c.json(
			rows.map((t) => toMgmtTargetType(c, t)),
			201,
		);
	})
	.openapi(getOne, async (c) => {
		const t = await getTargetType(c.var.db, {
			tenant: c.var.tenant,
			id: c.req.valid("param").targetTypeId,
		});
		return c.json(toMgmtTargetType(c, t), 200);
	})
	.openapi(update, async (c) => {
		const body = c.req.valid("json");
		checkType(body);
		const t = await updateTargetType(c.var.db, {
			tenant: c.var.tenant,
			id: c.req.valid("param").targetTypeId,
			patch: body,
			by: c.var.principal.username,
		});
		if (body.name != null) {
			// `type.name==…` in pollingTime overrides may now match other targets.
			await refreshPollingOverrides(c.env, c.var.tenant);
		}
		return c.json(toMgmtTargetType(c, t), 200);
	})
	.openapi(remove, async (c) => {
		await deleteTargetType(c.var.db, {
			tenant: c.var.tenant,
			id: c.req.valid("param").targetTypeId,
		});
		return c.body(null, 204);
	})
	.openapi(compatible, async (c) => {
		const t = await getTargetType(c.var.db, {
			tenant: c.var.tenant,
			id: c.req.valid("param").targetTypeId,
		});
		const rows = await listCompatibleDsTypes(c.var.db, t.id);
		return c.json(rows.map((r) => toDsType(c, r)) as z.infer<typeof DsTypeItem>[], 200);
	})
	.openapi(addCompatible, async (c) => {
		await addCompatibleDsTypes(c.var.db, {
			tenant: c.var.tenant,
			id: c.req.valid("param").targetTypeId,
			dsTypeIds: c.req.valid("json").map((d) => d.id),
			by: c.var.principal.username,
		});
		return c.body(null, 204);
	})
	.openapi(removeCompatible, async (c) => {
		const { targetTypeId, distributionSetTypeId } = c.req.valid("param");
		await removeCompatibleDsType(c.var.db, {
			tenant: c.var.tenant,
			id: targetTypeId,
			dsTypeId: distributionSetTypeId,
			by: c.var.principal.username,
		});
		return c.body(null, 204);
	});
