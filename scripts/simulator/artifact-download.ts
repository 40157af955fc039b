/**
 * A device's artifact download: streamed and hashed on the fly (the bytes are not kept), resumed
 * after a broken connection with `Range: bytes=<received>-` and `If-Range: <ETag>` like SWUpdate
 * does, and verified against the size and MD5/SHA-1/SHA-256 that deploymentBase announced.
 * `interruptRate` cuts a share of first attempts mid-body on purpose, to exercise resuming.
 */
import { ArtifactHasher, compareHashes, type HashMismatch } from "../cli/file-hashes";
import { type DdiClient, describe } from "./ddi-client";

export type ExpectedArtifact = {
	filename: string;
	size: number;
	hashes: { md5?: string; sha1?: string; sha256?: string };
};

export type DownloadOutcome = {
	ok: boolean;
	bytes: number;
	/** Range requests made after the first attempt broke off. */
	resumes: number;
	mismatches: HashMismatch[];
	/** Why it failed, for the device's feedback message. */
	error?: string;
};

export type DownloadOptions = {
	authorization: string;
	/** Attempts in all (the first plus resumes). */
	maxAttempts: number;
	/** Share (0..1) of downloads whose first attempt is cut off part-way. */
	interruptRate: number;
	random: () => number;
};

export async function downloadArtifact(
	client: DdiClient,
	url: string,
	expected: ExpectedArtifact,
	opts: DownloadOptions,
): Promise<DownloadOutcome> {
	const hasher = new ArtifactHasher();
	let received = 0;
	let etag: string | undefined;
	let resumes = 0;
	let lastError = "";
	// Where to cut the first attempt (never at 0 or at the end, so there is something to resume).
	let cutAt =
		expected.size > 1 && opts.random() < opts.interruptRate
			? 1 + Math.floor(opts.random() * (expected.size - 1))
			: undefined;
	const { limiter, stats, signal, timeoutMs } = client.opts;

	for (let attempt = 1; attempt <= opts.maxAttempts; attempt++) {
		if (signal.aborted) {
			return { ok: false, bytes: received, resumes, mismatches: [], error: "stopped" };
		}
		if (attempt > 1) {
			resumes++;
		}
		const outcome = await limiter.run(async () => {
			const headers: Record<string, string> = {
				Authorization: opts.authorization,
				Accept: "application/octet-stream",
			};
			if (received > 0) {
				headers.Range = `bytes=${received}-`;
				if (etag) {
					headers["If-Range"] = etag;
				}
			}
			const cut = new AbortController();
			const started = performance.now();
			let res: Response;
			try {
				res = await fetch(url, {
					headers,
					signal: AbortSignal.any([signal, cut.signal, AbortSignal.timeout(timeoutMs * 20)]),
				});
			} catch (err) {
				stats.record("download", "network", performance.now() - started);
				return `no answer: ${describe(err)}`;
			}
			stats.record("download", res.status, performance.now() - started);
			if (received > 0 && res.status === 200) {
				// The file changed (If-Range) or ranges are not supported: start over.
				await res.body?.cancel();
				received = 0;
				return "restart";
			}
			if (res.status === 416 && received === expected.size) {
				await res.body?.cancel();
				return "done";
			}
			if (res.status !== 200 && res.status !== 206) {
				await res.body?.cancel();
				return `HTTP ${res.status}`;
			}
			if (res.status === 206) {
				const start = Number(/bytes (\d+)-/.exec(res.headers.get("content-range") ?? "")?.[1]);
				if (start !== received) {
					await res.body?.cancel();
					return `Content-Range starts at ${start}, expected ${received}`;
				}
			}
			etag = res.headers.get("etag") ?? etag;
			if (!res.body) {
				return "no body";
			}
			const reader = res.body.getReader();
			try {
				for (;;) {
					const { done, value } = await reader.read();
					if (done) {
						break;
					}
					let chunk = value;
					if (cutAt !== undefined && received + chunk.byteLength >= cutAt) {
						// Simulated network break: keep the bytes before the cut, drop the connection.
						chunk = chunk.subarray(0, cutAt - received);
						hasher.update(chunk);
						received += chunk.byteLength;
						cutAt = undefined;
						cut.abort(new Error("simulated interruption"));
						await reader.cancel().catch(() => undefined);
						return "interrupted";
					}
					hasher.update(chunk);
					received += chunk.byteLength;
					if (received > expected.size) {
						await reader.cancel().catch(() => undefined);
						return `more than the announced ${expected.size} bytes`;
					}
				}
			} catch (err) {
				return `connection lost: ${describe(err)}`;
			}
			return "done";
		});
		if (outcome === "done") {
			break;
		}
		if (outcome === "restart") {
			return downloadArtifact(client, url, expected, {
				...opts,
				interruptRate: 0,
				maxAttempts: opts.maxAttempts - attempt,
			});
		}
		lastError = outcome;
		if (
			outcome.startsWith("HTTP 4") ||
			outcome.startsWith("more than") ||
			outcome.startsWith("Content-Range")
		) {
			return { ok: false, bytes: received, resumes, mismatches: [], error: outcome };
		}
	}
	if (received !== expected.size) {
		return {
			ok: false,
			bytes: received,
			resumes,
			mismatches: [],
			error: lastError || `got ${received} of ${expected.size} bytes`,
		};
	}
	const mismatches = compareHashes(
		{ ...hasher.digest(), size: received },
		{ ...expected.hashes, size: expected.size },
	);
	return {
		ok: mismatches.length === 0,
		bytes: received,
		resumes,
		mismatches,
		error: mismatches.length
			? `hash mismatch: ${mismatches.map((m) => m.field).join(", ")}`
			: undefined,
	};
}
