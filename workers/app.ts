/** The root Hono app: request id, error handling, and one mount per surface. */
import { Hono } from "hono";
import { ddi } from "./ddi";
import type { AppEnv } from "./env";
import { onError, onNotFound } from "./http-errors";
import { mgmt } from "./mgmt";
import { db } from "./middleware/db";
import { requestId } from "./middleware/request-id";
import { ui } from "./ui";

export function createApp() {
	const app = new Hono<AppEnv>();
	app.use("*", requestId, db);
	app.onError(onError);
	app.notFound(onNotFound);
	app.route("/rest/v1", mgmt);
	app.route("/:tenant/controller/v1", ddi);
	app.route("/", ui);
	return app;
}

export const app = createApp();
