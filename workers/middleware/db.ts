/** Puts a drizzle client for D1 on `c.var.db`. */
import { createMiddleware } from "hono/factory";
import { createDb } from "../../shared/db/client";
import type { AppEnv } from "../env";

export const db = createMiddleware<AppEnv>(async (c, next) => {
	c.set("db", createDb(c.env.DB));
	await next();
});
