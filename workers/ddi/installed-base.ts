/**
 * DDI installed base (§2.8): what the device runs — the last finished action, and the experimental
 * report of a version installed outside hawkBit ("offline assignment").
 * hawkBit: DdiRootController#getControllerInstalledAction / #setAssignedOfflineVersion.
 */
import { and, eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import {
	assignDistributionSet,
	findDistributionSetByNameAndVersion,
	findTargetAction,
} from "../../shared/db/queries/deployments";
import { targets } from "../../shared/db/schema";
import { isCancelingOrCanceled } from "../../shared/domain/action-status";
import { DomainError, entityNotFound } from "../../shared/errors";
import { springError } from "../http-errors";
import type { DdiEnv } from "../middleware/ddi-auth";
import {
	actionHistoryParam,
	buildActionHistory,
	buildDeployment,
	type DdiDeploymentBase,
	idParam,
} from "./deployment-base";
import { readJsonBody } from "./json-body";

/** hawkBit's DdiAssignedVersion: both members required. */
export const DdiAssignedVersion = z.object({ name: z.string(), version: z.string() });

export const installedBase = new Hono<DdiEnv>()
	.get("/:controllerId/installedBase/:actionId", async (c) => {
		const controllerId = c.req.param("controllerId");
		const actionId = idParam(c.req.param("actionId"));
		const history = actionHistoryParam(c);
		if (actionId === undefined || history === undefined) {
			return springError(c, 400, "Bad Request");
		}
		const { action } = await findTargetAction(c.get("db"), {
			tenant: c.get("tenant"),
			controllerId,
			actionId,
		});
		if (action.active || isCancelingOrCanceled(action.status)) {
			return c.body(null, 404);
		}
		const body: DdiDeploymentBase = {
			id: String(action.id),
			deployment: await buildDeployment(c, controllerId, action),
		};
		const actionHistory = await buildActionHistory(c, action, history);
		if (actionHistory) {
			body.actionHistory = actionHistory;
		}
		return c.json(body);
	})
	.put("/:controllerId/installedBase", async (c) => {
		const controllerId = c.req.param("controllerId");
		const tenant = c.get("tenant");
		const body = await readJsonBody(c, DdiAssignedVersion);
		const db = c.get("db");
		const target = await db.query.targets.findFirst({
			columns: { id: true },
			where: and(eq(targets.tenant, tenant), eq(targets.controllerId, controllerId)),
		});
		if (!target) {
			throw entityNotFound("Target", controllerId);
		}
		const ds = await findDistributionSetByNameAndVersion(db, {
			tenant,
			name: body.name,
			version: body.version,
		});
		if (!ds) {
			throw new DomainError(
				"repo.entityNotFound",
				`DistributionSet with given identifier {${body.name}:${body.version}} does not exist.`,
				{ type: "DistributionSet", entityId: `${body.name}:${body.version}` },
			);
		}
		// hawkBit runs this as the device itself (asActor(controllerId)).
		const result = await assignDistributionSet(db, c.env, {
			tenant,
			initiatedBy: controllerId,
			dsId: ds.id,
			offline: true,
			assignments: [{ controllerId }],
		});
		return c.body(null, result.alreadyAssigned === 0 ? 201 : 200);
	});
