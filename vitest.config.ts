import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => ({
	plugins: [
		cloudflareTest({
			wrangler: { configPath: "./wrangler.toml" },
			miniflare: {
				bindings: {
					TEST_MIGRATIONS: await readD1Migrations("./migrations"),
					DEPLOYMENT: "local",
					ADMIN_PASSWORD: "admin",
					DOWNLOAD_SIGNING_KEY: "test-signing-key",
				},
			},
		}),
	],
	test: {
		include: ["workers/**/*.test.ts", "shared/**/*.test.ts"],
		setupFiles: ["./workers/testing/setup.ts"],
		testTimeout: 30_000,
	},
}));
