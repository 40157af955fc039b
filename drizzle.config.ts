import { defineConfig } from "drizzle-kit";

export default defineConfig({
	dialect: "sqlite",
	schema: "./shared/db/schema/index.ts",
	out: "./migrations",
	casing: "snake_case",
});
