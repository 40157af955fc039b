/**
 * DDI confirmation base (§2.7): the user-consent flow — which action waits for the device's consent,
 * confirming or denying it, and the device's auto-confirm switch.
 * hawkBit: DdiRootController#getConfirmationBase / #getConfirmationBaseAction /
 * #postConfirmationActionFeedback / #activateAutoConfirmation / #deactivateAutoConfirmation.
 */
import { and, eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { CONTROLLER_AUDITOR } from "../../shared/db/queries/controller";
import {
	activateAutoConfirm,
	autoConfirmStateOf,
	deactivateAutoConfirm,
	findTargetAction,
	recordConfirmation,
} from "../../shared/db/queries/deployments";
import { targets } from "../../shared/db/schema";
import {
	DDI_AUTO_CONFIRM_FALLBACK_REMARK,
	isCancelingOrCanceled,
} from "../../shared/domain/action-status";
import { entityNotFound } from "../../shared/errors";
import { actionEtag } from "../../shared/poll-cache/entry";
import { ApiError, springError } from "../http-errors";
import type { DdiEnv } from "../middleware/ddi-auth";
import { findOrRegisterController, pollingSleep } from "./controller-base";
import {
	actionHistoryParam,
	buildActionHistory,
	buildDeployment,
	cancelIfMaintenanceLapsed,
	type DdiActionHistory,
	type DdiDeployment,
	idParam,
} from "./deployment-base";
import { readCappedText, readJsonBody } from "./json-body";
import { controllerUrl } from "./links";
import { clientAddress, recordPoll } from "./poll-events";

/** hawkBit's DdiAutoConfirmationState (null members omitted). */
export type DdiAutoConfirmationState = {
	active: boolean;
	initiator?: string;
	remark?: string;
	activatedAt: number;
};

/** hawkBit's DdiConfirmationBase. */
export type DdiConfirmationBase = {
	autoConfirm: DdiAutoConfirmationState;
	_links: Record<string, { href: string }>;
};

/** hawkBit's DdiConfirmationBaseAction: a deployment under the key `confirmation`. */
export type DdiConfirmationBaseAction = {
	id: string;
	confirmation: DdiDeployment;
	actionHistory?: DdiActionHistory;
};

/** hawkBit's DdiConfirmationFeedback: `confirmation` required, spelled exactly. */
export const DdiConfirmationFeedback = z.object({
	confirmation: z.enum(["confirmed", "denied"]),
	code: z
		.union([
			z.number(),
			z
				.string()
				.regex(/^\s*[+-]?\d+\s*$/)
				.transform(Number),
		])
		.transform((n) => Math.trunc(n))
		.nullish(),
	details: z
		.union([
			z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])),
			z.string(),
			z.null(),
		])
		.transform((v) => (Array.isArray(v) ? v : [v]).filter((d) => d !== null).map((d) => String(d)))
		.nullish(),
});

/** hawkBit's DdiActivateAutoConfirmation: both members optional. */
export const DdiActivateAutoConfirmation = z.object({
	initiator: z.string().nullish(),
	remark: z.string().nullish(),
});

export const confirmationBase = new Hono<DdiEnv>()
	.get("/:controllerId/confirmationBase", async (c) => {
		const controllerId = c.req.param("controllerId");
		const tenant = c.get("tenant");
		// Registers an unknown controller like the root poll does.
		const { entry, snapshot, pollStored } = await findOrRegisterController(c, controllerId);
		const now = Date.now();
		const { intervalMs, maintenanceWindowOpen } = pollingSleep(entry, snapshot, now);
		if (!pollStored) {
			c.executionCtx.waitUntil(
				recordPoll(c.env, {
					tenant,
					controllerId,
					targetId: entry.targetId,
					address: clientAddress(c.req.raw.headers),
					intervalMs,
					now,
				}),
			);
		}
		const target = await c.get("db").query.targets.findFirst({
			where: and(eq(targets.tenant, tenant), eq(targets.id, entry.targetId)),
		});
		if (!target) {
			throw entityNotFound("Target", controllerId);
		}
		const state = autoConfirmStateOf(target);
		const autoConfirm: DdiAutoConfirmationState = state.active
			? {
					active: true,
					...(state.initiator ? { initiator: state.initiator } : {}),
					...(state.remark ? { remark: state.remark } : {}),
					activatedAt: state.activatedAt,
				}
			: { active: false, activatedAt: 0 };
		const base = controllerUrl(c, controllerId);
		const links: DdiConfirmationBase["_links"] = state.active
			? { deactivateAutoConfirm: { href: `${base}/confirmationBase/deactivateAutoConfirm` } }
			: { activateAutoConfirm: { href: `${base}/confirmationBase/activateAutoConfirm` } };
		const action = entry.action;
		if (action?.status === "WAIT_FOR_CONFIRMATION") {
			const etag = actionEtag(action, now, maintenanceWindowOpen);
			links.confirmationBase = { href: `${base}/confirmationBase/${action.id}?c=${etag}` };
		}
		return c.json({ autoConfirm, _links: links } satisfies DdiConfirmationBase);
	})
	.get("/:controllerId/confirmationBase/:actionId", async (c) => {
		const controllerId = c.req.param("controllerId");
		const actionId = idParam(c.req.param("actionId"));
		const history = actionHistoryParam(c);
		if (actionId === undefined || history === undefined) {
			return springError(c, 400, "Bad Request");
		}
		const found = await findTargetAction(c.get("db"), {
			tenant: c.get("tenant"),
			controllerId,
			actionId,
		});
		const action = await cancelIfMaintenanceLapsed(c, found.action);
		if (isCancelingOrCanceled(action.status) || action.status !== "WAIT_FOR_CONFIRMATION") {
			return c.body(null, 404);
		}
		const body: DdiConfirmationBaseAction = {
			id: String(action.id),
			confirmation: await buildDeployment(c, controllerId, action),
		};
		const actionHistory = await buildActionHistory(c, action, history);
		if (actionHistory) {
			body.actionHistory = actionHistory;
		}
		return c.json(body);
	})
	.post("/:controllerId/confirmationBase/activateAutoConfirm", async (c) => {
		const text = await readCappedText(c.req.raw);
		// No body (or JSON null) means hawkBit's fallback remark; a body without remark means none.
		let json: unknown = null;
		if (text.trim() !== "") {
			try {
				json = JSON.parse(text);
			} catch {
				throw new ApiError("rest.body.notReadable", "JSON parse error");
			}
		}
		let body: { initiator?: string | null; remark?: string | null } = {
			initiator: null,
			remark: DDI_AUTO_CONFIRM_FALLBACK_REMARK,
		};
		if (json !== null) {
			const parsed = DdiActivateAutoConfirmation.safeParse(json);
			if (!parsed.success) {
				throw new ApiError("rest.body.notReadable", "Request body is not readable");
			}
			body = parsed.data;
		}
		await activateAutoConfirm(c.get("db"), c.env, {
			tenant: c.get("tenant"),
			controllerId: c.req.param("controllerId"),
			initiator: body.initiator,
			remark: body.remark,
			user: CONTROLLER_AUDITOR,
		});
		return c.body(null, 200);
	})
	.post("/:controllerId/confirmationBase/deactivateAutoConfirm", async (c) => {
		await deactivateAutoConfirm(c.get("db"), c.env, {
			tenant: c.get("tenant"),
			controllerId: c.req.param("controllerId"),
			user: CONTROLLER_AUDITOR,
		});
		return c.body(null, 200);
	})
	.post("/:controllerId/confirmationBase/:actionId/feedback", async (c) => {
		const controllerId = c.req.param("controllerId");
		const actionId = idParam(c.req.param("actionId"));
		if (actionId === undefined) {
			return springError(c, 400, "Bad Request");
		}
		const feedback = await readJsonBody(c, DdiConfirmationFeedback);
		const tenant = c.get("tenant");
		await findTargetAction(c.get("db"), { tenant, controllerId, actionId });
		const outcome = await recordConfirmation(c.get("db"), c.env, {
			tenant,
			actionId,
			confirmation: feedback.confirmation,
			code: feedback.code,
			details: feedback.details,
			user: CONTROLLER_AUDITOR,
		});
		if (outcome.kind === "actionClosed") {
			return c.body(null, 410);
		}
		if (outcome.kind === "notAwaitingConfirmation") {
			return c.body(null, 404);
		}
		return c.body(null, 200);
	});
