/**
 * DDI cancellation: the device reads a cancel request and acknowledges or rejects it (§2.6).
 * hawkBit: DdiRootController#getControllerCancelAction / #postCancelActionFeedback.
 */
import { Hono } from "hono";
import { CONTROLLER_AUDITOR } from "../../shared/db/queries/controller";
import {
	findTargetAction,
	recordFeedback,
	registerRetrieved,
} from "../../shared/db/queries/deployments";
import { isCancelingOrCanceled, MESSAGES } from "../../shared/domain/action-status";
import { springError } from "../http-errors";
import type { DdiEnv } from "../middleware/ddi-auth";
import { notifyRolloutActionFinished } from "../rollouts/notify";
import { DdiActionFeedback, idParam } from "./deployment-base";
import { readJsonBody } from "./json-body";

/** hawkBit's DdiCancel: ids are strings on the wire. */
export type DdiCancel = { id: string; cancelAction: { stopId: string } };

export const cancelActionRoutes = new Hono<DdiEnv>()
	.get("/:controllerId/cancelAction/:actionId", async (c) => {
		const actionId = idParam(c.req.param("actionId"));
		if (actionId === undefined) {
			return springError(c, 400, "Bad Request");
		}
		const tenant = c.get("tenant");
		const { action } = await findTargetAction(c.get("db"), {
			tenant,
			controllerId: c.req.param("controllerId"),
			actionId,
		});
		if (!isCancelingOrCanceled(action.status)) {
			return c.body(null, 404);
		}
		// Documented once per read; the action's own status stays CANCELING.
		await registerRetrieved(c.get("db"), c.env, {
			tenant,
			action,
			message: MESSAGES.retrievedCancel,
			user: CONTROLLER_AUDITOR,
		});
		const id = String(action.id);
		return c.json({ id, cancelAction: { stopId: id } } satisfies DdiCancel);
	})
	.post("/:controllerId/cancelAction/:actionId/feedback", async (c) => {
		const actionId = idParam(c.req.param("actionId"));
		if (actionId === undefined) {
			return springError(c, 400, "Bad Request");
		}
		const feedback = await readJsonBody(c, DdiActionFeedback);
		// 405 action.notCancelable (thrown) when the action is not being canceled.
		const outcome = await recordFeedback(c.get("db"), c.env, {
			tenant: c.get("tenant"),
			controllerId: c.req.param("controllerId"),
			actionId,
			channel: "cancel",
			report: {
				execution: feedback.status.execution,
				finished: feedback.status.result.finished,
				code: feedback.status.code,
				details: feedback.status.details,
			},
			timestamp: feedback.timestamp,
		});
		if (outcome.kind === "recorded") {
			await notifyRolloutActionFinished(c.env, outcome.action);
		}
		return c.body(null, 200);
	});
