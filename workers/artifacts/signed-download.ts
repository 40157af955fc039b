/**
 * `GET|HEAD /dl/{TENANT}/{sha1}/{expires}/{signature}/{fileName}`: serves a signed, expiring download
 * link (see download-signature.ts) with the same Range / If-Match / If-Range / ETag behaviour as the DDI
 * download (serve-artifact.ts), and without any D1 query: the HMAC is the access check, the bytes come
 * from this location's cache or R2 (artifact-cache.ts), the metadata from the cache or an R2 HEAD.
 *
 * A bad signature and an expired link both answer 403 with an empty body; a link to bytes that are no
 * longer stored answers 404. The answer may be cached by shared caches (the URL names immutable,
 * content-addressed bytes) but never beyond the link's expiry.
 *
 * Dispatched by workers/index.ts before the Hono app: a download needs none of the app's middleware,
 * and skipping its router and per-request set-up is measurable on small ranges (BENCHMARKS.md).
 */
import { artifactKey } from "../../shared/artifacts/keys";
import { codeToStatus, DomainError, exceptionInfo } from "../../shared/errors";
import { type Background, openArtifactBytes } from "./artifact-cache";
import { SIGNED_DOWNLOAD_PREFIX, verifyDownload } from "./download-signature";
import { serveArtifact } from "./serve-artifact";

const SHA1 = /^[0-9a-f]{40}$/;
const EXPIRES = /^[0-9]{1,12}$/;

function decodeSegment(segment: string): string | undefined {
	try {
		return decodeURIComponent(segment);
	} catch {
		return undefined;
	}
}

/**
 * Answers a signed download, or returns `undefined` when the request is not one (other method, path
 * not of the `/dl/…` shape); the caller then hands it to the app, which answers 404.
 */
export async function answerSignedDownload(
	req: Request,
	env: Env,
	ctx: Background,
): Promise<Response | undefined> {
	try {
		return await signedDownload(req, env, ctx);
	} catch (err) {
		// The app's onError, without the app: hawkBit's error body (e.g. artifact.loadFailed → 500).
		if (err instanceof DomainError) {
			return Response.json(exceptionInfo(err.code, err.message, err.info), {
				status: codeToStatus(err.code),
			});
		}
		console.error("signed download failed", { err });
		return Response.json(exceptionInfo("repo.genericError", "Internal server error"), {
			status: 500,
		});
	}
}

async function signedDownload(
	req: Request,
	env: Env,
	ctx: Background,
): Promise<Response | undefined> {
	if (req.method !== "GET" && req.method !== "HEAD") {
		return undefined;
	}
	const path = new URL(req.url).pathname;
	if (!path.startsWith(`${SIGNED_DOWNLOAD_PREFIX}/`)) {
		return undefined;
	}
	// ["", "dl", tenant, sha1, expires, signature, fileName]
	const parts = path.split("/");
	const [, , rawTenant = "", sha1 = "", expires = "", signature = "", rawName = ""] = parts;
	const tenant = decodeSegment(rawTenant);
	const filename = decodeSegment(rawName);
	if (
		parts.length !== 7 ||
		!tenant ||
		!filename ||
		!SHA1.test(sha1) ||
		!EXPIRES.test(expires) ||
		signature === ""
	) {
		return undefined;
	}
	const secret = env.DOWNLOAD_SIGNING_KEY;
	if (!secret) {
		// Without the secret no link can be valid; say nothing more.
		return new Response(null, { status: 404 });
	}
	const grant = { tenant, sha1, expires: Number(expires), filename };
	if (!(await verifyDownload(secret, grant, signature))) {
		return new Response(null, { status: 403 });
	}
	const remaining = grant.expires - Math.floor(Date.now() / 1000);
	if (remaining <= 0) {
		return new Response(null, { status: 403 });
	}
	const r2Key = artifactKey(tenant, sha1);
	const bytes = await openArtifactBytes(env.ARTIFACTS, ctx, r2Key);
	if (!bytes) {
		return new Response(null, { status: 404 });
	}
	// serveArtifact answers HEAD with the headers only, without reading the bytes.
	return serveArtifact(
		req,
		env.ARTIFACTS,
		{ filename, sha1, size: bytes.size, createdAt: bytes.uploaded, r2Key },
		{ source: bytes.source, cacheControl: `public, max-age=${remaining}, immutable` },
	);
}
