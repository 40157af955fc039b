import { describe, expect, it } from "vitest";
import {
	contentDisposition,
	ifMatchSatisfied,
	ifRangeSendsAll,
	parseRanges,
} from "./serve-artifact";

describe("parseRanges", () => {
	it("parses first-last, open-ended and suffix ranges, clipping the end", () => {
		expect(parseRanges("bytes=0-9", 100)).toEqual([{ start: 0, end: 9 }]);
		expect(parseRanges("bytes=90-", 100)).toEqual([{ start: 90, end: 99 }]);
		expect(parseRanges("bytes=-10", 100)).toEqual([{ start: 90, end: 99 }]);
		expect(parseRanges("bytes=50-1000", 100)).toEqual([{ start: 50, end: 99 }]);
		expect(parseRanges("bytes=-1000", 100)).toEqual([{ start: 0, end: 99 }]);
	});

	it("orders several ranges and accepts adjacent ones", () => {
		expect(parseRanges("bytes=50-59,0-9,10-19", 100)).toEqual([
			{ start: 0, end: 9 },
			{ start: 10, end: 19 },
			{ start: 50, end: 59 },
		]);
		expect(parseRanges("bytes=0-1, 5-6", 100)).toEqual([
			{ start: 0, end: 1 },
			{ start: 5, end: 6 },
		]);
	});

	it.each([
		"bytes=100-",
		"bytes=150-160",
		"bytes=10-5",
		"bytes=-0",
		"bytes=-",
		"bytes=",
		"bytes=a-b",
		"bytes=0-10,5-20",
		"items=0-1",
		"bytes=0-1,,2-3",
	])("refuses %j for a 100-byte file", (header) => {
		expect(parseRanges(header, 100)).toBeUndefined();
	});

	it("has nothing to offer from an empty file", () => {
		expect(parseRanges("bytes=0-", 0)).toBeUndefined();
	});
});

describe("contentDisposition", () => {
	it("leaves plain names unquoted and quotes names with tspecials", () => {
		expect(contentDisposition("image.swu")).toBe("attachment;filename=image.swu");
		expect(contentDisposition("a b.swu")).toBe("attachment;filename=a b.swu");
		expect(contentDisposition("a(1).swu")).toBe('attachment;filename="a(1).swu"');
		expect(contentDisposition('say "hi"\\.bin')).toBe('attachment;filename="say \\"hi\\"\\\\.bin"');
	});

	it("truncates to 78 characters and replaces what a header cannot carry", () => {
		const long = `${"x".repeat(100)}.swu`;
		expect(contentDisposition(long)).toBe(`attachment;filename=${"x".repeat(78)}`);
		expect(contentDisposition("ü€.bin")).toBe("attachment;filename=ü?.bin");
	});
});

describe("If-Match and If-Range", () => {
	const sha1 = "2d86c2a659e364e9abba49ea6ffcd53dd5559f05";

	it("matches the bare SHA-1 or *, never the quoted ETag", () => {
		expect(ifMatchSatisfied(null, sha1)).toBe(true);
		expect(ifMatchSatisfied(sha1, sha1)).toBe(true);
		expect(ifMatchSatisfied(`abc, ${sha1}`, sha1)).toBe(true);
		expect(ifMatchSatisfied("*", sha1)).toBe(true);
		expect(ifMatchSatisfied(`"${sha1}"`, sha1)).toBe(false);
		expect(ifMatchSatisfied("deadbeef", sha1)).toBe(false);
	});

	it("sends the whole file unless If-Range is the ETag or a date not older than Last-Modified", () => {
		const lastModified = Date.parse("2026-01-01T10:00:00.500Z");
		const etag = `"${sha1}"`;
		expect(ifRangeSendsAll(null, etag, lastModified)).toBe(false);
		expect(ifRangeSendsAll(etag, etag, lastModified)).toBe(false);
		expect(ifRangeSendsAll('"other"', etag, lastModified)).toBe(true);
		expect(ifRangeSendsAll(`W/${etag}`, etag, lastModified)).toBe(true);
		// The Last-Modified header itself (second precision) still counts as "unchanged".
		expect(ifRangeSendsAll(new Date(lastModified).toUTCString(), etag, lastModified)).toBe(false);
		expect(ifRangeSendsAll("Wed, 31 Dec 2025 10:00:00 GMT", etag, lastModified)).toBe(true);
		expect(ifRangeSendsAll("Fri, 02 Jan 2026 10:00:00 GMT", etag, lastModified)).toBe(false);
	});
});
