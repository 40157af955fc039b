/**
 * Optional recording proxy (E2E_WIRE_LOG=1): the device talks to this loopback port, which forwards
 * every request unchanged (Host included, so Updraft's links point back at the proxy) and writes what
 * was sent and answered to wire.log. JSON bodies are logged in full up to 4 KiB; binary bodies by size.
 * Off by default so the check itself exercises the direct path.
 */
import { appendFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, request, type Server } from "node:http";

const LOGGED_HEADERS = [
	"authorization",
	"accept",
	"content-type",
	"range",
	"if-none-match",
	"if-match",
	"etag",
	"content-length",
	"content-range",
	"accept-ranges",
	"content-disposition",
	"user-agent",
	"charsets",
];

function headerLine(
	h: IncomingHttpHeaders | Record<string, string | string[] | undefined>,
): string {
	return LOGGED_HEADERS.filter((k) => h[k] !== undefined)
		.map((k) => {
			const v = String(h[k]);
			// Never write the token itself into a log file.
			return `${k}: ${k === "authorization" ? `${v.split(" ")[0]} …` : v}`;
		})
		.join("; ");
}

function bodyText(buf: Buffer, contentType: string | undefined): string {
	if (buf.length === 0) {
		return "";
	}
	if (contentType && !/json|text/.test(contentType)) {
		return `<${buf.length} bytes ${contentType}>`;
	}
	const text = buf.toString("utf8").replace(/\s+/g, " ");
	return text.length > 4096 ? `${text.slice(0, 4096)}… (${buf.length} bytes)` : text;
}

export function startWireProxy(opts: {
	listenPort: number;
	upstreamPort: number;
	logFile: string;
}): Promise<Server> {
	const server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on("data", (c: Buffer) => chunks.push(c));
		req.on("end", () => {
			const reqBody = Buffer.concat(chunks);
			const started = Date.now();
			const up = request(
				{
					host: "127.0.0.1",
					port: opts.upstreamPort,
					method: req.method,
					path: req.url,
					headers: req.headers,
					agent: false,
				},
				(upRes) => {
					res.writeHead(upRes.statusCode ?? 502, upRes.headers);
					const resChunks: Buffer[] = [];
					upRes.on("data", (c: Buffer) => {
						resChunks.push(c);
						res.write(c);
					});
					upRes.on("end", () => {
						res.end();
						const resBody = Buffer.concat(resChunks);
						appendFileSync(
							opts.logFile,
							`${new Date(started).toISOString()} ${req.method} ${req.url}\n` +
								`  > ${headerLine(req.headers)}\n` +
								(reqBody.length ? `  > ${bodyText(reqBody, req.headers["content-type"])}\n` : "") +
								`  < ${upRes.statusCode} (${Date.now() - started} ms) ${headerLine(upRes.headers)}\n` +
								(resBody.length ? `  < ${bodyText(resBody, upRes.headers["content-type"])}\n` : ""),
						);
					});
				},
			);
			up.on("error", (err) => {
				appendFileSync(opts.logFile, `${req.method} ${req.url} -> proxy error ${err.message}\n`);
				res.writeHead(502).end();
			});
			up.end(reqBody);
		});
	});
	return new Promise((resolve, reject) => {
		server.once("error", reject);
		server.listen(opts.listenPort, "127.0.0.1", () => resolve(server));
	});
}
