/**
 * /rest/v1/rollouts: create, list, read, update, delete; start, pause, resume, stop, approve, deny,
 * triggerNextGroup, retry; deploy groups and their targets (§4.14, §7). Reads come from D1; every
 * state change goes through the rollout's coordinator Durable Object, which serialises them.
 * hawkBit: MgmtRolloutRestApi / MgmtRolloutResource, MgmtRolloutMapper.
 */
import { and } from "drizzle-orm";
import type { Context } from "hono";
import { z } from "zod";
import {
	countGroupsOfRollouts,
	countRolloutActionsByGroupAndStatus,
	distributionSetLabels,
	findRollout,
	findRolloutGroup,
	inRolloutGroup,
	listRolloutGroups,
	listRollouts,
	type RolloutGroupRow,
	type RolloutRow,
	rolloutNameExists,
	updateRolloutNameAndDescription,
} from "../../shared/db/queries/rollouts";
import { listTargets } from "../../shared/db/queries/targets";
import type { ActionStatus } from "../../shared/db/schema/actions";
import {
	assertConstraints,
	type Constraint,
	SIZES,
} from "../../shared/domain/repository-constraints";
import { floatForWire } from "../../shared/domain/rollout-groups";
import { assertRolloutOperation } from "../../shared/domain/rollout-state";
import { totalTargetsPerStatus } from "../../shared/domain/rollout-totals";
import { DomainError, entityNotFound } from "../../shared/errors";
import { audit, nonNull, SoftDeletedMode } from "../../shared/mgmt/repository-base";
import {
	MgmtRolloutGroupResponseBody,
	MgmtRolloutResponseBody,
	MgmtRolloutRestRequestBodyPost,
	MgmtRolloutRestRequestBodyPut,
} from "../../shared/mgmt/rollouts";
import { MgmtTarget } from "../../shared/mgmt/targets";
import { ROLLOUT_GROUPS, ROLLOUTS, type RsqlEntity, rsqlWhere, TARGETS } from "../../shared/rsql";
import { getTenantConfigValues } from "../../shared/tenant-config";
import { callerHas, type MgmtEnv } from "../middleware/mgmt-auth";
import { rolloutCoordinator } from "../rollouts/notify";
import type { CoordinatorResult, RolloutRef } from "../rollouts/rollout-coordinator";
import { createRollout, type RolloutCreator, retryRollout } from "../rollouts/rollout-management";
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
import { targetRenderContext, toMgmtTarget } from "./targets";

const TAG = ["Rollouts"];
const IdParam = z.object({ rolloutId: z.coerce.number().int() });
const GroupParam = IdParam.extend({ groupId: z.coerce.number().int() });
const Representation = z
	.string()
	.optional()
	.meta({ description: "`compact` (default) or `full` (per-status totals, all links)" });
const RolloutPage = PagedList(MgmtRolloutResponseBody, "PagedListMgmtRolloutResponseBody");
const GroupPage = PagedList(MgmtRolloutGroupResponseBody, "PagedListMgmtRolloutGroupResponseBody");
const TargetPage = PagedList(MgmtTarget, "PagedListMgmtTarget");
const Remark = z.object({
	remark: z.string().optional().meta({ description: "Approval remark (≤ 255 characters)" }),
});

/** hawkBit sorts a group's targets with the rollout sort fields (PagingUtility#sanitizeRolloutSortParam). */
const GROUP_TARGETS: RsqlEntity = {
	...TARGETS,
	sortColumns: {
		id: '"targets"."id"',
		name: '"targets"."name"',
		description: '"targets"."description"',
		createdat: '"targets"."created_at"',
		createdby: '"targets"."created_by"',
		lastmodifiedat: '"targets"."last_modified_at"',
		lastmodifiedby: '"targets"."last_modified_by"',
	},
	defaultSort: "id:ASC",
};

function isFull(representation: string | undefined): boolean {
	// hawkBit falls back to compact for anything it does not know, without an error.
	return representation?.toLowerCase() === "full";
}

function creatorOf(c: Context<MgmtEnv>): RolloutCreator {
	const p = c.var.principal;
	return {
		username: p.username,
		mayHandle: callerHas(p, "HANDLE_ROLLOUT"),
		mayApprove: callerHas(p, "APPROVE_ROLLOUT"),
	};
}

function orThrow(result: CoordinatorResult): void {
	if (!result.ok) {
		throw new DomainError(result.code, result.message);
	}
}

async function existingRollout(c: Context<MgmtEnv>, rolloutId: number): Promise<RolloutRow> {
	const rollout = await findRollout(c.env.DB, { tenant: c.var.tenant, rolloutId });
	if (!rollout) {
		throw entityNotFound("Rollout", rolloutId);
	}
	return rollout;
}

type StatusCounts = { status: ActionStatus; count: number }[];

/** Action counts per rollout and per group, from the (rollout_group_id, status) index. */
async function statusCounts(d1: D1Database, rolloutIds: number[]) {
	const byRollout = new Map<number, StatusCounts>();
	const byGroup = new Map<number, StatusCounts>();
	for (const r of await countRolloutActionsByGroupAndStatus(d1, rolloutIds)) {
		const item = { status: r.status, count: r.count };
		byRollout.set(r.rolloutId, [...(byRollout.get(r.rolloutId) ?? []), item]);
		byGroup.set(r.groupId, [...(byGroup.get(r.groupId) ?? []), item]);
	}
	return { byRollout, byGroup };
}

/** hawkBit's MgmtRolloutMapper#toResponseRollout: compact = no totals, no approval, `self` only. */
function toMgmtRollout(
	c: Context,
	r: RolloutRow,
	details?: {
		counts: StatusCounts;
		totalGroups: number;
		ds?: { name: string; version: string };
	},
): MgmtRolloutResponseBody {
	const self = `/rollouts/${r.id}`;
	const body: MgmtRolloutResponseBody = {
		...audit(r),
		name: r.name,
		description: r.description ?? undefined,
		id: r.id,
		targetFilterQuery: r.targetFilterQuery,
		distributionSetId: r.dsId,
		status: r.status,
		totalTargets: r.totalTargets,
		forcetime: r.forcedTime ?? 0,
		deleted: r.deleted,
		type: r.actionType,
		weight: r.weight ?? undefined,
		dynamic: r.dynamic,
	};
	if (!details) {
		body._links = { self: mgmtLink(c, self) };
		return nonNull(body);
	}
	body.totalTargetsPerStatus = totalTargetsPerStatus(r.totalTargets, details.counts, r.actionType);
	body.totalGroups = details.totalGroups;
	body.startAt = r.startAt ?? undefined;
	body.approvalRemark = r.approvalRemark ?? undefined;
	body.approveDecidedBy = r.approvalDecidedBy ?? undefined;
	if (r.status === "paused" && r.pauseReason) {
		body.pauseReason = r.pauseReason;
	}
	body._links = {
		start: mgmtLink(c, `${self}/start`),
		pause: mgmtLink(c, `${self}/pause`),
		resume: mgmtLink(c, `${self}/resume`),
		triggerNextGroup: mgmtLink(c, `${self}/triggerNextGroup`),
		approve: mgmtLink(c, `${self}/approve`),
		deny: mgmtLink(c, `${self}/deny`),
		groups: mgmtLink(c, `${self}/deploygroups?offset=0&limit=50`),
		distributionset: mgmtLink(
			c,
			`/distributionsets/${r.dsId}`,
			details.ds ? `${details.ds.name}:${details.ds.version}` : undefined,
		),
		self: mgmtLink(c, self),
	};
	return nonNull(body);
}

/** hawkBit's MgmtRolloutMapper#toResponseRolloutGroup. */
function toMgmtRolloutGroup(
	c: Context,
	g: RolloutGroupRow,
	actionType: RolloutRow["actionType"],
	opts: { confirmationFlow: boolean; counts?: StatusCounts },
): MgmtRolloutGroupResponseBody {
	const body: MgmtRolloutGroupResponseBody = {
		...audit(g),
		name: g.name,
		description: g.description ?? undefined,
		successCondition: nonNull({
			condition: g.successCondition,
			expression: g.successConditionExp ?? undefined,
		}),
		successAction: nonNull({
			action: g.successAction,
			expression: g.successActionExp ?? undefined,
		}),
		errorCondition: nonNull({
			condition: g.errorCondition,
			expression: g.errorConditionExp ?? undefined,
		}),
		errorAction: nonNull({ action: g.errorAction, expression: g.errorActionExp ?? undefined }),
		targetFilterQuery: g.targetFilterQuery ?? undefined,
		targetPercentage: floatForWire(g.targetPercentage),
		confirmationRequired: opts.confirmationFlow ? (g.confirmationRequired ?? false) : undefined,
		id: g.id,
		dynamic: g.dynamic,
		status: g.status,
		totalTargets: g.totalTargets,
		_links: { self: mgmtLink(c, `/rollouts/${g.rolloutId}/deploygroups/${g.id}`) },
	};
	if (opts.counts) {
		body.totalTargetsPerStatus = totalTargetsPerStatus(g.totalTargets, opts.counts, actionType);
	}
	return nonNull(body);
}

/** The full representation of one rollout, read fresh from D1. */
async function fullRollout(c: Context<MgmtEnv>, rolloutId: number) {
	const r = await existingRollout(c, rolloutId);
	const [{ byRollout }, groups, labels] = await Promise.all([
		statusCounts(c.env.DB, [r.id]),
		countGroupsOfRollouts(c.env.DB, [r.id]),
		distributionSetLabels(c.env.DB, [r.dsId]),
	]);
	return toMgmtRollout(c, r, {
		counts: byRollout.get(r.id) ?? [],
		totalGroups: groups.get(r.id) ?? 0,
		ds: labels.get(r.dsId),
	});
}

function checkRolloutText(
	f: { name?: string | null; description?: string | null },
	create: boolean,
) {
	assertConstraints([
		{ property: "name", value: f.name, max: SIZES.name, required: create },
		{ property: "description", value: f.description, max: SIZES.description },
	]);
}

const ops = (
	path: string,
	summary: string,
	permissions: Parameters<typeof mgmtRoute>[0]["permissions"],
) =>
	mgmtRoute({
		method: "post",
		path: `/rollouts/{rolloutId}/${path}`,
		tags: TAG,
		summary,
		permissions,
		request: { params: IdParam },
		responses: { ...NO_CONTENT, ...NOT_FOUND },
	});

const list = mgmtRoute({
	method: "get",
	path: "/rollouts",
	tags: TAG,
	summary: "List rollouts",
	permissions: ["READ_ROLLOUT"],
	request: {
		query: PagingQuery.extend({
			representation: Representation,
			soft_deleted_mode: SoftDeletedMode,
		}),
	},
	responses: { 200: jsonResponse(RolloutPage, "Page of rollouts") },
});

const create = mgmtRoute({
	method: "post",
	path: "/rollouts",
	tags: TAG,
	summary: "Create a rollout (status creating; groups are filled asynchronously)",
	permissions: ["CREATE_ROLLOUT", "READ_DISTRIBUTION_SET", "READ_TARGET"],
	request: { body: jsonBody(MgmtRolloutRestRequestBodyPost) },
	responses: {
		201: jsonResponse(MgmtRolloutResponseBody, "The created rollout"),
		...NOT_FOUND,
		...CONFLICT,
	},
});

const get = mgmtRoute({
	method: "get",
	path: "/rollouts/{rolloutId}",
	tags: TAG,
	summary: "One rollout with per-status totals",
	permissions: ["READ_ROLLOUT"],
	request: { params: IdParam },
	responses: { 200: jsonResponse(MgmtRolloutResponseBody, "The rollout"), ...NOT_FOUND },
});

const update = mgmtRoute({
	method: "put",
	path: "/rollouts/{rolloutId}",
	tags: TAG,
	summary: "Change name and description",
	permissions: ["UPDATE_ROLLOUT"],
	request: { params: IdParam, body: jsonBody(MgmtRolloutRestRequestBodyPut) },
	responses: { 200: jsonResponse(MgmtRolloutResponseBody, "The rollout"), ...NOT_FOUND },
});

const remove = mgmtRoute({
	method: "delete",
	path: "/rollouts/{rolloutId}",
	tags: TAG,
	summary: "Delete (hard when nothing started, otherwise soft)",
	permissions: ["DELETE_ROLLOUT"],
	request: { params: IdParam },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

const retry = mgmtRoute({
	method: "post",
	path: "/rollouts/{rolloutId}/retry",
	tags: TAG,
	summary: "New rollout `<name>_retry` over the targets that failed in a finished rollout",
	permissions: ["READ_ROLLOUT", "CREATE_ROLLOUT"],
	request: { params: IdParam },
	responses: {
		201: jsonResponse(MgmtRolloutResponseBody, "The retry rollout"),
		...NOT_FOUND,
		...CONFLICT,
	},
});

const groups = mgmtRoute({
	method: "get",
	path: "/rollouts/{rolloutId}/deploygroups",
	tags: TAG,
	summary: "The rollout's groups",
	permissions: ["READ_ROLLOUT"],
	request: { params: IdParam, query: PagingQuery.extend({ representation: Representation }) },
	responses: { 200: jsonResponse(GroupPage, "Page of groups"), ...NOT_FOUND },
});

const group = mgmtRoute({
	method: "get",
	path: "/rollouts/{rolloutId}/deploygroups/{groupId}",
	tags: TAG,
	summary: "One group with per-status totals",
	permissions: ["READ_ROLLOUT"],
	request: { params: GroupParam },
	responses: { 200: jsonResponse(MgmtRolloutGroupResponseBody, "The group"), ...NOT_FOUND },
});

const groupTargets = mgmtRoute({
	method: "get",
	path: "/rollouts/{rolloutId}/deploygroups/{groupId}/targets",
	tags: TAG,
	summary: "Targets of a group",
	permissions: ["READ_ROLLOUT", "READ_TARGET"],
	request: { params: GroupParam, query: PagingQuery },
	responses: { 200: jsonResponse(TargetPage, "Page of targets"), ...NOT_FOUND },
});

const start = ops("start", "Start a READY rollout", ["HANDLE_ROLLOUT"]);
const pause = ops("pause", "Pause a RUNNING rollout", ["HANDLE_ROLLOUT"]);
const resume = ops("resume", "Resume a PAUSED rollout", ["HANDLE_ROLLOUT"]);
const stop = ops("stop", "Stop the rollout (soft-cancels running actions)", ["UPDATE_ROLLOUT"]);
const next = ops("triggerNextGroup", "Start the next scheduled group now", ["UPDATE_ROLLOUT"]);
const approval = (path: "approve" | "deny", summary: string) =>
	mgmtRoute({
		method: "post",
		path: `/rollouts/{rolloutId}/${path}`,
		tags: TAG,
		summary,
		permissions: ["APPROVE_ROLLOUT"],
		request: { params: IdParam, query: Remark },
		responses: { ...NO_CONTENT, ...NOT_FOUND },
	});
const approve = approval("approve", "Approve a rollout waiting for approval");
const deny = approval("deny", "Deny a rollout waiting for approval");

/** Runs one coordinator operation for a rollout of the caller's tenant. */
async function coordinate(
	c: Context<MgmtEnv>,
	rolloutId: number,
	call: (
		stub: ReturnType<typeof rolloutCoordinator>,
		ref: RolloutRef,
	) => Promise<CoordinatorResult>,
) {
	const ref = { tenant: c.var.tenant, rolloutId };
	await existingRollout(c, rolloutId);
	orThrow(await call(rolloutCoordinator(c.env, ref), ref));
	return c.body(null, 204);
}

function checkRemark(remark: string | undefined): string | null {
	if (remark !== undefined) {
		assertConstraints([{ property: "remark", value: remark, max: 255 } satisfies Constraint]);
	}
	return remark ?? null;
}

export const rolloutsApi = mgmtRouter()
	.openapi(list, async (c) => {
		const query = c.req.valid("query");
		const page = pageRequest(query, ROLLOUTS);
		const { rows, total } = await listRollouts(c.var.db, {
			tenant: c.var.tenant,
			where: rsqlWhere(query.q, ROLLOUTS),
			softDeleted: query.soft_deleted_mode,
			...page,
		});
		if (!isFull(query.representation)) {
			return c.json(
				paged(
					rows.map((r) => toMgmtRollout(c, r)),
					total,
				),
				200,
			);
		}
		const ids = rows.map((r) => r.id);
		const [{ byRollout }, groupCounts, labels] = await Promise.all([
			statusCounts(c.env.DB, ids),
			countGroupsOfRollouts(c.env.DB, ids),
			distributionSetLabels(
				c.env.DB,
				rows.map((r) => r.dsId),
			),
		]);
		return c.json(
			paged(
				rows.map((r) =>
					toMgmtRollout(c, r, {
						counts: byRollout.get(r.id) ?? [],
						totalGroups: groupCounts.get(r.id) ?? 0,
						ds: labels.get(r.dsId),
					}),
				),
				total,
			),
			200,
		);
	})
	.openapi(create, async (c) => {
		const body = c.req.valid("json");
		checkRolloutText(body, true);
		assertConstraints([
			{
				property: "targetFilterQuery",
				value: body.targetFilterQuery,
				max: SIZES.query,
				allowMarkup: true,
			},
		]);
		for (const g of body.groups ?? []) {
			checkRolloutText(g, true);
		}
		if (body.weight != null && (body.weight < 0 || body.weight > 1000)) {
			throw new DomainError(
				"repo.constraintViolation",
				body.weight < 0
					? "weight must be greater than or equal to 0."
					: "weight must be less than or equal to 1000.",
			);
		}
		const rolloutId = await createRollout(c.env, {
			tenant: c.var.tenant,
			creator: creatorOf(c),
			request: { ...body, name: body.name as string },
		});
		return c.json(await fullRollout(c, rolloutId), 201);
	})
	.openapi(get, async (c) => c.json(await fullRollout(c, c.req.valid("param").rolloutId), 200))
	.openapi(update, async (c) => {
		const { rolloutId } = c.req.valid("param");
		const body = c.req.valid("json");
		const r = await existingRollout(c, rolloutId);
		assertRolloutOperation("update", r.status, { rolloutId });
		checkRolloutText(body, false);
		if (
			body.name != null &&
			body.name !== r.name &&
			(await rolloutNameExists(c.env.DB, { tenant: c.var.tenant, name: body.name }))
		) {
			throw new DomainError(
				"repo.entityAlreadyExists",
				`Rollout with name ${body.name} already exists`,
			);
		}
		await updateRolloutNameAndDescription(c.env.DB, {
			tenant: c.var.tenant,
			rolloutId,
			name: body.name,
			description: body.description,
			actor: c.var.principal.username,
			now: Date.now(),
		});
		return c.json(await fullRollout(c, rolloutId), 200);
	})
	.openapi(remove, async (c) =>
		coordinate(c, c.req.valid("param").rolloutId, (stub, ref) =>
			stub.remove(ref, c.var.principal.username),
		),
	)
	.openapi(start, async (c) =>
		coordinate(c, c.req.valid("param").rolloutId, (stub, ref) =>
			stub.start(ref, c.var.principal.username),
		),
	)
	.openapi(pause, async (c) =>
		coordinate(c, c.req.valid("param").rolloutId, (stub, ref) =>
			stub.pause(ref, c.var.principal.username),
		),
	)
	.openapi(resume, async (c) =>
		coordinate(c, c.req.valid("param").rolloutId, (stub, ref) =>
			stub.resume(ref, c.var.principal.username),
		),
	)
	.openapi(stop, async (c) =>
		coordinate(c, c.req.valid("param").rolloutId, (stub, ref) =>
			stub.stop(ref, c.var.principal.username),
		),
	)
	.openapi(next, async (c) =>
		coordinate(c, c.req.valid("param").rolloutId, (stub, ref) =>
			stub.triggerNextGroup(ref, c.var.principal.username),
		),
	)
	.openapi(approve, async (c) => {
		const remark = checkRemark(c.req.valid("query").remark);
		return coordinate(c, c.req.valid("param").rolloutId, (stub, ref) =>
			stub.decideApproval(ref, { approve: true, actor: c.var.principal.username, remark }),
		);
	})
	.openapi(deny, async (c) => {
		const remark = checkRemark(c.req.valid("query").remark);
		return coordinate(c, c.req.valid("param").rolloutId, (stub, ref) =>
			stub.decideApproval(ref, { approve: false, actor: c.var.principal.username, remark }),
		);
	})
	.openapi(retry, async (c) => {
		const id = await retryRollout(c.env, {
			tenant: c.var.tenant,
			rolloutId: c.req.valid("param").rolloutId,
			creator: creatorOf(c),
		});
		return c.json(await fullRollout(c, id), 201);
	})
	.openapi(groups, async (c) => {
		const { rolloutId } = c.req.valid("param");
		const query = c.req.valid("query");
		const rollout = await existingRollout(c, rolloutId);
		const page = pageRequest(query, ROLLOUT_GROUPS);
		const { rows, total } = await listRolloutGroups(c.var.db, {
			tenant: c.var.tenant,
			rolloutId,
			where: rsqlWhere(query.q, ROLLOUT_GROUPS),
			...page,
		});
		const full = isFull(query.representation);
		const [config, counts] = await Promise.all([
			getTenantConfigValues(c.env, c.var.tenant),
			full ? statusCounts(c.env.DB, [rolloutId]) : undefined,
		]);
		const confirmationFlow = config["user.confirmation.flow.enabled"];
		return c.json(
			paged(
				rows.map((g) =>
					toMgmtRolloutGroup(c, g, rollout.actionType, {
						confirmationFlow,
						counts: counts ? (counts.byGroup.get(g.id) ?? []) : undefined,
					}),
				),
				total,
			),
			200,
		);
	})
	.openapi(group, async (c) => {
		const { rolloutId, groupId } = c.req.valid("param");
		const rollout = await existingRollout(c, rolloutId);
		const g = await findRolloutGroup(c.env.DB, { tenant: c.var.tenant, rolloutId, groupId });
		if (!g) {
			throw entityNotFound("RolloutGroup", groupId);
		}
		const [config, counts] = await Promise.all([
			getTenantConfigValues(c.env, c.var.tenant),
			statusCounts(c.env.DB, [rolloutId]),
		]);
		return c.json(
			toMgmtRolloutGroup(c, g, rollout.actionType, {
				confirmationFlow: config["user.confirmation.flow.enabled"],
				counts: counts.byGroup.get(g.id) ?? [],
			}),
			200,
		);
	})
	.openapi(groupTargets, async (c) => {
		const { rolloutId, groupId } = c.req.valid("param");
		const query = c.req.valid("query");
		await existingRollout(c, rolloutId);
		const g = await findRolloutGroup(c.env.DB, { tenant: c.var.tenant, rolloutId, groupId });
		if (!g) {
			throw entityNotFound("RolloutGroup", groupId);
		}
		const page = pageRequest(query, GROUP_TARGETS);
		const { rows, total } = await listTargets(c.var.db, {
			tenant: c.var.tenant,
			where: and(inRolloutGroup(groupId), rsqlWhere(query.q, TARGETS)),
			...page,
		});
		const ctx = await targetRenderContext(c, rows);
		return c.json(
			paged(
				rows.map((t) => toMgmtTarget(c, t, ctx, false)),
				total,
			),
			200,
		);
	});
