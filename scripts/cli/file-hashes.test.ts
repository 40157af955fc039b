import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { choosePartSize } from "./artifact-upload";
import { ArtifactHasher, compareHashes, hashFile } from "./file-hashes";
import { parseDuration, parseSize } from "./units";

describe("hashFile / ArtifactHasher", () => {
	it("computes the MD5, SHA-1 and SHA-256 node:crypto computes, in one pass", async () => {
		const bytes = randomBytes(3 * 1024 * 1024 + 17);
		const path = join(mkdtempSync(join(tmpdir(), "updraft-hash-")), "a.bin");
		writeFileSync(path, bytes);
		const seen: number[] = [];
		const h = await hashFile(path, (n) => seen.push(n));
		assert.equal(h.size, bytes.length);
		assert.equal(h.md5, createHash("md5").update(bytes).digest("hex"));
		assert.equal(h.sha1, createHash("sha1").update(bytes).digest("hex"));
		assert.equal(h.sha256, createHash("sha256").update(bytes).digest("hex"));
		assert.equal(seen.at(-1), bytes.length);
	});

	it("gives the same digests when fed in pieces", () => {
		const bytes = randomBytes(1000);
		const whole = new ArtifactHasher();
		whole.update(bytes);
		const pieces = new ArtifactHasher();
		pieces.update(bytes.subarray(0, 1));
		pieces.update(bytes.subarray(1, 600));
		pieces.update(bytes.subarray(600));
		assert.deepEqual(pieces.digest(), whole.digest());
		assert.equal(pieces.bytes, 1000);
	});
});

describe("compareHashes", () => {
	const local = { md5: "aa", sha1: "bb", sha256: "cc", size: 3 };

	it("accepts equal values regardless of hex case and skips hashes the server did not report", () => {
		assert.deepEqual(compareHashes(local, { md5: "AA", sha1: "bb", size: 3 }), []);
	});

	it("names every field that differs", () => {
		const m = compareHashes(local, { md5: "aa", sha1: "xx", sha256: "yy", size: 4 });
		assert.deepEqual(
			m.map((x) => x.field),
			["sha1", "sha256", "size"],
		);
	});
});

describe("choosePartSize", () => {
	it("raises the wanted size to the server minimum and to its part-count limit", () => {
		assert.equal(choosePartSize(100, 1, { minPartSize: 5, maxPartNumber: 10_000 }), 5);
		assert.equal(choosePartSize(1000, 16, { minPartSize: 5, maxPartNumber: 10 }), 100);
		assert.equal(choosePartSize(1000, 64, { minPartSize: 5, maxPartNumber: 10_000 }), 64);
	});
});

describe("units", () => {
	it("parses sizes", () => {
		assert.equal(parseSize("64MiB"), 64 * 1024 * 1024);
		assert.equal(parseSize("5M"), 5 * 1024 * 1024);
		assert.equal(parseSize("512KiB"), 512 * 1024);
		assert.equal(parseSize("1000"), 1000);
		assert.throws(() => parseSize("lots"));
	});

	it("parses durations", () => {
		assert.equal(parseDuration("1500ms"), 1500);
		assert.equal(parseDuration("2s"), 2000);
		assert.equal(parseDuration("5m"), 300_000);
		assert.equal(parseDuration("1h"), 3_600_000);
		assert.equal(parseDuration("3"), 3000);
		assert.throws(() => parseDuration("soon"));
	});
});
