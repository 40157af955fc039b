import { describe, expect, it } from "vitest";
import { MultipartFormError, multipartBoundary, parseMultipartForm } from "./multipart-form";

const enc = new TextEncoder();

function streamOf(bytes: Uint8Array, chunkSize: number): ReadableStream<Uint8Array> {
	let pos = 0;
	return new ReadableStream({
		pull(controller) {
			if (pos >= bytes.length) {
				controller.close();
				return;
			}
			controller.enqueue(bytes.slice(pos, pos + chunkSize));
			pos += chunkSize;
		},
	});
}

function body(boundary: string, parts: { headers: string; content: Uint8Array }[]): Uint8Array {
	const pieces: Uint8Array[] = [enc.encode("preamble to ignore\r\n")];
	for (const p of parts) {
		pieces.push(enc.encode(`--${boundary}\r\n${p.headers}\r\n\r\n`), p.content, enc.encode("\r\n"));
	}
	pieces.push(enc.encode(`--${boundary}--\r\n`));
	const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
	let o = 0;
	for (const p of pieces) {
		out.set(p, o);
		o += p.length;
	}
	return out;
}

async function collect(stream: ReadableStream<Uint8Array>, boundary: string) {
	const out: { name: string; filename?: string; bytes: number[] }[] = [];
	for await (const part of parseMultipartForm(stream, boundary)) {
		const bytes: number[] = [];
		for await (const c of part.chunks) {
			bytes.push(...c);
		}
		out.push({ name: part.name, filename: part.filename, bytes });
	}
	return out;
}

describe("parseMultipartForm", () => {
	// Binary content that contains CRLFs, dashes and a near-miss of the delimiter.
	const boundary = "----UpdraftBoundary7MA4YWxk";
	const file = enc.encode(`\r\n--${boundary.slice(0, -1)}X\r\n--\r\n\u0000\u00ff data`);
	const raw = body(boundary, [
		{
			headers:
				'Content-Disposition: form-data; name="file"; filename="fw \\"v1\\".bin"\r\nContent-Type: application/octet-stream',
			content: file,
		},
		{ headers: 'Content-Disposition: form-data; name="md5sum"', content: enc.encode("abc") },
		{ headers: 'Content-Disposition: form-data; name="empty"', content: new Uint8Array(0) },
	]);

	it("yields every part with its bytes, whatever the chunking", async () => {
		for (const size of [1, 2, 3, 7, 16, 64, raw.length]) {
			const parts = await collect(streamOf(raw, size), boundary);
			expect(parts.map((p) => p.name)).toEqual(["file", "md5sum", "empty"]);
			expect(parts[0]?.filename).toBe('fw "v1".bin');
			expect(parts[0]?.bytes).toEqual([...file]);
			expect(parts[1]?.bytes).toEqual([...enc.encode("abc")]);
			expect(parts[2]?.bytes).toEqual([]);
		}
	});

	it("skips the bytes of a part the consumer did not read", async () => {
		const names: string[] = [];
		let text = "";
		for await (const part of parseMultipartForm(streamOf(raw, 5), boundary)) {
			names.push(part.name);
			if (part.name === "md5sum") {
				text = await part.text();
			}
		}
		expect(names).toEqual(["file", "md5sum", "empty"]);
		expect(text).toBe("abc");
	});

	it("rejects a body that ends before the closing boundary", async () => {
		const cut = raw.slice(0, raw.length - 30);
		await expect(collect(streamOf(cut, 9), boundary)).rejects.toBeInstanceOf(MultipartFormError);
	});

	it("rejects a body without the boundary", async () => {
		await expect(collect(streamOf(enc.encode("hello"), 2), boundary)).rejects.toBeInstanceOf(
			MultipartFormError,
		);
	});
});

describe("multipartBoundary", () => {
	it("reads quoted and bare boundaries of form-data only", () => {
		expect(multipartBoundary('multipart/form-data; boundary="a b"')).toBe("a b");
		expect(multipartBoundary("Multipart/Form-Data;boundary=xyz")).toBe("xyz");
		expect(multipartBoundary("application/json")).toBeUndefined();
		expect(multipartBoundary(undefined)).toBeUndefined();
	});
});
