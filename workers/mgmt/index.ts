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
import { mountDocs } from "./docs";
import { halResponse } from "./hal-response";
import { validationHook } from "./openapi";
import { softwareModuleTypes } from "./software-module-types";
import { softwareModules } from "./software-modules";
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
mgmt.route("/", softwareModuleTypes);
mgmt.route("/", softwareModules);
