/**
 * /rest/v1/targetfilters with the auto-assign distribution set.
 * hawkBit: MgmtTargetFilterQueryRestApi / MgmtTargetFilterQueryResource (§4.12, §6.8).
 */
import type { Context } from "hono";
import { z } from "zod";
import { getDistributionSet } from "../../shared/db/queries/distribution-sets";
import {
	clearAutoAssignment,
	deleteTargetFilter,
	getTargetFilter,
	insertTargetFilter,
	listTargetFilters,
	setAutoAssignment,
	type TargetFilterRow,
	updateTargetFilter,
} from "../../shared/db/queries/target-filters";
import { MAX_ACTION_WEIGHT, MIN_ACTION_WEIGHT } from "../../shared/domain/action-status";
import { assertConstraints, SIZES } from "../../shared/domain/repository-constraints";
import { checkAutoAssignActionType, checkDsAssignable } from "../../shared/domain/repository-rules";
import { DomainError } from "../../shared/errors";
import { MgmtDistributionSet } from "../../shared/mgmt/distribution-sets";
import { audit } from "../../shared/mgmt/repository-base";
import {
	MgmtDistributionSetAutoAssignment,
	MgmtTargetFilterQuery,
	MgmtTargetFilterQueryRequestBody,
} from "../../shared/mgmt/target-filters";
import { rsqlWhere, TARGET_FILTERS, TARGETS, validateRsql } from "../../shared/rsql";
import { readTenantConfigSnapshot } from "../../shared/tenant-config";
import { toMgmtDistributionSet } from "./distribution-sets";
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

const TAG = ["Target filters"];
const IdParam = z.object({ filterId: z.coerce.number().int() });

/** hawkBit's MgmtTargetFilterQueryMapper: every field, nulls included. */
export function toMgmtTargetFilter(
	c: Context,
	f: TargetFilterRow,
	full = false,
	ds?: { name: string; version: string },
): MgmtTargetFilterQuery {
	const self = `/targetfilters/${f.id}`;
	const links: Record<string, { href: string }> = {
		self: mgmtLink(c, self),
		autoAssignDS: mgmtLink(c, `${self}/autoAssignDS`),
	};
	if (full && ds) {
		links.DS = mgmtLink(
			c,
			`/distributionsets?q=${encodeURIComponent(`name==${ds.name};version==${ds.version}`)}`,
		);
	}
	return {
		...audit(f),
		id: f.id,
		name: f.name,
		query: f.query,
		autoAssignDistributionSet: f.autoAssignDsId,
		autoAssignActionType: f.autoAssignActionType,
		autoAssignWeight: f.autoAssignWeight,
		confirmationRequired: f.confirmationRequired,
		_links: links,
	};
}

function checkFilter(f: { name?: string | null; query?: string | null }, create: boolean) {
	assertConstraints([
		{ property: "name", value: f.name, max: SIZES.name, required: create },
		{ property: "query", value: f.query, max: SIZES.query, required: create, allowMarkup: true },
	]);
	if (f.query) {
		validateRsql(f.query, TARGETS);
	}
}

const list = mgmtRoute({
	method: "get",
	path: "/targetfilters",
	tags: TAG,
	summary: "List target filter queries",
	permissions: ["READ_TARGET"],
	request: { query: PagingQuery.extend({ representation: z.string().optional() }) },
	responses: {
		200: jsonResponse(
			PagedList(MgmtTargetFilterQuery, "PagedListMgmtTargetFilterQuery"),
			"Page of filters",
		),
	},
});

const create = mgmtRoute({
	method: "post",
	path: "/targetfilters",
	tags: TAG,
	summary: "Create a target filter query (single object)",
	permissions: ["CREATE_TARGET"],
	request: { body: jsonBody(MgmtTargetFilterQueryRequestBody) },
	responses: { 201: jsonResponse(MgmtTargetFilterQuery, "The filter"), ...CONFLICT },
});

const getOne = mgmtRoute({
	method: "get",
	path: "/targetfilters/{filterId}",
	tags: TAG,
	summary: "Get one target filter query",
	permissions: ["READ_TARGET"],
	request: { params: IdParam },
	responses: { 200: jsonResponse(MgmtTargetFilterQuery, "The filter"), ...NOT_FOUND },
});

const update = mgmtRoute({
	method: "put",
	path: "/targetfilters/{filterId}",
	tags: TAG,
	summary: "Update name and query of a target filter",
	permissions: ["UPDATE_TARGET"],
	request: { params: IdParam, body: jsonBody(MgmtTargetFilterQueryRequestBody) },
	responses: { 200: jsonResponse(MgmtTargetFilterQuery, "The filter"), ...NOT_FOUND, ...CONFLICT },
});

const remove = mgmtRoute({
	method: "delete",
	path: "/targetfilters/{filterId}",
	tags: TAG,
	summary: "Delete a target filter query",
	permissions: ["DELETE_TARGET"],
	request: { params: IdParam },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

const getAutoAssign = mgmtRoute({
	method: "get",
	path: "/targetfilters/{filterId}/autoAssignDS",
	tags: TAG,
	summary: "The auto-assign distribution set (204 when none)",
	permissions: ["READ_TARGET", "READ_DISTRIBUTION_SET"],
	request: { params: IdParam },
	responses: { 200: jsonResponse(MgmtDistributionSet, "The set"), ...NO_CONTENT, ...NOT_FOUND },
});

const setAutoAssign = mgmtRoute({
	method: "post",
	path: "/targetfilters/{filterId}/autoAssignDS",
	tags: TAG,
	summary: "Set the auto-assign distribution set, action type, weight and confirmation",
	permissions: ["UPDATE_TARGET", "READ_DISTRIBUTION_SET"],
	request: { params: IdParam, body: jsonBody(MgmtDistributionSetAutoAssignment) },
	responses: { 200: jsonResponse(MgmtTargetFilterQuery, "The filter"), ...NOT_FOUND },
});

const clearAutoAssign = mgmtRoute({
	method: "delete",
	path: "/targetfilters/{filterId}/autoAssignDS",
	tags: TAG,
	summary: "Remove the auto-assignment",
	permissions: ["UPDATE_TARGET"],
	request: { params: IdParam },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

export const targetFiltersApi = mgmtRouter()
	.openapi(list, async (c) => {
		const query = c.req.valid("query");
		const page = pageRequest(query, TARGET_FILTERS);
		const where = rsqlWhere(query.q, TARGET_FILTERS);
		const full = query.representation?.toLowerCase() === "full";
		const { rows, total } = await listTargetFilters(c.var.db, {
			tenant: c.var.tenant,
			where,
			...page,
		});
		const content = [];
		for (const f of rows) {
			const ds =
				full && f.autoAssignDsId !== null
					? await getDistributionSet(c.var.db, {
							tenant: c.var.tenant,
							id: f.autoAssignDsId,
						}).catch(() => undefined)
					: undefined;
			content.push(toMgmtTargetFilter(c, f, full, ds));
		}
		return c.json(paged(content, total), 200);
	})
	.openapi(create, async (c) => {
		const body = c.req.valid("json");
		checkFilter(body, true);
		const row = await insertTargetFilter(c.var.db, {
			tenant: c.var.tenant,
			by: c.var.principal.username,
			name: body.name as string,
			query: body.query as string,
		});
		return c.json(toMgmtTargetFilter(c, row), 201);
	})
	.openapi(getOne, async (c) => {
		const { filterId: id } = c.req.valid("param");
		return c.json(
			toMgmtTargetFilter(c, await getTargetFilter(c.var.db, { tenant: c.var.tenant, id })),
			200,
		);
	})
	.openapi(update, async (c) => {
		const { filterId: id } = c.req.valid("param");
		const body = c.req.valid("json");
		checkFilter(body, false);
		const row = await updateTargetFilter(c.var.db, {
			tenant: c.var.tenant,
			id,
			by: c.var.principal.username,
			...body,
		});
		return c.json(toMgmtTargetFilter(c, row), 200);
	})
	.openapi(remove, async (c) => {
		const { filterId: id } = c.req.valid("param");
		await deleteTargetFilter(c.var.db, { tenant: c.var.tenant, id });
		return c.body(null, 204);
	})
	.openapi(getAutoAssign, async (c) => {
		const { filterId: id } = c.req.valid("param");
		const f = await getTargetFilter(c.var.db, { tenant: c.var.tenant, id });
		if (f.autoAssignDsId === null) {
			return c.body(null, 204);
		}
		const ds = await getDistributionSet(c.var.db, { tenant: c.var.tenant, id: f.autoAssignDsId });
		return c.json(toMgmtDistributionSet(c, ds, true), 200);
	})
	.openapi(setAutoAssign, async (c) => {
		const { filterId: id } = c.req.valid("param");
		const body = c.req.valid("json");
		const tenant = c.var.tenant;
		await getTargetFilter(c.var.db, { tenant, id });
		const actionType = body.type ?? "forced";
		const badType = checkAutoAssignActionType(actionType);
		if (badType) {
			throw badType;
		}
		const weight = body.weight ?? null;
		if (weight !== null && (weight < MIN_ACTION_WEIGHT || weight > MAX_ACTION_WEIGHT)) {
			throw new DomainError(
				"repo.constraintViolation",
				`weight must be between ${MIN_ACTION_WEIGHT} and ${MAX_ACTION_WEIGHT}.`,
			);
		}
		const ds = await getDistributionSet(c.var.db, { tenant, id: body.id });
		const refusal = checkDsAssignable(ds);
		if (refusal) {
			throw refusal;
		}
		const snapshot = await readTenantConfigSnapshot(c.env, tenant);
		const flow = snapshot.values["user.confirmation.flow.enabled"];
		const row = await setAutoAssignment(c.var.db, {
			tenant,
			id,
			by: c.var.principal.username,
			dsId: ds.id,
			actionType,
			weight,
			confirmationRequired: flow ? (body.confirmationRequired ?? true) : null,
		});
		return c.json(toMgmtTargetFilter(c, row), 200);
	})
	.openapi(clearAutoAssign, async (c) => {
		const { filterId: id } = c.req.valid("param");
		await clearAutoAssignment(c.var.db, { tenant: c.var.tenant, id, by: c.var.principal.username });
		return c.body(null, 204);
	});
