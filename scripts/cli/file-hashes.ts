/**
 * The three digests hawkBit keeps for every artifact (MD5, SHA-1, SHA-256), computed in one pass.
 * Used by `push` before uploading and by the device simulator while downloading.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";

export type ArtifactHashes = { md5: string; sha1: string; sha256: string };

/** Incremental MD5 + SHA-1 + SHA-256; feed bytes in order, read the hex digests once at the end. */
export class ArtifactHasher {
	readonly #md5: Hash = createHash("md5");
	readonly #sha1: Hash = createHash("sha1");
	readonly #sha256: Hash = createHash("sha256");
	bytes = 0;

	update(chunk: Uint8Array): void {
		this.#md5.update(chunk);
		this.#sha1.update(chunk);
		this.#sha256.update(chunk);
		this.bytes += chunk.byteLength;
	}

	digest(): ArtifactHashes {
		return {
			md5: this.#md5.digest("hex"),
			sha1: this.#sha1.digest("hex"),
			sha256: this.#sha256.digest("hex"),
		};
	}
}

/** Hashes a file from disk; `onProgress` gets the bytes read so far. */
export async function hashFile(
	path: string,
	onProgress?: (bytes: number) => void,
): Promise<ArtifactHashes & { size: number }> {
	const { size } = await stat(path);
	const hasher = new ArtifactHasher();
	for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
		hasher.update(chunk as Buffer);
		onProgress?.(hasher.bytes);
	}
	if (hasher.bytes !== size) {
		throw new Error(`${path} changed while it was read (${hasher.bytes} of ${size} bytes)`);
	}
	return { ...hasher.digest(), size };
}

export type HashMismatch = {
	field: "md5" | "sha1" | "sha256" | "size";
	expected: string;
	actual: string;
};

/**
 * Compares what we computed with what the other side reported. A hash the other side did not
 * report is skipped (hawkBit omits sha256 for old artifacts); hex case is ignored.
 */
export function compareHashes(
	local: Partial<ArtifactHashes> & { size?: number },
	reported: {
		md5?: string | null;
		sha1?: string | null;
		sha256?: string | null;
		size?: number | null;
	},
): HashMismatch[] {
	const out: HashMismatch[] = [];
	for (const field of ["md5", "sha1", "sha256"] as const) {
		const want = reported[field];
		const have = local[field];
		if (want && have && want.toLowerCase() !== have.toLowerCase()) {
			out.push({ field, expected: want.toLowerCase(), actual: have.toLowerCase() });
		}
	}
	if (
		typeof reported.size === "number" &&
		typeof local.size === "number" &&
		reported.size !== local.size
	) {
		out.push({ field: "size", expected: String(reported.size), actual: String(local.size) });
	}
	return out;
}
