/**
 * Artifact upload, end to end: stage → verify hashes → promote to the content key → insert the row
 * → drop the staging object. hawkBit: ArtifactManagement#create.
 *
 * Invariants (docs/artifacts-upload.md):
 * - a row exists only for bytes whose hashes were verified and that sit under their content key;
 * - a failed or refused upload leaves neither a row nor bytes (the staging object is deleted, and
 *   content bytes are deleted again unless another artifact of the tenant references them);
 * - an upload the Worker never finished leaves at most a staging object, which the sweeper removes.
 */

import type { Db } from "../db/client";
import {
	type ArtifactRow,
	type InsertArtifactRefusal,
	insertArtifact,
	isContentReferenced,
} from "../db/queries/artifacts";
import { DomainError, type ErrorCode } from "../errors";
import { type ArtifactHashes, findHashMismatch, type HashAlgorithm } from "./hashing";
import { artifactKey } from "./keys";
import type { ArtifactLimits } from "./limits";
import { promoteStaged, type StagedBytes } from "./staging";

const MISMATCH: Record<HashAlgorithm, { code: ErrorCode; label: string }> = {
	md5: { code: "artifact.uploadFailed.checksum.md5.match", label: "MD5" },
	sha1: { code: "artifact.uploadFailed.checksum.sha1.match", label: "SHA1" },
	sha256: { code: "artifact.uploadFailed.checksum.sha256.match", label: "SHA256" },
};

export type CommitInput = {
	tenant: string;
	softwareModuleId: number;
	filename: string;
	createdBy: string;
	staged: StagedBytes;
	/** Hashes the client supplied; each present one must match. */
	expected: Partial<ArtifactHashes>;
	limits: ArtifactLimits;
};

/**
 * Turns verified staged bytes into an artifact. Throws DomainError (checksum mismatch, quota,
 * locked, duplicate, not found) after cleaning up. Always removes the staging object.
 */
export async function commitStagedArtifact(
	db: Db,
	bucket: R2Bucket,
	input: CommitInput,
): Promise<ArtifactRow> {
	const { staged, tenant } = input;
	try {
		const mismatch = findHashMismatch(staged.hashes, input.expected);
		if (mismatch) {
			const { code, label } = MISMATCH[mismatch];
			throw new DomainError(
				code,
				`Upload failed: ${label} checksum does not match (provided ${input.expected[mismatch]}, computed ${staged.hashes[mismatch]}).`,
			);
		}
		if (staged.size > input.limits.maxArtifactBytes) {
			throw new DomainError(
				"quota.fileSizeExceeded",
				`Maximum artifact size of ${input.limits.maxArtifactBytes} bytes exceeded: ${staged.size} bytes given.`,
				{ maxSize: input.limits.maxArtifactBytes },
			);
		}
		const contentKey = artifactKey(tenant, staged.hashes.sha1);
		await promoteStaged(bucket, staged.key, contentKey);
		const result = await insertArtifact(
			db,
			{
				tenant,
				softwareModuleId: input.softwareModuleId,
				filename: input.filename,
				size: staged.size,
				...staged.hashes,
				r2Key: contentKey,
				createdBy: input.createdBy,
			},
			input.limits,
		);
		if (!result.ok) {
			await releaseContent(db, bucket, { tenant, sha1: staged.hashes.sha1 });
			throw refusalError(result.reason, input);
		}
		// A concurrent delete of the last other reference may have removed the bytes between
		// promotion and insert; the staging copy still exists, so put them back.
		if (!(await bucket.head(contentKey))) {
			await promoteStaged(bucket, staged.key, contentKey);
		}
		return result.artifact;
	} finally {
		await bucket.delete(staged.key);
	}
}

/** Deletes the content bytes unless an artifact of a non-deleted module still references them. */
export async function releaseContent(
	db: Db,
	bucket: R2Bucket,
	q: { tenant: string; sha1: string },
): Promise<boolean> {
	if (await isContentReferenced(db, q)) {
		return false;
	}
	await bucket.delete(artifactKey(q.tenant, q.sha1));
	return true;
}

function refusalError(reason: InsertArtifactRefusal, input: CommitInput): DomainError {
	switch (reason) {
		case "moduleNotFound":
			return new DomainError(
				"repo.entityNotFound",
				`SoftwareModule with given identifier {${input.softwareModuleId}} does not exist.`,
				{ type: "SoftwareModule", entityId: input.softwareModuleId },
			);
		case "locked":
			return new DomainError(
				"locked",
				`Software module ${input.softwareModuleId} is locked: artifacts cannot be added.`,
			);
		case "duplicateFilename":
			return new DomainError(
				"repo.entityAlreadyExists",
				`Artifact with filename ${input.filename} already exists in software module ${input.softwareModuleId}.`,
			);
		case "tooManyArtifacts":
			return new DomainError(
				"quota.tooManyEntries",
				`Quota exceeded: cannot assign more than ${input.limits.maxArtifactsPerModule} artifacts to a software module.`,
				{ maxEntries: input.limits.maxArtifactsPerModule },
			);
		case "storageExceeded":
			return new DomainError(
				"quota.storageExceeded",
				`Storage quota of ${input.limits.maxTenantStorageBytes} bytes exceeded.`,
				{ maxStorage: input.limits.maxTenantStorageBytes },
			);
	}
}
