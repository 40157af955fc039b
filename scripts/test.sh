#!/usr/bin/env bash
# `npm test`: every test of the project, in order of speed.
#   1. types and lint; 2. the Worker's tests inside workerd (vitest + @cloudflare/vitest-plugin);
#   3. `wrangler deploy --dry-run` (the production bundle builds); 4. release CLI and device simulator
#   against `npm start`; 5. Debian's SWUpdate against `npm start`; 6. the operator UI in Debian's Chromium.
# Steps 5 and 6 need Debian packages (`swupdate openssl cpio`, `chromium`; .ci/run installs them). On a
# developer machine without them they are skipped with a loud notice; under CI they are required.
set -euo pipefail
cd "$(dirname "$0")/.."
export WRANGLER_SEND_METRICS=false

step() { printf '\n== %s\n' "$*"; }
missing() {
	if [ -n "${CI:-}" ]; then
		echo "test: $1 is required under CI ($2)" >&2
		exit 1
	fi
	printf '\n!! SKIPPED: %s — install it to run this check: %s\n' "$1" "$2" >&2
}

step "types and lint"
npx tsc -p .
npx biome check .

step "Worker tests in workerd"
npx vitest run

step "production bundle (wrangler deploy --dry-run)"
npx wrangler deploy --dry-run --outdir .wrangler/dry >/dev/null

step "release CLI and device simulator"
npm run --silent test:tools

step "real client: SWUpdate"
if command -v swupdate >/dev/null && command -v openssl >/dev/null && command -v cpio >/dev/null; then
	timeout --kill-after=30 600 npm run --silent test:e2e
else
	missing "swupdate" "apt-get install -y swupdate openssl cpio"
fi

step "operator UI in Chromium"
if [ -x /usr/bin/chromium ]; then
	timeout --kill-after=30 900 npm run --silent test:ui
else
	missing "chromium" "apt-get install -y chromium"
fi
