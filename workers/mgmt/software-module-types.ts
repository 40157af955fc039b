/**
 * /rest/v1/softwaremoduletypes. hawkBit: MgmtSoftwareModuleTypeRestApi / MgmtSoftwareModuleTypeResource (§4.11).
 */
import type { Context } from "hono";
import { z } from "zod";
import {
	deleteSmType,
	getSmType,
	insertSmTypes,
	listSmTypes,
	type SmTypeRow,
	updateSmType,
} from "../../shared/db/queries/software-module-types";
import { assertConstraints, SIZES } from "../../shared/domain/repository-constraints";
import { arrayOrSingle, audit, nonNull, SoftDeletedMode } from "../../shared/mgmt/repository-base";
import {
	MgmtSoftwareModuleType,
	MgmtSoftwareModuleTypeRequestBodyPost,
	MgmtSoftwareModuleTypeRequestBodyPut,
} from "../../shared/mgmt/software-module-types";
import { rsqlWhere, SOFTWARE_MODULE_TYPES } from "../../shared/rsql";
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

const TAG = ["Software module types"];
const IdParam = z.object({ softwareModuleTypeId: z.coerce.number().int() });

/** hawkBit's MgmtSoftwareModuleTypeMapper. */
export function toMgmtSmType(c: Context, t: SmTypeRow): MgmtSoftwareModuleType {
	return nonNull({
		...audit(t),
		id: t.id,
		name: t.name,
		description: t.description,
		key: t.key,
		colour: t.colour,
		deleted: t.deleted,
		maxAssignments: t.maxAssignments,
		minArtifacts: t.minArtifacts,
		_links: { self: mgmtLink(c, `/softwaremoduletypes/${t.id}`) },
	}) as MgmtSoftwareModuleType;
}

function checkType(
	t: {
		name?: string | null;
		key?: string | null;
		description?: string | null;
		colour?: string | null;
	},
	create: boolean,
) {
	assertConstraints([
		{ property: "name", value: t.name, max: SIZES.name, required: create },
		{ property: "key", value: t.key, max: SIZES.key, required: create },
		{ property: "description", value: t.description, max: SIZES.description },
		{ property: "colour", value: t.colour, max: SIZES.colour },
	]);
}

const list = mgmtRoute({
	method: "get",
	path: "/softwaremoduletypes",
	tags: TAG,
	summary: "List software module types",
	permissions: ["READ_SOFTWARE_MODULE_TYPE"],
	request: { query: PagingQuery.extend({ soft_deleted_mode: SoftDeletedMode }) },
	responses: {
		200: jsonResponse(
			PagedList(MgmtSoftwareModuleType, "PagedListMgmtSoftwareModuleType"),
			"Page of software module types",
		),
	},
});

const create = mgmtRoute({
	method: "post",
	path: "/softwaremoduletypes",
	tags: TAG,
	summary: "Create software module types (array; a single object is accepted too)",
	permissions: ["CREATE_SOFTWARE_MODULE_TYPE"],
	request: { body: jsonBody(arrayOrSingle(MgmtSoftwareModuleTypeRequestBodyPost)) },
	responses: {
		201: jsonResponse(z.array(MgmtSoftwareModuleType), "Created types"),
		...CONFLICT,
	},
});

const getOne = mgmtRoute({
	method: "get",
	path: "/softwaremoduletypes/{softwareModuleTypeId}",
	tags: TAG,
	summary: "Get one software module type",
	permissions: ["READ_SOFTWARE_MODULE_TYPE"],
	request: { params: IdParam },
	responses: { 200: jsonResponse(MgmtSoftwareModuleType, "The type"), ...NOT_FOUND },
});

const update = mgmtRoute({
	method: "put",
	path: "/softwaremoduletypes/{softwareModuleTypeId}",
	tags: TAG,
	summary: "Update description and colour of a software module type",
	permissions: ["UPDATE_SOFTWARE_MODULE_TYPE"],
	request: { params: IdParam, body: jsonBody(MgmtSoftwareModuleTypeRequestBodyPut) },
	responses: { 200: jsonResponse(MgmtSoftwareModuleType, "The updated type"), ...NOT_FOUND },
});

const remove = mgmtRoute({
	method: "delete",
	path: "/softwaremoduletypes/{softwareModuleTypeId}",
	tags: TAG,
	summary: "Delete a software module type (soft delete while in use)",
	permissions: ["DELETE_SOFTWARE_MODULE_TYPE"],
	request: { params: IdParam },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

export const softwareModuleTypes = mgmtRouter()
	.openapi(list, async (c) => {
		const query = c.req.valid("query");
		const page = pageRequest(query, SOFTWARE_MODULE_TYPES);
		const where = rsqlWhere(query.q, SOFTWARE_MODULE_TYPES);
		const { rows, total } = await listSmTypes(c.var.db, {
			tenant: c.var.tenant,
			where,
			mode: query.soft_deleted_mode,
			...page,
		});
		return c.json(
			paged(
				rows.map((r) => toMgmtSmType(c, r)),
				total,
			),
			200,
		);
	})
	.openapi(create, async (c) => {
		const body = c.req.valid("json");
		for (const t of body) {
			checkType(t, true);
		}
		const rows = await insertSmTypes(c.var.db, {
			tenant: c.var.tenant,
			by: c.var.principal.username,
			items: body.map((t) => ({
				key: t.key,
				name: t.name,
				description: t.description,
				colour: t.colour,
				maxAssignments: t.maxAssignments ?? 1,
				minArtifacts: t.minArtifacts ?? 0,
			})),
		});
		return c.json(
			rows.map((r) => toMgmtSmType(c, r)),
			201,
		);
	})
	.openapi(getOne, async (c) => {
		const { softwareModuleTypeId: id } = c.req.valid("param");
		return c.json(toMgmtSmType(c, await getSmType(c.var.db, { tenant: c.var.tenant, id })), 200);
	})
	.openapi(update, async (c) => {
		const { softwareModuleTypeId: id } = c.req.valid("param");
		const body = c.req.valid("json");
		checkType(body, false);
		const row = await updateSmType(c.var.db, {
			tenant: c.var.tenant,
			id,
			by: c.var.principal.username,
			description: body.description,
			colour: body.colour,
		});
		return c.json(toMgmtSmType(c, row), 200);
	})
	.openapi(remove, async (c) => {
		const { softwareModuleTypeId: id } = c.req.valid("param");
		await deleteSmType(c.var.db, { tenant: c.var.tenant, id, by: c.var.principal.username });
		return c.body(null, 204);
	});
