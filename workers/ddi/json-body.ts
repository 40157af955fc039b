/**
 * Reading DDI request bodies the way hawkBit's Jackson setup does (§1.1): unknown members ignored,
 * unparsable JSON / missing required members / unknown enum spellings → 400 `rest.body.notReadable`.
 * Bodies are capped so a device cannot make the Worker buffer arbitrary amounts.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { z } from "zod";
import { ApiError, springError } from "../http-errors";

/** Largest JSON body a DDI endpoint accepts (feedback with 50 long messages is far below this). */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

function tooLarge(): ApiError {
	return new ApiError(
		"payloadTooLarge",
		`Request body exceeds the maximum of ${MAX_JSON_BODY_BYTES} bytes`,
	);
}

/** Reads the raw body with the size cap enforced while streaming (Content-Length may be absent or lie). */
export async function readCappedText(req: Request): Promise<string> {
	const declared = Number(req.headers.get("Content-Length") ?? "0");
	if (declared > MAX_JSON_BODY_BYTES) {
		throw tooLarge();
	}
	if (!req.body) {
		return "";
	}
	const reader = req.body.getReader();
	const chunks: Uint8Array[] = [];
	let total = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) {
			break;
		}
		total += value.byteLength;
		if (total > MAX_JSON_BODY_BYTES) {
			await reader.cancel();
			throw tooLarge();
		}
		chunks.push(value);
	}
	const all = new Uint8Array(total);
	let offset = 0;
	for (const chunk of chunks) {
		all.set(chunk, offset);
		offset += chunk.byteLength;
	}
	try {
		return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(all);
	} catch {
		throw new ApiError("rest.body.notReadable", "Request body is not valid UTF-8");
	}
}

function describeIssue(issue: z.core.$ZodIssue): string {
	const path = issue.path.length > 0 ? issue.path.join(".") : "body";
	return `${path}: ${issue.message}`;
}

/**
 * hawkBit consumes `application/json` and `application/hal+json` (and CBOR, which Updraft does not
 * speak); Spring answers any other declared media type with 415. A missing Content-Type is read as JSON.
 */
function isJsonMediaType(contentType: string | undefined): boolean {
	if (!contentType) {
		return true;
	}
	const type = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
	return (
		type === "application/json" ||
		type === "application/hal+json" ||
		/^application\/[\w.+-]*\+json$/.test(type)
	);
}

/**
 * Parses and validates a JSON body against `schema`. Every failure is hawkBit's 400
 * `rest.body.notReadable`, oversized bodies 413, a non-JSON Content-Type 415 (Spring's body);
 * nothing is written before this returns.
 */
export async function readJsonBody<S extends z.ZodType>(
	c: Context,
	schema: S,
): Promise<z.infer<S>> {
	if (!isJsonMediaType(c.req.header("Content-Type"))) {
		throw new HTTPException(415, { res: springError(c, 415, "Unsupported Media Type") });
	}
	const text = await readCappedText(c.req.raw);
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch {
		throw new ApiError(
			"rest.body.notReadable",
			text.trim() === "" ? "Required request body is missing" : "JSON parse error",
		);
	}
	const parsed = schema.safeParse(json);
	if (!parsed.success) {
		throw new ApiError(
			"rest.body.notReadable",
			parsed.error.issues.map(describeIssue).join("; ") || "Invalid request body",
		);
	}
	return parsed.data;
}
