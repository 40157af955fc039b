/**
 * hawkBit's Management API, mounted at /rest/v1. Every request is authenticated (mgmt-auth.ts) except
 * the API description; each resource is one OpenAPIHono sub-app (conventions: ./README.md).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../env";
import { onError, springError } from "../http-errors";
import { type MgmtEnv, mgmtAuth } from "../middleware/mgmt-auth";
import { actionsApi } from "./actions";
import { distributionSetTagsApi } from "./distribution-set-tags";
import { distributionSetTypes } from "./distribution-set-types";
import { distributionSetsApi } from "./distribution-sets";
import { mountDocs } from "./docs";
import { halResponse } from "./hal-response";
import { validationHook } from "./openapi";
import { rolloutsApi } from "./rollouts";
import { softwareModuleTypes } from "./software-module-types";
import { softwareModules } from "./software-modules";
import { systemConfigsApi } from "./system-configs";
import { systemPrincipalsApi } from "./system-principals";
import { targetActionsApi } from "./target-actions";
import { targetFiltersApi } from "./target-filters";
import { targetGroupsApi } from "./target-groups";
import { targetTagsApi } from "./target-tags";
import { targetTypesApi } from "./target-types";
import { targetsApi } from "./targets";
import { userinfo } from "./userinfo";

export const mgmt = new OpenAPIHono<MgmtEnv>({ defaultHook: validationHook });
mgmt.use("*", mgmtAuth, halResponse);
mgmt.onError((err, c) => {
	// Framework-level refusals leave in Spring Boot's shape, as hawkBit's error controller renders them.
	if (err instanceof HTTPException && err.status === 415) {
		return springError(c, 415, "Unsupported Media Type");
	}
	return onError(err, c as unknown as Context<AppEnv>);
});
mountDocs(mgmt);
mgmt.route("/", userinfo);
mgmt.route("/", targetsApi);
mgmt.route("/", targetActionsApi);
mgmt.route("/", targetTypesApi);
mgmt.route("/", targetTagsApi);
mgmt.route("/", targetGroupsApi);
mgmt.route("/", actionsApi);
mgmt.route("/", systemConfigsApi);
mgmt.route("/", systemPrincipalsApi);
mgmt.route("/", softwareModuleTypes);
mgmt.route("/", softwareModules);
mgmt.route("/", distributionSetTypes);
mgmt.route("/", distributionSetsApi);
mgmt.route("/", targetFiltersApi);
mgmt.route("/", distributionSetTagsApi);
mgmt.route("/", rolloutsApi);
