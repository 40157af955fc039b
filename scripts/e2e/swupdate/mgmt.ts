/**
 * The few Management API calls the harness needs, as an operator would make them (hawkBit's
 * /rest/v1 shapes). Every unexpected answer throws with method, path, status and body.
 */
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { basename } from "node:path";

type Json = Record<string, unknown>;

export class MgmtError extends Error {
	constructor(
		readonly method: string,
		readonly path: string,
		readonly status: number,
		readonly body: string,
	) {
		super(`${method} ${path} -> ${status} ${body.slice(0, 500)}`);
	}
}

export class Mgmt {
	private readonly auth: string;

	constructor(
		readonly base: string,
		user: string,
		password: string,
		private readonly timeoutMs = 15_000,
	) {
		this.auth = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
	}

	async call(
		method: string,
		path: string,
		opts: { json?: unknown; form?: FormData; ok?: number[] } = {},
	): Promise<{ status: number; body: unknown }> {
		const headers: Record<string, string> = {
			Authorization: this.auth,
			Accept: "application/hal+json, application/json",
		};
		let body: Buffer | undefined;
		if (opts.json !== undefined) {
			headers["Content-Type"] = "application/json";
			body = Buffer.from(JSON.stringify(opts.json));
		} else if (opts.form) {
			// Let the platform encode the multipart body, then send it as plain bytes.
			const encoded = new Response(opts.form);
			headers["Content-Type"] = encoded.headers.get("content-type") ?? "multipart/form-data";
			body = Buffer.from(await encoded.arrayBuffer());
		}
		// Idempotent calls survive a server that restarts under them (wrangler dev reloads on file changes).
		const attempts = ["GET", "PUT", "DELETE"].includes(method) ? 4 : 1;
		let res: { status: number; text: string } | undefined;
		for (let attempt = 1; !res; attempt++) {
			try {
				res = await send(new URL(path, this.base), method, headers, body, this.timeoutMs);
			} catch (err) {
				if (attempt >= attempts) {
					throw new Error(`${method} ${path}: ${(err as Error).message}`);
				}
				await new Promise((r) => setTimeout(r, 1000));
			}
		}
		const { text } = res;
		const ok = opts.ok ?? [200, 201, 204];
		if (!ok.includes(res.status)) {
			throw new MgmtError(method, path, res.status, text);
		}
		let parsed: unknown = text;
		if (text.length > 0) {
			try {
				parsed = JSON.parse(text);
			} catch {
				// not JSON: keep the text
			}
		}
		return { status: res.status, body: parsed };
	}

	async setConfig(key: string, value: unknown): Promise<void> {
		await this.call("PUT", `/rest/v1/system/configs/${encodeURIComponent(key)}`, {
			json: { value },
			ok: [200, 204],
		});
	}

	async createTarget(controllerId: string, securityToken: string): Promise<Json> {
		const { body } = await this.call("POST", "/rest/v1/targets", {
			json: [{ controllerId, name: controllerId, securityToken }],
			ok: [201],
		});
		return first(body, "created target");
	}

	async getTarget(controllerId: string): Promise<Json> {
		const { body } = await this.call(
			"GET",
			`/rest/v1/targets/${encodeURIComponent(controllerId)}`,
			{
				ok: [200],
			},
		);
		return asObject(body, "target");
	}

	/** Controller attributes (what the device sent as configData). */
	async getAttributes(controllerId: string): Promise<Record<string, string>> {
		const { body } = await this.call(
			"GET",
			`/rest/v1/targets/${encodeURIComponent(controllerId)}/attributes`,
			{ ok: [200] },
		);
		return asObject(body, "attributes") as Record<string, string>;
	}

	/** The installed distribution set, or undefined when the target has none (hawkBit answers 204). */
	async getInstalledDs(controllerId: string): Promise<Json | undefined> {
		const { status, body } = await this.call(
			"GET",
			`/rest/v1/targets/${encodeURIComponent(controllerId)}/installedDS`,
			{ ok: [200, 204] },
		);
		return status === 204 ? undefined : asObject(body, "installed DS");
	}

	async createSoftwareModule(name: string, version: string, type: string): Promise<number> {
		const { body } = await this.call("POST", "/rest/v1/softwaremodules", {
			json: [
				{ name, version, type, vendor: "Updraft e2e harness", description: "real-client check" },
			],
			ok: [201],
		});
		return idOf(first(body, "created software module"));
	}

	async uploadArtifact(moduleId: number, file: string): Promise<Json> {
		const form = new FormData();
		form.append("file", new Blob([readFileSync(file)]), basename(file));
		const { body } = await this.call("POST", `/rest/v1/softwaremodules/${moduleId}/artifacts`, {
			form,
			ok: [201],
		});
		return asObject(body, "uploaded artifact");
	}

	async createDistributionSet(
		name: string,
		version: string,
		type: string,
		moduleIds: number[],
	): Promise<number> {
		const { body } = await this.call("POST", "/rest/v1/distributionsets", {
			json: [{ name, version, type, modules: moduleIds.map((id) => ({ id })) }],
			ok: [201],
		});
		return idOf(first(body, "created distribution set"));
	}

	/** Assigns a DS to one target; returns the new action's id. */
	async assign(controllerId: string, dsId: number, type = "forced"): Promise<number> {
		const { body } = await this.call(
			"POST",
			`/rest/v1/targets/${encodeURIComponent(controllerId)}/assignedDS`,
			{ json: { id: dsId, type }, ok: [200] },
		);
		const actions = asObject(body, "assignment result").assignedActions;
		if (!Array.isArray(actions) || actions.length !== 1) {
			throw new Error(`assignment created no single action: ${JSON.stringify(body)}`);
		}
		return idOf(asObject(actions[0], "assigned action"));
	}

	async getAction(controllerId: string, actionId: number): Promise<Json> {
		const { body } = await this.call(
			"GET",
			`/rest/v1/targets/${encodeURIComponent(controllerId)}/actions/${actionId}`,
			{ ok: [200] },
		);
		return asObject(body, "action");
	}

	/** The action's status history, newest first as hawkBit lists it. */
	async getActionStatus(
		controllerId: string,
		actionId: number,
	): Promise<{ type: string; messages: string[] }[]> {
		const { body } = await this.call(
			"GET",
			`/rest/v1/targets/${encodeURIComponent(controllerId)}/actions/${actionId}/status?offset=0&limit=500&sort=id:DESC`,
			{ ok: [200] },
		);
		const content = asObject(body, "action status page").content;
		if (!Array.isArray(content)) {
			throw new Error(
				`action status page has no content array: ${JSON.stringify(body).slice(0, 300)}`,
			);
		}
		return content.map((e) => {
			const o = asObject(e, "action status");
			return {
				type: String(o.type),
				messages: Array.isArray(o.messages) ? o.messages.map(String) : [],
			};
		});
	}

	async cancelAction(controllerId: string, actionId: number): Promise<void> {
		await this.call(
			"DELETE",
			`/rest/v1/targets/${encodeURIComponent(controllerId)}/actions/${actionId}`,
			{ ok: [200, 204] },
		);
	}
}

function asObject(v: unknown, what: string): Json {
	if (typeof v !== "object" || v === null || Array.isArray(v)) {
		throw new Error(`${what}: expected a JSON object, got ${JSON.stringify(v)?.slice(0, 300)}`);
	}
	return v as Json;
}

function first(v: unknown, what: string): Json {
	if (!Array.isArray(v) || v.length !== 1) {
		throw new Error(
			`${what}: expected a one-element array, got ${JSON.stringify(v)?.slice(0, 300)}`,
		);
	}
	return asObject(v[0], what);
}

function idOf(o: Json): number {
	const id = o.id;
	if (typeof id !== "number") {
		throw new Error(`expected a numeric id in ${JSON.stringify(o).slice(0, 300)}`);
	}
	return id;
}

/**
 * One HTTP exchange on a fresh connection. fetch's pooled keep-alive sockets meet a closed connection
 * after the server sat idle (wrangler's proxy closes them) and then fail a POST that cannot be retried.
 */
function send(
	url: URL,
	method: string,
	headers: Record<string, string>,
	body: Buffer | undefined,
	timeoutMs: number,
): Promise<{ status: number; text: string }> {
	return new Promise((resolve, reject) => {
		const req = request(
			url,
			{
				method,
				agent: false,
				headers: { ...headers, ...(body ? { "Content-Length": String(body.length) } : {}) },
				timeout: timeoutMs,
			},
			(res) => {
				const chunks: Buffer[] = [];
				res.on("data", (c: Buffer) => chunks.push(c));
				res.on("end", () =>
					resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
				);
				res.on("error", reject);
			},
		);
		req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
		req.on("error", reject);
		req.end(body);
	});
}
