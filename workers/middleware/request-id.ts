/** Correlates a request's log lines; echoes the caller's id when it sends one. */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";

export const requestId = createMiddleware<AppEnv>(async (c, next) => {
	const id = c.req.header("x-request-id") ?? crypto.randomUUID();
	c.set("requestId", id);
	await next();
	c.header("X-Request-Id", id);
});
