/**
 * Resumable uploads for artifacts larger than a Worker request body (Updraft extension; see
 * docs/artifacts-upload.md). The bytes go into an R2 multipart upload under the staging key; the
 * session record (written once, never updated) ties the upload to its tenant, module and filename.
 */
import { DomainError } from "../errors";
import { stagingDataKey, stagingSessionKey } from "./keys";

export type UploadSession = {
	uploadId: string;
	tenant: string;
	softwareModuleId: number;
	filename: string;
	/** R2's id of the multipart upload at the staging data key. */
	r2UploadId: string;
	createdAt: number;
	createdBy: string;
};

/** Sessions older than this are aborted by the sweeper (the release CLI finishes far sooner). */
export const UPLOAD_SESSION_TTL_MS = 24 * 60 * 60 * 1000;

/** R2 needs every part but the last to have the same size, at least 5 MiB; 5 GiB at most. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
export const MAX_PART_NUMBER = 10_000;

/** Starts an R2 multipart upload at the staging key and records the session. */
export async function openUploadSession(
	bucket: R2Bucket,
	s: Omit<UploadSession, "uploadId" | "r2UploadId" | "createdAt">,
): Promise<UploadSession> {
	const uploadId = crypto.randomUUID();
	const upload = await bucket.createMultipartUpload(stagingDataKey(s.tenant, uploadId));
	const session: UploadSession = {
		...s,
		uploadId,
		r2UploadId: upload.uploadId,
		createdAt: Date.now(),
	};
	await bucket.put(stagingSessionKey(s.tenant, uploadId), JSON.stringify(session), {
		httpMetadata: { contentType: "application/json" },
	});
	return session;
}

/** The session of `uploadId` in this tenant for this module, or 404. */
export async function findUploadSession(
	bucket: R2Bucket,
	q: { tenant: string; softwareModuleId: number; uploadId: string },
): Promise<UploadSession> {
	const notFound = new DomainError(
		"repo.entityNotFound",
		`Upload with given identifier {${q.uploadId}} does not exist.`,
		{ type: "ArtifactUpload", entityId: q.uploadId },
	);
	if (!/^[0-9a-f-]{36}$/.test(q.uploadId)) {
		throw notFound;
	}
	const obj = await bucket.get(stagingSessionKey(q.tenant, q.uploadId));
	if (!obj) {
		throw notFound;
	}
	const session = (await obj.json()) as UploadSession;
	if (session.tenant !== q.tenant || session.softwareModuleId !== q.softwareModuleId) {
		throw notFound;
	}
	return session;
}

export function resumeUpload(bucket: R2Bucket, s: UploadSession): R2MultipartUpload {
	return bucket.resumeMultipartUpload(stagingDataKey(s.tenant, s.uploadId), s.r2UploadId);
}

/** Aborts the R2 upload (if still open) and removes every staging object of the session. Idempotent. */
export async function discardUploadSession(bucket: R2Bucket, s: UploadSession): Promise<void> {
	await resumeUpload(bucket, s)
		.abort()
		.catch(() => undefined);
	await bucket.delete([
		stagingDataKey(s.tenant, s.uploadId),
		stagingSessionKey(s.tenant, s.uploadId),
	]);
}
