/**
 * Streams an artifact's bytes from R2 the way hawkBit's FileStreamingUtil does: strong ETag of the bare
 * SHA-1, If-Match against that bare value, Range (one range → 206 + Content-Range, several →
 * multipart/byteranges), 416 with `bytes *\/len`, If-Range, Content-Disposition with RFC 2183 truncation
 * and quoting, HEAD without reading R2. Used by the DDI download and by the management download.
 *
 * Deliberate differences from hawkBit: optional whitespace after the commas of a Range list is accepted
 * (RFC 9110), a suffix range longer than the file starts at 0 instead of failing, and If-Range dates are
 * compared at the one-second precision an HTTP date has (hawkBit compares against milliseconds, so a
 * client echoing Last-Modified nearly always got the full body).
 */
import { DomainError } from "../../shared/errors";

/** What serving needs to know of an artifact row. */
export type ServableArtifact = {
	filename: string;
	sha1: string;
	size: number;
	/** Epoch ms; becomes Last-Modified. */
	createdAt: number;
	/** Where the bytes are in R2 (from D1, never from the request URL). */
	r2Key: string;
};

export const MULTIPART_BOUNDARY = "THIS_STRING_SEPARATES_MULTIPART";
const CRLF = "\r\n";
const TSPECIALS = '()<>@,;:\\"/[]?=';

/** A byte range, both ends inclusive. */
export type ByteRange = { start: number; end: number };

/**
 * `Content-Disposition` value: `attachment;filename=<name>`, the name cut to 78 characters (RFC 2183) and
 * quoted (with `"` and `\` escaped) only if it contains tspecials. Characters a header cannot carry
 * become `?`, as a servlet container writing ISO-8859-1 does.
 */
export function contentDisposition(filename: string): string {
	const cut = filename.length > 78 ? filename.slice(0, 78) : filename;
	// Quoting is decided on the real name; only then are unsendable characters replaced.
	const name = headerSafe(cut);
	if ([...cut].some((ch) => TSPECIALS.includes(ch))) {
		return `attachment;filename="${name.replace(/["\\]/g, (c) => `\\${c}`)}"`;
	}
	return `attachment;filename=${name}`;
}

function headerSafe(text: string): string {
	return [...text]
		.map((ch) => {
			const code = ch.codePointAt(0) ?? 0;
			return code < 0x20 || code === 0x7f || code > 0xff ? "?" : ch;
		})
		.join("");
}

/** hawkBit: HttpUtil#matchesHttpHeader — a comma list of bare values or `*`; a quoted ETag does NOT match. */
export function ifMatchSatisfied(header: string | null, sha1: string): boolean {
	if (header === null) {
		return true;
	}
	return header.split(",").some((chunk) => {
		const v = chunk.trim();
		return v === sha1 || v === "*";
	});
}

/**
 * Parses `Range: bytes=…` for a file of `length` bytes: ordered, non-overlapping, end clipped to the
 * file. `undefined` = not satisfiable (malformed, start past the end, start > end, overlapping) → 416.
 */
export function parseRanges(header: string, length: number): ByteRange[] | undefined {
	const match = /^bytes=(.*)$/.exec(header);
	if (!match?.[1]) {
		return undefined;
	}
	const parts = match[1].split(/\s*,\s*/);
	const ranges: ByteRange[] = [];
	for (const part of parts) {
		const m = /^(\d*)-(\d*)$/.exec(part);
		if (!m) {
			return undefined;
		}
		const [, first = "", last = ""] = m;
		let start: number;
		let end: number;
		if (first === "") {
			if (last === "") {
				return undefined;
			}
			start = Math.max(0, length - Number(last));
			end = length - 1;
		} else {
			start = Number(first);
			end = last === "" ? length - 1 : Math.min(Number(last), length - 1);
		}
		if (!Number.isSafeInteger(start) || start > end) {
			return undefined;
		}
		ranges.push({ start, end });
	}
	ranges.sort((a, b) => a.start - b.start);
	let pos = 0;
	for (const r of ranges) {
		if (pos > r.start) {
			return undefined;
		}
		pos = r.end + 1;
	}
	return ranges;
}

/**
 * hawkBit's If-Range rule: send the whole file when If-Range is neither the ETag nor a date at or after
 * Last-Modified (an unparsable value also means "whole file").
 */
export function ifRangeSendsAll(
	header: string | null,
	etag: string,
	lastModified: number,
): boolean {
	if (header === null || header === etag) {
		return false;
	}
	const date = Date.parse(header);
	if (Number.isNaN(date) || !/[a-z]{3}/i.test(header)) {
		return true;
	}
	return date < Math.floor(lastModified / 1000) * 1000;
}

function contentRange(r: ByteRange, length: number): string {
	return `bytes ${r.start}-${r.end}/${length}`;
}

function baseHeaders(a: ServableArtifact, cacheControl: string | undefined): Headers {
	const h = new Headers();
	if (cacheControl) {
		h.set("Cache-Control", cacheControl);
	}
	h.set("Content-Disposition", contentDisposition(a.filename));
	if (a.createdAt > 0) {
		h.set("Last-Modified", new Date(a.createdAt).toUTCString());
	}
	h.set("ETag", `"${a.sha1}"`);
	h.set("Accept-Ranges", "bytes");
	h.set("Content-Type", "application/octet-stream");
	// Browsers must not sniff artifacts into something executable.
	h.set("X-Content-Type-Options", "nosniff");
	return h;
}

/**
 * Reads an artifact's bytes: the whole file, or one range. Throws DomainError `artifact.loadFailed` when
 * the bytes are gone. The default reads R2; workers/artifacts/artifact-cache.ts puts the Cache API first.
 */
export type ArtifactByteSource = (range?: ByteRange) => Promise<ReadableStream<Uint8Array>>;

/** Reads straight from R2, one (ranged) GET per call. */
export function r2ByteSource(bucket: R2Bucket, key: string): ArtifactByteSource {
	return async (r) => {
		const object = await bucket.get(
			key,
			r ? { range: { offset: r.start, length: r.end - r.start + 1 } } : undefined,
		);
		if (!object) {
			throw new DomainError(
				"artifact.loadFailed",
				`The artifact binary ${key} could not be loaded`,
			);
		}
		return object.body;
	};
}

export type ServeOptions = {
	/** Where the bytes come from (default: R2 at `r2Key`). */
	source?: ArtifactByteSource;
	/** `Cache-Control` of the answer; none by default (hawkBit sends none). */
	cacheControl?: string;
};

/** Whether this request is a plain full download (what hawkBit logs as a DOWNLOAD entry). */
export function isFullDownload(req: Request): boolean {
	return req.headers.get("Range") === null;
}

/**
 * Answers a GET or HEAD for the artifact. The caller has already checked that the requester may have it.
 * Streams from the byte source (R2 unless `opts.source` says otherwise): nothing is buffered, a range
 * costs one ranged read per part.
 */
export async function serveArtifact(
	req: Request,
	bucket: R2Bucket,
	a: ServableArtifact,
	opts: ServeOptions = {},
): Promise<Response> {
	if (!ifMatchSatisfied(req.headers.get("If-Match"), a.sha1)) {
		return new Response(null, { status: 412 });
	}
	const read = opts.source ?? r2ByteSource(bucket, a.r2Key);
	const headers = baseHeaders(a, opts.cacheControl);
	const isGet = req.method === "GET";
	const rangeHeader = isGet ? req.headers.get("Range") : null;
	let ranges: ByteRange[] = [];
	if (
		rangeHeader !== null &&
		!ifRangeSendsAll(req.headers.get("If-Range"), `"${a.sha1}"`, a.createdAt)
	) {
		const parsed = parseRanges(rangeHeader, a.size);
		if (!parsed) {
			headers.set("Content-Range", `bytes */${a.size}`);
			return new Response(null, { status: 416, headers });
		}
		ranges = parsed;
	}

	if (ranges.length === 0) {
		headers.set("Content-Length", String(a.size));
		if (!isGet) {
			return new Response(null, { status: 200, headers });
		}
		return new Response(await read(), { status: 200, headers });
	}

	if (ranges.length === 1) {
		const [r] = ranges as [ByteRange];
		const body = await read(r);
		headers.set("Content-Range", contentRange(r, a.size));
		headers.set("Content-Length", String(r.end - r.start + 1));
		return new Response(body, { status: 206, headers });
	}

	// multipart/byteranges as hawkBit writes it (RFC 2046, no preamble/epilogue): the first part opens
	// with the dash-boundary, the others with CRLF + dash-boundary, and the body ends with the close
	// delimiter and no trailing CRLF.
	const encoder = new TextEncoder();
	const partHeads = ranges.map((r, i) =>
		encoder.encode(
			`${i === 0 ? "" : CRLF}--${MULTIPART_BOUNDARY}${CRLF}Content-Type: application/octet-stream${CRLF}Content-Range: ${contentRange(r, a.size)}${CRLF}${CRLF}`,
		),
	);
	const closing = encoder.encode(`${CRLF}--${MULTIPART_BOUNDARY}--`);
	const total =
		partHeads.reduce((n, h) => n + h.byteLength, 0) +
		ranges.reduce((n, r) => n + r.end - r.start + 1, 0) +
		closing.byteLength;
	// Fail before the 206 is committed if the binary is gone.
	const first = await read(ranges[0]);
	const { readable, writable } = new FixedLengthStream(total);
	const write = async () => {
		const writer = writable.getWriter();
		try {
			for (const [i, r] of ranges.entries()) {
				await writer.write(partHeads[i] as Uint8Array);
				const part = i === 0 ? first : await read(r);
				const reader = part.getReader();
				for (;;) {
					const { done, value } = await reader.read();
					if (done) {
						break;
					}
					await writer.write(value);
				}
			}
			await writer.write(closing);
			await writer.close();
		} catch (err) {
			await writer.abort(err);
		}
	};
	headers.set("Content-Type", `multipart/byteranges; boundary=${MULTIPART_BOUNDARY}`);
	headers.set("Content-Length", String(total));
	const response = new Response(readable, { status: 206, headers });
	// The writer runs while the response streams; awaiting it here would deadlock on backpressure.
	write();
	return response;
}

/** The `.MD5SUM` answer: `"<md5>  <file>"` (two spaces, no newline), as text/plain. */
export function md5SumResponse(md5: string, filename: string, method: string): Response {
	const body = new TextEncoder().encode(`${md5}  ${filename}`);
	const headers = new Headers({
		"Content-Type": "text/plain",
		"Content-Length": String(body.byteLength),
		// hawkBit writes this name unquoted and uncut.
		"Content-Disposition": `attachment;filename=${headerSafe(filename)}.MD5SUM`,
	});
	return new Response(method === "HEAD" ? null : body, { status: 200, headers });
}
