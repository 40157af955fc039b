/**
 * /rest/v1/softwaremodules: modules, their metadata and artifacts (upload to R2, list, delete,
 * download). hawkBit: MgmtSoftwareModuleRestApi / MgmtSoftwareModuleResource (§4.10).
 */
import type { Context } from "hono";
import { z } from "zod";
import { releaseContent } from "../../shared/artifacts/ingest";
import { deleteArtifact, findArtifact, listArtifacts } from "../../shared/db/queries/artifacts";
import {
	deleteSmMetadata,
	deleteSoftwareModule,
	findSmMetadata,
	getSoftwareModule,
	insertSmMetadata,
	insertSoftwareModules,
	listSmMetadata,
	listSoftwareModules,
	type SmMetadataRow,
	type SmView,
	updateSmMetadata,
	updateSoftwareModule,
} from "../../shared/db/queries/software-modules";
import { assertConstraints, SIZES } from "../../shared/domain/repository-constraints";
import { checkModuleArtifactsChangeable } from "../../shared/domain/repository-rules";
import { entityNotFound } from "../../shared/errors";
import { arrayOrSingle, audit, nonNull, SoftDeletedMode } from "../../shared/mgmt/repository-base";
import {
	MgmtArtifact,
	MgmtSoftwareModule,
	MgmtSoftwareModuleMetadata,
	MgmtSoftwareModuleMetadataBodyPut,
	MgmtSoftwareModuleMetadataRequestBody,
	MgmtSoftwareModuleRequestBodyPost,
	MgmtSoftwareModuleRequestBodyPut,
} from "../../shared/mgmt/software-modules";
import { rsqlWhere, SOFTWARE_MODULES } from "../../shared/rsql";
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
import { registerArtifactTransferRoutes, toMgmtArtifact } from "./software-module-artifacts";

const TAG = ["Software modules"];
const IdParam = z.object({ softwareModuleId: z.coerce.number().int() });
const MetaParam = IdParam.extend({ metadataKey: z.string() });
const ArtifactParam = IdParam.extend({ artifactId: z.coerce.number().int() });
const LOCKED = { 423: { description: "Locked" } } as const;

/** hawkBit's MgmtSoftwareModuleMapper; `full` adds the links of a single GET/PUT. */
export function toMgmtSoftwareModule(c: Context, m: SmView, full = false): MgmtSoftwareModule {
	const links: Record<string, { href: string }> = {
		self: mgmtLink(c, `/softwaremodules/${m.id}`),
	};
	if (full) {
		links.artifacts = mgmtLink(c, `/softwaremodules/${m.id}/artifacts`);
		links.type = mgmtLink(c, `/softwaremoduletypes/${m.typeId}`);
		links.metadata = mgmtLink(c, `/softwaremodules/${m.id}/metadata${pagingSuffix("key:ASC")}`);
	}
	return nonNull({
		...audit(m),
		id: m.id,
		name: m.name,
		description: m.description,
		version: m.version,
		type: m.typeKey,
		typeName: m.typeName,
		vendor: m.vendor,
		encrypted: m.encrypted,
		locked: m.locked,
		deleted: m.deleted,
		complete: m.complete,
		_links: links,
	}) as MgmtSoftwareModule;
}

function toMetadata(m: SmMetadataRow): MgmtSoftwareModuleMetadata {
	return { key: m.key, value: m.value, targetVisible: m.targetVisible };
}

const list = mgmtRoute({
	method: "get",
	path: "/softwaremodules",
	tags: TAG,
	summary: "List software modules",
	permissions: ["READ_SOFTWARE_MODULE"],
	request: { query: PagingQuery.extend({ soft_deleted_mode: SoftDeletedMode }) },
	responses: {
		200: jsonResponse(
			PagedList(MgmtSoftwareModule, "PagedListMgmtSoftwareModule"),
			"Page of software modules",
		),
	},
});

const create = mgmtRoute({
	method: "post",
	path: "/softwaremodules",
	tags: TAG,
	summary: "Create software modules (array; a single object is accepted too)",
	permissions: ["CREATE_SOFTWARE_MODULE"],
	request: { body: jsonBody(arrayOrSingle(MgmtSoftwareModuleRequestBodyPost)) },
	responses: {
		201: jsonResponse(z.array(MgmtSoftwareModule), "Created modules"),
		...NOT_FOUND,
		...CONFLICT,
	},
});

const getOne = mgmtRoute({
	method: "get",
	path: "/softwaremodules/{softwareModuleId}",
	tags: TAG,
	summary: "Get one software module",
	permissions: ["READ_SOFTWARE_MODULE"],
	request: { params: IdParam },
	responses: { 200: jsonResponse(MgmtSoftwareModule, "The module"), ...NOT_FOUND },
});

const update = mgmtRoute({
	method: "put",
	path: "/softwaremodules/{softwareModuleId}",
	tags: TAG,
	summary: "Update description, vendor or lock state of a software module",
	permissions: ["UPDATE_SOFTWARE_MODULE"],
	request: { params: IdParam, body: jsonBody(MgmtSoftwareModuleRequestBodyPut) },
	responses: { 200: jsonResponse(MgmtSoftwareModule, "The updated module"), ...NOT_FOUND },
});

const remove = mgmtRoute({
	method: "delete",
	path: "/softwaremodules/{softwareModuleId}",
	tags: TAG,
	summary: "Delete a software module (soft delete while part of a distribution set)",
	permissions: ["DELETE_SOFTWARE_MODULE"],
	request: { params: IdParam },
	responses: { ...NO_CONTENT, ...NOT_FOUND, ...LOCKED },
});

const listMeta = mgmtRoute({
	method: "get",
	path: "/softwaremodules/{softwareModuleId}/metadata",
	tags: TAG,
	summary: "List the metadata of a software module",
	permissions: ["READ_SOFTWARE_MODULE"],
	request: { params: IdParam },
	responses: {
		200: jsonResponse(
			PagedList(MgmtSoftwareModuleMetadata, "PagedListMgmtSoftwareModuleMetadata"),
			"All metadata entries",
		),
		...NOT_FOUND,
	},
});

const createMeta = mgmtRoute({
	method: "post",
	path: "/softwaremodules/{softwareModuleId}/metadata",
	tags: TAG,
	summary: "Add metadata entries to a software module",
	permissions: ["UPDATE_SOFTWARE_MODULE"],
	request: {
		params: IdParam,
		body: jsonBody(arrayOrSingle(MgmtSoftwareModuleMetadataRequestBody)),
	},
	responses: { 201: { description: "Created" }, ...NOT_FOUND, ...CONFLICT },
});

const getMeta = mgmtRoute({
	method: "get",
	path: "/softwaremodules/{softwareModuleId}/metadata/{metadataKey}",
	tags: TAG,
	summary: "Get one metadata entry",
	permissions: ["READ_SOFTWARE_MODULE"],
	request: { params: MetaParam },
	responses: { 200: jsonResponse(MgmtSoftwareModuleMetadata, "The entry"), ...NOT_FOUND },
});

const updateMeta = mgmtRoute({
	method: "put",
	path: "/softwaremodules/{softwareModuleId}/metadata/{metadataKey}",
	tags: TAG,
	summary: "Change value or target visibility of a metadata entry",
	permissions: ["UPDATE_SOFTWARE_MODULE"],
	request: { params: MetaParam, body: jsonBody(MgmtSoftwareModuleMetadataBodyPut) },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

const deleteMeta = mgmtRoute({
	method: "delete",
	path: "/softwaremodules/{softwareModuleId}/metadata/{metadataKey}",
	tags: TAG,
	summary: "Delete a metadata entry",
	permissions: ["UPDATE_SOFTWARE_MODULE"],
	request: { params: MetaParam },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

const listArts = mgmtRoute({
	method: "get",
	path: "/softwaremodules/{softwareModuleId}/artifacts",
	tags: TAG,
	summary: "List the artifacts of a software module (bare array)",
	permissions: ["READ_SOFTWARE_MODULE"],
	request: {
		params: IdParam,
		query: z.object({
			representation: z.string().optional(),
			useartifacturlhandler: z.string().optional(),
		}),
	},
	responses: { 200: jsonResponse(z.array(MgmtArtifact), "The artifacts"), ...NOT_FOUND },
});

const getArt = mgmtRoute({
	method: "get",
	path: "/softwaremodules/{softwareModuleId}/artifacts/{artifactId}",
	tags: TAG,
	summary: "Get one artifact's metadata",
	permissions: ["READ_SOFTWARE_MODULE"],
	request: {
		params: ArtifactParam,
		query: z.object({ useartifacturlhandler: z.string().optional() }),
	},
	responses: { 200: jsonResponse(MgmtArtifact, "The artifact"), ...NOT_FOUND },
});

const deleteArt = mgmtRoute({
	method: "delete",
	path: "/softwaremodules/{softwareModuleId}/artifacts/{artifactId}",
	tags: TAG,
	summary: "Delete an artifact (its bytes go when no other module of the tenant uses them)",
	permissions: ["DELETE_SOFTWARE_MODULE"],
	request: { params: ArtifactParam },
	responses: { ...NO_CONTENT, ...NOT_FOUND, ...LOCKED },
});

function checkModule(
	m: {
		name?: string | null;
		version?: string | null;
		description?: string | null;
		vendor?: string | null;
		type?: string | null;
	},
	create: boolean,
) {
	assertConstraints([
		{ property: "name", value: m.name, max: SIZES.name, required: create },
		{ property: "version", value: m.version, max: SIZES.version, required: create },
		{ property: "type", value: m.type, max: SIZES.key, required: create },
		{ property: "description", value: m.description, max: SIZES.description },
		{ property: "vendor", value: m.vendor, max: SIZES.vendor },
	]);
}

function checkMetadata(m: { key?: string | null; value?: string | null }, withKey: boolean) {
	assertConstraints([
		{ property: "key", value: m.key, max: SIZES.metadataKey, required: withKey },
		{ property: "value", value: m.value, max: SIZES.metadataValue, allowMarkup: true },
	]);
}

const router = mgmtRouter()
	.openapi(list, async (c) => {
		const query = c.req.valid("query");
		const page = pageRequest(query, SOFTWARE_MODULES);
		const where = rsqlWhere(query.q, SOFTWARE_MODULES);
		const { rows, total } = await listSoftwareModules(c.var.db, {
			tenant: c.var.tenant,
			where,
			mode: query.soft_deleted_mode,
			...page,
		});
		return c.json(
			paged(
				rows.map((r) => toMgmtSoftwareModule(c, r)),
				total,
			),
			200,
		);
	})
	.openapi(create, async (c) => {
		const body = c.req.valid("json");
		for (const m of body) {
			checkModule(m, true);
		}
		const rows = await insertSoftwareModules(c.var.db, {
			tenant: c.var.tenant,
			by: c.var.principal.username,
			items: body.map((m) => ({ ...m, typeKey: m.type })),
		});
		return c.json(
			rows.map((r) => toMgmtSoftwareModule(c, r, true)),
			201,
		);
	})
	.openapi(getOne, async (c) => {
		const { softwareModuleId: id } = c.req.valid("param");
		const sm = await getSoftwareModule(c.var.db, { tenant: c.var.tenant, id });
		return c.json(toMgmtSoftwareModule(c, sm, true), 200);
	})
	.openapi(update, async (c) => {
		const { softwareModuleId: id } = c.req.valid("param");
		const body = c.req.valid("json");
		checkModule(body, false);
		const sm = await updateSoftwareModule(c.var.db, {
			tenant: c.var.tenant,
			id,
			by: c.var.principal.username,
			...body,
		});
		return c.json(toMgmtSoftwareModule(c, sm, true), 200);
	})
	.openapi(remove, async (c) => {
		const { softwareModuleId: id } = c.req.valid("param");
		const tenant = c.var.tenant;
		const { sha1s } = await deleteSoftwareModule(c.var.db, {
			tenant,
			id,
			by: c.var.principal.username,
		});
		for (const sha1 of sha1s) {
			await releaseContent(c.var.db, c.env.ARTIFACTS, { tenant, sha1 });
		}
		return c.body(null, 204);
	})
	.openapi(listMeta, async (c) => {
		const { softwareModuleId: id } = c.req.valid("param");
		const rows = await listSmMetadata(c.var.db, { tenant: c.var.tenant, id });
		return c.json(paged(rows.map(toMetadata), rows.length), 200);
	})
	.openapi(createMeta, async (c) => {
		const { softwareModuleId: id } = c.req.valid("param");
		const body = c.req.valid("json");
		for (const m of body) {
			checkMetadata(m, true);
		}
		await insertSmMetadata(c.var.db, {
			tenant: c.var.tenant,
			id,
			by: c.var.principal.username,
			items: body.map((m) => ({
				key: m.key,
				value: m.value ?? "",
				targetVisible: m.targetVisible ?? false,
			})),
		});
		return c.body(null, 201);
	})
	.openapi(getMeta, async (c) => {
		const { softwareModuleId: id, metadataKey: key } = c.req.valid("param");
		return c.json(
			toMetadata(await findSmMetadata(c.var.db, { tenant: c.var.tenant, id, key })),
			200,
		);
	})
	.openapi(updateMeta, async (c) => {
		const { softwareModuleId: id, metadataKey: key } = c.req.valid("param");
		const body = c.req.valid("json");
		checkMetadata(body, false);
		await updateSmMetadata(c.var.db, { tenant: c.var.tenant, id, key, ...body });
		return c.body(null, 204);
	})
	.openapi(deleteMeta, async (c) => {
		const { softwareModuleId: id, metadataKey: key } = c.req.valid("param");
		await deleteSmMetadata(c.var.db, { tenant: c.var.tenant, id, key });
		return c.body(null, 204);
	})
	.openapi(listArts, async (c) => {
		const { softwareModuleId: id } = c.req.valid("param");
		const { representation } = c.req.valid("query");
		const sm = await getSoftwareModule(c.var.db, { tenant: c.var.tenant, id });
		const rows = await listArtifacts(c.var.db, { tenant: c.var.tenant, softwareModuleId: sm.id });
		const full = representation?.toLowerCase() === "full";
		return c.json(
			rows.map((a) => toMgmtArtifact(c, a, full)),
			200,
		);
	})
	.openapi(getArt, async (c) => {
		const { softwareModuleId, artifactId } = c.req.valid("param");
		const tenant = c.var.tenant;
		await getSoftwareModule(c.var.db, { tenant, id: softwareModuleId });
		const a = await findArtifact(c.var.db, { tenant, softwareModuleId, artifactId });
		if (!a) {
			throw entityNotFound("Artifact", artifactId);
		}
		return c.json(toMgmtArtifact(c, a), 200);
	})
	.openapi(deleteArt, async (c) => {
		const { softwareModuleId, artifactId } = c.req.valid("param");
		const tenant = c.var.tenant;
		const sm = await getSoftwareModule(c.var.db, { tenant, id: softwareModuleId });
		const a = await findArtifact(c.var.db, { tenant, softwareModuleId, artifactId });
		if (!a) {
			throw entityNotFound("Artifact", artifactId);
		}
		const locked = checkModuleArtifactsChangeable(sm);
		if (locked) {
			throw locked;
		}
		await deleteArtifact(c.var.db, { tenant, softwareModuleId, artifactId });
		await releaseContent(c.var.db, c.env.ARTIFACTS, { tenant, sha1: a.sha1 });
		return c.body(null, 204);
	});

export const softwareModules = registerArtifactTransferRoutes(router);
