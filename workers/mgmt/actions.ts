/**
 * /rest/v1/actions and the action mappers shared with the target routes.
 * hawkBit: MgmtActionRestApi / MgmtActionResource, MgmtActionMapper (§4.4).
 */
import type { Context } from "hono";
import { z } from "zod";
import {
	type ActionStatusRow,
	type ActionView,
	deleteActionsById,
	deleteActionsWhere,
	getActionView,
	listActions,
} from "../../shared/db/queries/actions";
import type { ActionStatus } from "../../shared/db/schema";
import { maintenanceWindowAt, scheduleOf } from "../../shared/domain/maintenance-window";
import { nonNull } from "../../shared/mgmt/repository-base";
import {
	type MgmtAction,
	MgmtAction as MgmtActionSchema,
	type MgmtActionStatus,
} from "../../shared/mgmt/targets";
import { refreshPollEntries } from "../../shared/poll-cache";
import { ACTIONS, rsqlWhere } from "../../shared/rsql";
import { getTenantConfigValues } from "../../shared/tenant-config";
import { ApiError } from "../http-errors";
import { mgmtLink, pagingSuffix, seg } from "./hal";
import { jsonResponse, mgmtRoute, mgmtRouter, NO_CONTENT, NOT_FOUND } from "./openapi";
import { PagedList, PagingQuery, paged, pageRequest } from "./paging";

const TAG = ["Actions"];

function parseMessages(json: string): string[] {
	try {
		const v: unknown = JSON.parse(json);
		return Array.isArray(v) ? v.map(String) : [];
	} catch {
		return [];
	}
}

function actionPath(a: { controllerId: string; id: number }) {
	return `/targets/${seg(a.controllerId)}/actions/${a.id}`;
}

/**
 * hawkBit's MgmtActionMapper: `type` cancel/update, detailed lower-case `status` plus `active`
 * (1.x), forceTime only for timeforced, maintenance window with nextStartAt while not lapsed.
 * Lists carry only `self`; `full` adds target, distributionset, status, rollout, canceledaction.
 */
export function toMgmtAction(
	c: Context,
	a: ActionView,
	full: boolean,
	now = Date.now(),
): MgmtAction {
	const canceling = a.status === "CANCELING" || a.status === "CANCELED";
	const schedule = scheduleOf(a);
	let maintenanceWindow: MgmtAction["maintenanceWindow"];
	if (schedule) {
		const w = maintenanceWindowAt(schedule, now);
		maintenanceWindow = nonNull({ ...schedule, nextStartAt: w.lapsed ? undefined : w.start });
	}
	const self = actionPath(a);
	const links: Record<string, { href: string; name?: string }> = { self: mgmtLink(c, self) };
	if (full) {
		links.target = mgmtLink(c, `/targets/${seg(a.controllerId)}`, a.controllerId);
		links.distributionset = mgmtLink(
			c,
			`/distributionsets/${a.dsId}`,
			a.dsName === null ? undefined : `${a.dsName}:${a.dsVersion}`,
		);
		links.status = mgmtLink(c, `${self}/status${pagingSuffix("id:DESC")}`);
		if (a.rolloutId !== null) {
			links.rollout = mgmtLink(c, `/rollouts/${a.rolloutId}`, a.rolloutName ?? undefined);
		}
		if (canceling) {
			links.canceledaction = mgmtLink(c, self);
		}
	}
	return nonNull({
		createdBy: a.createdBy,
		createdAt: a.createdAt,
		lastModifiedBy: a.lastModifiedBy,
		lastModifiedAt: a.lastModifiedAt,
		id: a.id,
		type: canceling ? "cancel" : "update",
		active: a.active,
		status: a.status.toLowerCase() as MgmtAction["status"],
		forceType: a.actionType,
		forceTime: a.actionType === "timeforced" ? (a.forcedTime ?? undefined) : undefined,
		weight: a.weight ?? undefined,
		maintenanceWindow,
		rollout: a.rolloutId ?? undefined,
		rolloutName: a.rolloutName ?? undefined,
		lastStatusCode: a.lastActionStatusCode ?? undefined,
		externalRef: a.externalRef ?? undefined,
		_links: links,
	}) as MgmtAction;
}

/** hawkBit's MgmtActionStatus: lower-case `type`, messages as stored, `reportedAt` = server time. */
export function toMgmtActionStatus(s: ActionStatusRow): MgmtActionStatus {
	return nonNull({
		id: s.id,
		type: s.status.toLowerCase() as MgmtActionStatus["type"],
		messages: parseMessages(s.messages),
		reportedAt: s.createdAt,
		timestamp: s.timestamp,
		code: s.code ?? undefined,
	}) as MgmtActionStatus;
}

/** `action.delete.allowed.statuses` of the tenant as status names. */
export async function deletableStatuses(env: Env, tenant: string) {
	const values = await getTenantConfigValues(env, tenant);
	return values["action.delete.allowed.statuses"]
		.split(",")
		.map((s) => s.trim().toUpperCase())
		.filter(Boolean) as ActionStatus[];
}

const Representation = z
	.string()
	.optional()
	.meta({ description: "`compact` (default) or `full`; anything else is compact" });
const ActionIdParam = z.object({ actionId: z.coerce.number().int() });
const ActionPage = PagedList(MgmtActionSchema, "PagedListMgmtAction");

const list = mgmtRoute({
	method: "get",
	path: "/actions",
	tags: TAG,
	summary: "List actions of all targets",
	permissions: ["READ_TARGET"],
	request: { query: PagingQuery.extend({ representation: Representation }) },
	responses: { 200: jsonResponse(ActionPage, "Page of actions") },
});

const getOne = mgmtRoute({
	method: "get",
	path: "/actions/{actionId}",
	tags: TAG,
	summary: "One action (full representation)",
	permissions: ["READ_TARGET"],
	request: { params: ActionIdParam },
	responses: { 200: jsonResponse(MgmtActionSchema, "The action"), ...NOT_FOUND },
});

const deleteOne = mgmtRoute({
	method: "delete",
	path: "/actions/{actionId}",
	tags: TAG,
	summary: "Delete an action whose status is in action.delete.allowed.statuses",
	permissions: ["UPDATE_TARGET"],
	request: { params: ActionIdParam },
	responses: {
		...NO_CONTENT,
		...NOT_FOUND,
		405: { description: "Status does not allow deletion" },
	},
});

const deleteMany = mgmtRoute({
	method: "delete",
	path: "/actions",
	tags: TAG,
	summary: "Delete actions by RSQL (`q`) or by a JSON array of ids (exactly one of them)",
	permissions: ["UPDATE_TARGET"],
	request: {
		query: z.object({ q: z.string().optional() }),
		body: {
			required: false,
			content: { "application/json": { schema: z.array(z.number().int()) } },
		},
	},
	responses: { ...NO_CONTENT, 405: { description: "A match may not be deleted" } },
});

export const actionsApi = mgmtRouter()
	.openapi(list, async (c) => {
		const query = c.req.valid("query");
		const page = pageRequest(query, ACTIONS);
		const where = rsqlWhere(query.q, ACTIONS);
		const { rows, total } = await listActions(c.var.db, { tenant: c.var.tenant, where, ...page });
		const full = query.representation === "full";
		return c.json(
			paged(
				rows.map((a) => toMgmtAction(c, a, full)),
				total,
			),
			200,
		);
	})
	.openapi(getOne, async (c) => {
		const { actionId } = c.req.valid("param");
		const a = await getActionView(c.var.db, { tenant: c.var.tenant, actionId });
		return c.json(toMgmtAction(c, a, true), 200);
	})
	.openapi(deleteOne, async (c) => {
		const { actionId } = c.req.valid("param");
		const allowed = await deletableStatuses(c.env, c.var.tenant);
		const changed = await deleteActionsById(c.var.db, {
			tenant: c.var.tenant,
			ids: [actionId],
			allowed,
		});
		// A deleted action may have been the poll's action or installedBase link.
		await refreshPollEntries(c.env, c.var.tenant, changed);
		return c.body(null, 204);
	})
	.openapi(deleteMany, async (c) => {
		const { q } = c.req.valid("query");
		const body = c.req.valid("json") as number[] | Record<string, never>;
		const ids = Array.isArray(body) ? body : undefined;
		if ((q?.trim() ? 1 : 0) + (ids ? 1 : 0) !== 1) {
			throw new ApiError(
				"rest.body.notReadable",
				"Either the RSQL query parameter q or a list of action ids must be given, not both",
			);
		}
		const allowed = await deletableStatuses(c.env, c.var.tenant);
		let changed: number[] = [];
		if (ids) {
			changed = await deleteActionsById(c.var.db, { tenant: c.var.tenant, ids, allowed });
		} else {
			const where = rsqlWhere(q, ACTIONS);
			if (where) {
				changed = await deleteActionsWhere(c.var.db, { tenant: c.var.tenant, where, allowed });
			}
		}
		await refreshPollEntries(c.env, c.var.tenant, changed);
		return c.body(null, 204);
	});
