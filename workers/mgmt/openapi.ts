/**
 * How management routes are written: OpenAPIHono sub-apps whose zod schemas both validate requests
 * and generate /rest/v1/openapi.json. `mgmtRoute` adds the permission check, the JSON body limit and
 * the common error responses; `mgmtRouter` installs the validation hook that turns every zod failure
 * into hawkBit's 400 `rest.body.notReadable`.
 */
import { createRoute, OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import type { Permission } from "../../shared/domain/permissions";
import { ApiError } from "../http-errors";
import { type MgmtEnv, requirePermission } from "../middleware/mgmt-auth";

/** JSON request bodies above this are refused with 413 before parsing. */
export const MAX_JSON_BODY_BYTES = 2 * 1024 * 1024;

export const ExceptionInfo = z
	.object({
		exceptionClass: z.string(),
		errorCode: z.string().meta({ example: "hawkbit.server.error.repo.entityNotFound" }),
		message: z.string(),
		info: z.record(z.string(), z.unknown()).optional(),
	})
	.meta({ id: "ExceptionInfo", description: "hawkBit's error body" });

const SpringError = z
	.object({ timestamp: z.string(), status: z.number().int(), error: z.string() })
	.meta({ id: "SpringError", description: "Framework-level error (401, 404, 405, 415)" });

const errorJson = (description: string, schema: z.ZodType = ExceptionInfo) => ({
	description,
	content: { "application/json": { schema } },
});

/** Responses every management operation can give; merged into each route's own. */
export const COMMON_ERRORS = {
	400: errorJson("Bad request (validation, RSQL, sort)"),
	401: errorJson("Missing or wrong credentials", SpringError),
	403: errorJson("Insufficient permission"),
} as const;

export const NOT_FOUND = { 404: errorJson("Entity not found") } as const;
export const CONFLICT = { 409: errorJson("Conflict (entity exists / in use)") } as const;

/** Readable summary of a zod failure, e.g. `[0].controllerId: Required`. */
export function describeZodError(error: z.ZodError): string {
	return error.issues
		.slice(0, 5)
		.map((i) => {
			const path = i.path
				.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
				.join("")
				.replace(/^\./, "");
			return path ? `${path}: ${i.message}` : i.message;
		})
		.join("; ");
}

/** Every validation failure (body, query, path) → 400 rest.body.notReadable through ApiError. */
export function validationHook(result: { success: boolean; error?: unknown }) {
	if (!result.success) {
		const msg =
			result.error instanceof z.ZodError ? describeZodError(result.error) : "Invalid request";
		throw new ApiError("rest.body.notReadable", msg);
	}
}

/** A management sub-app: mount it in workers/mgmt/index.ts with `.route("/", x)`. */
export function mgmtRouter() {
	return new OpenAPIHono<MgmtEnv>({ defaultHook: validationHook });
}

const jsonBodyLimit = bodyLimit({
	maxSize: MAX_JSON_BODY_BYTES,
	onError: () => {
		throw new ApiError(
			"payloadTooLarge",
			`Request body exceeds the limit of ${MAX_JSON_BODY_BYTES} bytes`,
		);
	},
});

type MgmtRouteConfig = RouteConfig & {
	/** Permissions the caller must hold (after the role hierarchy); [] = any authenticated caller. */
	permissions: Permission[];
};

/**
 * createRoute plus: permission middleware (runs before validation, like hawkBit's method security
 * denies before doing work), a 2 MiB limit for JSON bodies (413), documented permissions and the
 * common error responses. The media-type gate of @hono/zod-openapi answers 415 for non-JSON bodies.
 */
export function mgmtRoute<R extends MgmtRouteConfig>(config: R) {
	const { permissions, ...route } = config;
	const hasJsonBody = Object.keys(route.request?.body?.content ?? {}).some((m) =>
		m.includes("json"),
	);
	const middleware: MiddlewareHandler<MgmtEnv>[] = [requirePermission(...permissions)];
	if (hasJsonBody) {
		middleware.push(jsonBodyLimit);
	}
	const permText = permissions.length > 0 ? permissions.join(", ") : "any authenticated caller";
	return createRoute({
		...route,
		middleware,
		security: [{ basicAuth: [] }, { bearerAuth: [] }],
		description: `${route.description ?? ""}\n\nRequired permissions: ${permText}`.trim(),
		responses: { ...COMMON_ERRORS, ...route.responses },
	}) as unknown as Omit<R, "permissions"> & { getRoutingPath(): string };
}

/**
 * JSON request body declaration. Declared as application/json; the gate also accepts any
 * `application/*+json` (hawkBit takes application/hal+json too).
 */
export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
	return {
		required: true,
		description,
		content: { "application/json": { schema } },
	} as const;
}

/** A JSON response declaration. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
	return {
		description,
		content: { "application/hal+json": { schema }, "application/json": { schema } },
	} as const;
}

/** 204 No Content declaration. */
export const NO_CONTENT = { 204: { description: "No content" } } as const;
