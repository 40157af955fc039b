/**
 * Connection profiles of the release CLI: named sets of URL, tenant and credentials kept in a JSON
 * file (default `~/.config/updraft/profiles.json`, mode 0600), resolved in the order
 * command-line flag > environment variable > profile > built-in default, like the AWS and gh CLIs.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { CliError, EXIT } from "./exit-codes";

export type Profile = {
	url?: string;
	tenant?: string;
	username?: string;
	password?: string;
	/** API token (Bearer); wins over username/password when both are set. */
	token?: string;
};

export type ProfileFile = {
	/** Name of the profile used when none is given. */
	default?: string;
	profiles: Record<string, Profile>;
};

export type Credentials =
	| { kind: "basic"; username: string; password: string }
	| { kind: "bearer"; token: string };

/** Everything a command needs to talk to one Updraft tenant. */
export type Connection = {
	/** Base URL without trailing slash and without `/rest/v1`. */
	url: string;
	tenant: string;
	credentials: Credentials;
	/** Which profile (if any) contributed, for messages. */
	profileName?: string;
};

/** What the user passed on the command line (all optional). */
export type ConnectionFlags = {
	profile?: string;
	url?: string;
	tenant?: string;
	user?: string;
	password?: string;
	token?: string;
};

export const DEFAULT_URL = "http://127.0.0.1:8080";
export const DEFAULT_TENANT = "DEFAULT";

/** `$UPDRAFT_CONFIG`, else `$XDG_CONFIG_HOME/updraft/profiles.json`, else `~/.config/updraft/profiles.json`. */
export function profileFilePath(env: NodeJS.ProcessEnv = process.env): string {
	if (env.UPDRAFT_CONFIG) {
		return env.UPDRAFT_CONFIG;
	}
	const base = env.XDG_CONFIG_HOME || join(homedir(), ".config");
	return join(base, "updraft", "profiles.json");
}

export function readProfileFile(path: string): ProfileFile {
	if (!existsSync(path)) {
		return { profiles: {} };
	}
	let parsed: unknown;
	try {
		parsed = JSON.parse(readFileSync(path, "utf8"));
	} catch (err) {
		throw new CliError(
			EXIT.config,
			`cannot read the profile file ${path}: ${err instanceof Error ? err.message : String(err)}`,
		);
	}
	if (!isRecord(parsed) || (parsed.profiles !== undefined && !isRecord(parsed.profiles))) {
		throw new CliError(EXIT.config, `the profile file ${path} is not {"profiles": {…}}`);
	}
	const profiles: Record<string, Profile> = {};
	for (const [name, value] of Object.entries(parsed.profiles ?? {})) {
		if (!isRecord(value)) {
			throw new CliError(EXIT.config, `profile "${name}" in ${path} is not an object`);
		}
		profiles[name] = pickStrings(value, ["url", "tenant", "username", "password", "token"]);
	}
	const def = typeof parsed.default === "string" ? parsed.default : undefined;
	return { default: def, profiles };
}

/** Writes atomically and owner-only: the file holds passwords and tokens. */
export function writeProfileFile(path: string, file: ProfileFile): void {
	mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
	const tmp = `${path}.${process.pid}.tmp`;
	writeFileSync(tmp, `${JSON.stringify(file, null, "\t")}\n`, { mode: 0o600 });
	chmodSync(tmp, 0o600);
	renameSync(tmp, path);
}

/**
 * Merges flags, environment and the stored profile into a connection. Throws a config error when
 * a named profile does not exist or no credential is available.
 */
export function resolveConnection(
	flags: ConnectionFlags,
	file: ProfileFile,
	env: NodeJS.ProcessEnv = process.env,
): Connection {
	const requested = flags.profile ?? env.UPDRAFT_PROFILE;
	const profileName = requested ?? file.default ?? (file.profiles.default ? "default" : undefined);
	let profile: Profile = {};
	if (profileName !== undefined) {
		const found = file.profiles[profileName];
		if (!found && requested !== undefined) {
			const known = Object.keys(file.profiles);
			throw new CliError(
				EXIT.config,
				`no profile named "${profileName}"${known.length ? ` (known: ${known.join(", ")})` : ""}; create it with \`updraft profile set ${profileName} --url … --user … --password …\``,
			);
		}
		profile = found ?? {};
	}
	const pick = (flag: string | undefined, envName: string, stored: string | undefined) =>
		flag ?? (env[envName] || undefined) ?? stored;
	const url = pick(flags.url, "UPDRAFT_URL", profile.url) ?? DEFAULT_URL;
	const tenant = pick(flags.tenant, "UPDRAFT_TENANT", profile.tenant) ?? DEFAULT_TENANT;
	const token = pick(flags.token, "UPDRAFT_TOKEN", profile.token);
	const username = pick(flags.user, "UPDRAFT_USER", profile.username);
	const password = pick(flags.password, "UPDRAFT_PASSWORD", profile.password);
	// An explicit user/password on the command line beats a stored token, and vice versa.
	const preferBasic = flags.user !== undefined || flags.password !== undefined;
	let credentials: Credentials | undefined;
	if (token && !(preferBasic && username && password !== undefined)) {
		credentials = { kind: "bearer", token };
	} else if (username && password !== undefined) {
		credentials = { kind: "basic", username, password };
	}
	if (!credentials) {
		throw new CliError(
			EXIT.config,
			"no credentials: pass --user and --password (or --token), set UPDRAFT_USER/UPDRAFT_PASSWORD or UPDRAFT_TOKEN, or store a profile with `updraft profile set`",
		);
	}
	return { url: normaliseUrl(url), tenant: tenant.toUpperCase(), credentials, profileName };
}

/** Drops a trailing slash and a pasted `/rest/v1` so both `http://host` and `http://host/rest/v1` work. */
export function normaliseUrl(raw: string): string {
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		throw new CliError(EXIT.config, `not a URL: ${raw}`);
	}
	if (url.protocol !== "http:" && url.protocol !== "https:") {
		throw new CliError(EXIT.config, `the URL must be http or https: ${raw}`);
	}
	let path = url.pathname.replace(/\/+$/, "");
	path = path.replace(/\/rest\/v1$/, "");
	return `${url.origin}${path}`;
}

/** A profile for display: secrets masked. */
export function maskProfile(p: Profile): Profile {
	return {
		...p,
		password: p.password === undefined ? undefined : "********",
		token: p.token === undefined ? undefined : `${p.token.slice(0, 4)}…`,
	};
}

function isRecord(v: unknown): v is Record<string, unknown> {
	return typeof v === "object" && v !== null && !Array.isArray(v);
}

function pickStrings<K extends string>(
	v: Record<string, unknown>,
	keys: K[],
): Partial<Record<K, string>> {
	const out: Partial<Record<K, string>> = {};
	for (const k of keys) {
		const value = v[k];
		if (typeof value === "string") {
			out[k] = value;
		}
	}
	return out;
}
