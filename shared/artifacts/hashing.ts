/**
 * MD5, SHA-1 and SHA-256 of an artifact in one pass over its bytes.
 *
 * Uses `node:crypto` createHash (workerd's native BoringSSL, via `nodejs_compat`): it hashes
 * incrementally, so nothing is buffered. Measured in workerd on the dev machine (64 MiB, all three
 * hashes): ~160 MB/s, versus ~3 MB/s for @noble/hashes (pure JS). hash-wasm cannot run at all:
 * workerd refuses to compile WebAssembly from bytes at run time ("Wasm code generation disallowed by
 * embedder"). WebCrypto's `digest` is one-shot, so it cannot hash a stream.
 */
import { createHash, type Hash } from "node:crypto";

export type ArtifactHashes = { md5: string; sha1: string; sha256: string };
export type HashAlgorithm = keyof ArtifactHashes;

/** Feeds every chunk to the three digests; `digest()` may be called once. */
export class ArtifactHasher {
	readonly #md5: Hash = createHash("md5");
	readonly #sha1: Hash = createHash("sha1");
	readonly #sha256: Hash = createHash("sha256");
	#size = 0;

	update(chunk: Uint8Array): void {
		this.#md5.update(chunk);
		this.#sha1.update(chunk);
		this.#sha256.update(chunk);
		this.#size += chunk.byteLength;
	}

	get size(): number {
		return this.#size;
	}

	digest(): ArtifactHashes {
		return {
			md5: this.#md5.digest("hex"),
			sha1: this.#sha1.digest("hex"),
			sha256: this.#sha256.digest("hex"),
		};
	}
}

/**
 * The first algorithm whose client-supplied hash differs from the computed one (hex compared
 * case-insensitively, as hawkBit does), or undefined when every supplied hash matches.
 * Checked in hawkBit's order: MD5, SHA-1, SHA-256.
 */
export function findHashMismatch(
	actual: ArtifactHashes,
	expected: Partial<ArtifactHashes>,
): HashAlgorithm | undefined {
	for (const alg of ["md5", "sha1", "sha256"] as const) {
		const want = expected[alg];
		if (want !== undefined && want.trim().toLowerCase() !== actual[alg]) {
			return alg;
		}
	}
	return undefined;
}
