/**
 * DDI tenant resolution: the tenant comes from the path and is case-insensitive (hawkBit keeps data under
 * the upper-cased name). Links in DDI answers echo the tenant as typed, so handlers read the raw param.
 */
import { createMiddleware } from "hono/factory";
import { normaliseTenant } from "../../shared/db/queries/tenants";
import type { AppEnv } from "../env";

export const tenant = createMiddleware<AppEnv>(async (c, next) => {
	c.set("tenant", normaliseTenant(c.req.param("tenant") ?? ""));
	await next();
});
