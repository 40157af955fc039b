import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, expectEmpty, feedback, readHistory } from "../testing/ddi-client";
import {
	givenAssignedTarget,
	givenAssignment,
	givenDistributionSet,
	givenSoftwareModule,
	givenTarget,
	testBytes,
} from "../testing/factories";

async function sha1Hex(bytes: Uint8Array): Promise<string> {
	const digest = await crypto.subtle.digest("SHA-1", bytes);
	return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Byte equality without vitest's element-wise diffing, which crawls on megabytes. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
	return a.byteLength === b.byteLength && a.every((v, i) => v === b[i]);
}

function concat(parts: Uint8Array[]): Uint8Array {
	const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
	let off = 0;
	for (const p of parts) {
		out.set(p, off);
		off += p.byteLength;
	}
	return out;
}

type Device = Awaited<ReturnType<typeof givenAssignedTarget>>;

const artifactPath = (t: Device, name = "image.swu") =>
	`${t.controllerId}/softwaremodules/${t.module.id}/artifacts/${name}`;
const download = (
	t: Device,
	init: { headers?: Record<string, string>; method?: string } = {},
	name?: string,
) => call(t.tenant, artifactPath(t, name), { token: t.token, ...init });

async function downloadEntries(actionId: number) {
	return (await readHistory(actionId)).filter((h) => h.status === "DOWNLOAD");
}

describe("GET /{tenant}/controller/v1/{controllerId}/softwaremodules/{moduleId}/artifacts/{fileName}", () => {
	it("streams the whole artifact with hawkBit's headers and logs a DOWNLOAD entry", async () => {
		const t = await givenAssignedTarget(env, { size: 300_000 });
		const res = await download(t, { headers: { Accept: "application/octet-stream" } });
		expect(res.status).toBe(200);
		expect(Object.fromEntries(res.headers)).toMatchObject({
			"content-type": "application/octet-stream",
			"content-length": "300000",
			etag: `"${t.artifact.sha1}"`,
			"accept-ranges": "bytes",
			"content-disposition": "attachment;filename=image.swu",
			"x-content-type-options": "nosniff",
			"last-modified": new Date(t.artifact.createdAt).toUTCString(),
		});
		const body = new Uint8Array(await res.arrayBuffer());
		expect(sameBytes(body, t.content)).toBe(true);
		expect(await downloadEntries(t.actionId)).toEqual([
			expect.objectContaining({
				messages: [`Update Server: Target downloads /${t.tenant}/controller/v1/${artifactPath(t)}`],
			}),
		]);
	});

	it("answers HEAD with the length and no body (SWUpdate's progress probe)", async () => {
		const t = await givenAssignedTarget(env, { size: 1234 });
		const res = await download(t, { method: "HEAD" });
		expect(res.status).toBe(200);
		expect(res.headers.get("Content-Length")).toBe("1234");
		expect(res.headers.get("ETag")).toBe(`"${t.artifact.sha1}"`);
		await expectEmpty(res);
	});

	it("resumes a broken download with Range and ends with exactly the artifact's bytes", async () => {
		const t = await givenAssignedTarget(env, { size: 1_500_000 });
		// The first attempt breaks off after a few chunks, as a dropped connection would.
		const first = await download(t);
		expect(first.status).toBe(200);
		const reader = first.body?.getReader();
		if (!reader) {
			throw new Error("no body");
		}
		const received: Uint8Array[] = [];
		let got = 0;
		while (got < 200_000) {
			const { done, value } = await reader.read();
			if (done) {
				break;
			}
			received.push(value);
			got += value.byteLength;
		}
		await reader.cancel();
		expect(got).toBeGreaterThanOrEqual(200_000);
		expect(got).toBeLessThan(1_500_000);

		// rauc / SWUpdate style resume from the first missing byte.
		const rest = await download(t, { headers: { Range: `bytes=${got}-` } });
		expect(rest.status).toBe(206);
		expect(rest.headers.get("Content-Range")).toBe(`bytes ${got}-1499999/1500000`);
		expect(rest.headers.get("Content-Length")).toBe(String(1_500_000 - got));
		received.push(new Uint8Array(await rest.arrayBuffer()));
		const whole = concat(received);
		expect(whole.byteLength).toBe(1_500_000);
		expect(await sha1Hex(whole)).toBe(t.artifact.sha1);
		expect(sameBytes(whole, t.content)).toBe(true);
		// Only the full request was logged; the range request was not.
		expect(await downloadEntries(t.actionId)).toHaveLength(1);
	});

	it("answers a single range with 206 and the exact slice, a suffix range too", async () => {
		const t = await givenAssignedTarget(env, { size: 1000 });
		const res = await download(t, { headers: { Range: "bytes=10-19" } });
		expect(res.status).toBe(206);
		expect(res.headers.get("Content-Range")).toBe("bytes 10-19/1000");
		expect(new Uint8Array(await res.arrayBuffer())).toEqual(t.content.slice(10, 20));
		const tail = await download(t, { headers: { Range: "bytes=-5" } });
		expect(tail.headers.get("Content-Range")).toBe("bytes 995-999/1000");
		expect(new Uint8Array(await tail.arrayBuffer())).toEqual(t.content.slice(995));
		const clipped = await download(t, { headers: { Range: "bytes=990-5000" } });
		expect(clipped.headers.get("Content-Range")).toBe("bytes 990-999/1000");
	});

	it("answers several ranges as multipart/byteranges with hawkBit's boundary", async () => {
		const t = await givenAssignedTarget(env, { size: 1000 });
		const res = await download(t, { headers: { Range: "bytes=500-504,0-3" } });
		expect(res.status).toBe(206);
		expect(res.headers.get("Content-Type")).toBe(
			"multipart/byteranges; boundary=THIS_STRING_SEPARATES_MULTIPART",
		);
		const body = new Uint8Array(await res.arrayBuffer());
		expect(res.headers.get("Content-Length")).toBe(String(body.byteLength));
		const enc = new TextEncoder();
		const expected = concat([
			enc.encode(
				"--THIS_STRING_SEPARATES_MULTIPART\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 0-3/1000\r\n\r\n",
			),
			t.content.slice(0, 4),
			enc.encode(
				"\r\n--THIS_STRING_SEPARATES_MULTIPART\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 500-504/1000\r\n\r\n",
			),
			t.content.slice(500, 505),
			enc.encode("\r\n--THIS_STRING_SEPARATES_MULTIPART--"),
		]);
		expect(body).toEqual(expected);
	});

	it.each(["bytes=1000-", "bytes=5-2", "bytes=0-10,5-20", "bytes=x"])(
		"answers 416 with bytes */len for %s",
		async (range) => {
			const t = await givenAssignedTarget(env, { size: 1000 });
			const res = await download(t, { headers: { Range: range } });
			expect(res.status).toBe(416);
			expect(res.headers.get("Content-Range")).toBe("bytes */1000");
			await expectEmpty(res);
		},
	);

	it("compares If-Match with the bare SHA-1: 412 for a quoted ETag or another hash", async () => {
		const t = await givenAssignedTarget(env, { size: 100 });
		expect((await download(t, { headers: { "If-Match": t.artifact.sha1 } })).status).toBe(200);
		expect((await download(t, { headers: { "If-Match": "*" } })).status).toBe(200);
		for (const value of [`"${t.artifact.sha1}"`, "0000"]) {
			const res = await download(t, { headers: { "If-Match": value } });
			expect(res.status).toBe(412);
			await expectEmpty(res);
		}
	});

	it("honours If-Range: the ETag keeps the range, an old date sends everything", async () => {
		const t = await givenAssignedTarget(env, { size: 100 });
		const same = await download(t, {
			headers: { Range: "bytes=0-9", "If-Range": `"${t.artifact.sha1}"` },
		});
		expect(same.status).toBe(206);
		const changed = await download(t, {
			headers: { Range: "bytes=0-9", "If-Range": "Thu, 01 Jan 2015 00:00:00 GMT" },
		});
		expect(changed.status).toBe(200);
		expect(new Uint8Array(await changed.arrayBuffer())).toEqual(t.content);
	});

	it("serves .MD5SUM as md5sum text and logs it", async () => {
		const t = await givenAssignedTarget(env, { size: 64 });
		const res = await download(t, {}, "image.swu.MD5SUM");
		expect(res.status).toBe(200);
		expect(res.headers.get("Content-Type")).toMatch(/^text\/plain/);
		expect(res.headers.get("Content-Disposition")).toBe("attachment;filename=image.swu.MD5SUM");
		expect(await res.text()).toBe(`${t.artifact.md5}  image.swu`);
		expect(await downloadEntries(t.actionId)).toHaveLength(1);
	});

	it("finds names with spaces through the form-encoded link it handed out", async () => {
		const t = await givenAssignedTarget(env, { size: 32, filename: "my image.swu" });
		const res = await download(t, {}, "my+image.swu");
		expect(res.status).toBe(200);
		expect(new Uint8Array(await res.arrayBuffer())).toEqual(t.content);
		expect((await download(t, {}, "my%20image.swu")).status).toBe(200);
	});

	it("answers 404 with an empty body for a file the module does not have", async () => {
		const t = await givenAssignedTarget(env, { size: 10 });
		const res = await download(t, {}, "other.swu");
		expect(res.status).toBe(404);
		await expectEmpty(res);
		expect((await download(t, {}, "other.swu.MD5SUM")).status).toBe(404);
	});

	it("never lets a crafted file name reach another tenant's or module's bytes", async () => {
		const victim = await givenAssignedTarget(env, { size: 64, filename: "secret.bin" });
		const t = await givenAssignedTarget(env, { size: 64 });
		const tricks = [
			`..%2F..%2F..%2F..%2F${victim.tenant}%2Fcontroller%2Fv1%2F${victim.controllerId}%2Fsoftwaremodules%2F${victim.module.id}%2Fartifacts%2Fsecret.bin`,
			`artifacts%2F${victim.tenant}%2F${victim.artifact.sha1}`,
			`%2E%2E%2F${victim.artifact.sha1}`,
			"secret.bin",
			"image.swu%00",
			"..%5C..%5Csecret.bin",
		];
		for (const name of tricks) {
			const res = await download(t, {}, name);
			expect(res.status, name).toBe(404);
			const bytes = new Uint8Array(await res.arrayBuffer());
			expect(bytes.byteLength === 64 && bytes.every((b, i) => b === victim.content[i])).toBe(false);
		}
		// Another tenant's module id is simply unknown here.
		const foreign = await call(
			t.tenant,
			`${t.controllerId}/softwaremodules/${victim.module.id}/artifacts/secret.bin`,
			{ token: t.token },
		);
		expect(foreign.status).toBe(404);
		expect(await foreign.json()).toMatchObject({
			errorCode: "hawkbit.server.error.repo.entityNotFound",
		});
		// Dot segments in the raw path are resolved before routing and lead nowhere.
		const dotted = await call(
			t.tenant,
			`${t.controllerId}/softwaremodules/${t.module.id}/artifacts/../../${victim.module.id}/artifacts/secret.bin`,
			{ token: t.token },
		);
		expect(dotted.status).toBe(404);
	});

	it("answers 404 'No assignment found' without an open action for the module", async () => {
		const t = await givenAssignedTarget(env, { size: 10 });
		const stranger = await givenTarget(env, { tenant: t.tenant });
		const res = await call(
			t.tenant,
			`${stranger.controllerId}/softwaremodules/${t.module.id}/artifacts/image.swu`,
			{ token: stranger.token },
		);
		expect(res.status).toBe(404);
		expect(await res.json()).toMatchObject({
			errorCode: "hawkbit.server.error.repo.entityNotFound",
			message: `No assignment found for SoftwareModule with id {${t.module.id}} to Target with id {${stranger.controllerId}}.`,
		});
	});

	it("refuses downloads of canceling and finished actions", async () => {
		const canceling = await givenAssignedTarget(env, { size: 10 });
		await env.DB.prepare("UPDATE actions SET status = 'CANCELING' WHERE id = ?")
			.bind(canceling.actionId)
			.run();
		expect((await download(canceling)).status).toBe(404);

		const done = await givenAssignedTarget(env, { size: 10 });
		await call(done.tenant, `${done.controllerId}/deploymentBase/${done.actionId}/feedback`, {
			token: done.token,
			body: feedback("closed", "success"),
		});
		expect((await download(done)).status).toBe(404);
	});

	it("answers 410 for a soft-deleted module and 500 when the binary is missing in R2", async () => {
		const deleted = await givenAssignedTarget(env, { size: 10 });
		await env.DB.prepare("UPDATE software_modules SET deleted = 1 WHERE id = ?")
			.bind(deleted.module.id)
			.run();
		const gone = await download(deleted);
		expect(gone.status).toBe(410);
		expect(await gone.json()).toMatchObject({
			errorCode: "hawkbit.server.error.artifact.binaryDeleted",
		});

		const missing = await givenAssignedTarget(env, { size: 10 });
		await env.ARTIFACTS.delete(missing.artifact.r2Key);
		const res = await download(missing);
		expect(res.status).toBe(500);
		expect(await res.json()).toMatchObject({
			errorCode: "hawkbit.server.error.artifact.loadFailed",
		});
	});

	it("answers 401 with an empty body without a token", async () => {
		const t = await givenAssignedTarget(env, { size: 10 });
		const res = await call(t.tenant, artifactPath(t));
		expect(res.status).toBe(401);
		await expectEmpty(res);
	});
});

describe("GET /{tenant}/controller/v1/{controllerId}/softwaremodules/{moduleId}/artifacts", () => {
	it("lists the module's artifacts with hashes, sizes and links", async () => {
		const t = await givenAssignedTarget(env, { size: 20 });
		const res = await call(t.tenant, `${t.controllerId}/softwaremodules/${t.module.id}/artifacts`, {
			token: t.token,
			headers: { Accept: "application/json" },
		});
		expect(res.status).toBe(200);
		const href = `https://ddi.test/${t.tenant}/controller/v1/${t.controllerId}/softwaremodules/${t.module.id}/artifacts/image.swu`;
		expect(await res.json()).toEqual([
			{
				filename: "image.swu",
				hashes: { sha1: t.artifact.sha1, md5: t.artifact.md5, sha256: t.artifact.sha256 },
				size: 20,
				_links: { "download-http": { href }, "md5sum-http": { href: `${href}.MD5SUM` } },
			},
		]);
	});

	it("still lists the artifacts of the installed action, but not of modules never assigned", async () => {
		const t = await givenAssignedTarget(env, { size: 20 });
		await call(t.tenant, `${t.controllerId}/deploymentBase/${t.actionId}/feedback`, {
			token: t.token,
			body: feedback("closed", "success"),
		});
		const listed = await call(
			t.tenant,
			`${t.controllerId}/softwaremodules/${t.module.id}/artifacts`,
			{ token: t.token },
		);
		expect(listed.status).toBe(200);
		const other = await givenSoftwareModule(env, {
			tenant: t.tenant,
			artifacts: [{ filename: "x.bin", content: testBytes(5) }],
		});
		const notMine = await call(
			t.tenant,
			`${t.controllerId}/softwaremodules/${other.id}/artifacts`,
			{
				token: t.token,
			},
		);
		expect(notMine.status).toBe(404);
		const unknown = await call(t.tenant, `${t.controllerId}/softwaremodules/424242/artifacts`, {
			token: t.token,
		});
		expect(unknown.status).toBe(404);
		expect(await unknown.json()).toMatchObject({
			message: "SoftwareModule with given identifier {424242} does not exist.",
		});
	});

	it("allows the module of any active action, e.g. after a reassignment to a DS sharing it", async () => {
		const t = await givenAssignedTarget(env, { size: 20 });
		const ds2 = await givenDistributionSet(env, { tenant: t.tenant, modules: [t.module.id] });
		await givenAssignment(env, { tenant: t.tenant, dsId: ds2.id, controllerId: t.controllerId });
		expect((await download(t)).status).toBe(200);
	});
});
