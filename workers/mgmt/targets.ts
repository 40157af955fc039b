/**
 * /rest/v1/targets: CRUD, target type, attributes, metadata, tags, auto-confirm. The target's
 * actions and assigned/installed DS are in target-actions.ts. hawkBit: MgmtTargetRestApi /
 * MgmtTargetResource, MgmtTargetMapper (§4.3).
 */
import type { Context } from "hono";
import { z } from "zod";
import { generateSecurityToken } from "../../shared/db/queries/controller";
import { activateAutoConfirm, deactivateAutoConfirm } from "../../shared/db/queries/deployments";
import {
	deleteTarget,
	deleteTargetMetadata,
	findTargetMetadata,
	getTarget,
	insertTargetMetadata,
	insertTargets,
	listTagsOfTarget,
	listTargetAttributes,
	listTargetMetadata,
	listTargets,
	setTargetType,
	type TargetView,
	updateTarget,
	upsertTargetMetadata,
} from "../../shared/db/queries/targets";
import { type PollingInterval, parseDuration } from "../../shared/domain/polling-time";
import {
	assertConstraints,
	type Constraint,
	SIZES,
} from "../../shared/domain/repository-constraints";
import { entityNotFound } from "../../shared/errors";
import {
	arrayOrSingle,
	audit,
	MgmtMetadata,
	MgmtMetadataBodyPut,
	nonNull,
} from "../../shared/mgmt/repository-base";
import {
	MgmtTag,
	MgmtTarget,
	MgmtTargetAutoConfirm,
	MgmtTargetAutoConfirmUpdate,
	MgmtTargetRequestBodyList,
	MgmtTargetRequestBodyPut,
	type MgmtTarget as MgmtTargetType,
} from "../../shared/mgmt/targets";
import {
	deletePollEntry,
	refreshPollEntries,
	refreshPollingOverrides,
} from "../../shared/poll-cache";
import { rsqlWhere, TARGETS } from "../../shared/rsql";
import { matchPollingOverride } from "../../shared/rsql/polling-overrides";
import { readTenantConfigSnapshot, snapshotPollingTime } from "../../shared/tenant-config";
import { callerHas, type MgmtEnv } from "../middleware/mgmt-auth";
import { mgmtLink, pagingSuffix, seg } from "./hal";
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
import { toMgmtTag } from "./target-tags";

const TAG = ["Targets"];
export const TargetIdParam = z.object({ targetId: z.string().min(1) });
const TargetPage = PagedList(MgmtTarget, "PagedListMgmtTarget");

/** What the target mapper needs besides the row: poll expectations and tenant flags. */
export type TargetRenderContext = {
	now: number;
	confirmationFlow: boolean;
	showToken: boolean;
	/** targetId → next expected poll (absent for targets that never polled). */
	nextPoll: Map<number, number>;
	overdueMs: number;
};

/**
 * Loads the tenant config once per request and works out, per polled target, when its next poll is
 * due: last poll + interval (+ deviation) of the first matching `pollingTime` override, else the
 * default (§3). Overrides are matched in D1 so attribute/tag conditions count.
 */
export async function targetRenderContext(
	c: Context<MgmtEnv>,
	rows: TargetView[],
): Promise<TargetRenderContext> {
	const snapshot = await readTenantConfigSnapshot(c.env, c.var.tenant);
	const polling = snapshotPollingTime(snapshot);
	let overdueMs = 300_000;
	try {
		overdueMs = parseDuration(snapshot.values.pollingOverdueTime);
	} catch {
		// A broken stored value falls back to hawkBit's default, as the poll path does.
	}
	const intervalOf = new Map<number, PollingInterval>();
	let pending = rows.filter((r) => r.lastTargetQuery !== null).map((r) => r.id);
	for (const override of polling.overrides) {
		if (pending.length === 0) {
			break;
		}
		const hits = await matchPollingOverride(c.env.DB, c.var.tenant, pending, override);
		for (const id of hits) {
			intervalOf.set(id, override.interval);
		}
		pending = pending.filter((id) => !hits.has(id));
	}
	const nextPoll = new Map<number, number>();
	for (const r of rows) {
		if (r.lastTargetQuery === null) {
			continue;
		}
		const i = intervalOf.get(r.id) ?? polling.interval;
		nextPoll.set(r.id, r.lastTargetQuery + i.ms + Math.floor((i.ms * i.deviationPercent) / 100));
	}
	return {
		now: Date.now(),
		confirmationFlow: snapshot.values["user.confirmation.flow.enabled"],
		showToken: callerHas(c.var.principal, "READ_TARGET_SECURITY_TOKEN"),
		nextPoll,
		overdueMs,
	};
}

/** `ipAddress` is the host of a non-AMQP address URI (hawkBit: MgmtTargetMapper#addPollStatus/ipAddress). */
function ipAddressOf(address: string | null): string | undefined {
	if (!address) {
		return undefined;
	}
	try {
		const url = new URL(address);
		if (url.protocol === "amqp:" || !url.hostname) {
			return undefined;
		}
		return url.hostname.replace(/^\[|\]$/g, "");
	} catch {
		return undefined;
	}
}

/** hawkBit's MgmtTargetMapper: lists carry `self` only; single reads add the other links. */
export function toMgmtTarget(
	c: Context,
	t: TargetView,
	ctx: TargetRenderContext,
	full: boolean,
): MgmtTargetType {
	const base = `/targets/${seg(t.controllerId)}`;
	const links: Record<string, { href: string }> = { self: mgmtLink(c, base) };
	if (full) {
		links.assignedDS = mgmtLink(c, `${base}/assignedDS`);
		links.installedDS = mgmtLink(c, `${base}/installedDS`);
		links.attributes = mgmtLink(c, `${base}/attributes`);
		links.actions = mgmtLink(c, `${base}/actions${pagingSuffix("id:DESC")}`);
		links.metadata = mgmtLink(c, `${base}/metadata${pagingSuffix("key:ASC")}`);
		if (t.targetTypeId !== null) {
			links.targetType = mgmtLink(c, `/targettypes/${t.targetTypeId}`);
		}
		if (ctx.confirmationFlow) {
			links.autoConfirm = mgmtLink(c, `${base}/autoConfirm`);
		}
	}
	const next = ctx.nextPoll.get(t.id);
	return nonNull({
		...audit(t),
		name: t.name,
		description: t.description,
		controllerId: t.controllerId,
		group: t.group,
		updateStatus: t.updateStatus,
		lastControllerRequestAt: t.lastTargetQuery,
		installedAt: t.installationDate,
		ipAddress: ipAddressOf(t.address),
		address: t.address,
		pollStatus:
			t.lastTargetQuery !== null && next !== undefined
				? {
						lastRequestAt: t.lastTargetQuery,
						nextExpectedRequestAt: next,
						overdue: ctx.now > next + ctx.overdueMs,
					}
				: undefined,
		securityToken: ctx.showToken ? t.securityToken : undefined,
		requestAttributes: t.requestControllerAttributes,
		targetType: t.targetTypeId,
		targetTypeName: t.targetTypeName,
		autoConfirmActive: ctx.confirmationFlow ? t.autoConfirmActive : undefined,
		_links: links,
	}) as MgmtTargetType;
}

/** hawkBit's bean validation of MgmtTargetRequestBody / JpaTarget. */
function checkTarget(
	t: {
		controllerId?: string | null;
		name?: string | null;
		description?: string | null;
		address?: string | null;
		securityToken?: string | null;
		group?: string | null;
	},
	create: boolean,
) {
	const constraints: Constraint[] = [
		{ property: "name", value: t.name, max: SIZES.name },
		{ property: "description", value: t.description, max: SIZES.description },
		{ property: "address", value: t.address, max: 512 },
		{ property: "securityToken", value: t.securityToken, max: 128 },
		{ property: "group", value: t.group, max: 256 },
	];
	if (create) {
		constraints.unshift({
			property: "controllerId",
			value: t.controllerId,
			max: 256,
			required: true,
		});
	}
	assertConstraints(constraints);
	if (create && t.controllerId && /\s/.test(t.controllerId)) {
		assertConstraints([{ property: "controllerId", value: "<whitespace>", max: 0 }]);
	}
	if (t.address) {
		try {
			new URL(t.address);
		} catch {
			assertConstraints([{ property: "address", value: "<invalid URI>", max: 0 }]);
		}
	}
}

const list = mgmtRoute({
	method: "get",
	path: "/targets",
	tags: TAG,
	summary: "List or search targets (RSQL `q`)",
	permissions: ["READ_TARGET"],
	request: { query: PagingQuery },
	responses: { 200: jsonResponse(TargetPage, "Page of targets") },
});

const create = mgmtRoute({
	method: "post",
	path: "/targets",
	tags: TAG,
	summary: "Create targets (all or nothing)",
	permissions: ["CREATE_TARGET"],
	request: { body: jsonBody(MgmtTargetRequestBodyList, "Targets to create (array)") },
	responses: {
		201: jsonResponse(z.array(MgmtTarget), "The created targets"),
		...CONFLICT,
		...NOT_FOUND,
	},
});

const getOne = mgmtRoute({
	method: "get",
	path: "/targets/{targetId}",
	tags: TAG,
	summary: "One target with all links",
	permissions: ["READ_TARGET"],
	request: { params: TargetIdParam },
	responses: { 200: jsonResponse(MgmtTarget, "The target"), ...NOT_FOUND },
});

const update = mgmtRoute({
	method: "put",
	path: "/targets/{targetId}",
	tags: TAG,
	summary:
		"Update a target (partial; requestAttributes:true asks the device for attributes; targetType -1 unassigns)",
	permissions: ["UPDATE_TARGET"],
	request: { params: TargetIdParam, body: jsonBody(MgmtTargetRequestBodyPut) },
	responses: {
		200: jsonResponse(MgmtTarget, "The updated target"),
		400: { description: "requestAttributes:false (bare 400, as hawkBit) or invalid values" },
		...NOT_FOUND,
	},
});

const remove = mgmtRoute({
	method: "delete",
	path: "/targets/{targetId}",
	tags: TAG,
	summary: "Delete a target",
	permissions: ["DELETE_TARGET"],
	request: { params: TargetIdParam },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

const assignType = mgmtRoute({
	method: "post",
	path: "/targets/{targetId}/targettype",
	tags: TAG,
	summary: "Assign a target type",
	permissions: ["UPDATE_TARGET"],
	request: { params: TargetIdParam, body: jsonBody(z.object({ id: z.number().int() })) },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

const unassignType = mgmtRoute({
	method: "delete",
	path: "/targets/{targetId}/targettype",
	tags: TAG,
	summary: "Remove the target type",
	permissions: ["UPDATE_TARGET"],
	request: { params: TargetIdParam },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

const attributes = mgmtRoute({
	method: "get",
	path: "/targets/{targetId}/attributes",
	tags: TAG,
	summary: "Controller attributes (204 when there are none)",
	permissions: ["READ_TARGET"],
	request: { params: TargetIdParam },
	responses: {
		200: jsonResponse(z.record(z.string(), z.string()), "Attribute map"),
		...NO_CONTENT,
		...NOT_FOUND,
	},
});

const tags = mgmtRoute({
	method: "get",
	path: "/targets/{targetId}/tags",
	tags: TAG,
	summary: "Tags of the target (plain array)",
	permissions: ["READ_TARGET"],
	request: { params: TargetIdParam },
	responses: { 200: jsonResponse(z.array(MgmtTag), "Tags"), ...NOT_FOUND },
});

const MetadataKeyParam = TargetIdParam.extend({ metadataKey: z.string().min(1) });
const MetadataPage = PagedList(MgmtMetadata, "PagedListMgmtMetadata");

const metadataList = mgmtRoute({
	method: "get",
	path: "/targets/{targetId}/metadata",
	tags: TAG,
	summary: "Metadata of the target",
	permissions: ["READ_TARGET"],
	request: { params: TargetIdParam },
	responses: { 200: jsonResponse(MetadataPage, "Metadata entries"), ...NOT_FOUND },
});

const metadataCreate = mgmtRoute({
	method: "post",
	path: "/targets/{targetId}/metadata",
	tags: TAG,
	summary: "Add metadata entries (201 without body; quota 100 per target)",
	permissions: ["UPDATE_TARGET"],
	request: { params: TargetIdParam, body: jsonBody(arrayOrSingle(MgmtMetadata)) },
	responses: { 201: { description: "Created" }, ...NOT_FOUND, ...CONFLICT },
});

const metadataGet = mgmtRoute({
	method: "get",
	path: "/targets/{targetId}/metadata/{metadataKey}",
	tags: TAG,
	summary: "One metadata entry",
	permissions: ["READ_TARGET"],
	request: { params: MetadataKeyParam },
	responses: { 200: jsonResponse(MgmtMetadata, "The entry"), ...NOT_FOUND },
});

const metadataPut = mgmtRoute({
	method: "put",
	path: "/targets/{targetId}/metadata/{metadataKey}",
	tags: TAG,
	summary: "Create or update one metadata entry",
	permissions: ["UPDATE_TARGET"],
	request: { params: MetadataKeyParam, body: jsonBody(MgmtMetadataBodyPut) },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

const metadataDelete = mgmtRoute({
	method: "delete",
	path: "/targets/{targetId}/metadata/{metadataKey}",
	tags: TAG,
	summary: "Delete one metadata entry",
	permissions: ["UPDATE_TARGET"],
	request: { params: MetadataKeyParam },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

const autoConfirmGet = mgmtRoute({
	method: "get",
	path: "/targets/{targetId}/autoConfirm",
	tags: TAG,
	summary: "Auto-confirmation state",
	permissions: ["READ_TARGET"],
	request: { params: TargetIdParam },
	responses: { 200: jsonResponse(MgmtTargetAutoConfirm, "State"), ...NOT_FOUND },
});

const autoConfirmActivate = mgmtRoute({
	method: "post",
	path: "/targets/{targetId}/autoConfirm/activate",
	tags: TAG,
	summary: "Activate auto-confirmation (confirms waiting actions)",
	permissions: ["UPDATE_TARGET"],
	request: {
		params: TargetIdParam,
		body: {
			required: false,
			content: { "application/json": { schema: MgmtTargetAutoConfirmUpdate } },
		},
	},
	responses: { ...NO_CONTENT, ...NOT_FOUND, 409: { description: "Already active" } },
});

const autoConfirmDeactivate = mgmtRoute({
	method: "post",
	path: "/targets/{targetId}/autoConfirm/deactivate",
	tags: TAG,
	summary: "Deactivate auto-confirmation",
	permissions: ["UPDATE_TARGET"],
	request: { params: TargetIdParam },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

export const targetsApi = mgmtRouter()
	.openapi(list, async (c) => {
		const query = c.req.valid("query");
		const page = pageRequest(query, TARGETS);
		const snapshot = await readTenantConfigSnapshot(c.env, c.var.tenant);
		const where = rsqlWhere(query.q, TARGETS, overdueContext(snapshot));
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
	.openapi(create, async (c) => {
		const items = c.req.valid("json");
		for (const t of items) {
			checkTarget(t, true);
		}
		const rows = await insertTargets(c.var.db, {
			tenant: c.var.tenant,
			items: items.map((t) => ({
				...t,
				securityToken: t.securityToken || generateSecurityToken(),
			})),
			by: c.var.principal.username,
		});
		await refreshPollEntries(
			c.env,
			c.var.tenant,
			rows.map((r) => r.id),
		);
		const ctx = await targetRenderContext(c, rows);
		return c.json(
			rows.map((t) => toMgmtTarget(c, t, ctx, false)),
			201,
		);
	})
	.openapi(getOne, async (c) => {
		const t = await getTarget(c.var.db, {
			tenant: c.var.tenant,
			controllerId: c.req.valid("param").targetId,
		});
		return c.json(toMgmtTarget(c, t, await targetRenderContext(c, [t]), true), 200);
	})
	.openapi(update, async (c) => {
		const { targetId } = c.req.valid("param");
		const body = c.req.valid("json");
		if (body.requestAttributes === false) {
			// hawkBit answers a bare 400: attributes can only be requested, not "un-requested".
			return c.body(null, 400);
		}
		checkTarget(body, false);
		const t = await updateTarget(c.var.db, {
			tenant: c.var.tenant,
			controllerId: targetId,
			patch: body,
			by: c.var.principal.username,
		});
		// Token, requested attributes and type all change what the device sees on its next poll.
		await refreshPollEntries(c.env, c.var.tenant, [t.id]);
		return c.json(toMgmtTarget(c, t, await targetRenderContext(c, [t]), true), 200);
	})
	.openapi(remove, async (c) => {
		const { targetId } = c.req.valid("param");
		const id = await deleteTarget(c.var.db, { tenant: c.var.tenant, controllerId: targetId });
		if (id === undefined) {
			throw entityNotFound("Target", targetId);
		}
		await deletePollEntry(c.env, c.var.tenant, targetId);
		return c.body(null, 204);
	})
	.openapi(assignType, async (c) => {
		const { targetId } = c.req.valid("param");
		const t = await setTargetType(c.var.db, {
			tenant: c.var.tenant,
			controllerId: targetId,
			targetTypeId: c.req.valid("json").id,
			by: c.var.principal.username,
		});
		await refreshPollEntries(c.env, c.var.tenant, [t.id]);
		return c.body(null, 204);
	})
	.openapi(unassignType, async (c) => {
		const { targetId } = c.req.valid("param");
		const t = await setTargetType(c.var.db, {
			tenant: c.var.tenant,
			controllerId: targetId,
			targetTypeId: null,
			by: c.var.principal.username,
		});
		await refreshPollEntries(c.env, c.var.tenant, [t.id]);
		return c.body(null, 204);
	})
	.openapi(attributes, async (c) => {
		const t = await getTarget(c.var.db, {
			tenant: c.var.tenant,
			controllerId: c.req.valid("param").targetId,
		});
		const attrs = await listTargetAttributes(c.var.db, t.id);
		if (Object.keys(attrs).length === 0) {
			return c.body(null, 204);
		}
		return c.json(attrs, 200);
	})
	.openapi(tags, async (c) => {
		const t = await getTarget(c.var.db, {
			tenant: c.var.tenant,
			controllerId: c.req.valid("param").targetId,
		});
		const rows = await listTagsOfTarget(c.var.db, t.id);
		return c.json(
			rows.map((r) => toMgmtTag(c, r)),
			200,
		);
	})
	.openapi(metadataList, async (c) => {
		const t = await getTarget(c.var.db, {
			tenant: c.var.tenant,
			controllerId: c.req.valid("param").targetId,
		});
		const rows = await listTargetMetadata(c.var.db, t.id);
		return c.json(paged(rows, rows.length), 200);
	})
	.openapi(metadataCreate, async (c) => {
		const { targetId } = c.req.valid("param");
		const entries = c.req.valid("json");
		assertConstraints(
			entries.flatMap((e) => [
				{ property: "key", value: e.key, max: SIZES.metadataKey, required: true },
				{ property: "value", value: e.value, max: SIZES.metadataValue, allowMarkup: true },
			]),
		);
		const t = await getTarget(c.var.db, { tenant: c.var.tenant, controllerId: targetId });
		await insertTargetMetadata(c.var.db, { targetId: t.id, controllerId: targetId, entries });
		// Metadata feeds pollingTime overrides (`metadata.<key>==…`).
		await refreshPollingOverrides(c.env, c.var.tenant, [t.id]);
		return c.body(null, 201);
	})
	.openapi(metadataGet, async (c) => {
		const { targetId, metadataKey } = c.req.valid("param");
		const t = await getTarget(c.var.db, { tenant: c.var.tenant, controllerId: targetId });
		const m = await findTargetMetadata(c.var.db, { targetId: t.id, key: metadataKey });
		if (!m) {
			throw entityNotFound("TargetMetadata", `${targetId}:${metadataKey}`);
		}
		return c.json(m, 200);
	})
	.openapi(metadataPut, async (c) => {
		const { targetId, metadataKey } = c.req.valid("param");
		const { value } = c.req.valid("json");
		assertConstraints([
			{ property: "key", value: metadataKey, max: SIZES.metadataKey },
			{ property: "value", value, max: SIZES.metadataValue, allowMarkup: true },
		]);
		const t = await getTarget(c.var.db, { tenant: c.var.tenant, controllerId: targetId });
		await upsertTargetMetadata(c.var.db, {
			targetId: t.id,
			controllerId: targetId,
			key: metadataKey,
			value,
		});
		await refreshPollingOverrides(c.env, c.var.tenant, [t.id]);
		return c.body(null, 204);
	})
	.openapi(metadataDelete, async (c) => {
		const { targetId, metadataKey } = c.req.valid("param");
		const t = await getTarget(c.var.db, { tenant: c.var.tenant, controllerId: targetId });
		if (!(await deleteTargetMetadata(c.var.db, { targetId: t.id, key: metadataKey }))) {
			throw entityNotFound("TargetMetadata", `${targetId}:${metadataKey}`);
		}
		await refreshPollingOverrides(c.env, c.var.tenant, [t.id]);
		return c.body(null, 204);
	})
	.openapi(autoConfirmGet, async (c) => {
		const { targetId } = c.req.valid("param");
		const t = await getTarget(c.var.db, { tenant: c.var.tenant, controllerId: targetId });
		const base = `/targets/${seg(targetId)}/autoConfirm`;
		const body = t.autoConfirmActive
			? {
					active: true,
					initiator: t.autoConfirmInitiator,
					remark: t.autoConfirmRemark,
					activatedAt: t.autoConfirmActivatedAt,
					_links: { deactivate: mgmtLink(c, `${base}/deactivate`) },
				}
			: { active: false, _links: { activate: mgmtLink(c, `${base}/activate`) } };
		return c.json(nonNull(body) as unknown as z.infer<typeof MgmtTargetAutoConfirm>, 200);
	})
	.openapi(autoConfirmActivate, async (c) => {
		const { targetId } = c.req.valid("param");
		const body = c.req.valid("json") as { initiator?: string | null; remark?: string | null };
		await activateAutoConfirm(c.var.db, c.env, {
			tenant: c.var.tenant,
			controllerId: targetId,
			initiator: body.initiator,
			remark: body.remark,
			user: c.var.principal.username,
		});
		return c.body(null, 204);
	})
	.openapi(autoConfirmDeactivate, async (c) => {
		const { targetId } = c.req.valid("param");
		await deactivateAutoConfirm(c.var.db, c.env, {
			tenant: c.var.tenant,
			controllerId: targetId,
			user: c.var.principal.username,
		});
		return c.body(null, 204);
	});

/**
 * `${NOW_TS}` / `${OVERDUE_TS}` for target queries: overdue = now − default interval (+ deviation)
 * − pollingOverdueTime (§3).
 */
export function overdueContext(snapshot: Awaited<ReturnType<typeof readTenantConfigSnapshot>>) {
	const now = Date.now();
	const { interval } = snapshotPollingTime(snapshot);
	let overdueMs = 300_000;
	try {
		overdueMs = parseDuration(snapshot.values.pollingOverdueTime);
	} catch {
		// default
	}
	const intervalMs = interval.ms + Math.floor((interval.ms * interval.deviationPercent) / 100);
	return { now, overdueTs: now - intervalMs - overdueMs };
}
