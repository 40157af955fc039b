/**
 * Who is signed in. The credential (a Basic header built from username and password, or a Bearer API
 * token) lives in sessionStorage only: it is gone when the tab closes and is never sent anywhere but
 * /rest/v1. /rest/v1/userinfo validates it and tells the tenant and the granted authorities.
 */
import { expandAuthorities } from "./permissions.js";

const KEY = "updraft.authorization";

/** @type {{ tenant: string, username: string, authorities: Set<string> } | null} */
let current = null;
const listeners = new Set();

/** The Authorization header value, if signed in. */
export function authorization() {
	return sessionStorage.getItem(KEY);
}

/** The signed-in principal, or null. */
export function user() {
	return current;
}

/** True when every given permission is granted (directly or through a role). */
export function can(...permissions) {
	return current !== null && permissions.every((p) => current?.authorities.has(p));
}

/** Called with a reason ("expired", "signed-out") when the session ends. */
export function onSignOut(listener) {
	listeners.add(listener);
}

/** Basic credentials as the Management API expects them (UTF-8, then base64). */
export function basicAuthorization(username, password) {
	const bytes = new TextEncoder().encode(`${username}:${password}`);
	let binary = "";
	for (const b of bytes) {
		binary += String.fromCharCode(b);
	}
	return `Basic ${btoa(binary)}`;
}

/**
 * Validates a credential with /rest/v1/userinfo and, if good, keeps it for this tab.
 * Resolves to the principal; rejects with the API's message when the credential is refused.
 * @param {string} header the Authorization header value
 */
export async function signIn(header) {
	const res = await fetch("/rest/v1/userinfo", {
		headers: { Authorization: header, Accept: "application/json" },
		// No ambient credentials: a 401 must not make the browser pop up its own Basic dialog.
		credentials: "omit",
	});
	if (!res.ok) {
		let message = res.status === 401 ? "Wrong username, password or token." : `HTTP ${res.status}`;
		try {
			const body = await res.json();
			if (res.status !== 401 && body?.message) {
				message = body.message;
			}
		} catch {
			// no JSON body
		}
		throw new Error(message);
	}
	const info = await res.json();
	sessionStorage.setItem(KEY, header);
	current = {
		tenant: info.tenant,
		username: info.username,
		authorities: expandAuthorities(info.permissions ?? []),
	};
	return current;
}

/** Restores the session kept in this tab (after a reload), or resolves to null. */
export async function resume() {
	const header = authorization();
	if (!header) {
		return null;
	}
	try {
		return await signIn(header);
	} catch {
		sessionStorage.removeItem(KEY);
		return null;
	}
}

/** Ends the session; `reason` is passed to the listeners ("signed-out" or "expired"). */
export function signOut(reason = "signed-out") {
	sessionStorage.removeItem(KEY);
	const was = current;
	current = null;
	if (was) {
		for (const l of listeners) {
			l(reason);
		}
	}
}
