import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CliError, EXIT } from "./exit-codes";
import {
	normaliseUrl,
	profileFilePath,
	readProfileFile,
	resolveConnection,
	writeProfileFile,
} from "./profile";

const file = {
	default: "prod",
	profiles: {
		prod: { url: "https://prod.example/", tenant: "acme", username: "ops", password: "p" },
		ci: { url: "http://127.0.0.1:8080", token: "tok-123" },
	},
};

describe("resolveConnection", () => {
	it("uses the default profile when none is named", () => {
		const c = resolveConnection({}, file, {});
		assert.equal(c.url, "https://prod.example");
		assert.equal(c.tenant, "ACME");
		assert.deepEqual(c.credentials, { kind: "basic", username: "ops", password: "p" });
		assert.equal(c.profileName, "prod");
	});

	it("lets flags beat the environment and the environment beat the profile", () => {
		const env = { UPDRAFT_URL: "http://env.example", UPDRAFT_TENANT: "envt" };
		const fromEnv = resolveConnection({}, file, env);
		assert.equal(fromEnv.url, "http://env.example");
		assert.equal(fromEnv.tenant, "ENVT");
		const fromFlag = resolveConnection({ url: "http://flag.example" }, file, env);
		assert.equal(fromFlag.url, "http://flag.example");
	});

	it("selects a profile by flag or UPDRAFT_PROFILE and sends its token as Bearer", () => {
		assert.deepEqual(resolveConnection({ profile: "ci" }, file, {}).credentials, {
			kind: "bearer",
			token: "tok-123",
		});
		assert.equal(resolveConnection({}, file, { UPDRAFT_PROFILE: "ci" }).profileName, "ci");
	});

	it("prefers an explicit --user/--password over a stored token", () => {
		const c = resolveConnection({ profile: "ci", user: "me", password: "pw" }, file, {});
		assert.deepEqual(c.credentials, { kind: "basic", username: "me", password: "pw" });
	});

	it("fails with the config exit code for an unknown profile or no credentials", () => {
		assert.throws(
			() => resolveConnection({ profile: "nope" }, file, {}),
			(e: unknown) =>
				e instanceof CliError && e.exitCode === EXIT.config && /known: prod, ci/.test(e.message),
		);
		assert.throws(
			() => resolveConnection({}, { profiles: {} }, {}),
			(e: unknown) => e instanceof CliError && e.exitCode === EXIT.config,
		);
	});
});

describe("normaliseUrl", () => {
	it("drops a trailing slash and a pasted /rest/v1", () => {
		assert.equal(normaliseUrl("http://h:8080/"), "http://h:8080");
		assert.equal(normaliseUrl("https://h/base/rest/v1/"), "https://h/base");
	});

	it("rejects what is not an http(s) URL", () => {
		assert.throws(() => normaliseUrl("ftp://h"), CliError);
		assert.throws(() => normaliseUrl("not a url"), CliError);
	});
});

describe("profile file", () => {
	it("round-trips and is readable by the owner only", () => {
		const path = join(mkdtempSync(join(tmpdir(), "updraft-profile-")), "sub", "profiles.json");
		writeProfileFile(path, file);
		assert.deepEqual(readProfileFile(path), file);
		assert.equal(statSync(path).mode & 0o777, 0o600);
		assert.match(readFileSync(path, "utf8"), /"prod"/);
	});

	it("reports a broken file as a config error", () => {
		const dir = mkdtempSync(join(tmpdir(), "updraft-profile-"));
		const path = join(dir, "p.json");
		writeProfileFile(path, file);
		writeFileSync(path, "{nope");
		assert.throws(
			() => readProfileFile(path),
			(e: unknown) => e instanceof CliError && e.exitCode === EXIT.config,
		);
	});

	it("lives under XDG_CONFIG_HOME unless UPDRAFT_CONFIG says otherwise", () => {
		assert.equal(profileFilePath({ XDG_CONFIG_HOME: "/x" }), "/x/updraft/profiles.json");
		assert.equal(
			profileFilePath({ UPDRAFT_CONFIG: "/y/p.json", XDG_CONFIG_HOME: "/x" }),
			"/y/p.json",
		);
	});
});
