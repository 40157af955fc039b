/**
 * Writes an upload of unknown length to a staging key in R2 while hashing it, and later moves
 * verified bytes to their content-addressed key.
 *
 * R2's `put` needs a stream of known length, and a multipart/form-data part has none, so the bytes
 * are cut into fixed-size parts: a file that fits one part is a single `put`, a larger one becomes
 * an R2 multipart upload (R2 wants every part but the last to have the same size, ≥ 5 MiB). Memory
 * stays at one part. A failure aborts the multipart upload, so R2 keeps nothing of it.
 */
import { DomainError } from "../errors";
import { ArtifactHasher, type ArtifactHashes } from "./hashing";

/** 10 MiB: R2's minimum is 5 MiB; bigger parts mean fewer subrequests per upload. */
export const DEFAULT_PART_SIZE = 10 * 1024 * 1024;

export type StagedBytes = { key: string; size: number; hashes: ArtifactHashes };

/** hawkBit's FileSizeQuotaExceededException. */
export function fileSizeExceeded(maxBytes: number, given?: number): DomainError {
	return new DomainError(
		"quota.fileSizeExceeded",
		given === undefined
			? `Maximum artifact size of ${maxBytes} bytes exceeded.`
			: `Maximum artifact size of ${maxBytes} bytes exceeded: ${given} bytes given.`,
		{ maxSize: maxBytes },
	);
}

/**
 * Streams `chunks` to `key`, computing MD5/SHA-1/SHA-256 on the way. Throws `quota.fileSizeExceeded`
 * as soon as more than `maxBytes` arrived (nothing is left in R2 then). Not idempotent: call it once
 * per staging key.
 */
export async function stageBytes(
	bucket: R2Bucket,
	key: string,
	chunks: AsyncIterable<Uint8Array>,
	opts: { maxBytes: number; partSize?: number },
): Promise<StagedBytes> {
	const partSize = opts.partSize ?? DEFAULT_PART_SIZE;
	const hasher = new ArtifactHasher();
	const part = new Uint8Array(partSize);
	let filled = 0;
	let upload: R2MultipartUpload | undefined;
	const parts: R2UploadedPart[] = [];
	try {
		for await (const chunk of chunks) {
			hasher.update(chunk);
			if (hasher.size > opts.maxBytes) {
				throw fileSizeExceeded(opts.maxBytes);
			}
			let offset = 0;
			while (offset < chunk.length) {
				const n = Math.min(partSize - filled, chunk.length - offset);
				part.set(chunk.subarray(offset, offset + n), filled);
				filled += n;
				offset += n;
				if (filled === partSize) {
					upload ??= await bucket.createMultipartUpload(key);
					// uploadPart has consumed the buffer once it resolves, so it can be refilled.
					parts.push(await upload.uploadPart(parts.length + 1, part));
					filled = 0;
				}
			}
		}
		if (upload) {
			if (filled > 0) {
				parts.push(await upload.uploadPart(parts.length + 1, part.subarray(0, filled)));
			}
			await upload.complete(parts);
		} else {
			await bucket.put(key, part.subarray(0, filled));
		}
	} catch (err) {
		await upload?.abort().catch(() => undefined);
		throw err;
	}
	return { key, size: hasher.size, hashes: hasher.digest() };
}

/** Hashes an object already in R2 (server-side verification of a resumable upload). */
export async function hashStoredObject(
	bucket: R2Bucket,
	key: string,
): Promise<{ size: number; hashes: ArtifactHashes } | undefined> {
	const obj = await bucket.get(key);
	if (!obj) {
		return undefined;
	}
	const hasher = new ArtifactHasher();
	for await (const chunk of obj.body) {
		hasher.update(chunk);
	}
	return { size: hasher.size, hashes: hasher.digest() };
}

/**
 * Makes the staged bytes available under `contentKey`. R2's binding has no copy, so the bytes
 * are streamed through the Worker once; when the content key already exists (same SHA-1 in this
 * tenant) nothing is copied. Idempotent. The staging object is left for the caller to delete.
 */
export async function promoteStaged(
	bucket: R2Bucket,
	stagingKey: string,
	contentKey: string,
): Promise<void> {
	if (await bucket.head(contentKey)) {
		return;
	}
	const staged = await bucket.get(stagingKey);
	if (!staged) {
		throw new Error(`staged object ${stagingKey} is missing`);
	}
	const sized = new FixedLengthStream(staged.size);
	await Promise.all([staged.body.pipeTo(sized.writable), bucket.put(contentKey, sized.readable)]);
}
