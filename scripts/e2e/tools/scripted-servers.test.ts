/**
 * Behaviour a correct Updraft never shows, so it is provoked with small scripted HTTP servers on
 * loopback: a management server that reports other hashes than it was sent (the CLI must refuse
 * it), and a DDI server that cuts a download off mid-body, announces wrong hashes, or asks to
 * cancel/confirm (the simulator must resume, report failure, acknowledge — with hawkBit's bodies).
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { EXIT } from "../../cli/exit-codes";
import { simulate } from "../../simulator/index";
import { cliEnv, expectExit, runCli } from "./run-cli";

type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

const servers: Server[] = [];
after(async () => {
	await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

async function serve(handler: Handler): Promise<string> {
	const server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on("data", (c: Buffer) => chunks.push(c));
		req.on("end", () => handler(req, Buffer.concat(chunks), res));
	});
	servers.push(server);
	await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
	return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function json(res: ServerResponse, status: number, body: unknown): void {
	res.writeHead(status, { "Content-Type": "application/json" });
	res.end(JSON.stringify(body));
}

const hashes = (b: Buffer) => ({
	md5: createHash("md5").update(b).digest("hex"),
	sha1: createHash("sha1").update(b).digest("hex"),
	sha256: createHash("sha256").update(b).digest("hex"),
});

describe("release CLI against a server that misreports", () => {
	it("push exits 8 when the stored artifact's hashes differ from the local file", async () => {
		const dir = mkdtempSync(join(tmpdir(), "updraft-scripted-"));
		const file = join(dir, "fw.bin");
		const bytes = randomBytes(4096);
		writeFileSync(file, bytes);
		let received = 0;
		const url = await serve((req, body, res) => {
			if (req.method === "GET" && req.url?.startsWith("/rest/v1/softwaremodules?")) {
				return json(res, 200, { content: [], total: 0, size: 0 });
			}
			if (req.method === "POST" && req.url === "/rest/v1/softwaremodules") {
				const [sm] = JSON.parse(body.toString()) as {
					name: string;
					version: string;
					type: string;
				}[];
				return json(res, 201, [{ id: 5, ...sm }]);
			}
			if (req.method === "POST" && req.url === "/rest/v1/softwaremodules/5/artifacts") {
				received = body.length;
				return json(res, 201, {
					id: 9,
					providedFilename: "fw.bin",
					size: bytes.length,
					hashes: { ...hashes(bytes), sha1: "0".repeat(40) },
				});
			}
			json(res, 404, { status: 404, error: "Not Found" });
		});
		const env = cliEnv(dir);
		const run = await runCli(
			["--url", url, "-u", "a", "-p", "b", "push", file, "-v", "1", "--json"],
			env,
		);
		expectExit(run, EXIT.integrity, "push to a server with wrong hashes");
		assert.ok(received > bytes.length, "the file was sent as multipart/form-data");
		assert.match(String(run.error?.message), /sha1 server 0{40} local [0-9a-f]{40}/);
	});
});

type Feedback = {
	path: string;
	body: {
		status?: { execution: string; result: { finished: string }; details?: string[] };
		confirmation?: string;
	};
};

/** A one-device DDI server: one action with one artifact, scripted by the test. */
function ddiServer(opts: {
	artifact: Buffer;
	announced?: Partial<ReturnType<typeof hashes>>;
	/** Bytes after which the first download's connection is destroyed. */
	breakAfter?: number;
	link: "deploymentBase" | "cancelAction" | "confirmationBase";
}) {
	const feedback: Feedback[] = [];
	const ranges: (string | undefined)[] = [];
	let closed = false;
	let downloads = 0;
	const start = async () => {
		const url = await serve((req, body, res) => {
			const base = "/DEFAULT/controller/v1/dev-001";
			const path = req.url ?? "";
			if (req.headers.authorization !== "GatewayToken gw") {
				res.writeHead(401).end();
				return;
			}
			if (req.method === "GET" && path === base) {
				const href = `${url}${base}/${opts.link}/3${opts.link === "cancelAction" ? "" : "?c=1"}`;
				return json(res, 200, {
					config: { polling: { sleep: "00:00:01" } },
					...(closed ? {} : { _links: { [opts.link]: { href } } }),
				});
			}
			if (req.method === "GET" && path.startsWith(`${base}/deploymentBase/3`)) {
				return json(res, 200, {
					id: "3",
					deployment: {
						download: "forced",
						update: "forced",
						chunks: [
							{
								part: "os",
								name: "fw",
								version: "1",
								artifacts: [
									{
										filename: "fw.bin",
										size: opts.artifact.length,
										hashes: { ...hashes(opts.artifact), ...opts.announced },
										_links: {
											"download-http": { href: `${url}${base}/softwaremodules/1/artifacts/fw.bin` },
										},
									},
								],
							},
						],
					},
				});
			}
			if (req.method === "GET" && path === `${base}/cancelAction/3`) {
				return json(res, 200, { id: "3", cancelAction: { stopId: "3" } });
			}
			if (req.method === "GET" && path === `${base}/softwaremodules/1/artifacts/fw.bin`) {
				downloads++;
				ranges.push(req.headers.range);
				const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
				const from = m ? Number(m[1]) : 0;
				const headers = {
					"Content-Type": "application/octet-stream",
					ETag: `"${hashes(opts.artifact).sha1}"`,
					"Accept-Ranges": "bytes",
				};
				if (m) {
					res.writeHead(206, {
						...headers,
						"Content-Range": `bytes ${from}-${opts.artifact.length - 1}/${opts.artifact.length}`,
						"Content-Length": String(opts.artifact.length - from),
					});
					res.end(opts.artifact.subarray(from));
					return;
				}
				res.writeHead(200, { ...headers, "Content-Length": String(opts.artifact.length) });
				if (downloads === 1 && opts.breakAfter !== undefined) {
					res.write(opts.artifact.subarray(0, opts.breakAfter), () =>
						setTimeout(() => res.destroy(), 50),
					);
					return;
				}
				res.end(opts.artifact);
				return;
			}
			if (req.method === "POST" && path.endsWith("/feedback")) {
				const parsed = JSON.parse(body.toString()) as Feedback["body"];
				feedback.push({ path: path.slice(base.length), body: parsed });
				if (parsed.status?.execution === "closed" || parsed.confirmation) {
					closed = true;
				}
				res.writeHead(200).end();
				return;
			}
			if (req.method === "PUT" && path === `${base}/configData`) {
				res.writeHead(200).end();
				return;
			}
			json(res, 404, { status: 404, error: "Not Found" });
		});
		return url;
	};
	return { start, feedback, ranges };
}

const run = (url: string) =>
	simulate({
		url,
		controllerIds: ["dev-001"],
		auth: { kind: "gateway", token: "gw" },
		pollIntervalMs: 100,
		rampUpMs: 0,
		durationMs: 20_000,
		updatesPerDevice: 1,
	});

describe("device simulator against scripted DDI servers", () => {
	it("sends hawkBit's feedback sequence and resumes a broken download with Range from the byte it had", async () => {
		const artifact = randomBytes(300_000);
		const s = ddiServer({ artifact, breakAfter: 100_000, link: "deploymentBase" });
		const summary = await run(await s.start());
		assert.equal(summary.actions.succeeded, 1);
		assert.equal(summary.downloads.resumes, 1);
		assert.equal(summary.downloads.bytes, artifact.length);
		assert.equal(s.ranges[0], undefined);
		assert.match(String(s.ranges[1]), /^bytes=\d+-$/);
		assert.ok(Number(/\d+/.exec(String(s.ranges[1]))?.[0]) >= 1, "resumed after the first bytes");
		assert.deepEqual(
			s.feedback.map(
				(f) => `${f.path} ${f.body.status?.execution}/${f.body.status?.result.finished}`,
			),
			[
				"/deploymentBase/3/feedback proceeding/none",
				"/deploymentBase/3/feedback download/none",
				"/deploymentBase/3/feedback downloaded/none",
				"/deploymentBase/3/feedback closed/success",
			],
		);
	});

	it("reports closed/failure and counts a hash mismatch when the bytes do not match what was announced", async () => {
		const artifact = randomBytes(50_000);
		const s = ddiServer({
			artifact,
			announced: { sha256: "f".repeat(64) },
			link: "deploymentBase",
		});
		const summary = await run(await s.start());
		assert.equal(summary.actions.downloadFailed, 1);
		assert.equal(summary.downloads.hashMismatches, 1);
		const last = s.feedback.at(-1)?.body.status;
		assert.equal(last?.execution, "closed");
		assert.equal(last?.result.finished, "failure");
		assert.match(String(last?.details?.[0]), /hash mismatch: sha256/);
	});

	it("acknowledges a cancelAction with closed/success on the cancel channel", async () => {
		const s = ddiServer({ artifact: randomBytes(10), link: "cancelAction" });
		const summary = await simulate({
			url: await s.start(),
			controllerIds: ["dev-001"],
			auth: { kind: "gateway", token: "gw" },
			pollIntervalMs: 100,
			rampUpMs: 0,
			durationMs: 20_000,
			stopWhen: (p) => p.canceled >= 1,
		});
		assert.equal(summary.stoppedBy, "condition");
		assert.equal(summary.actions.canceled, 1);
		assert.deepEqual(
			s.feedback.map(
				(f) => `${f.path} ${f.body.status?.execution}/${f.body.status?.result.finished}`,
			),
			["/cancelAction/3/feedback closed/success"],
		);
	});

	it("confirms an action waiting for confirmation", async () => {
		const s = ddiServer({ artifact: randomBytes(10), link: "confirmationBase" });
		const summary = await simulate({
			url: await s.start(),
			controllerIds: ["dev-001"],
			auth: { kind: "gateway", token: "gw" },
			pollIntervalMs: 100,
			rampUpMs: 0,
			durationMs: 20_000,
			stopWhen: (p) => p.confirmed >= 1,
		});
		assert.equal(summary.actions.confirmed, 1);
		assert.deepEqual(
			s.feedback.map((f) => `${f.path} ${f.body.confirmation}`),
			["/confirmationBase/3/feedback confirmed"],
		);
	});

	it("gets 401 without the right gateway token and counts it as an error, not a registration", async () => {
		const s = ddiServer({ artifact: randomBytes(10), link: "deploymentBase" });
		const summary = await simulate({
			url: await s.start(),
			controllerIds: ["dev-001"],
			auth: { kind: "gateway", token: "wrong" },
			pollIntervalMs: 100,
			rampUpMs: 0,
			durationMs: 700,
		});
		assert.equal(summary.registered, 0);
		assert.ok((summary.requests.byStatus["401"] ?? 0) >= 2);
		assert.match(summary.errorSamples.join(), /poll answered 401/);
	});
});
