/** Addresses inside the console (hash routes, so deep links work from plain static hosting). */

/** `#/path?query`, leaving out empty query values. */
export function href(path, query) {
	const params = new URLSearchParams();
	for (const [k, v] of Object.entries(query ?? {})) {
		if (v !== undefined && v !== null && v !== "") {
			params.set(k, String(v));
		}
	}
	const qs = params.toString();
	return `#${path}${qs ? `?${qs}` : ""}`;
}

/** Goes to another page. */
export function navigate(path, query) {
	location.hash = href(path, query);
}
