/**
 * Password hashing (PBKDF2-SHA256 via WebCrypto) and API-token hashing for management principals.
 * hawkBit delegates this to Spring Security's PasswordEncoder; Updraft stores its own format:
 * `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`.
 */

/** Workers refuse PBKDF2 above 100 000 iterations, so this is the strongest setting available. */
export const PBKDF2_ITERATIONS = 100_000;
const HASH_BYTES = 32;
const SALT_BYTES = 16;
const PREFIX = "pbkdf2-sha256";
/** Prefix of Updraft API tokens; lets secret scanners recognise a leaked token. */
export const API_TOKEN_PREFIX = "upd_";

const enc = new TextEncoder();

function toBase64(bytes: Uint8Array): string {
	let s = "";
	for (const b of bytes) {
		s += String.fromCharCode(b);
	}
	return btoa(s);
}

function fromBase64(s: string): Uint8Array {
	const bin = atob(s);
	const out = new Uint8Array(bin.length);
	for (let i = 0; i < bin.length; i++) {
		out[i] = bin.charCodeAt(i);
	}
	return out;
}

function toHex(bytes: ArrayBuffer): string {
	return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
	const key = await crypto.subtle.importKey("raw", enc.encode(password), "PBKDF2", false, [
		"deriveBits",
	]);
	const bits = await crypto.subtle.deriveBits(
		{ name: "PBKDF2", hash: "SHA-256", salt, iterations },
		key,
		HASH_BYTES * 8,
	);
	return new Uint8Array(bits);
}

/** Constant-time comparison of equal-purpose byte strings (length leak is acceptable). */
export function timingSafeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
	if (a.length !== b.length) {
		return false;
	}
	let diff = 0;
	for (let i = 0; i < a.length; i++) {
		diff |= (a[i] as number) ^ (b[i] as number);
	}
	return diff === 0;
}

/** Constant-time string comparison (for the built-in admin password). */
export function timingSafeEqualString(a: string, b: string): boolean {
	return timingSafeEqualBytes(enc.encode(a), enc.encode(b));
}

/** Hashes a new password with a random salt. */
export async function hashPassword(password: string, iterations = PBKDF2_ITERATIONS) {
	const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
	const hash = await derive(password, salt, iterations);
	return `${PREFIX}$${iterations}$${toBase64(salt)}$${toBase64(hash)}`;
}

/** Verifies a password against a stored hash; false for any malformed stored value. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
	const [prefix, iter, salt, hash] = stored.split("$");
	const iterations = Number(iter);
	if (prefix !== PREFIX || !salt || !hash || !Number.isInteger(iterations) || iterations < 1) {
		return false;
	}
	if (iterations > PBKDF2_ITERATIONS) {
		return false;
	}
	const expected = fromBase64(hash);
	const actual = await derive(password, fromBase64(salt), iterations);
	return timingSafeEqualBytes(actual, expected);
}

/** SHA-256 hex of a string; how API tokens are stored and how verified passwords are cached. */
export async function sha256Hex(value: string): Promise<string> {
	return toHex(await crypto.subtle.digest("SHA-256", enc.encode(value)));
}

/** A new random API token (shown once to its creator; only its SHA-256 is stored). */
export function generateApiToken(): string {
	const bytes = crypto.getRandomValues(new Uint8Array(32));
	return (
		API_TOKEN_PREFIX + toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
	);
}
