/**
 * hawkBit's Direct Device Integration API, mounted at /:tenant/controller/v1 (DdiRootControllerRestApi).
 * Order matters: tenant from the path, then the shallow ETag / media-type post-processing (so it also
 * sees 304-able answers of every route), then authentication, then the resources.
 *
 * Route modules of other DDI resources are mounted below with one `.route("/", …)` line each.
 */
import { Hono } from "hono";
// Registers the RSQL matcher of `pollingTime` overrides with the poll cache (side effect only).
import "../../shared/rsql/polling-overrides";
import { springError } from "../http-errors";
import type { DdiEnv } from "../middleware/ddi-auth";
import { ddiAuth } from "../middleware/ddi-auth";
import { tenant } from "../middleware/tenant";
import { artifactRoutes } from "./artifacts";
import { cancelActionRoutes } from "./cancel-action";
import { configData } from "./config-data";
import { confirmationBase } from "./confirmation-base";
import { controllerBase } from "./controller-base";
import { deploymentBase } from "./deployment-base";
import { installedBase } from "./installed-base";
import { shallowEtagJson } from "./shallow-etag";

export const ddi = new Hono<DdiEnv>();

ddi.use("*", tenant);
ddi.use("*", shallowEtagJson);
ddi.use("/:controllerId", ddiAuth);
ddi.use("/:controllerId/*", ddiAuth);

ddi.route("/", controllerBase);
ddi.route("/", configData);
ddi.route("/", deploymentBase);
ddi.route("/", cancelActionRoutes);
ddi.route("/", installedBase);
ddi.route("/", confirmationBase);
ddi.route("/", artifactRoutes);

// Spring answers a known path with an unsupported method 405, not 404.
ddi.all("/:controllerId", (c) => springError(c, 405, "Method Not Allowed"));
ddi.all("/:controllerId/configData", (c) => springError(c, 405, "Method Not Allowed"));
