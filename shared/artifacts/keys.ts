/**
 * R2 key layout for artifact bytes (see docs/artifacts-upload.md).
 *
 * Content lives under a tenant-scoped, SHA-1-addressed key, so identical bytes are stored once per
 * tenant (hawkBit's ArtifactRepository dedupe). Uploads land under `staging/` first and are only
 * copied to their content key after the hashes were verified; the scheduled sweeper removes
 * staging objects an interrupted upload left behind.
 */

export const STAGING_PREFIX = "staging/";

/** `artifacts/{TENANT}/{sha1}`: the one place an artifact's bytes are read from. */
export function artifactKey(tenant: string, sha1: string): string {
	return `artifacts/${tenant}/${sha1.toLowerCase()}`;
}

/** Per-upload staging folder: `staging/{TENANT}/{uploadId}/`. */
export function stagingFolder(tenant: string, uploadId: string): string {
	return `${STAGING_PREFIX}${tenant}/${uploadId}/`;
}

/** The staged bytes of one upload. */
export function stagingDataKey(tenant: string, uploadId: string): string {
	return `${stagingFolder(tenant, uploadId)}data`;
}

/** The session record of a resumable (R2 multipart) upload, written once at creation. */
export function stagingSessionKey(tenant: string, uploadId: string): string {
	return `${stagingFolder(tenant, uploadId)}session.json`;
}
