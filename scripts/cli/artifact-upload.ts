/**
 * Moving artifact bytes to the server: hawkBit's one-request multipart/form-data upload for small
 * files, and Updraft's resumable upload (docs/artifacts-upload.md: open a session, PUT numbered
 * parts, complete with the expected hashes) for files larger than one Worker request may carry.
 * The resumable path keeps its finished parts in a state file, so re-running `push` after a broken
 * connection sends only the parts that are missing.
 */
import { createHash, randomUUID } from "node:crypto";
import {
	createReadStream,
	existsSync,
	mkdirSync,
	readFileSync,
	rmSync,
	writeFileSync,
} from "node:fs";
import { open } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import { CliError, EXIT } from "./exit-codes";
import type { ArtifactHashes } from "./file-hashes";
import { ApiError, type MgmtClient } from "./mgmt-client";

/** hawkBit's MgmtArtifact as far as the CLI reads it. */
export type MgmtArtifact = {
	id: number;
	providedFilename: string;
	size: number;
	hashes: { md5?: string; sha1?: string; sha256?: string };
};

export type UploadInput = {
	softwareModuleId: number;
	path: string;
	filename: string;
	size: number;
	hashes: ArtifactHashes;
	onProgress?: (bytesSent: number) => void;
	signal?: AbortSignal;
};

export type ResumableOptions = {
	/** Bytes per part (raised to the server's minimum and to fit its part-count limit). */
	partSize: number;
	/** Parts in flight at once. */
	parallel: number;
	/** Attempts per part before the upload is given up (and left resumable). */
	attempts: number;
	/** Where the state of unfinished uploads is kept. */
	stateDir: string;
};

type UploadSession = {
	uploadId: string;
	minPartSize: number;
	maxPartNumber: number;
	expiresAt: number;
};

/** State of one unfinished resumable upload, keyed by server, module, filename and content. */
type UploadState = {
	uploadId: string;
	partSize: number;
	expiresAt: number;
	parts: Record<string, string>;
};

/** `$XDG_STATE_HOME/updraft/uploads` or `~/.local/state/updraft/uploads`. */
export function defaultUploadStateDir(env: NodeJS.ProcessEnv = process.env): string {
	const base = env.XDG_STATE_HOME || join(homedir(), ".local", "state");
	return join(base, "updraft", "uploads");
}

/** POST /softwaremodules/{id}/artifacts as multipart/form-data, streamed from disk with the hashes as fields. */
export async function uploadForm(client: MgmtClient, input: UploadInput): Promise<MgmtArtifact> {
	const boundary = `----updraft-${randomUUID()}`;
	const field = (name: string, value: string) =>
		`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
	const head = Buffer.from(
		field("md5sum", input.hashes.md5) +
			field("sha1sum", input.hashes.sha1) +
			field("sha256sum", input.hashes.sha256) +
			`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${quoteFilename(input.filename)}"\r\n` +
			"Content-Type: application/octet-stream\r\n\r\n",
	);
	const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
	let sent = 0;
	const file = createReadStream(input.path, { highWaterMark: 256 * 1024 });
	const body = new ReadableStream<Uint8Array>({
		async start(controller) {
			controller.enqueue(head);
			try {
				for await (const chunk of file) {
					controller.enqueue(chunk as Buffer);
					sent += (chunk as Buffer).byteLength;
					input.onProgress?.(sent);
				}
				controller.enqueue(tail);
				controller.close();
			} catch (err) {
				controller.error(err);
			}
		},
		cancel() {
			file.destroy();
		},
	});
	const { body: artifact } = await client.request<MgmtArtifact>(
		"POST",
		`/softwaremodules/${input.softwareModuleId}/artifacts`,
		{
			body,
			headers: {
				"Content-Type": `multipart/form-data; boundary=${boundary}`,
				"Content-Length": String(head.byteLength + input.size + tail.byteLength),
			},
			signal: input.signal,
			// A large file on a slow link takes long; the bytes keep the connection busy.
			timeoutMs: 6 * 60 * 60 * 1000,
		},
	);
	return artifact;
}

/**
 * Resumable upload: reuses a stored session for the same file when it is still open, uploads the
 * missing parts `parallel` at a time with retries, completes with the local hashes (the server
 * re-hashes and rejects a mismatch), then forgets the state. On failure the state is kept.
 */
export async function uploadResumable(
	client: MgmtClient,
	input: UploadInput,
	opts: ResumableOptions,
): Promise<{ artifact: MgmtArtifact; parts: number; resumedParts: number }> {
	const stateFile = join(opts.stateDir, `${stateKey(client, input)}.json`);
	let state = readState(stateFile);
	if (state && state.expiresAt < Date.now() + 60_000) {
		state = undefined;
	}
	const base = `/softwaremodules/${input.softwareModuleId}/artifacts/uploads`;
	for (let attempt = 0; ; attempt++) {
		if (!state) {
			const session = await client.post<UploadSession>(base, {
				filename: input.filename,
				size: input.size,
			});
			state = {
				uploadId: session.uploadId,
				partSize: choosePartSize(input.size, opts.partSize, session),
				expiresAt: session.expiresAt,
				parts: {},
			};
			writeState(stateFile, state);
		}
		const resumedParts = Object.keys(state.parts).length;
		try {
			const total = await sendParts(client, input, state, opts, base, stateFile);
			const parts = Object.entries(state.parts)
				.map(([n, etag]) => ({ partNumber: Number(n), etag }))
				.sort((a, b) => a.partNumber - b.partNumber);
			const artifact = await client.post<MgmtArtifact>(
				`${base}/${state.uploadId}/complete`,
				{
					parts,
					sha1sum: input.hashes.sha1,
					md5sum: input.hashes.md5,
					sha256sum: input.hashes.sha256,
				},
				// The server hashes the assembled object once more before it answers.
				{ signal: input.signal, timeoutMs: 30 * 60 * 1000 },
			);
			rmSync(stateFile, { force: true });
			return { artifact, parts: total, resumedParts };
		} catch (err) {
			// The session expired or was swept: start over once with a new one.
			if (err instanceof ApiError && err.status === 404 && attempt === 0 && resumedParts > 0) {
				rmSync(stateFile, { force: true });
				state = undefined;
				continue;
			}
			if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 429) {
				// The server refused the content (e.g. hash mismatch): resuming would not help.
				await client.delete(`${base}/${state.uploadId}`).catch(() => undefined);
				rmSync(stateFile, { force: true });
			}
			throw err;
		}
	}
}

/** Uploads every part not yet in `state.parts`; returns the number of parts. */
async function sendParts(
	client: MgmtClient,
	input: UploadInput,
	state: UploadState,
	opts: ResumableOptions,
	base: string,
	stateFile: string,
): Promise<number> {
	const count = Math.max(1, Math.ceil(input.size / state.partSize));
	const partLength = (n: number) => Math.min(state.partSize, input.size - (n - 1) * state.partSize);
	let done = 0;
	for (const n of Object.keys(state.parts)) {
		done += partLength(Number(n));
	}
	const inFlight = new Map<number, number>();
	const report = () => {
		let sum = done;
		for (const v of inFlight.values()) {
			sum += v;
		}
		input.onProgress?.(sum);
	};
	report();
	const todo: number[] = [];
	for (let n = 1; n <= count; n++) {
		if (!state.parts[String(n)]) {
			todo.push(n);
		}
	}
	const handle = await open(input.path, "r");
	try {
		const worker = async () => {
			for (let n = todo.shift(); n !== undefined; n = todo.shift()) {
				const length = partLength(n);
				const bytes = Buffer.alloc(length);
				await handle.read(bytes, 0, length, (n - 1) * state.partSize);
				const etag = await sendPart(client, `${base}/${state.uploadId}/parts/${n}`, bytes, opts, {
					signal: input.signal,
					onBytes: (sent) => {
						inFlight.set(n, sent);
						report();
					},
				});
				inFlight.delete(n);
				done += length;
				state.parts[String(n)] = etag;
				writeState(stateFile, state);
				report();
			}
		};
		await Promise.all(
			Array.from({ length: Math.max(1, Math.min(opts.parallel, todo.length)) }, worker),
		);
	} finally {
		await handle.close();
	}
	return count;
}

async function sendPart(
	client: MgmtClient,
	path: string,
	bytes: Buffer,
	opts: ResumableOptions,
	ctx: { signal?: AbortSignal; onBytes: (sent: number) => void },
): Promise<string> {
	let lastError: unknown;
	for (let attempt = 1; attempt <= opts.attempts; attempt++) {
		try {
			ctx.onBytes(0);
			const { body } = await client.request<{ partNumber: number; etag: string }>("PUT", path, {
				body: countingStream(bytes, ctx.onBytes),
				headers: {
					"Content-Type": "application/octet-stream",
					"Content-Length": String(bytes.byteLength),
				},
				signal: ctx.signal,
				timeoutMs: 30 * 60 * 1000,
			});
			if (!body?.etag) {
				throw new CliError(EXIT.server, `the server accepted part ${path} but sent no etag`);
			}
			return body.etag;
		} catch (err) {
			lastError = err;
			const retryable =
				!(err instanceof ApiError) || err.status >= 500 || err.status === 429 || err.status === 408;
			if (!retryable || ctx.signal?.aborted || attempt === opts.attempts) {
				break;
			}
			await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** (attempt - 1), 8000)));
		}
	}
	throw lastError;
}

/** The request body of one part, reporting how much of it has been handed to the socket. */
function countingStream(
	bytes: Buffer,
	onBytes: (sent: number) => void,
): ReadableStream<Uint8Array> {
	const slice = 256 * 1024;
	let offset = 0;
	return new ReadableStream<Uint8Array>({
		pull(controller) {
			if (offset >= bytes.byteLength) {
				controller.close();
				return;
			}
			const end = Math.min(offset + slice, bytes.byteLength);
			controller.enqueue(bytes.subarray(offset, end));
			offset = end;
			onBytes(offset);
		},
	});
}

/** At least the server's minimum, few enough parts for its limit, never more than the file. */
export function choosePartSize(
	size: number,
	wanted: number,
	session: { minPartSize: number; maxPartNumber: number },
): number {
	const fit = Math.ceil(size / session.maxPartNumber);
	return Math.max(wanted, session.minPartSize, fit, 1);
}

function stateKey(client: MgmtClient, input: UploadInput): string {
	return createHash("sha256")
		.update(
			[
				client.baseUrl,
				client.connection.tenant,
				input.softwareModuleId,
				input.filename,
				input.hashes.sha256,
			].join("\n"),
		)
		.digest("hex")
		.slice(0, 32);
}

function readState(file: string): UploadState | undefined {
	if (!existsSync(file)) {
		return undefined;
	}
	try {
		const s = JSON.parse(readFileSync(file, "utf8")) as UploadState;
		return typeof s.uploadId === "string" && typeof s.partSize === "number" ? s : undefined;
	} catch {
		return undefined;
	}
}

function writeState(file: string, state: UploadState): void {
	mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
	writeFileSync(file, JSON.stringify(state), { mode: 0o600 });
}

/** A filename inside a quoted header parameter: no quotes, no line breaks. */
function quoteFilename(name: string): string {
	return basename(name).replace(/["\r\n]/g, (c) => encodeURIComponent(c));
}
