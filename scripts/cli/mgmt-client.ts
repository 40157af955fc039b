/**
 * A small client for Updraft's (hawkBit's) Management API: authentication, JSON in and out, and
 * hawkBit's error body `{exceptionClass, errorCode, message}` turned into an ApiError that the CLI
 * prints and maps to an exit code. Works against hawkBit itself as well.
 */
import { CliError, EXIT, type ExitCode, exitCodeForStatus } from "./exit-codes";
import type { Connection } from "./profile";

export const REST = "/rest/v1";
/** Extra attempts for a read after a transient failure (0.5 s, 1 s, 2 s apart). */
const READ_RETRIES = 3;
const HAWKBIT_CODE_PREFIX = "hawkbit.server.error.";

/** A non-success HTTP answer, with hawkBit's error fields when the body had them. */
export class ApiError extends CliError {
	constructor(
		readonly method: string,
		readonly path: string,
		readonly status: number,
		readonly errorCode: string | undefined,
		readonly serverMessage: string | undefined,
		readonly body: string,
	) {
		super(
			exitCodeForStatus(status) as ExitCode,
			describe(method, path, status, errorCode, serverMessage, body),
			{
				status,
				errorCode,
				message: serverMessage,
				method,
				path,
			},
		);
	}

	/** errorCode without hawkBit's `hawkbit.server.error.` prefix, e.g. `repo.entityNotFound`. */
	get code(): string | undefined {
		return this.errorCode?.startsWith(HAWKBIT_CODE_PREFIX)
			? this.errorCode.slice(HAWKBIT_CODE_PREFIX.length)
			: this.errorCode;
	}
}

function describe(
	method: string,
	path: string,
	status: number,
	errorCode: string | undefined,
	serverMessage: string | undefined,
	body: string,
): string {
	const where = `HTTP ${status} on ${method} ${path}`;
	const hint =
		status === 401
			? " — check the credentials (`updraft profile show`, --user/--password or --token)"
			: status === 403
				? " — the user lacks a permission this needs"
				: "";
	if (serverMessage || errorCode) {
		return `${serverMessage ?? "request failed"} [${[errorCode, where].filter(Boolean).join(", ")}]${hint}`;
	}
	const text = body.trim().slice(0, 300);
	return `${where}${text ? `: ${text}` : ""}${hint}`;
}

export type RequestOptions = {
	json?: unknown;
	/** A raw body (stream or bytes) with its own content type and length. */
	body?: string | Uint8Array | ReadableStream<Uint8Array>;
	headers?: Record<string, string>;
	query?: Record<string, string | number | boolean | undefined>;
	/** Statuses that count as success (default: 2xx). */
	ok?: number[];
	signal?: AbortSignal;
	timeoutMs?: number;
};

export type ApiResponse<T> = { status: number; body: T; headers: Headers };

export class MgmtClient {
	readonly #authorization: string;

	constructor(
		readonly connection: Connection,
		private readonly defaultTimeoutMs = 60_000,
	) {
		const c = connection.credentials;
		this.#authorization =
			c.kind === "bearer"
				? `Bearer ${c.token}`
				: `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
	}

	get baseUrl(): string {
		return this.connection.url;
	}

	/**
	 * One Management API call. Reads (GET/HEAD) are retried a few times after a lost connection or
	 * a 502/503/504, as a busy or restarting server answers; writes never are (not idempotent).
	 */
	async request<T = unknown>(
		method: string,
		path: string,
		opts: RequestOptions = {},
	): Promise<ApiResponse<T>> {
		const idempotent = method === "GET" || method === "HEAD";
		for (let attempt = 1; ; attempt++) {
			try {
				return await this.#requestOnce<T>(method, path, opts);
			} catch (err) {
				const transient =
					(err instanceof ApiError && [502, 503, 504].includes(err.status)) ||
					(!(err instanceof ApiError) && err instanceof CliError && err.exitCode === EXIT.server);
				if (!idempotent || !transient || attempt > READ_RETRIES || opts.signal?.aborted) {
					throw err;
				}
				await new Promise((r) => setTimeout(r, 500 * 2 ** (attempt - 1)));
			}
		}
	}

	async #requestOnce<T>(
		method: string,
		path: string,
		opts: RequestOptions,
	): Promise<ApiResponse<T>> {
		const fullPath = path.startsWith("/rest/") ? path : `${REST}${path}`;
		const url = new URL(`${this.connection.url}${fullPath}`);
		for (const [k, v] of Object.entries(opts.query ?? {})) {
			if (v !== undefined) {
				url.searchParams.set(k, String(v));
			}
		}
		const headers: Record<string, string> = {
			Authorization: this.#authorization,
			Accept: "application/hal+json, application/json",
			"User-Agent": "updraft-cli",
			...opts.headers,
		};
		let body = opts.body;
		if (opts.json !== undefined) {
			headers["Content-Type"] = "application/json";
			body = JSON.stringify(opts.json);
		}
		const timeout = AbortSignal.timeout(opts.timeoutMs ?? this.defaultTimeoutMs);
		const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
		let res: Response;
		try {
			res = await fetch(url, {
				method,
				headers,
				body,
				signal,
				// Node needs this for streamed request bodies (part and form uploads).
				...(body instanceof ReadableStream ? { duplex: "half" } : {}),
			} as RequestInit);
		} catch (err) {
			throw connectionError(err, this.connection.url, `${method} ${fullPath}`);
		}
		const text = await res.text();
		const ok = opts.ok ? opts.ok.includes(res.status) : res.status >= 200 && res.status < 300;
		if (!ok) {
			const info = parseErrorBody(text);
			throw new ApiError(
				method,
				fullPath + url.search,
				res.status,
				info.errorCode,
				info.message,
				text,
			);
		}
		let parsed: unknown;
		if (text.length > 0) {
			try {
				parsed = JSON.parse(text);
			} catch {
				parsed = text;
			}
		}
		return { status: res.status, body: parsed as T, headers: res.headers };
	}

	async get<T = unknown>(path: string, opts?: RequestOptions): Promise<T> {
		return (await this.request<T>("GET", path, opts)).body;
	}

	async post<T = unknown>(path: string, json?: unknown, opts?: RequestOptions): Promise<T> {
		return (await this.request<T>("POST", path, { ...opts, json })).body;
	}

	async put<T = unknown>(path: string, json?: unknown, opts?: RequestOptions): Promise<T> {
		return (await this.request<T>("PUT", path, { ...opts, json })).body;
	}

	async delete(path: string, opts?: RequestOptions): Promise<void> {
		await this.request("DELETE", path, opts);
	}

	/** Every item of a paged list (`{content, total}`), fetched `pageSize` at a time. */
	async listAll<T>(
		path: string,
		query: Record<string, string | number | undefined> = {},
		pageSize = 500,
	): Promise<T[]> {
		const items: T[] = [];
		for (let offset = 0; ; offset += pageSize) {
			const page = await this.get<{ content?: T[]; total?: number }>(path, {
				query: { ...query, offset, limit: pageSize },
			});
			const content = page?.content ?? [];
			items.push(...content);
			if (content.length < pageSize || items.length >= (page?.total ?? 0)) {
				return items;
			}
		}
	}
}

/** hawkBit's error JSON; Spring's `{status, error}` for framework errors; anything else as text. */
export function parseErrorBody(text: string): { errorCode?: string; message?: string } {
	if (!text) {
		return {};
	}
	try {
		const body = JSON.parse(text) as Record<string, unknown>;
		const errorCode = typeof body.errorCode === "string" ? body.errorCode : undefined;
		const message =
			typeof body.message === "string"
				? body.message
				: typeof body.error === "string"
					? body.error
					: undefined;
		return { errorCode, message };
	} catch {
		return {};
	}
}

/** fetch failures (refused, DNS, timeout) as a CLI error that names the server. */
export function connectionError(err: unknown, base: string, what: string): CliError {
	const cause = err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
	const code = (cause as { code?: string } | undefined)?.code;
	if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
		return new CliError(EXIT.server, `${what}: no answer from ${base} in time (${err.message})`);
	}
	const reason = code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
	const hint = code === "ECONNREFUSED" ? ` — is Updraft running there? (\`npm start\`)` : "";
	return new CliError(EXIT.server, `cannot reach ${base} (${reason}) during ${what}${hint}`);
}

/** Quotes a value for an RSQL comparison: `name=="my module"`. */
export function rsqlValue(value: string): string {
	return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}
