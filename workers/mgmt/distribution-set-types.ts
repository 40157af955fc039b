/**
 * /rest/v1/distributionsettypes with their mandatory/optional module-type lists.
 * hawkBit: MgmtDistributionSetTypeRestApi / MgmtDistributionSetTypeResource (§4.9).
 */
import type { Context } from "hono";
import { z } from "zod";
import {
	addDsTypeModuleType,
	type DsTypeRow,
	deleteDsType,
	getDsType,
	insertDsTypes,
	listDsTypeModuleTypes,
	listDsTypes,
	removeDsTypeModuleType,
	updateDsType,
} from "../../shared/db/queries/distribution-set-types";
import { assertConstraints, SIZES } from "../../shared/domain/repository-constraints";
import { entityNotFound } from "../../shared/errors";
import {
	MgmtDistributionSetType,
	MgmtDistributionSetTypeRequestBodyPost,
	MgmtDistributionSetTypeRequestBodyPut,
} from "../../shared/mgmt/distribution-set-types";
import {
	arrayOrSingle,
	audit,
	MgmtId,
	nonNull,
	SoftDeletedMode,
} from "../../shared/mgmt/repository-base";
import { MgmtSoftwareModuleType } from "../../shared/mgmt/software-module-types";
import { DISTRIBUTION_SET_TYPES, rsqlWhere } from "../../shared/rsql";
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
import { toMgmtSmType } from "./software-module-types";

const TAG = ["Distribution set types"];
const IdParam = z.object({ distributionSetTypeId: z.coerce.number().int() });
const ModuleTypeParam = IdParam.extend({ softwareModuleTypeId: z.coerce.number().int() });
const READ_ONLY = { 403: { description: "Type in use: module types are read-only" } } as const;

/** hawkBit's MgmtDistributionSetTypeMapper. */
export function toMgmtDsType(c: Context, t: DsTypeRow): MgmtDistributionSetType {
	const self = `/distributionsettypes/${t.id}`;
	return nonNull({
		...audit(t),
		id: t.id,
		name: t.name,
		description: t.description,
		key: t.key,
		colour: t.colour,
		deleted: t.deleted,
		_links: {
			self: mgmtLink(c, self),
			mandatorymodules: mgmtLink(c, `${self}/mandatorymoduletypes`),
			optionalmodules: mgmtLink(c, `${self}/optionalmoduletypes`),
		},
	}) as MgmtDistributionSetType;
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
	path: "/distributionsettypes",
	tags: TAG,
	summary: "List distribution set types",
	permissions: ["READ_DISTRIBUTION_SET_TYPE"],
	request: { query: PagingQuery.extend({ soft_deleted_mode: SoftDeletedMode }) },
	responses: {
		200: jsonResponse(
			PagedList(MgmtDistributionSetType, "PagedListMgmtDistributionSetType"),
			"Page of distribution set types",
		),
	},
});

const create = mgmtRoute({
	method: "post",
	path: "/distributionsettypes",
	tags: TAG,
	summary: "Create distribution set types with their mandatory and optional module types",
	permissions: ["CREATE_DISTRIBUTION_SET_TYPE"],
	request: { body: jsonBody(arrayOrSingle(MgmtDistributionSetTypeRequestBodyPost)) },
	responses: {
		201: jsonResponse(z.array(MgmtDistributionSetType), "Created types"),
		...NOT_FOUND,
		...CONFLICT,
	},
});

const getOne = mgmtRoute({
	method: "get",
	path: "/distributionsettypes/{distributionSetTypeId}",
	tags: TAG,
	summary: "Get one distribution set type",
	permissions: ["READ_DISTRIBUTION_SET_TYPE"],
	request: { params: IdParam },
	responses: { 200: jsonResponse(MgmtDistributionSetType, "The type"), ...NOT_FOUND },
});

const update = mgmtRoute({
	method: "put",
	path: "/distributionsettypes/{distributionSetTypeId}",
	tags: TAG,
	summary: "Update description and colour of a distribution set type",
	permissions: ["UPDATE_DISTRIBUTION_SET_TYPE"],
	request: { params: IdParam, body: jsonBody(MgmtDistributionSetTypeRequestBodyPut) },
	responses: { 200: jsonResponse(MgmtDistributionSetType, "The updated type"), ...NOT_FOUND },
});

const remove = mgmtRoute({
	method: "delete",
	path: "/distributionsettypes/{distributionSetTypeId}",
	tags: TAG,
	summary: "Delete a distribution set type (soft delete while a set uses it)",
	permissions: ["DELETE_DISTRIBUTION_SET_TYPE"],
	request: { params: IdParam },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

function moduleTypeRoutes(kind: "mandatory" | "optional") {
	const path = `/distributionsettypes/{distributionSetTypeId}/${kind}moduletypes`;
	return {
		list: mgmtRoute({
			method: "get",
			path,
			tags: TAG,
			summary: `List the ${kind} software module types (bare array)`,
			permissions: ["READ_DISTRIBUTION_SET_TYPE"],
			request: { params: IdParam },
			responses: {
				200: jsonResponse(z.array(MgmtSoftwareModuleType), "Module types"),
				...NOT_FOUND,
			},
		}),
		add: mgmtRoute({
			method: "post",
			path,
			tags: TAG,
			summary: `Add a ${kind} software module type`,
			permissions: ["UPDATE_DISTRIBUTION_SET_TYPE"],
			request: { params: IdParam, body: jsonBody(MgmtId) },
			responses: { ...NO_CONTENT, ...NOT_FOUND, ...READ_ONLY },
		}),
		getOne: mgmtRoute({
			method: "get",
			path: `${path}/{softwareModuleTypeId}`,
			tags: TAG,
			summary: `Get one ${kind} software module type`,
			permissions: ["READ_DISTRIBUTION_SET_TYPE"],
			request: { params: ModuleTypeParam },
			responses: { 200: jsonResponse(MgmtSoftwareModuleType, "Module type"), ...NOT_FOUND },
		}),
		remove: mgmtRoute({
			method: "delete",
			path: `${path}/{softwareModuleTypeId}`,
			tags: TAG,
			summary: `Remove a ${kind} software module type`,
			permissions: ["UPDATE_DISTRIBUTION_SET_TYPE"],
			request: { params: ModuleTypeParam },
			responses: { ...NO_CONTENT, ...NOT_FOUND, ...READ_ONLY },
		}),
	};
}

const router = mgmtRouter()
	.openapi(list, async (c) => {
		const query = c.req.valid("query");
		const page = pageRequest(query, DISTRIBUTION_SET_TYPES);
		const where = rsqlWhere(query.q, DISTRIBUTION_SET_TYPES);
		const { rows, total } = await listDsTypes(c.var.db, {
			tenant: c.var.tenant,
			where,
			mode: query.soft_deleted_mode,
			...page,
		});
		return c.json(
			paged(
				rows.map((r) => toMgmtDsType(c, r)),
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
		const rows = await insertDsTypes(c.var.db, {
			tenant: c.var.tenant,
			by: c.var.principal.username,
			items: body.map((t) => ({
				key: t.key,
				name: t.name,
				description: t.description,
				colour: t.colour,
				mandatory: (t.mandatorymodules ?? []).map((m) => m.id),
				optional: (t.optionalmodules ?? []).map((m) => m.id),
			})),
		});
		return c.json(
			rows.map((r) => toMgmtDsType(c, r)),
			201,
		);
	})
	.openapi(getOne, async (c) => {
		const { distributionSetTypeId: id } = c.req.valid("param");
		return c.json(toMgmtDsType(c, await getDsType(c.var.db, { tenant: c.var.tenant, id })), 200);
	})
	.openapi(update, async (c) => {
		const { distributionSetTypeId: id } = c.req.valid("param");
		const body = c.req.valid("json");
		checkType(body, false);
		const row = await updateDsType(c.var.db, {
			tenant: c.var.tenant,
			id,
			by: c.var.principal.username,
			...body,
		});
		return c.json(toMgmtDsType(c, row), 200);
	})
	.openapi(remove, async (c) => {
		const { distributionSetTypeId: id } = c.req.valid("param");
		await deleteDsType(c.var.db, { tenant: c.var.tenant, id, by: c.var.principal.username });
		return c.body(null, 204);
	});

for (const kind of ["mandatory", "optional"] as const) {
	const r = moduleTypeRoutes(kind);
	const mandatory = kind === "mandatory";
	router
		.openapi(r.list, async (c) => {
			const { distributionSetTypeId: id } = c.req.valid("param");
			const rows = await listDsTypeModuleTypes(c.var.db, { tenant: c.var.tenant, id, mandatory });
			return c.json(
				rows.map((t) => toMgmtSmType(c, t)),
				200,
			);
		})
		.openapi(r.add, async (c) => {
			const { distributionSetTypeId: id } = c.req.valid("param");
			const { id: smTypeId } = c.req.valid("json");
			await addDsTypeModuleType(c.var.db, {
				tenant: c.var.tenant,
				id,
				smTypeId,
				mandatory,
				by: c.var.principal.username,
			});
			return c.body(null, 204);
		})
		.openapi(r.getOne, async (c) => {
			const { distributionSetTypeId: id, softwareModuleTypeId } = c.req.valid("param");
			const rows = await listDsTypeModuleTypes(c.var.db, { tenant: c.var.tenant, id, mandatory });
			const found = rows.find((t) => t.id === softwareModuleTypeId);
			if (!found) {
				throw entityNotFound("SoftwareModuleType", softwareModuleTypeId);
			}
			return c.json(toMgmtSmType(c, found), 200);
		})
		.openapi(r.remove, async (c) => {
			const { distributionSetTypeId: id, softwareModuleTypeId: smTypeId } = c.req.valid("param");
			await removeDsTypeModuleType(c.var.db, {
				tenant: c.var.tenant,
				id,
				smTypeId,
				mandatory,
				by: c.var.principal.username,
			});
			return c.body(null, 204);
		});
}

export const distributionSetTypes = router;
