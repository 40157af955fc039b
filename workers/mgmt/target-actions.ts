/**
 * A target's actions (list, read, cancel / force-quit, force, confirm, purge, status history) and
 * its DS assignment (POST assignedDS). hawkBit: MgmtTargetResource#getActionHistory, #getAction,
 * #cancelAction, #updateAction, #updateActionConfirmation, #getActionStatusList,
 * #deleteActionsForTarget, #postAssignedDistributionSet (§4.3).
 */
import { z } from "zod";
import {
	deleteActionsById,
	getActionView,
	listActionStatuses,
	listActions,
	purgeTargetActions,
} from "../../shared/db/queries/actions";
import {
	assignDistributionSet,
	cancelAction,
	forceAction,
	forceQuitAction,
	recordConfirmation,
} from "../../shared/db/queries/deployments";
import { findDistributionSetView } from "../../shared/db/queries/distribution-sets";
import { getTarget } from "../../shared/db/queries/targets";
import { DomainError } from "../../shared/errors";
import {
	MgmtDistributionSet,
	MgmtTargetAssignmentResponseBody,
} from "../../shared/mgmt/distribution-sets";
import {
	MgmtAction,
	MgmtActionConfirmationRequestBodyPut,
	MgmtActionRequestBodyPut,
	MgmtActionStatus,
	MgmtDistributionSetAssignments,
} from "../../shared/mgmt/targets";
import { refreshPollEntries } from "../../shared/poll-cache";
import { ACTION_STATUSES_SORT, ACTIONS, rsqlWhere } from "../../shared/rsql";
import { ApiError } from "../http-errors";
import { deletableStatuses, toMgmtAction, toMgmtActionStatus } from "./actions";
import { toMgmtDistributionSet } from "./distribution-sets";
import { mgmtLink, seg } from "./hal";
import { jsonBody, jsonResponse, mgmtRoute, mgmtRouter, NO_CONTENT, NOT_FOUND } from "./openapi";
import { PagedList, PagingOnlyQuery, PagingQuery, paged, pageRequest } from "./paging";
import { TargetIdParam } from "./targets";

const TAG = ["Targets"];
const ActionParam = TargetIdParam.extend({ actionId: z.coerce.number().int() });

const listForTarget = mgmtRoute({
	method: "get",
	path: "/targets/{targetId}/actions",
	tags: TAG,
	summary: "Actions of the target (default sort id:DESC)",
	permissions: ["READ_TARGET"],
	request: { params: TargetIdParam, query: PagingQuery },
	responses: {
		200: jsonResponse(PagedList(MgmtAction, "PagedListMgmtAction"), "Page of actions"),
		...NOT_FOUND,
	},
});

const purge = mgmtRoute({
	method: "delete",
	path: "/targets/{targetId}/actions",
	tags: TAG,
	summary: "Purge action history: `?keepLast=N` or a JSON array of action ids (exactly one)",
	permissions: ["UPDATE_TARGET"],
	request: {
		params: TargetIdParam,
		query: z.object({ keepLast: z.coerce.number().int().optional() }),
		body: {
			required: false,
			content: { "application/json": { schema: z.array(z.number().int()) } },
		},
	},
	responses: { ...NO_CONTENT, ...NOT_FOUND, 405: { description: "An action may not be deleted" } },
});

const getOne = mgmtRoute({
	method: "get",
	path: "/targets/{targetId}/actions/{actionId}",
	tags: TAG,
	summary: "One action of the target (full links)",
	permissions: ["READ_TARGET"],
	request: { params: ActionParam },
	responses: { 200: jsonResponse(MgmtAction, "The action"), ...NOT_FOUND },
});

const cancel = mgmtRoute({
	method: "delete",
	path: "/targets/{targetId}/actions/{actionId}",
	tags: TAG,
	summary: "Cancel an action (→ canceling); with force=true force-quit a canceling action",
	permissions: ["UPDATE_TARGET"],
	request: {
		params: ActionParam,
		query: z.object({ force: z.enum(["true", "false"]).optional() }),
	},
	responses: {
		...NO_CONTENT,
		...NOT_FOUND,
		405: { description: "Not cancelable / not force-quitable" },
	},
});

const force = mgmtRoute({
	method: "put",
	path: "/targets/{targetId}/actions/{actionId}",
	tags: TAG,
	summary: "Switch a soft/timeforced action to forced",
	permissions: ["UPDATE_TARGET"],
	request: { params: ActionParam, body: jsonBody(MgmtActionRequestBodyPut) },
	responses: { 200: jsonResponse(MgmtAction, "The action"), ...NOT_FOUND },
});

const confirm = mgmtRoute({
	method: "put",
	path: "/targets/{targetId}/actions/{actionId}/confirmation",
	tags: TAG,
	summary: "Confirm or deny an action waiting for confirmation",
	permissions: ["UPDATE_TARGET"],
	request: { params: ActionParam, body: jsonBody(MgmtActionConfirmationRequestBodyPut) },
	responses: {
		...NO_CONTENT,
		404: { description: "Unknown, or not waiting for confirmation" },
		410: { description: "Action closed" },
	},
});

const statusList = mgmtRoute({
	method: "get",
	path: "/targets/{targetId}/actions/{actionId}/status",
	tags: TAG,
	summary: "Status history of an action (default sort id:DESC)",
	permissions: ["READ_TARGET"],
	request: { params: ActionParam, query: PagingOnlyQuery },
	responses: {
		200: jsonResponse(
			PagedList(MgmtActionStatus, "PagedListMgmtActionStatus"),
			"Page of status entries",
		),
		...NOT_FOUND,
	},
});

const assignDs = mgmtRoute({
	method: "post",
	path: "/targets/{targetId}/assignedDS",
	tags: TAG,
	summary:
		"Assign a distribution set (object or one-element array); ?offline=true records an installation",
	permissions: ["UPDATE_TARGET", "READ_DISTRIBUTION_SET"],
	request: {
		params: TargetIdParam,
		query: z.object({ offline: z.enum(["true", "false"]).optional() }),
		body: jsonBody(MgmtDistributionSetAssignments),
	},
	responses: {
		200: jsonResponse(MgmtTargetAssignmentResponseBody, "Assignment result"),
		...NOT_FOUND,
	},
});

const assignedDs = mgmtRoute({
	method: "get",
	path: "/targets/{targetId}/assignedDS",
	tags: TAG,
	summary: "The assigned distribution set (204 when none)",
	permissions: ["READ_TARGET", "READ_DISTRIBUTION_SET"],
	request: { params: TargetIdParam },
	responses: { 200: jsonResponse(MgmtDistributionSet, "The DS"), ...NO_CONTENT, ...NOT_FOUND },
});

const installedDs = mgmtRoute({
	method: "get",
	path: "/targets/{targetId}/installedDS",
	tags: TAG,
	summary: "The installed distribution set (204 when none)",
	permissions: ["READ_TARGET", "READ_DISTRIBUTION_SET"],
	request: { params: TargetIdParam },
	responses: { 200: jsonResponse(MgmtDistributionSet, "The DS"), ...NO_CONTENT, ...NOT_FOUND },
});

export const targetActionsApi = mgmtRouter()
	.openapi(assignedDs, async (c) => {
		const t = await getTarget(c.var.db, {
			tenant: c.var.tenant,
			controllerId: c.req.valid("param").targetId,
		});
		const ds =
			t.assignedDsId === null
				? undefined
				: await findDistributionSetView(c.var.db, { tenant: c.var.tenant, id: t.assignedDsId });
		return ds ? c.json(toMgmtDistributionSet(c, ds, true), 200) : c.body(null, 204);
	})
	.openapi(installedDs, async (c) => {
		const t = await getTarget(c.var.db, {
			tenant: c.var.tenant,
			controllerId: c.req.valid("param").targetId,
		});
		const ds =
			t.installedDsId === null
				? undefined
				: await findDistributionSetView(c.var.db, { tenant: c.var.tenant, id: t.installedDsId });
		return ds ? c.json(toMgmtDistributionSet(c, ds, true), 200) : c.body(null, 204);
	})
	.openapi(listForTarget, async (c) => {
		const t = await getTarget(c.var.db, {
			tenant: c.var.tenant,
			controllerId: c.req.valid("param").targetId,
		});
		const query = c.req.valid("query");
		const page = pageRequest(query, ACTIONS);
		const where = rsqlWhere(query.q, ACTIONS);
		const { rows, total } = await listActions(c.var.db, {
			tenant: c.var.tenant,
			targetId: t.id,
			where,
			...page,
		});
		return c.json(
			paged(
				rows.map((a) => toMgmtAction(c, a, false)),
				total,
			),
			200,
		);
	})
	.openapi(purge, async (c) => {
		const t = await getTarget(c.var.db, {
			tenant: c.var.tenant,
			controllerId: c.req.valid("param").targetId,
		});
		const { keepLast } = c.req.valid("query");
		const body = c.req.valid("json") as number[] | Record<string, never>;
		const ids = Array.isArray(body) ? body : undefined;
		if ((keepLast === undefined ? 0 : 1) + (ids ? 1 : 0) !== 1) {
			throw new ApiError(
				"rest.body.notReadable",
				"Either keepLast or a list of action ids must be given, not both",
			);
		}
		const allowed = await deletableStatuses(c.env, c.var.tenant);
		const changed = ids
			? await deleteActionsById(c.var.db, { tenant: c.var.tenant, ids, allowed, targetId: t.id })
			: await purgeTargetActions(c.var.db, {
					tenant: c.var.tenant,
					targetId: t.id,
					keepLast: keepLast ?? 0,
					allowed,
				});
		// A deleted action may have been the poll's action or installedBase link.
		await refreshPollEntries(c.env, c.var.tenant, changed);
		return c.body(null, 204);
	})
	.openapi(getOne, async (c) => {
		const { targetId, actionId } = c.req.valid("param");
		const t = await getTarget(c.var.db, { tenant: c.var.tenant, controllerId: targetId });
		const a = await getActionView(c.var.db, { tenant: c.var.tenant, actionId, targetId: t.id });
		return c.json(toMgmtAction(c, a, true), 200);
	})
	.openapi(cancel, async (c) => {
		const { targetId, actionId } = c.req.valid("param");
		const t = await getTarget(c.var.db, { tenant: c.var.tenant, controllerId: targetId });
		await getActionView(c.var.db, { tenant: c.var.tenant, actionId, targetId: t.id });
		const q = { tenant: c.var.tenant, actionId, user: c.var.principal.username };
		if (c.req.valid("query").force === "true") {
			await forceQuitAction(c.var.db, c.env, q);
		} else {
			await cancelAction(c.var.db, c.env, q);
		}
		return c.body(null, 204);
	})
	.openapi(force, async (c) => {
		const { targetId, actionId } = c.req.valid("param");
		const t = await getTarget(c.var.db, { tenant: c.var.tenant, controllerId: targetId });
		await getActionView(c.var.db, { tenant: c.var.tenant, actionId, targetId: t.id });
		await forceAction(c.var.db, c.env, {
			tenant: c.var.tenant,
			actionId,
			user: c.var.principal.username,
		});
		const a = await getActionView(c.var.db, { tenant: c.var.tenant, actionId, targetId: t.id });
		return c.json(toMgmtAction(c, a, true), 200);
	})
	.openapi(confirm, async (c) => {
		const { targetId, actionId } = c.req.valid("param");
		const body = c.req.valid("json");
		const t = await getTarget(c.var.db, { tenant: c.var.tenant, controllerId: targetId });
		await getActionView(c.var.db, { tenant: c.var.tenant, actionId, targetId: t.id });
		const outcome = await recordConfirmation(c.var.db, c.env, {
			tenant: c.var.tenant,
			actionId,
			confirmation: body.confirmation,
			code: body.code,
			details: body.details,
			user: c.var.principal.username,
		});
		if (outcome.kind === "actionClosed") {
			return c.body(null, 410);
		}
		if (outcome.kind === "notAwaitingConfirmation") {
			return c.body(null, 404);
		}
		return c.body(null, 204);
	})
	.openapi(statusList, async (c) => {
		const { targetId, actionId } = c.req.valid("param");
		const t = await getTarget(c.var.db, { tenant: c.var.tenant, controllerId: targetId });
		await getActionView(c.var.db, { tenant: c.var.tenant, actionId, targetId: t.id });
		const page = pageRequest(c.req.valid("query"), ACTION_STATUSES_SORT);
		const { rows, total } = await listActionStatuses(c.var.db, { actionId, ...page });
		return c.json(paged(rows.map(toMgmtActionStatus), total), 200);
	})
	.openapi(assignDs, async (c) => {
		const { targetId } = c.req.valid("param");
		const items = c.req.valid("json");
		await getTarget(c.var.db, { tenant: c.var.tenant, controllerId: targetId });
		if (items.length !== 1) {
			// Multi-assignment was removed in 1.0: one target may get one DS per request.
			throw new DomainError(
				"multiAssignmentNotEnabled",
				"The request contains multiple assignments for the same target; multi-assignment is not enabled",
			);
		}
		const [item] = items as [(typeof items)[0]];
		const result = await assignDistributionSet(c.var.db, c.env, {
			tenant: c.var.tenant,
			initiatedBy: c.var.principal.username,
			dsId: item.id,
			offline: c.req.valid("query").offline === "true",
			assignments: [
				{
					controllerId: targetId,
					type: item.type,
					forcetime: item.forcetime,
					weight: item.weight,
					confirmationRequired: item.confirmationRequired,
					maintenanceWindow: item.maintenanceWindow,
				},
			],
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
	});
