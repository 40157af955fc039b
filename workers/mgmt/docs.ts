/**
 * The management API's own description: /rest/v1/openapi.json generated from the route schemas, and
 * /rest/v1/docs, a self-contained page (no CDN, no external script) that renders it.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { MgmtEnv } from "../middleware/mgmt-auth";
import { requestOrigin } from "./hal";

export const API_TITLE = "Updraft Management API (hawkBit-compatible)";

/** Registers /openapi.json and /docs on the management app (call after all routes are mounted). */
export function mountDocs(app: OpenAPIHono<MgmtEnv>) {
	app.openAPIRegistry.registerComponent("securitySchemes", "basicAuth", {
		type: "http",
		scheme: "basic",
	});
	app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
		type: "http",
		scheme: "bearer",
		description: "Updraft API token (POST /rest/v1/system/tokens)",
	});
	app.doc("/openapi.json", (c) => ({
		openapi: "3.0.3",
		info: {
			title: API_TITLE,
			version: "1.0.0",
			description:
				"hawkBit Management API as implemented by Updraft. Paths, bodies and error codes follow Eclipse hawkBit 1.x.",
		},
		servers: [{ url: `${requestOrigin(c)}/rest/v1` }],
	}));
	app.get("/docs", (c) => c.html(DOCS_PAGE));
}

/** A tiny renderer: operations grouped by tag, with parameters, bodies and responses as JSON Schema. */
const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${API_TITLE}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.5 system-ui,sans-serif;margin:0;color:#222}
header{background:#1d3557;color:#fff;padding:12px 24px}
main{padding:12px 24px;max-width:1100px}
details{border:1px solid #ddd;border-radius:6px;margin:6px 0;padding:4px 10px}
summary{cursor:pointer}
.m{display:inline-block;min-width:64px;font-weight:700;text-transform:uppercase}
.get{color:#2a7ae2}.post{color:#2e9e44}.put{color:#c77c02}.delete{color:#c0392b}
pre{background:#f6f8fa;padding:8px;overflow:auto;max-height:400px}
h2{border-bottom:1px solid #eee;margin-top:28px}
input{padding:4px 8px;width:300px}
</style></head>
<body><header><b>${API_TITLE}</b> &middot; <a style="color:#fff" href="openapi.json">openapi.json</a></header>
<main><p><input id="f" placeholder="filter paths…"></p><div id="out">Loading…</div></main>
<script>
(async () => {
	const spec = await (await fetch("openapi.json")).json();
	const out = document.getElementById("out");
	const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}[c]));
	const resolve = (s) => s && s.$ref ? spec.components.schemas[s.$ref.split("/").pop()] : s;
	const render = (filter) => {
		const groups = {};
		for (const [path, ops] of Object.entries(spec.paths)) {
			if (filter && !path.toLowerCase().includes(filter)) continue;
			for (const [method, op] of Object.entries(ops)) {
				const tag = (op.tags && op.tags[0]) || "other";
				(groups[tag] = groups[tag] || []).push({ path, method, op });
			}
		}
		let html = "";
		for (const tag of Object.keys(groups).sort()) {
			html += "<h2>" + esc(tag) + "</h2>";
			for (const { path, method, op } of groups[tag]) {
				html += "<details><summary><span class='m " + method + "'>" + method + "</span> " + esc(path) +
					" &nbsp;<small>" + esc(op.summary || "") + "</small></summary>";
				if (op.description) html += "<p>" + esc(op.description) + "</p>";
				if (op.parameters && op.parameters.length) {
					html += "<b>Parameters</b><ul>" + op.parameters.map((p) => "<li><code>" + esc(p.name) + "</code> (" +
						esc(p.in) + ") " + esc((p.schema && p.schema.description) || p.description || "") + "</li>").join("") + "</ul>";
				}
				const body = op.requestBody && op.requestBody.content && Object.values(op.requestBody.content)[0];
				if (body) html += "<b>Body</b><pre>" + esc(JSON.stringify(resolve(body.schema), null, 2)) + "</pre>";
				for (const [code, r] of Object.entries(op.responses || {})) {
					const c = r.content && Object.values(r.content)[0];
					html += "<div><b>" + esc(code) + "</b> " + esc(r.description || "") + "</div>";
					if (c && code < 300) html += "<pre>" + esc(JSON.stringify(resolve(c.schema), null, 2)) + "</pre>";
				}
				html += "</details>";
			}
		}
		out.innerHTML = html || "No operations.";
	};
	render("");
	document.getElementById("f").addEventListener("input", (e) => render(e.target.value.toLowerCase()));
})();
</script></body></html>`;
