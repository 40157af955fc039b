/**
 * hawkBit's Direct Device Integration API, mounted at /:tenant/controller/v1 (DdiRootControllerRestApi).
 * Order matters: tenant from the path, then the shallow ETag / media-type post-processing (so it also
 * sees 304-able answers of every route), then authentication, then the resources.
 *
 * Route modules of other DDI resources are mounted below with one `.route("/", …)` line each.
 */
import { Hono } from "hono";
import type { DdiEnv } from "../middleware/ddi-auth";
import { ddiAuth } from "../middleware/ddi-auth";
import { tenant } from "../middleware/tenant";
import { configData } from "./config-data";
import { controllerBase } from "./controller-base";
import { shallowEtagJson } from "./shallow-etag";

export const ddi = new Hono<DdiEnv>();

ddi.use("*", tenant);
ddi.use("*", shallowEtagJson);
ddi.use("/:controllerId", ddiAuth);
ddi.use("/:controllerId/*", ddiAuth);

ddi.route("/", controllerBase);
ddi.route("/", configData);
