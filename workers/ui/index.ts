/**
 * The Worker's only part in the operator UI (docs/ui.md): the UI itself is static files served at
 * /ui/ by the asset layer (wrangler.toml `[assets]`, which never runs the Worker for /ui/*); these two
 * redirects send `/` and the bare `/ui` there. Everything the UI shows comes from the Management API.
 */
import { Hono } from "hono";
import type { AppEnv } from "../env";

export const UI_PATH = "/ui/";

export const ui = new Hono<AppEnv>()
	.get("/", (c) => c.redirect(UI_PATH, 302))
	.get("/ui", (c) => c.redirect(UI_PATH, 301));
