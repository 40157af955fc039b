/**
 * DDI authentication, per tenant configuration (hawkBit §2.1: SecurityHeaderAuthenticator,
 * SecurityTokenAuthenticator, GatewayTokenAuthenticator, tried in that order; the first that accepts wins).
 * Every scheme is off until the tenant enables it; any failure is 401 with an EMPTY body.
 *
 * Hot path: the tenant's configuration comes from its memoised KV snapshot and a target token is checked
 * against the SHA-256 kept in the device's KV poll entry, so authenticating an idle poll reads no D1.
 */
import { createMiddleware } from "hono/factory";
import { loadPollEntry, type PollEntry } from "../../shared/poll-cache";
import { readTenantConfigSnapshot, type TenantConfigSnapshot } from "../../shared/tenant-config";
import type { AppEnv } from "../env";

/** How the device proved who it is. */
export type DdiAuthScheme = "header" | "targettoken" | "gatewaytoken";

/** The authenticated controller: `(tenant, controllerId from the URL)`, as in hawkBit. */
export type DdiPrincipal = { tenant: string; controllerId: string; scheme: DdiAuthScheme };

/** Variables DDI middleware puts on the context, on top of AppEnv's. */
export type DdiVariables = {
	ddiPrincipal: DdiPrincipal;
	/** The tenant's configuration snapshot as read for this request. */
	tenantConfig: TenantConfigSnapshot;
	/** The device's poll entry when authentication already loaded it (target token), else unset. */
	pollEntry: PollEntry | undefined;
	/** Whether `pollEntry` came straight from KV (true) or had to be rebuilt from D1. */
	pollEntryFromCache: boolean;
};

/** Hono environment of DDI routes. Route modules typed with AppEnv mount fine; this adds the DDI variables. */
export type DdiEnv = { Bindings: Env; Variables: AppEnv["Variables"] & DdiVariables };

const TARGET_TOKEN = "TargetToken ";
const GATEWAY_TOKEN = "GatewayToken ";
const CONTROLLER_ID_HEADER = "X-Controller-Id";
const AUTHORITY_HEADER = "X-Authority";
const AUTHORITY_SEPARATOR = /[;,]/;

async function sha256(text: string): Promise<ArrayBuffer> {
	return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
}

function hexToBytes(hex: string): Uint8Array {
	const out = new Uint8Array(hex.length >> 1);
	for (let i = 0; i < out.length; i++) {
		out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
	}
	return out;
}

/**
 * Constant-time check that `presented` hashes to `expectedSha256Hex`. Both sides are 32-byte digests, so
 * neither the content nor the length of the secret leaks through timing.
 */
export async function secretMatches(
	presented: string,
	expectedSha256Hex: string,
): Promise<boolean> {
	if (expectedSha256Hex.length !== 64) {
		return false;
	}
	const actual = new Uint8Array(await sha256(presented));
	return crypto.subtle.timingSafeEqual(actual, hexToBytes(expectedSha256Hex));
}

/** hawkBit's trusted-authority check: `X-Authority: a,b` or `X-Authority-0`, `-1`, … (or from 1). */
function presentsTrustedAuthority(headers: Headers, trustedList: string): boolean {
	const trusted = trustedList
		.split(AUTHORITY_SEPARATOR)
		.map((a) => a.trim().toLowerCase())
		.filter((a) => a.length > 0);
	if (trusted.length === 0) {
		return false;
	}
	const single = headers.get(AUTHORITY_HEADER);
	if (single !== null) {
		return single.split(AUTHORITY_SEPARATOR).some((a) => trusted.includes(a.trim().toLowerCase()));
	}
	for (let i = 0; ; i++) {
		const value = headers.get(`${AUTHORITY_HEADER}-${i}`);
		if (value === null) {
			if (i === 0) {
				continue;
			}
			return false;
		}
		if (trusted.includes(value.toLowerCase())) {
			return true;
		}
	}
}

/** Runs the three authenticators; undefined = 401. */
async function authenticate(
	env: Env,
	headers: Headers,
	tenant: string,
	controllerId: string,
	snapshot: TenantConfigSnapshot,
): Promise<
	| {
			principal: DdiPrincipal;
			entry?: PollEntry;
			fromCache?: boolean;
			snapshot: TenantConfigSnapshot;
	  }
	| undefined
> {
	const config = snapshot.values;
	const headerControllerId = headers.get(CONTROLLER_ID_HEADER);
	if (
		config["authentication.header.enabled"] &&
		headerControllerId !== null &&
		headerControllerId === controllerId &&
		presentsTrustedAuthority(headers, config["authentication.header.authority"])
	) {
		return { principal: { tenant, controllerId, scheme: "header" }, snapshot };
	}
	const authorization = headers.get("Authorization");
	if (authorization === null) {
		return undefined;
	}
	if (authorization.startsWith(TARGET_TOKEN) && config["authentication.targettoken.enabled"]) {
		// A target token only ever opens an existing target, and only its own.
		const loaded = await loadPollEntry(env, tenant, controllerId, snapshot);
		if (
			loaded.entry &&
			(await secretMatches(authorization.slice(TARGET_TOKEN.length), loaded.entry.tokenSha256))
		) {
			return {
				principal: { tenant, controllerId, scheme: "targettoken" },
				entry: loaded.entry,
				fromCache: loaded.fromCache,
				snapshot: loaded.snapshot,
			};
		}
		return undefined;
	}
	if (
		authorization.startsWith(GATEWAY_TOKEN) &&
		config["authentication.gatewaytoken.enabled"] &&
		// hawkBit would accept "GatewayToken " against an empty key; an empty key opens nothing here.
		snapshot.gatewayKeySha256 !== "" &&
		(await secretMatches(authorization.slice(GATEWAY_TOKEN.length), snapshot.gatewayKeySha256))
	) {
		return { principal: { tenant, controllerId, scheme: "gatewaytoken" }, snapshot };
	}
	return undefined;
}

/**
 * Authenticates a DDI request for `/:tenant/controller/v1/:controllerId[/…]`. Expects the tenant
 * middleware to have run. On failure answers 401 with no body and stops.
 */
export const ddiAuth = createMiddleware<DdiEnv>(async (c, next) => {
	if (c.get("ddiPrincipal")) {
		// Mounted on both "/:controllerId" and "/:controllerId/*"; authenticate once.
		await next();
		return;
	}
	const controllerId = c.req.param("controllerId") ?? "";
	const tenant = c.get("tenant");
	const snapshot = await readTenantConfigSnapshot(c.env, tenant);
	const result = await authenticate(c.env, c.req.raw.headers, tenant, controllerId, snapshot);
	if (!result) {
		return c.body(null, 401);
	}
	c.set("ddiPrincipal", result.principal);
	c.set("tenantConfig", result.snapshot);
	c.set("pollEntry", result.entry);
	c.set("pollEntryFromCache", result.fromCache ?? false);
	await next();
});
