/**
 * `GET|HEAD /dl/{TENANT}/{sha1}/{expires}/{signature}/{fileName}`: serves a signed, expiring download
 * link (see download-signature.ts) with the same Range / If-Match / If-Range / ETag behaviour as the DDI
 * download (serve-artifact.ts), and without any D1 query: the HMAC is the access check, the bytes come
 * from this location's cache or R2 (artifact-cache.ts), the metadata from the cache or an R2 HEAD.
 *
 * A bad signature and an expired link both answer 403 with an empty body; a link to bytes that are no
 * longer stored answers 404. The answer may be cached by shared caches (the URL names immutable,
 * content-addressed bytes) but never beyond the link's expiry.
 */
import { Hono } from "hono";
import { artifactKey } from "../../shared/artifacts/keys";
import type { AppEnv } from "../env";
import { openArtifactBytes } from "./artifact-cache";
import { verifyDownload } from "./download-signature";
import { serveArtifact } from "./serve-artifact";

export const signedDownloads = new Hono<AppEnv>().get(
	"/:tenant/:sha1{[0-9a-f]{40}}/:expires{[0-9]{1,12}}/:signature/:fileName",
	async (c) => {
		const secret = c.env.DOWNLOAD_SIGNING_KEY;
		if (!secret) {
			// Without the secret no link can be valid; say nothing more.
			return c.body(null, 404);
		}
		const grant = {
			tenant: c.req.param("tenant"),
			sha1: c.req.param("sha1"),
			expires: Number(c.req.param("expires")),
			filename: c.req.param("fileName"),
		};
		if (!(await verifyDownload(secret, grant, c.req.param("signature")))) {
			return c.body(null, 403);
		}
		const remaining = grant.expires - Math.floor(Date.now() / 1000);
		if (remaining <= 0) {
			return c.body(null, 403);
		}
		const r2Key = artifactKey(grant.tenant, grant.sha1);
		const bytes = await openArtifactBytes(c.env.ARTIFACTS, c.executionCtx, r2Key);
		if (!bytes) {
			return c.body(null, 404);
		}
		return serveArtifact(
			c.req.raw,
			c.env.ARTIFACTS,
			{
				filename: grant.filename,
				sha1: grant.sha1,
				size: bytes.size,
				createdAt: bytes.uploaded,
				r2Key,
			},
			{ source: bytes.source, cacheControl: `public, max-age=${remaining}, immutable` },
		);
	},
);
