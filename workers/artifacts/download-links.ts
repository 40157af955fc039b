/**
 * The download links a device gets for an artifact beyond hawkBit's default `download-http` /
 * `md5sum-http` (§2.11), per tenant configuration:
 *
 * - `download.cdn.urlPattern` set: rel `download` is the pattern filled in (hawkBit's URL protocols with
 *   `rel: download`; SWUpdate and rauc-hawkbit-updater prefer `download` over `download-http`).
 * - `download.signedUrls.enabled` (Updraft extension): `download-http`, and `download` unless a CDN
 *   pattern claims it, become a signed, expiring `/dl/…` link that the edge serves without D1.
 *   `md5sum-http` stays the authenticated DDI link.
 *
 * Signed links are only handed out where the DDI download itself would be allowed (an active, not
 * canceling action with the module): a link must never open more than the access check it replaces.
 */
import type { Context } from "hono";
import {
	type CdnPlaceholder,
	fillCdnUrlPattern,
	formUrlEncode,
	signedLinkExpiry,
} from "../../shared/domain/download-links";
import { parseDuration } from "../../shared/domain/polling-time";
import { encodePathSegment, requestOrigin } from "../ddi/links";
import type { DdiEnv } from "../middleware/ddi-auth";
import { signDownload, signedDownloadPath } from "./download-signature";

type Links = Record<string, { href: string }>;

/** Adds the configured links of one artifact to its default links. */
export type ArtifactLinker = (
	moduleId: number,
	artifact: { filename: string; sha1: string },
	defaults: Links,
) => Promise<Links>;

/**
 * The linker for one DDI answer. `downloadAllowed` says whether this device may download the module's
 * artifacts right now (deploymentBase / confirmationBase of an open action, or the artifact list of an
 * open action's module); only then are signed links offered.
 */
export function ddiArtifactLinker(
	c: Context<DdiEnv>,
	controllerId: string,
	downloadAllowed: boolean,
): ArtifactLinker {
	const values = c.get("tenantConfig")?.values;
	const tenant = c.get("tenant");
	const pattern = values?.["download.cdn.urlPattern"] ?? "";
	const secret = c.env.DOWNLOAD_SIGNING_KEY;
	const signed = downloadAllowed && values?.["download.signedUrls.enabled"] === true && !!secret;
	const expires =
		signed && values
			? signedLinkExpiry(Date.now(), parseDuration(values["download.signedUrls.ttl"]))
			: 0;
	const origin = requestOrigin(c);
	return async (moduleId, artifact, defaults) => {
		const links: Links = { ...defaults };
		if (signed && secret) {
			const grant = { tenant, sha1: artifact.sha1, expires, filename: artifact.filename };
			const href = `${origin}${signedDownloadPath(grant, await signDownload(secret, grant))}`;
			links["download-http"] = { href };
			links.download = { href };
		}
		if (pattern !== "") {
			const encoded: Record<CdnPlaceholder, string> = {
				tenant: encodePathSegment(tenant),
				controllerId: encodePathSegment(controllerId),
				softwareModuleId: String(moduleId),
				artifactFileName: formUrlEncode(artifact.filename),
				artifactSHA1: artifact.sha1,
			};
			links.download = { href: fillCdnUrlPattern(pattern, encoded) };
		}
		return links;
	};
}
