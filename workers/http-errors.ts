/** One error class and one handler: every failure leaves as hawkBit's error body. */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { codeToStatus, DomainError, type ErrorCode, exceptionInfo } from "../shared/errors";
import type { AppEnv } from "./env";

export class ApiError extends HTTPException {
	constructor(
		readonly code: ErrorCode,
		message: string,
		readonly info?: Record<string, unknown>,
	) {
		super(codeToStatus(code), { message });
	}
}

/** Spring Boot's body for framework-level errors (unknown path, wrong method, bad media type). */
export function springError(c: Context, status: ContentfulStatusCode, error: string) {
	return c.json({ timestamp: new Date().toISOString(), status, error }, status);
}

export const onError: ErrorHandler<AppEnv> = (err, c) => {
	if (err instanceof ApiError || err instanceof DomainError) {
		return c.json(exceptionInfo(err.code, err.message, err.info), codeToStatus(err.code));
	}
	if (err instanceof HTTPException) {
		const res = err.getResponse();
		// Hono's own body parsing failures ("Malformed JSON in request body") are hawkBit's notReadable.
		if (res.status === 400) {
			return c.json(
				exceptionInfo("rest.body.notReadable", err.message || "Request body is not readable"),
				400,
			);
		}
		return res;
	}
	console.error("unhandled", { requestId: c.get("requestId"), err });
	return c.json(exceptionInfo("repo.genericError", "Internal server error"), 500);
};

export const onNotFound: NotFoundHandler<AppEnv> = (c) => springError(c, 404, "Not Found");
