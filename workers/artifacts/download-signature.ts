/**
 * Signed, expiring download links (an Updraft extension; hawkBit's nearest relative is the download-id
 * link of its DMF API): `GET /dl/{TENANT}/{sha1}/{expires}/{signature}/{fileName}`.
 *
 * The signature is HMAC-SHA256 with the `DOWNLOAD_SIGNING_KEY` secret over the tenant, the artifact's
 * SHA-1 (which is its R2 key, shared/artifacts/keys.ts), the file name the device will be told and the
 * expiry. Changing any of them invalidates the link, so the edge can serve it with no D1 lookup: the
 * link is the credential, and it expires by itself (there is no revocation before `expires`).
 */

/** Path prefix of signed downloads (mounted in workers/app.ts). */
export const SIGNED_DOWNLOAD_PREFIX = "/dl";

/** What a signed link grants: these bytes, under this name, until then. */
export type SignedDownload = {
	/** The stored (upper-case) tenant. */
	tenant: string;
	/** Lower-case hex SHA-1 of the artifact. */
	sha1: string;
	/** Unix seconds after which the link is refused. */
	expires: number;
	filename: string;
};

const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
	// Importing a key costs more than the HMAC itself; the secret does not change within an isolate.
	let key = keys.get(secret);
	if (!key) {
		key = crypto.subtle.importKey(
			"raw",
			encoder.encode(secret),
			{ name: "HMAC", hash: "SHA-256" },
			false,
			["sign", "verify"],
		);
		keys.set(secret, key);
	}
	return key;
}

/** A JSON array cannot be re-split differently, whatever characters a tenant or file name holds. */
function message(d: SignedDownload): Uint8Array {
	return encoder.encode(JSON.stringify(["updraft-dl-v1", d.tenant, d.sha1, d.expires, d.filename]));
}

function toBase64Url(bytes: ArrayBuffer): string {
	let bin = "";
	for (const b of new Uint8Array(bytes)) {
		bin += String.fromCharCode(b);
	}
	return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array | undefined {
	if (!/^[A-Za-z0-9_-]{43}$/.test(text)) {
		return undefined;
	}
	const bin = atob(`${text.replaceAll("-", "+").replaceAll("_", "/")}=`);
	return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}

/** The link's signature: base64url (43 characters) of the HMAC-SHA256. */
export async function signDownload(secret: string, d: SignedDownload): Promise<string> {
	return toBase64Url(await crypto.subtle.sign("HMAC", await hmacKey(secret), message(d)));
}

/** Whether `signature` was made for exactly `d` with `secret` (constant-time, by WebCrypto's verify). */
export async function verifyDownload(
	secret: string,
	d: SignedDownload,
	signature: string,
): Promise<boolean> {
	const bytes = fromBase64Url(signature);
	if (!bytes) {
		return false;
	}
	return crypto.subtle.verify("HMAC", await hmacKey(secret), bytes, message(d));
}

/** `/dl/{TENANT}/{sha1}/{expires}/{signature}/{fileName}`, every segment percent-encoded. */
export function signedDownloadPath(d: SignedDownload, signature: string): string {
	return `${SIGNED_DOWNLOAD_PREFIX}/${encodeURIComponent(d.tenant)}/${d.sha1}/${d.expires}/${signature}/${encodeURIComponent(d.filename)}`;
}
