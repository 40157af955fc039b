/**
 * Signed, expiring download links (issue 5 item 2) and the Cache API in front of R2 (item 1), through the
 * Worker's real entry point. Zero-D1 proofs call the default export with the real bindings, except that
 * `DB` is the real local D1 wrapped in the metering proxy of the DDI-edge conformance tests.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { artifactKey } from "../../shared/artifacts/keys";
import { signedLinkExpiry } from "../../shared/domain/download-links";
import { setTenantConfig } from "../../shared/tenant-config";
import { meterD1 } from "../ddi/conformance/d1-meter";
import worker from "../index";
import { call, feedback } from "../testing/ddi-client";
import {
	givenAssignedTarget,
	givenSoftwareModule,
	givenTenant,
	testBytes,
} from "../testing/factories";
import { forgetArtifactCacheMemo } from "./artifact-cache";
import { signDownload, signedDownloadPath } from "./download-signature";
import { MULTIPART_BOUNDARY } from "./serve-artifact";

const SECRET = "test-signing-key";
const SIGNED = { "download.signedUrls.enabled": true };

type Links = Record<string, { href: string }>;
type Device = Awaited<ReturnType<typeof givenAssignedTarget>>;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
	return a.byteLength === b.byteLength && a.every((v, i) => v === b[i]);
}

/** Calls the Worker and waits for its background work (cache fills) before returning. */
async function fetchWorker(
	url: string,
	init: RequestInit = {},
	bindings: Env = env,
): Promise<{ res: Response; body: Uint8Array }> {
	const ctx = createExecutionContext();
	const res = await worker.fetch(new Request(url, init), bindings, ctx);
	const body = new Uint8Array(await res.arrayBuffer());
	await waitOnExecutionContext(ctx);
	return { res, body };
}

async function deploymentLinks(t: Device): Promise<Links> {
	const res = await call(t.tenant, `${t.controllerId}/deploymentBase/${t.actionId}`, {
		token: t.token,
	});
	expect(res.status).toBe(200);
	const body = (await res.json()) as {
		deployment: { chunks: { artifacts: { _links: Links }[] }[] };
	};
	const links = body.deployment.chunks[0]?.artifacts[0]?._links;
	if (!links) {
		throw new Error("no artifact links");
	}
	return links;
}

/** A signed link as the Worker would hand it out, with any part overridden. */
async function signedUrl(
	o: { tenant: string; sha1: string; filename: string; expires?: number },
	tamper: (path: string) => string = (p) => p,
): Promise<string> {
	const grant = {
		tenant: o.tenant,
		sha1: o.sha1,
		filename: o.filename,
		expires: o.expires ?? Math.floor(Date.now() / 1000) + 600,
	};
	return `https://ddi.test${tamper(signedDownloadPath(grant, await signDownload(SECRET, grant)))}`;
}

describe("deploymentBase links with download.signedUrls.enabled", () => {
	it("offers one signed link as download and download-http, keeps md5sum-http, and is stable", async () => {
		const t = await givenAssignedTarget(env, { config: SIGNED });
		const links = await deploymentLinks(t);
		const href = links.download?.href ?? "";
		expect(href).toMatch(
			new RegExp(
				`^https://ddi\\.test/dl/${t.tenant}/${t.artifact.sha1}/\\d+/[A-Za-z0-9_-]{43}/image\\.swu$`,
			),
		);
		expect(links["download-http"]?.href).toBe(href);
		expect(links["md5sum-http"]?.href).toBe(
			`https://ddi.test/${t.tenant}/controller/v1/${t.controllerId}/softwaremodules/${t.module.id}/artifacts/image.swu.MD5SUM`,
		);
		const expires = Number(href.split("/")[6]);
		const now = Date.now() / 1000;
		expect(expires).toBeGreaterThanOrEqual(now + 3600);
		expect(expires).toBeLessThanOrEqual(now + 3600 + 360 + 1);
		// Same step → same URL, so the deploymentBase ETag and a CDN's cache key stay put.
		expect((await deploymentLinks(t)).download?.href).toBe(href);
	});

	it("keeps hawkBit's links when the tenant has not turned signed links on", async () => {
		const t = await givenAssignedTarget(env);
		const links = await deploymentLinks(t);
		expect(Object.keys(links).sort()).toEqual(["download-http", "md5sum-http"]);
		expect(links["download-http"]?.href).toContain("/controller/v1/");
	});

	it("signs no link for an installed (finished) action, whose download DDI refuses", async () => {
		const t = await givenAssignedTarget(env, { config: SIGNED });
		await call(t.tenant, `${t.controllerId}/deploymentBase/${t.actionId}/feedback`, {
			token: t.token,
			body: feedback("closed", "success"),
		});
		const res = await call(t.tenant, `${t.controllerId}/installedBase/${t.actionId}`, {
			token: t.token,
		});
		const body = (await res.json()) as {
			deployment: { chunks: { artifacts: { _links: Links }[] }[] };
		};
		const links = body.deployment.chunks[0]?.artifacts[0]?._links ?? {};
		expect(links.download).toBeUndefined();
		expect(links["download-http"]?.href).toContain("/controller/v1/");
		const list = await call(
			t.tenant,
			`${t.controllerId}/softwaremodules/${t.module.id}/artifacts`,
			{ token: t.token },
		);
		const listed = (await list.json()) as { _links: Links }[];
		expect(listed[0]?._links.download).toBeUndefined();
	});

	it("signs the links of the artifact list of an open action's module", async () => {
		const t = await givenAssignedTarget(env, { config: SIGNED });
		const res = await call(t.tenant, `${t.controllerId}/softwaremodules/${t.module.id}/artifacts`, {
			token: t.token,
		});
		const listed = (await res.json()) as { _links: Links }[];
		const href = listed[0]?._links.download?.href ?? "";
		expect(href).toContain(`/dl/${t.tenant}/${t.artifact.sha1}/`);
		const { res: dl, body } = await fetchWorker(href);
		expect(dl.status).toBe(200);
		expect(sameBytes(body, t.content)).toBe(true);
	});

	it("offers no signed link when the Worker has no DOWNLOAD_SIGNING_KEY", async () => {
		const t = await givenAssignedTarget(env, { config: SIGNED });
		const { res, body } = await fetchWorker(
			`https://ddi.test/${t.tenant}/controller/v1/${t.controllerId}/deploymentBase/${t.actionId}`,
			{ headers: { Authorization: `TargetToken ${t.token}` } },
			{ ...env, DOWNLOAD_SIGNING_KEY: undefined },
		);
		expect(res.status).toBe(200);
		const parsed = JSON.parse(new TextDecoder().decode(body)) as {
			deployment: { chunks: { artifacts: { _links: Links }[] }[] };
		};
		expect(parsed.deployment.chunks[0]?.artifacts[0]?._links.download).toBeUndefined();
	});
});

describe("deploymentBase links with download.cdn.urlPattern", () => {
	it("fills hawkBit's placeholders into rel download, the file name form-encoded", async () => {
		const t = await givenAssignedTarget(env, {
			filename: "my image+1.swu",
			config: {
				"download.cdn.urlPattern":
					"https://cdn.example.com/{tenant}/{controllerId}/{softwareModuleId}/{artifactSHA1}/{artifactFileName}",
			},
		});
		const links = await deploymentLinks(t);
		expect(links.download?.href).toBe(
			`https://cdn.example.com/${t.tenant}/${t.controllerId}/${t.module.id}/${t.artifact.sha1}/my+image%2B1.swu`,
		);
		expect(links["download-http"]?.href).toBe(
			`https://ddi.test/${t.tenant}/controller/v1/${t.controllerId}/softwaremodules/${t.module.id}/artifacts/my+image%2B1.swu`,
		);
	});

	it("takes rel download over a signed link, which then stays download-http", async () => {
		const t = await givenAssignedTarget(env, {
			config: { ...SIGNED, "download.cdn.urlPattern": "https://cdn.example.com/{artifactSHA1}" },
		});
		const links = await deploymentLinks(t);
		expect(links.download?.href).toBe(`https://cdn.example.com/${t.artifact.sha1}`);
		expect(links["download-http"]?.href).toContain(`/dl/${t.tenant}/`);
	});

	it("refuses patterns with unknown placeholders or that are not http(s) URLs", async () => {
		const tenant = await givenTenant(env);
		for (const bad of [
			"https://cdn/{nope}",
			"cdn.example.com/{artifactSHA1}",
			"ftp://x/{tenant}",
		]) {
			await expect(
				setTenantConfig(env, tenant, "download.cdn.urlPattern", bad),
			).rejects.toMatchObject({
				code: "configValueInvalid",
			});
		}
		for (const bad of ["00:00:10", "P8D", "soon"]) {
			await expect(
				setTenantConfig(env, tenant, "download.signedUrls.ttl", bad),
			).rejects.toMatchObject({
				code: "configValueInvalid",
			});
		}
		await setTenantConfig(env, tenant, "download.signedUrls.ttl", "P7D");
	});
});

describe("GET /dl/{tenant}/{sha1}/{expires}/{signature}/{fileName}", () => {
	it("serves the bytes with hawkBit's headers and a shared-cacheable lifetime bounded by the expiry", async () => {
		const t = await givenAssignedTarget(env, { config: SIGNED, size: 200_000 });
		const href = (await deploymentLinks(t)).download?.href ?? "";
		const { res, body } = await fetchWorker(href);
		expect(res.status).toBe(200);
		expect(Object.fromEntries(res.headers)).toMatchObject({
			"content-type": "application/octet-stream",
			"content-length": "200000",
			etag: `"${t.artifact.sha1}"`,
			"accept-ranges": "bytes",
			"content-disposition": "attachment;filename=image.swu",
			"x-content-type-options": "nosniff",
		});
		const maxAge = Number(/max-age=(\d+)/.exec(res.headers.get("Cache-Control") ?? "")?.[1]);
		const expires = Number(href.split("/")[6]);
		expect(res.headers.get("Cache-Control")).toMatch(/^public, max-age=\d+, immutable$/);
		expect(maxAge).toBeGreaterThan(3500);
		expect(maxAge).toBeLessThanOrEqual(expires - Math.floor(Date.now() / 1000) + 1);
		expect(sameBytes(body, t.content)).toBe(true);
	});

	it("answers HEAD, single and multiple ranges, If-Match, If-Range and 416 like the DDI download", async () => {
		const t = await givenAssignedTarget(env, { config: SIGNED, size: 10_000 });
		const href = (await deploymentLinks(t)).download?.href ?? "";
		const head = await fetchWorker(href, { method: "HEAD" });
		expect(head.res.status).toBe(200);
		expect(head.res.headers.get("Content-Length")).toBe("10000");
		expect(head.body.byteLength).toBe(0);

		const one = await fetchWorker(href, { headers: { Range: "bytes=100-199" } });
		expect(one.res.status).toBe(206);
		expect(one.res.headers.get("Content-Range")).toBe("bytes 100-199/10000");
		expect(sameBytes(one.body, t.content.slice(100, 200))).toBe(true);

		const suffix = await fetchWorker(href, { headers: { Range: "bytes=-10" } });
		expect(suffix.res.headers.get("Content-Range")).toBe("bytes 9990-9999/10000");
		expect(sameBytes(suffix.body, t.content.slice(9990))).toBe(true);

		const multi = await fetchWorker(href, { headers: { Range: "bytes=0-1,5000-5002" } });
		expect(multi.res.status).toBe(206);
		expect(multi.res.headers.get("Content-Type")).toBe(
			`multipart/byteranges; boundary=${MULTIPART_BOUNDARY}`,
		);
		const text = new TextDecoder("latin1").decode(multi.body);
		expect(text).toContain("Content-Range: bytes 0-1/10000");
		expect(text).toContain("Content-Range: bytes 5000-5002/10000");
		expect(text.endsWith(`--${MULTIPART_BOUNDARY}--`)).toBe(true);

		const unsatisfiable = await fetchWorker(href, { headers: { Range: "bytes=20000-" } });
		expect(unsatisfiable.res.status).toBe(416);
		expect(unsatisfiable.res.headers.get("Content-Range")).toBe("bytes */10000");

		const quoted = await fetchWorker(href, { headers: { "If-Match": `"${t.artifact.sha1}"` } });
		expect(quoted.res.status).toBe(412);
		const bare = await fetchWorker(href, { headers: { "If-Match": t.artifact.sha1 } });
		expect(bare.res.status).toBe(200);

		const keep = await fetchWorker(href, {
			headers: { Range: "bytes=0-9", "If-Range": `"${t.artifact.sha1}"` },
		});
		expect(keep.res.status).toBe(206);
		const all = await fetchWorker(href, {
			headers: { Range: "bytes=0-9", "If-Range": "Thu, 01 Jan 1970 00:00:00 GMT" },
		});
		expect(all.res.status).toBe(200);
		expect(all.body.byteLength).toBe(10_000);
	});

	it("resumes a broken download with Range and ends with exactly the artifact's bytes", async () => {
		const t = await givenAssignedTarget(env, { config: SIGNED, size: 1_000_000 });
		const href = (await deploymentLinks(t)).download?.href ?? "";
		const res = await worker.fetch(new Request(href), env, createExecutionContext());
		const reader = res.body?.getReader();
		const parts: Uint8Array[] = [];
		let got = 0;
		while (reader && got < 300_000) {
			const { done, value } = await reader.read();
			if (done) {
				break;
			}
			parts.push(value);
			got += value.byteLength;
		}
		await reader?.cancel();
		const rest = await fetchWorker(href, { headers: { Range: `bytes=${got}-` } });
		expect(rest.res.status).toBe(206);
		expect(rest.res.headers.get("Content-Range")).toBe(`bytes ${got}-999999/1000000`);
		const whole = new Uint8Array(1_000_000);
		let off = 0;
		for (const p of [...parts, rest.body]) {
			whole.set(p, off);
			off += p.byteLength;
		}
		expect(off).toBe(1_000_000);
		expect(sameBytes(whole, t.content)).toBe(true);
	});

	it("makes zero D1 queries for GET, ranges and HEAD", async () => {
		const t = await givenAssignedTarget(env, { config: SIGNED, size: 50_000 });
		const href = (await deploymentLinks(t)).download?.href ?? "";
		forgetArtifactCacheMemo();
		const meter = meterD1(env.DB);
		const metered = { ...env, DB: meter.db };
		const requests: RequestInit[] = [
			{},
			{ headers: { Range: "bytes=10-20" } },
			{ headers: { Range: "bytes=0-0,-1" } },
			{ method: "HEAD" },
			{},
		];
		for (const init of requests) {
			const { res } = await fetchWorker(href, init, metered);
			expect(res.status).toBeLessThan(300);
		}
		expect(meter.statements).toEqual([]);
	});

	it("refuses tampered signatures, file names, hashes, expiries and tenants with 403", async () => {
		const t = await givenAssignedTarget(env, { config: SIGNED });
		const other = await givenSoftwareModule(env, {
			tenant: t.tenant,
			artifacts: [{ filename: "other.bin", content: testBytes(64, 7) }],
		});
		const otherSha1 = other.artifacts[0]?.sha1 ?? "";
		const base = { tenant: t.tenant, sha1: t.artifact.sha1, filename: "image.swu" };
		const good = await signedUrl(base);
		expect((await fetchWorker(good)).res.status).toBe(200);
		const swap = (from: string, to: string) => (p: string) => p.replace(from, to);
		const tampered = [
			await signedUrl(base, (p) =>
				p.replace(
					/\/([A-Za-z0-9_-]{43})\//,
					(_m, s: string) => `/${s[0] === "A" ? "B" : "A"}${s.slice(1)}/`,
				),
			),
			await signedUrl(base, swap("/image.swu", "/evil.exe")),
			await signedUrl(base, swap(t.artifact.sha1, otherSha1)),
			await signedUrl(base, (p) =>
				p.replace(/\/(\d+)\//, (_m, e: string) => `/${Number(e) + 3600}/`),
			),
			await signedUrl(base, swap(`/dl/${t.tenant}/`, `/dl/${t.tenant.toLowerCase()}/`)),
			await signedUrl(base, swap(`/dl/${t.tenant}/`, "/dl/OTHER/")),
			await signedUrl(base, (p) => p.replace(/\/([A-Za-z0-9_-]{43})\//, "/short/")),
		];
		for (const url of tampered) {
			const { res, body } = await fetchWorker(url);
			expect({ url, status: res.status, length: body.byteLength }).toEqual({
				url,
				status: 403,
				length: 0,
			});
		}
	});

	it("refuses an expired link with 403 and accepts it until then", async () => {
		const t = await givenAssignedTarget(env, { config: SIGNED });
		const now = Math.floor(Date.now() / 1000);
		const base = { tenant: t.tenant, sha1: t.artifact.sha1, filename: "image.swu" };
		const past = await fetchWorker(await signedUrl({ ...base, expires: now - 1 }));
		expect(past.res.status).toBe(403);
		expect(past.body.byteLength).toBe(0);
		const soon = await fetchWorker(await signedUrl({ ...base, expires: now + 5 }));
		expect(soon.res.status).toBe(200);
	});

	it("gives a link of one tenant nothing of another tenant's bytes (404), even when correctly signed", async () => {
		const a = await givenAssignedTarget(env, { config: SIGNED });
		const b = await givenTenant(env);
		// Correctly signed for tenant B, but the bytes only exist under tenant A's key.
		const { res } = await fetchWorker(
			await signedUrl({ tenant: b, sha1: a.artifact.sha1, filename: "image.swu" }),
		);
		expect(res.status).toBe(404);
	});

	it("answers 404 for bytes that are gone, and hawkBit's 500 body when they vanish mid-way", async () => {
		const t = await givenAssignedTarget(env, { config: SIGNED });
		const href = (await deploymentLinks(t)).download?.href ?? "";
		forgetArtifactCacheMemo();
		// HEAD reads the metadata (memoised in the isolate) but no bytes, so nothing is cached.
		expect((await fetchWorker(href, { method: "HEAD" })).res.status).toBe(200);
		await env.ARTIFACTS.delete(artifactKey(t.tenant, t.artifact.sha1));
		const vanished = await fetchWorker(href);
		expect(vanished.res.status).toBe(500);
		expect(JSON.parse(new TextDecoder().decode(vanished.body))).toMatchObject({
			errorCode: "hawkbit.server.error.artifact.loadFailed",
		});
		forgetArtifactCacheMemo();
		expect((await fetchWorker(href)).res.status).toBe(404);
	});

	it("answers 404 without a DOWNLOAD_SIGNING_KEY, whatever the link", async () => {
		const t = await givenAssignedTarget(env, { config: SIGNED });
		const url = await signedUrl({ tenant: t.tenant, sha1: t.artifact.sha1, filename: "image.swu" });
		const { res } = await fetchWorker(url, {}, { ...env, DOWNLOAD_SIGNING_KEY: undefined });
		expect(res.status).toBe(404);
	});

	it("leaves other /dl paths to the app, so a tenant called DL keeps its device API", async () => {
		const tenant = await givenTenant(env, { name: "dl" });
		const t = await givenAssignedTarget(env, { tenant });
		const res = await call("dl", `${t.controllerId}/deploymentBase/${t.actionId}`, {
			token: t.token,
		});
		expect(res.status).toBe(200);
		expect((await fetchWorker("https://ddi.test/dl/not/a/link")).res.status).toBe(404);
	});

	it("keeps names with spaces, plus signs and non-ASCII intact through the link", async () => {
		const filename = "Ŝigné image+v1 (final).swu";
		const t = await givenAssignedTarget(env, { config: SIGNED, filename });
		const href = (await deploymentLinks(t)).download?.href ?? "";
		const { res, body } = await fetchWorker(href);
		expect(res.status).toBe(200);
		expect(res.headers.get("Content-Disposition")).toMatch(/ image\+v1 \(final\)\.swu"$/);
		expect(sameBytes(body, t.content)).toBe(true);
	});
});

describe("Cache API in front of R2", () => {
	it("serves a signed link's full body and ranges from the location's cache once filled", async () => {
		const t = await givenAssignedTarget(env, { config: SIGNED, size: 70_000 });
		const href = (await deploymentLinks(t)).download?.href ?? "";
		forgetArtifactCacheMemo();
		// First download: from R2, and the cache is filled in the background.
		expect((await fetchWorker(href)).res.status).toBe(200);
		// The bytes leave R2; the cache alone must now answer, metadata included.
		await env.ARTIFACTS.delete(artifactKey(t.tenant, t.artifact.sha1));
		forgetArtifactCacheMemo();
		const full = await fetchWorker(href);
		expect(full.res.status).toBe(200);
		expect(sameBytes(full.body, t.content)).toBe(true);
		const range = await fetchWorker(href, { headers: { Range: "bytes=69990-" } });
		expect(range.res.status).toBe(206);
		expect(range.res.headers.get("Content-Range")).toBe("bytes 69990-69999/70000");
		expect(sameBytes(range.body, t.content.slice(69_990))).toBe(true);
		const multi = await fetchWorker(href, { headers: { Range: "bytes=0-0,1-1" } });
		expect(multi.res.status).toBe(206);
	});

	it("fills the cache from a range request too, so later ranges do not reach R2", async () => {
		const t = await givenAssignedTarget(env, { config: SIGNED, size: 5_000 });
		const href = (await deploymentLinks(t)).download?.href ?? "";
		forgetArtifactCacheMemo();
		expect((await fetchWorker(href, { headers: { Range: "bytes=0-99" } })).res.status).toBe(206);
		await env.ARTIFACTS.delete(artifactKey(t.tenant, t.artifact.sha1));
		const later = await fetchWorker(href, { headers: { Range: "bytes=4000-4099" } });
		expect(later.res.status).toBe(206);
		expect(sameBytes(later.body, t.content.slice(4000, 4100))).toBe(true);
	});

	it("never answers from the cache before the access check: cached bytes stay behind 401/403/404", async () => {
		const t = await givenAssignedTarget(env, { config: SIGNED, size: 3_000 });
		const href = (await deploymentLinks(t)).download?.href ?? "";
		expect((await fetchWorker(href)).res.status).toBe(200);
		const ddiUrl = `https://ddi.test/${t.tenant}/controller/v1/${t.controllerId}/softwaremodules/${t.module.id}/artifacts/image.swu`;
		expect((await fetchWorker(ddiUrl)).res.status).toBe(401);
		const forged = await fetchWorker(href.replace(/\/\d+\//, "/9999999999/"));
		expect(forged.res.status).toBe(403);
		// The DDI route, once its action is finished, refuses although the bytes are cached.
		await call(t.tenant, `${t.controllerId}/deploymentBase/${t.actionId}/feedback`, {
			token: t.token,
			body: feedback("closed", "success"),
		});
		const finished = await fetchWorker(ddiUrl, {
			headers: { Authorization: `TargetToken ${t.token}` },
		});
		expect(finished.res.status).toBe(404);
	});

	it("serves the authenticated DDI download from the cache as well, after its D1 check", async () => {
		const t = await givenAssignedTarget(env, { size: 20_000 });
		const ddiUrl = `https://ddi.test/${t.tenant}/controller/v1/${t.controllerId}/softwaremodules/${t.module.id}/artifacts/image.swu`;
		const auth = { Authorization: `TargetToken ${t.token}` };
		expect(
			(await fetchWorker(ddiUrl, { headers: { ...auth, Range: "bytes=0-9" } })).res.status,
		).toBe(206);
		await env.ARTIFACTS.delete(artifactKey(t.tenant, t.artifact.sha1));
		const again = await fetchWorker(ddiUrl, { headers: auth });
		expect(again.res.status).toBe(200);
		expect(sameBytes(again.body, t.content)).toBe(true);
	});
});

describe("signedLinkExpiry", () => {
	it("lasts at least the TTL and at most one step more, identical within a step", () => {
		const ttl = 3_600_000;
		const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
		const e0 = signedLinkExpiry(t0, ttl);
		expect(e0 - t0 / 1000).toBeGreaterThanOrEqual(3600);
		expect(e0 - t0 / 1000).toBeLessThanOrEqual(3600 + 360);
		expect(signedLinkExpiry(t0 + 359_000, ttl)).toBe(e0);
		expect(signedLinkExpiry(t0 + 360_000, ttl)).toBe(e0 + 360);
		// Short TTLs still use a one-minute step.
		expect(signedLinkExpiry(t0 + 1000, 60_000)).toBe(t0 / 1000 + 60 + 60);
	});
});
