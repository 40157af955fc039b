/** Secrets are not in wrangler.toml, so `wrangler types` cannot see them (see .dev.vars.example). */
declare namespace Cloudflare {
	interface Env {
		ADMIN_PASSWORD?: string;
		DOWNLOAD_SIGNING_KEY?: string;
	}
}
