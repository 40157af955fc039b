/**
 * DDI configData: the device pushes its controller attributes (§2.9).
 * hawkBit: DdiRootControllerRestApi#putConfigData → ControllerManagement#updateControllerAttributes.
 */
import { Hono } from "hono";
import { z } from "zod";
import {
	findControllerAttributes,
	findTargetId,
	writeControllerAttributes,
} from "../../shared/db/queries/controller";
import {
	ATTRIBUTE_UPDATE_MODES,
	applyAttributeUpdate,
	assertAttributeQuota,
	sameAttributes,
	validateAttributes,
} from "../../shared/domain/controller-attributes";
import { entityNotFound } from "../../shared/errors";
import { refreshPollEntries } from "../../shared/poll-cache";
import type { DdiEnv } from "../middleware/ddi-auth";
import { readJsonBody } from "./json-body";

/**
 * hawkBit's DdiConfigData. Jackson reads scalars into the String map values (`1` → "1"), `null` removes a
 * key; anything else in the body (the old `id`, `time`, `status` members SWUpdate and rauc still send) is
 * ignored.
 */
export const DdiConfigData = z.object({
	data: z
		.record(
			z.string(),
			z
				.union([z.string(), z.number(), z.boolean(), z.null()])
				.transform((v) => (v === null ? null : String(v))),
		)
		.refine((d) => Object.keys(d).length > 0, { message: "must not be empty" }),
	mode: z.enum(ATTRIBUTE_UPDATE_MODES).nullish(),
});
export type DdiConfigData = z.infer<typeof DdiConfigData>;

export const configData = new Hono<DdiEnv>().put("/:controllerId/configData", async (c) => {
	const controllerId = c.req.param("controllerId");
	const tenant = c.get("tenant");
	const body = await readJsonBody(c, DdiConfigData);
	validateAttributes(body.data);
	const targetId =
		c.get("pollEntry")?.targetId ?? (await findTargetId(c.env.DB, tenant, controllerId));
	if (targetId === undefined) {
		throw entityNotFound("Target", controllerId);
	}
	const current = await findControllerAttributes(c.env.DB, targetId);
	const next = applyAttributeUpdate(current, body.data, body.mode ?? "merge");
	assertAttributeQuota(targetId, current, next);
	await writeControllerAttributes(c.env.DB, { tenant, targetId, current, next }, Date.now());
	// The configData link disappears from the poll; attribute changes can also move pollingTime overrides.
	const entry = c.get("pollEntry");
	if (!entry || entry.requestAttributes || !sameAttributes(current, next)) {
		await refreshPollEntries(c.env, tenant, [targetId]);
	}
	return c.body(null, 200);
});
