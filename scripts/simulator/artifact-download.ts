/**
 * A device's artifact download: streamed and hashed on the fly (the bytes are not kept), resumed
 * after a broken connection with `Range: bytes=<received>-` and `If-Range: <ETag>` like SWUpdate
 * does, and verified against the size and MD5/SHA-1/SHA-256 that deploymentBase announced.
 * `interruptRate` cuts a share of first attempts mid-body on purpose, to exercise resuming.
 */
import { ArtifactHasher, compareHashes, type HashMismatch } from "../cli/file-hashes";
import { type DdiClient, describe, requestSignal } from "./ddi-client";

export type ExpectedArtifact = {
	filename: string;
	size: number;
	hashes: { md5?: string; sha1?: string; sha256?: string };
};

export type DownloadOutcome = {
	ok: boolean;
	bytes: number;
	/** Range requests made after an attempt broke off. */
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

/** What one HTTP attempt ended with. */
type Attempt =
	| { kind: "complete" }
	| { kind: "broken"; why: string } // resumable: ask for the rest
	| { kind: "restart" } // the server sent the whole file again: start over
	| { kind: "fatal"; why: string };

/** State of one download across its attempts. */
class Transfer {
	hasher = new ArtifactHasher();
	received = 0;
	etag: string | undefined;
	/** Where to cut the first attempt (never at 0 or at the end, so there is something to resume). */
	cutAt: number | undefined;

	constructor(
		readonly expected: ExpectedArtifact,
		opts: DownloadOptions,
	) {
		this.cutAt =
			expected.size > 1 && opts.random() < opts.interruptRate
				? 1 + Math.floor(opts.random() * (expected.size - 1))
				: undefined;
	}

	reset(): void {
		this.hasher = new ArtifactHasher();
		this.received = 0;
	}

	take(chunk: Uint8Array): void {
		this.hasher.update(chunk);
		this.received += chunk.byteLength;
	}
}

export async function downloadArtifact(
	client: DdiClient,
	url: string,
	expected: ExpectedArtifact,
	opts: DownloadOptions,
): Promise<DownloadOutcome> {
	const t = new Transfer(expected, opts);
	let resumes = 0;
	let lastError = "";
	for (let attempt = 1; attempt <= opts.maxAttempts; attempt++) {
		if (client.opts.signal.aborted) {
			return { ok: false, bytes: t.received, resumes, mismatches: [], error: "stopped" };
		}
		if (attempt > 1 && t.received > 0) {
			resumes++;
		}
		const result = await client.opts.limiter.run(() => fetchOnce(client, url, t, opts));
		if (result.kind === "complete") {
			break;
		}
		if (result.kind === "restart") {
			t.reset();
			continue;
		}
		lastError = result.why;
		if (result.kind === "fatal") {
			return { ok: false, bytes: t.received, resumes, mismatches: [], error: result.why };
		}
	}
	if (t.received !== expected.size) {
		return {
			ok: false,
			bytes: t.received,
			resumes,
			mismatches: [],
			error: lastError || `got ${t.received} of ${expected.size} bytes`,
		};
	}
	const mismatches = compareHashes(
		{ ...t.hasher.digest(), size: t.received },
		{ ...expected.hashes, size: expected.size },
	);
	return {
		ok: mismatches.length === 0,
		bytes: t.received,
		resumes,
		mismatches,
		error: mismatches.length
			? `hash mismatch: ${mismatches.map((m) => m.field).join(", ")}`
			: undefined,
	};
}

async function fetchOnce(
	client: DdiClient,
	url: string,
	t: Transfer,
	opts: DownloadOptions,
): Promise<Attempt> {
	const { stats, signal, timeoutMs } = client.opts;
	const headers: Record<string, string> = {
		Authorization: opts.authorization,
		Accept: "application/octet-stream",
	};
	if (t.received > 0) {
		headers.Range = `bytes=${t.received}-`;
		if (t.etag) {
			headers["If-Range"] = t.etag;
		}
	}
	// A whole transfer may take long; a stalled one is cut after 20 request timeouts.
	const request = requestSignal(signal, timeoutMs * 20);
	const started = performance.now();
	try {
		let res: Response;
		try {
			res = await fetch(url, { headers, signal: request.signal });
		} catch (err) {
			stats.record("download", "network", performance.now() - started);
			return { kind: "broken", why: `no answer: ${describe(err)}` };
		}
		stats.record("download", res.status, performance.now() - started);
		if (t.received > 0 && res.status === 200) {
			// The file changed (If-Range did not match) or ranges are unsupported.
			await res.body?.cancel();
			return { kind: "restart" };
		}
		if (res.status === 416 && t.received === t.expected.size) {
			await res.body?.cancel();
			return { kind: "complete" };
		}
		if (res.status !== 200 && res.status !== 206) {
			await res.body?.cancel();
			const why = `HTTP ${res.status}`;
			return res.status >= 500 || res.status === 429
				? { kind: "broken", why }
				: { kind: "fatal", why };
		}
		if (res.status === 206) {
			const start = Number(/bytes (\d+)-/.exec(res.headers.get("content-range") ?? "")?.[1]);
			if (start !== t.received) {
				await res.body?.cancel();
				return { kind: "fatal", why: `Content-Range starts at ${start}, expected ${t.received}` };
			}
		}
		t.etag = res.headers.get("etag") ?? t.etag;
		if (!res.body) {
			return { kind: "broken", why: "no body" };
		}
		const reader = res.body.getReader();
		try {
			for (;;) {
				const { done, value } = await reader.read();
				if (done) {
					return t.received >= t.expected.size
						? { kind: "complete" }
						: { kind: "broken", why: `the body ended after ${t.received} bytes` };
				}
				if (t.cutAt !== undefined && t.received + value.byteLength >= t.cutAt) {
					// Simulated network break: keep the bytes before the cut, drop the connection.
					t.take(value.subarray(0, t.cutAt - t.received));
					t.cutAt = undefined;
					request.abort(new Error("simulated interruption"));
					await reader.cancel().catch(() => undefined);
					return { kind: "broken", why: "simulated interruption" };
				}
				t.take(value);
				if (t.received > t.expected.size) {
					await reader.cancel().catch(() => undefined);
					return { kind: "fatal", why: `more than the announced ${t.expected.size} bytes` };
				}
			}
		} catch (err) {
			return { kind: "broken", why: `connection lost: ${describe(err)}` };
		}
	} finally {
		request.dispose();
	}
}
