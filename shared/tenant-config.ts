/**
 * Tenant configuration: every key hawkBit knows (§4.15), its type, system default and validation, the
 * overrides kept in D1 `tenant_configs`, and a cheap reader for the device hot path.
 * hawkBit: TenantConfigurationProperties, JpaTenantConfigurationManagement, MgmtTenantManagementResource
 * (for the `default.ds.type` pseudo-key, which lives in the tenant's metadata).
 *
 * Hot path: the resolved configuration of a tenant is kept as one KV value (`tenantcfg:{TENANT}`, see
 * docs/storage-schema.md) plus a short in-isolate memo, so an idle DDI poll pays no D1 query and
 * usually no KV read for it. Every write goes through this module and rewrites the snapshot at once.
 */
import { createDb } from "./db/client";
import {
	deleteTenantConfigRow,
	findDefaultDsType,
	findDistributionSetType,
	listTenantConfigRows,
	readTenantConfigState,
	type TenantConfigRow,
	writeTenantConfig,
} from "./db/queries/tenant-configs";
import { ensureTenant, normaliseTenant } from "./db/queries/tenants";
import {
	MAX_SIGNED_URL_TTL_MS,
	MIN_SIGNED_URL_TTL_MS,
	validateCdnUrlPattern,
} from "./domain/download-links";
import {
	type PollingTime,
	PollingTimeError,
	parseDuration,
	parsePollingTime,
	validatePollingTime,
} from "./domain/polling-time";
import { DomainError, entityNotFound } from "./errors";
import { tenantConfigKey } from "./poll-cache/keys";

/** The bindings this module needs (a subset of `Env`, so tests and queue consumers can pass their own). */
export type TenantConfigBindings = { DB: D1Database; POLL_CACHE: KVNamespace };

/** Java types hawkBit declares per key; `integer` is a 32-bit Integer, `long` a 64-bit Long. */
export type TenantConfigType = "boolean" | "integer" | "long" | "string";

/** A configuration value as it travels on the wire. */
export type TenantConfigValue = boolean | number | string;

type KeyDefinition<T extends TenantConfigValue> = {
	type: TenantConfigType;
	default: T;
	/** Extra validation after type conversion; throws a message hawkBit would report. */
	validate?: (value: T) => void;
};

function definition<T extends TenantConfigValue>(d: KeyDefinition<T>): KeyDefinition<T> {
	return d;
}

/**
 * Every tenant configuration key stored in `tenant_configs`, with hawkBit's system defaults (all DDI
 * authentication off, polling every 5 minutes). `default.ds.type` is handled apart: it is not stored here.
 */
export const TENANT_CONFIG_DEFINITIONS = {
	"authentication.targettoken.enabled": definition({ type: "boolean", default: false }),
	"authentication.gatewaytoken.enabled": definition({ type: "boolean", default: false }),
	"authentication.gatewaytoken.key": definition({ type: "string", default: "" }),
	"authentication.header.enabled": definition({ type: "boolean", default: false }),
	"authentication.header.authority": definition({ type: "string", default: "" }),
	pollingTime: definition({
		type: "string",
		default: "00:05:00",
		validate: (v: string) => {
			validatePollingTime(v);
		},
	}),
	pollingOverdueTime: definition({
		type: "string",
		default: "00:05:00",
		validate: (v: string) => {
			if (parseDuration(v) < 0) {
				throw new PollingTimeError(
					"The given configuration value is not in the allowed to be negative.",
				);
			}
		},
	}),
	maintenanceWindowPollCount: definition({
		type: "integer",
		default: 3,
		// hawkBit accepts 0 and then divides by it on every poll of a maintenance-window action.
		validate: (v: number) => {
			if (v < 1) {
				throw new PollingTimeError("maintenanceWindowPollCount must be at least 1.");
			}
		},
	}),
	"rollout.approval.enabled": definition({ type: "boolean", default: false }),
	"auto.assignment.approval.enabled": definition({ type: "boolean", default: false }),
	"repository.actions.autoclose.enabled": definition({ type: "boolean", default: false }),
	"user.confirmation.flow.enabled": definition({ type: "boolean", default: false }),
	"batch.assignments.enabled": definition({ type: "boolean", default: false }),
	"implicit.lock.enabled": definition({ type: "boolean", default: true }),
	"action.cleanup.auto.expiry": definition({ type: "long", default: -1 }),
	"action.cleanup.auto.status": definition({ type: "string", default: "CANCELED,ERROR" }),
	"action.cleanup.onQuotaHit.percent": definition({ type: "integer", default: 0 }),
	"action.delete.allowed.statuses": definition({
		type: "string",
		default: "CANCELED,ERROR,FINISHED",
	}),
	// Updraft extensions (not in hawkBit): where devices download artifacts from, see
	// shared/domain/download-links.ts and docs/downloads.md.
	"download.signedUrls.enabled": definition({ type: "boolean", default: false }),
	"download.signedUrls.ttl": definition({
		type: "string",
		default: "01:00:00",
		validate: (v: string) => {
			const ms = parseDuration(v);
			if (ms < MIN_SIGNED_URL_TTL_MS || ms > MAX_SIGNED_URL_TTL_MS) {
				throw invalidValue("download.signedUrls.ttl must be between 00:01:00 and 7 days.");
			}
		},
	}),
	"download.cdn.urlPattern": definition({
		type: "string",
		default: "",
		validate: (v: string) => {
			try {
				validateCdnUrlPattern(v);
			} catch (err) {
				throw invalidValue((err as Error).message);
			}
		},
	}),
} as const;

/** A key stored in `tenant_configs`. */
export type StoredConfigKey = keyof typeof TENANT_CONFIG_DEFINITIONS;

/** The pseudo-key for the tenant's default distribution-set type (tenant metadata in hawkBit). */
export const DEFAULT_DS_TYPE_KEY = "default.ds.type";

/** Every key the management API lists, in hawkBit's spelling. */
export type TenantConfigKey = StoredConfigKey | typeof DEFAULT_DS_TYPE_KEY;

/** The resolved value of every stored key, typed. */
export type TenantConfigValues = {
	[K in StoredConfigKey]: (typeof TENANT_CONFIG_DEFINITIONS)[K]["default"] extends boolean
		? boolean
		: (typeof TENANT_CONFIG_DEFINITIONS)[K]["default"] extends number
			? number
			: string;
};

/** One key as the management API shows it (MgmtSystemTenantConfigurationValue without links). */
export type TenantConfigEntry = {
	key: TenantConfigKey;
	value: TenantConfigValue;
	/** true = no tenant override, the system default applies (then the audit fields are absent). */
	global: boolean;
	createdAt?: number;
	createdBy?: string;
	lastModifiedAt?: number;
	lastModifiedBy?: string;
};

/** Resolved configuration of one tenant, as kept in KV and memoised per isolate. */
export type TenantConfigSnapshot = {
	v: 1;
	/**
	 * Generation of the tenant's poll entries: an entry computed under another generation is stale and is
	 * recomputed from D1 on its next poll. Changes when the polling overrides change or when a write touched
	 * more targets than can be refreshed one by one (see shared/poll-cache).
	 */
	gen: number;
	/** The resolved values; the gateway key is blanked here and kept only as a hash. */
	values: TenantConfigValues;
	/** Hex SHA-256 of `authentication.gatewaytoken.key` ("" when the key is empty). */
	gatewayKeySha256: string;
	builtAt: number;
};

const STORED_KEYS = Object.keys(TENANT_CONFIG_DEFINITIONS) as StoredConfigKey[];

/** Whether `key` is one of hawkBit's tenant configuration keys (including `default.ds.type`). */
export function isTenantConfigKey(key: string): key is TenantConfigKey {
	return key === DEFAULT_DS_TYPE_KEY || isStoredConfigKey(key);
}

/** Whether `key` is a key kept in `tenant_configs` (every key but `default.ds.type`). */
export function isStoredConfigKey(key: string): key is StoredConfigKey {
	return Object.hasOwn(TENANT_CONFIG_DEFINITIONS, key);
}

function invalidKey(key: string): DomainError {
	return new DomainError("configKeyInvalid", `The given configuration key ${key} does not exist.`);
}

function invalidValue(message: string): DomainError {
	return new DomainError("configValueInvalid", message);
}

function javaTypeName(type: TenantConfigType): string {
	switch (type) {
		case "boolean":
			return "Boolean";
		case "integer":
			return "Integer";
		case "long":
			return "Long";
		case "string":
			return "String";
	}
}

function describe(value: unknown): string {
	if (value === null) {
		return "null";
	}
	if (typeof value === "number") {
		return Number.isInteger(value) ? "class java.lang.Integer" : "class java.lang.Double";
	}
	if (typeof value === "boolean") {
		return "class java.lang.Boolean";
	}
	if (typeof value === "string") {
		return "class java.lang.String";
	}
	return Array.isArray(value) ? "class java.util.ArrayList" : "class java.util.LinkedHashMap";
}

const TRUE_WORDS = new Set(["true", "on", "yes", "1"]);
const FALSE_WORDS = new Set(["false", "off", "no", "0"]);
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

/**
 * Converts a JSON value to the key's type the way Spring's DefaultConversionService does for hawkBit
 * ("true"/"on"/"yes"/"1" → true, 30 → "30" for a string key, "3" → 3 for a number key), then validates.
 * @throws DomainError configValueInvalid
 */
export function convertTenantConfigValue(key: StoredConfigKey, raw: unknown): TenantConfigValue {
	const def = TENANT_CONFIG_DEFINITIONS[key] as KeyDefinition<TenantConfigValue>;
	const cannotConvert = () =>
		invalidValue(
			`Cannot convert the value ${String(raw)} of type ${describe(raw)} to the type class java.lang.${javaTypeName(def.type)} defined by the configuration key.`,
		);
	let value: TenantConfigValue;
	switch (def.type) {
		case "boolean": {
			if (typeof raw === "boolean") {
				value = raw;
			} else if (typeof raw === "string" && TRUE_WORDS.has(raw.trim().toLowerCase())) {
				value = true;
			} else if (typeof raw === "string" && FALSE_WORDS.has(raw.trim().toLowerCase())) {
				value = false;
			} else {
				throw cannotConvert();
			}
			break;
		}
		case "integer":
		case "long": {
			const n =
				typeof raw === "number"
					? raw
					: typeof raw === "string" && /^\s*[+-]?\d+\s*$/.test(raw)
						? Number(raw.trim())
						: Number.NaN;
			const [min, max] =
				def.type === "integer"
					? [INT32_MIN, INT32_MAX]
					: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
			if (!Number.isInteger(n) || n < min || n > max) {
				throw cannotConvert();
			}
			value = n;
			break;
		}
		case "string": {
			if (typeof raw === "string") {
				value = raw;
			} else if (typeof raw === "number" || typeof raw === "boolean") {
				value = String(raw);
			} else {
				throw cannotConvert();
			}
			break;
		}
	}
	try {
		def.validate?.(value);
	} catch (err) {
		if (err instanceof PollingTimeError) {
			throw invalidValue(err.message);
		}
		throw err;
	}
	return value;
}

/**
 * Checks the RSQL of `pollingTime` overrides. The RSQL module registers itself here (it lives with the
 * management API); until it does, only the interval grammar is checked.
 */
let overrideQueryValidator: ((query: string) => void) | undefined;

/** Lets the RSQL module validate override queries when `pollingTime` is written. */
export function setPollingOverrideQueryValidator(validate: (query: string) => void): void {
	overrideQueryValidator = validate;
}

function validateOverrideQueries(pollingTime: string): void {
	if (!overrideQueryValidator) {
		return;
	}
	for (const override of parsePollingTime(pollingTime).overrides) {
		try {
			overrideQueryValidator(override.query);
		} catch (err) {
			if (err instanceof DomainError) {
				throw err;
			}
			throw invalidValue(
				`Invalid pollingTime override query '${override.query}': ${(err as Error).message}`,
			);
		}
	}
}

function decodeStored(key: StoredConfigKey, row: TenantConfigRow): TenantConfigValue {
	try {
		return convertTenantConfigValue(key, JSON.parse(row.value));
	} catch {
		// A value that no longer validates (rules tightened since it was stored) falls back to the default.
		return TENANT_CONFIG_DEFINITIONS[key].default;
	}
}

function entryFromRow(key: StoredConfigKey, row: TenantConfigRow | undefined): TenantConfigEntry {
	if (!row) {
		return { key, value: TENANT_CONFIG_DEFINITIONS[key].default, global: true };
	}
	return {
		key,
		value: decodeStored(key, row),
		global: false,
		createdAt: row.createdAt,
		createdBy: row.createdBy,
		lastModifiedAt: row.lastModifiedAt,
		lastModifiedBy: row.lastModifiedBy,
	};
}

async function defaultDsTypeEntry(env: TenantConfigBindings, tenant: string) {
	const db = createDb(env.DB);
	let id = await findDefaultDsType(db, tenant);
	if (id === undefined) {
		id = (await ensureTenant(db, env.DB, tenant)).defaultDsTypeId;
	}
	// hawkBit reports the default DS type as a tenant-specific value without audit fields.
	return { key: DEFAULT_DS_TYPE_KEY, value: id, global: false } satisfies TenantConfigEntry;
}

/**
 * One configuration value of a tenant. hawkBit: GET /rest/v1/system/configs/{key}.
 * @throws DomainError configKeyInvalid for an unknown key.
 */
export async function getTenantConfig(
	env: TenantConfigBindings,
	tenant: string,
	key: string,
): Promise<TenantConfigEntry> {
	const name = normaliseTenant(tenant);
	if (key === DEFAULT_DS_TYPE_KEY) {
		return defaultDsTypeEntry(env, name);
	}
	if (!isStoredConfigKey(key)) {
		throw invalidKey(key);
	}
	const rows = await listTenantConfigRows(createDb(env.DB), name, [key]);
	return entryFromRow(key, rows[0]);
}

/**
 * Every configuration value of a tenant, `default.ds.type` included. hawkBit: GET /rest/v1/system/configs
 * (the caller drops `authentication.gatewaytoken.key` when the user lacks READ_GATEWAY_SECURITY_TOKEN).
 */
export async function listTenantConfig(
	env: TenantConfigBindings,
	tenant: string,
): Promise<TenantConfigEntry[]> {
	const name = normaliseTenant(tenant);
	const rows = await listTenantConfigRows(createDb(env.DB), name);
	const byKey = new Map(rows.map((r) => [r.key, r]));
	const entries = STORED_KEYS.map((key) => entryFromRow(key, byKey.get(key)));
	entries.push(await defaultDsTypeEntry(env, name));
	return entries;
}

/**
 * Sets several keys at once; all are validated before anything is written, and the writes are one D1
 * batch, so either all change or none (hawkBit: PUT /rest/v1/system/configs). The tenant's KV snapshot is
 * rewritten before this returns, so devices see the change at once (see docs/storage-schema.md).
 * @throws DomainError configKeyInvalid, configValueInvalid, repo.entityNotFound (unknown DS type id)
 */
export async function setTenantConfigs(
	env: TenantConfigBindings,
	tenant: string,
	values: Record<string, unknown>,
	user = "system",
): Promise<void> {
	const name = normaliseTenant(tenant);
	const db = createDb(env.DB);
	const stored: { key: StoredConfigKey; value: TenantConfigValue }[] = [];
	let defaultDsType: number | undefined;
	for (const [key, raw] of Object.entries(values)) {
		if (key === DEFAULT_DS_TYPE_KEY) {
			if (typeof raw !== "number" || !Number.isInteger(raw)) {
				throw invalidValue(
					`Default DistributionSetType Value Type is incorrect. Expected Long, received ${describe(raw).replace("class ", "")}`,
				);
			}
			defaultDsType = raw;
			continue;
		}
		if (!isStoredConfigKey(key)) {
			throw invalidKey(key);
		}
		const value = convertTenantConfigValue(key, raw);
		if (key === "pollingTime") {
			validateOverrideQueries(value as string);
		}
		stored.push({ key, value });
	}
	if (defaultDsType !== undefined) {
		const type = await findDistributionSetType(db, name, defaultDsType);
		if (!type) {
			throw entityNotFound("DistributionSetType", defaultDsType);
		}
	}
	const before = stored.some((s) => s.key === "pollingTime")
		? await readTenantConfigSnapshot(env, name)
		: undefined;
	await writeTenantConfig(db, name, { rows: stored, defaultDsTypeId: defaultDsType }, user);
	await rebuildSnapshot(env, name, before && pollingOverridesChanged(before, stored));
}

/**
 * Sets one key. hawkBit: PUT /rest/v1/system/configs/{key}.
 * @throws DomainError configKeyInvalid, configValueInvalid, repo.entityNotFound
 */
export async function setTenantConfig(
	env: TenantConfigBindings,
	tenant: string,
	key: string,
	value: unknown,
	user = "system",
): Promise<void> {
	await setTenantConfigs(env, tenant, { [key]: value }, user);
}

/**
 * Removes a tenant override so the system default applies again. hawkBit: DELETE
 * /rest/v1/system/configs/{key}; like hawkBit, deleting a key without override (or an unknown key) is a
 * no-op, and `default.ds.type` cannot be deleted (404 "Configuration key not found").
 * @throws DomainError repo.entityNotFound for `default.ds.type`
 */
export async function deleteTenantConfig(
	env: TenantConfigBindings,
	tenant: string,
	key: string,
): Promise<void> {
	const name = normaliseTenant(tenant);
	if (key === DEFAULT_DS_TYPE_KEY) {
		throw new DomainError("repo.entityNotFound", "Configuration key not found", {
			type: "Configuration key not found",
			entityId: key,
		});
	}
	const before = key === "pollingTime" ? await readTenantConfigSnapshot(env, name) : undefined;
	await deleteTenantConfigRow(createDb(env.DB), name, key);
	await rebuildSnapshot(
		env,
		name,
		before !== undefined &&
			pollingOverridesChanged(before, [
				{ key: "pollingTime", value: TENANT_CONFIG_DEFINITIONS.pollingTime.default },
			]),
	);
}

function pollingOverridesChanged(
	before: TenantConfigSnapshot,
	stored: { key: StoredConfigKey; value: TenantConfigValue }[],
): boolean {
	const next = stored.find((s) => s.key === "pollingTime")?.value as string | undefined;
	if (next === undefined || next === before.values.pollingTime) {
		return false;
	}
	// Poll entries remember which override matched; only a change of overrides makes that stale.
	return (
		parsePollingTime(before.values.pollingTime).overrides.length > 0 ||
		parsePollingTime(next).overrides.length > 0
	);
}

/** How long an isolate trusts its memoised snapshot before reading KV again. */
export const TENANT_CONFIG_MEMO_MS = 5_000;

type Memo = { snapshot: TenantConfigSnapshot; expires: number };
const memo = new Map<string, Memo>();
const pollingTimeCache = new Map<string, PollingTime>();

async function sha256Hex(text: string): Promise<string> {
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
	return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function buildSnapshot(
	env: TenantConfigBindings,
	tenant: string,
	gen: number,
): Promise<{ snapshot: TenantConfigSnapshot; exists: boolean }> {
	const { rows, exists } = await readTenantConfigState(createDb(env.DB), tenant);
	const byKey = new Map(rows.map((r) => [r.key, r]));
	const values = Object.fromEntries(
		STORED_KEYS.map((key) => [key, entryFromRow(key, byKey.get(key)).value]),
	) as TenantConfigValues;
	const gatewayKey = values["authentication.gatewaytoken.key"];
	values["authentication.gatewaytoken.key"] = "";
	return {
		snapshot: {
			v: 1,
			gen,
			values,
			gatewayKeySha256: gatewayKey ? await sha256Hex(gatewayKey) : "",
			builtAt: Date.now(),
		},
		exists,
	};
}

async function storeSnapshot(
	env: TenantConfigBindings,
	tenant: string,
	snapshot: TenantConfigSnapshot,
) {
	// No expiration: the snapshot is rewritten by every config write, and its `gen` must outlive the poll
	// entries that carry it (a rebuilt snapshot gets a new generation and so invalidates them all).
	await env.POLL_CACHE.put(tenantConfigKey(tenant), JSON.stringify(snapshot));
	memo.set(tenant, { snapshot, expires: Date.now() + TENANT_CONFIG_MEMO_MS });
}

async function rebuildSnapshot(
	env: TenantConfigBindings,
	tenant: string,
	newGeneration: boolean | undefined,
): Promise<TenantConfigSnapshot> {
	const current = await readSnapshotFromKv(env, tenant);
	const gen = newGeneration || !current ? nextGeneration(current) : current.gen;
	const { snapshot } = await buildSnapshot(env, tenant, gen);
	await storeSnapshot(env, tenant, snapshot);
	return snapshot;
}

function nextGeneration(current: TenantConfigSnapshot | undefined): number {
	// Monotonic across rebuilds even if the clock stands still within one request.
	return Math.max(Date.now(), (current?.gen ?? 0) + 1);
}

async function readSnapshotFromKv(
	env: TenantConfigBindings,
	tenant: string,
): Promise<TenantConfigSnapshot | undefined> {
	const stored = await env.POLL_CACHE.get<TenantConfigSnapshot>(tenantConfigKey(tenant), "json");
	return stored?.v === 1 ? stored : undefined;
}

/**
 * The tenant's resolved configuration for the hot path: in-isolate memo (≤ {@link TENANT_CONFIG_MEMO_MS}
 * old), else KV, else built from D1 and stored. `fresh` skips the memo (used when a poll entry carries a
 * newer generation than the memo).
 */
export async function readTenantConfigSnapshot(
	env: TenantConfigBindings,
	tenant: string,
	opts: { fresh?: boolean } = {},
): Promise<TenantConfigSnapshot> {
	const name = normaliseTenant(tenant);
	const now = Date.now();
	const hit = memo.get(name);
	if (hit && hit.expires > now && !opts.fresh) {
		return hit.snapshot;
	}
	const stored = await readSnapshotFromKv(env, name);
	if (stored) {
		memo.set(name, { snapshot: stored, expires: now + TENANT_CONFIG_MEMO_MS });
		return stored;
	}
	const { snapshot: built, exists } = await buildSnapshot(env, name, nextGeneration(undefined));
	if (exists) {
		await storeSnapshot(env, name, built);
	} else {
		// Unknown tenant (every DDI scheme off, so every request is 401): remember it in this isolate
		// only, so requests naming random tenants cannot fill KV.
		memo.set(name, { snapshot: built, expires: now + TENANT_CONFIG_MEMO_MS });
	}
	return built;
}

/** The typed, resolved configuration values of a tenant (cached; gateway key blanked). */
export async function getTenantConfigValues(
	env: TenantConfigBindings,
	tenant: string,
): Promise<TenantConfigValues> {
	return (await readTenantConfigSnapshot(env, tenant)).values;
}

/** The parsed `pollingTime` of a snapshot, parsed once per distinct value per isolate. */
export function snapshotPollingTime(snapshot: TenantConfigSnapshot): PollingTime {
	const text = snapshot.values.pollingTime;
	let parsed = pollingTimeCache.get(text);
	if (!parsed) {
		try {
			parsed = parsePollingTime(text);
		} catch {
			parsed = parsePollingTime(TENANT_CONFIG_DEFINITIONS.pollingTime.default);
		}
		pollingTimeCache.set(text, parsed);
	}
	return parsed;
}

/**
 * Starts a new poll-entry generation for the tenant: every device's cached poll entry becomes stale and
 * is recomputed from D1 on its next poll. Used when a write touches too many targets to refresh one by one.
 */
export async function bumpPollGeneration(
	env: TenantConfigBindings,
	tenant: string,
): Promise<number> {
	const name = normaliseTenant(tenant);
	const current = await readSnapshotFromKv(env, name);
	const base = current ?? (await buildSnapshot(env, name, 0)).snapshot;
	const snapshot = { ...base, gen: nextGeneration(current), builtAt: Date.now() };
	await storeSnapshot(env, name, snapshot);
	return snapshot.gen;
}

/** Drops this isolate's memo (tests; or after writing KV from elsewhere). */
export function forgetTenantConfigMemo(tenant?: string): void {
	if (tenant) {
		memo.delete(normaliseTenant(tenant));
	} else {
		memo.clear();
	}
}
