/**
 * A streaming `multipart/form-data` parser (RFC 7578) for artifact uploads.
 *
 * `Request.formData()` (and Hono's `parseBody`, which uses it) buffers every file in memory, which a
 * 128 MB isolate cannot do for a 100 MB upload. The maintained npm parsers that run on workerd
 * (@remix-run/multipart-parser) also buffer each part (2 MiB default cap). This one hands out a part's
 * bytes as they arrive, keeping at most one network chunk plus the delimiter length in memory.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CRLF = encoder.encode("\r\n");
const CRLFCRLF = encoder.encode("\r\n\r\n");
const DASH = 0x2d;

/** Malformed multipart input; the route answers 400. */
export class MultipartFormError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "MultipartFormError";
	}
}

export type FormPart = {
	/** The `name` of the form field. */
	name: string;
	/** The `filename` the client gave the part, if it is a file. */
	filename: string | undefined;
	contentType: string | undefined;
	/** The part's bytes in order. Read them (or not) before asking the parser for the next part. */
	chunks: AsyncIterable<Uint8Array>;
	/** Convenience for small text fields; refuses more than `max` bytes. */
	text(max?: number): Promise<string>;
};

/** The boundary of a `multipart/form-data` content type, or undefined for any other type. */
export function multipartBoundary(contentType: string | undefined | null): string | undefined {
	if (!contentType || !/^\s*multipart\/form-data\s*(;|$)/i.test(contentType)) {
		return undefined;
	}
	const m = /;\s*boundary\s*=\s*(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType);
	return m?.[1] ?? m?.[2];
}

const skipTables = new WeakMap<Uint8Array, Int32Array>();

/** Boyer–Moore–Horspool bad-character shifts (the delimiter is ~40 bytes: ~40-byte strides). */
function skipTable(needle: Uint8Array): Int32Array {
	let table = skipTables.get(needle);
	if (!table) {
		table = new Int32Array(256).fill(needle.length);
		for (let i = 0; i < needle.length - 1; i++) {
			table[needle[i] as number] = needle.length - 1 - i;
		}
		skipTables.set(needle, table);
	}
	return table;
}

/** Position of `needle` in `hay` at or after `from`, or -1 (Horspool search). */
function indexOfBytes(hay: Uint8Array, needle: Uint8Array, from = 0): number {
	const last = needle.length - 1;
	const skip = skipTable(needle);
	let i = from;
	while (i + last < hay.length) {
		let j = last;
		while (j >= 0 && hay[i + j] === needle[j]) {
			j--;
		}
		if (j < 0) {
			return i;
		}
		i += skip[hay[i + last] as number] as number;
	}
	return -1;
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
	if (a.length === 0) {
		return b;
	}
	const out = new Uint8Array(a.length + b.length);
	out.set(a, 0);
	out.set(b, a.length);
	return out;
}

/** `name="x"; filename="y"` (quoted strings with backslash escapes, or tokens; `filename*` RFC 5987). */
function dispositionParams(value: string): Map<string, string> {
	const params = new Map<string, string>();
	const re = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
	for (let m = re.exec(value); m; m = re.exec(value)) {
		const key = (m[1] as string).toLowerCase();
		const raw = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : (m[3] ?? "").trim();
		if (key.endsWith("*")) {
			const ext = /^[^']*'[^']*'(.*)$/.exec(raw);
			try {
				params.set(key.slice(0, -1), decodeURIComponent(ext?.[1] ?? raw));
			} catch {
				// A broken percent-encoding falls back to the plain parameter, if any.
			}
		} else if (!params.has(key)) {
			params.set(key, raw);
		}
	}
	return params;
}

/**
 * Yields the parts of a multipart body one at a time. Each part's `chunks` must be consumed
 * before the next part is requested; whatever is left unread is skipped.
 */
export async function* parseMultipartForm(
	body: ReadableStream<Uint8Array>,
	boundary: string,
	opts: { maxHeaderBytes?: number } = {},
): AsyncGenerator<FormPart> {
	const maxHeaderBytes = opts.maxHeaderBytes ?? 16 * 1024;
	const delimiter = encoder.encode(`\r\n--${boundary}`);
	const reader = body.getReader();
	// A leading CRLF lets the first boundary line match the same delimiter as the others.
	let buf: Uint8Array = CRLF.slice();
	let eof = false;

	const fill = async (): Promise<boolean> => {
		if (eof) {
			return false;
		}
		const next = await reader.read();
		if (next.done) {
			eof = true;
			return false;
		}
		buf = concatBytes(buf, next.value);
		return true;
	};

	/** Next slice of the current part's body, or null at its end (the delimiter stays in `buf`). */
	const readBodyChunk = async (): Promise<Uint8Array | null> => {
		for (;;) {
			const at = indexOfBytes(buf, delimiter);
			if (at === 0) {
				return null;
			}
			if (at > 0) {
				const out = buf.subarray(0, at);
				buf = buf.subarray(at);
				return out;
			}
			const safe = buf.length - (delimiter.length - 1);
			if (safe > 0) {
				const out = buf.subarray(0, safe);
				buf = buf.subarray(safe);
				return out;
			}
			if (!(await fill())) {
				throw new MultipartFormError("Unexpected end of multipart body");
			}
		}
	};

	try {
		// Preamble: everything before the first delimiter is ignored.
		for (;;) {
			const at = indexOfBytes(buf, delimiter);
			if (at >= 0) {
				buf = buf.subarray(at);
				break;
			}
			buf = buf.subarray(Math.max(0, buf.length - (delimiter.length - 1)));
			if (!(await fill())) {
				throw new MultipartFormError("Multipart body has no boundary");
			}
		}
		for (;;) {
			// buf starts with the delimiter; "--" after it closes the body.
			while (buf.length < delimiter.length + 2) {
				if (!(await fill())) {
					throw new MultipartFormError("Unexpected end of multipart body");
				}
			}
			buf = buf.subarray(delimiter.length);
			if (buf[0] === DASH && buf[1] === DASH) {
				return;
			}
			let lineEnd = indexOfBytes(buf, CRLF);
			while (lineEnd < 0) {
				if (buf.length > 256 || !(await fill())) {
					throw new MultipartFormError("Malformed multipart boundary line");
				}
				lineEnd = indexOfBytes(buf, CRLF);
			}
			if (decoder.decode(buf.subarray(0, lineEnd)).trim() !== "") {
				throw new MultipartFormError("Malformed multipart boundary line");
			}
			buf = buf.subarray(lineEnd + 2);
			// Part headers end with an empty line; a part without headers starts with it.
			let headerText = "";
			if (!(buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a)) {
				let end = indexOfBytes(buf, CRLFCRLF);
				while (end < 0) {
					if (buf.length > maxHeaderBytes) {
						throw new MultipartFormError("Multipart part headers are too large");
					}
					if (!(await fill())) {
						throw new MultipartFormError("Unexpected end of multipart headers");
					}
					if (buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a) {
						break;
					}
					end = indexOfBytes(buf, CRLFCRLF);
				}
				if (end >= 0) {
					headerText = decoder.decode(buf.subarray(0, end));
					buf = buf.subarray(end + 4);
				} else {
					buf = buf.subarray(2);
				}
			} else {
				buf = buf.subarray(2);
			}
			const headers = new Map<string, string>();
			for (const line of headerText.split("\r\n")) {
				const colon = line.indexOf(":");
				if (colon > 0) {
					headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
				}
			}
			const disposition = headers.get("content-disposition") ?? "";
			if (!/^\s*form-data\s*(;|$)/i.test(disposition)) {
				throw new MultipartFormError("Multipart part is not form-data");
			}
			const params = dispositionParams(disposition);
			let ended = false;
			const next = async (): Promise<Uint8Array | null> => {
				if (ended) {
					return null;
				}
				const chunk = await readBodyChunk();
				if (chunk === null) {
					ended = true;
				}
				return chunk;
			};
			const chunks: AsyncIterable<Uint8Array> = {
				async *[Symbol.asyncIterator]() {
					for (let c = await next(); c !== null; c = await next()) {
						yield c;
					}
				},
			};
			yield {
				name: params.get("name") ?? "",
				filename: params.get("filename"),
				contentType: headers.get("content-type"),
				chunks,
				async text(max = 64 * 1024) {
					let out: Uint8Array = new Uint8Array(0);
					for (let c = await next(); c !== null; c = await next()) {
						if (out.length + c.length > max) {
							throw new MultipartFormError("Multipart field is too large");
						}
						out = concatBytes(out, c.slice());
					}
					return decoder.decode(out);
				},
			};
			while ((await next()) !== null) {
				// Skip what the consumer left unread.
			}
		}
	} finally {
		reader.releaseLock();
	}
}
