/**
 * A throwaway signing key and harmless signed .swu images for SWUpdate.
 *
 * Debian's swupdate is built with signed images (CMS) and hardware compatibility, so every image needs
 * `sw-description.sig` right after `sw-description`, a sha256 on every file and script, and a
 * `hardware-compatibility` list that contains the revision passed with `-H`. The images only write into
 * `outdir`: the raw-file handler copies payload.txt there and hook.sh appends to outdir/hook.log.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const HW_BOARD = "harness";
export const HW_REVISION = "1.0";

export type SigningKey = { key: string; cert: string };

/**
 * A self-signed certificate for CMS signing. swupdate's CMS check insists on the signer's purpose
 * (emailProtection by default) and a digitalSignature key usage.
 */
export function makeSigningKey(dir: string): SigningKey {
	mkdirSync(dir, { recursive: true });
	const key = join(dir, "swu.key.pem");
	const cert = join(dir, "swu.cert.pem");
	execFileSync(
		"openssl",
		[
			"req",
			"-x509",
			"-newkey",
			"rsa:2048",
			"-nodes",
			"-days",
			"2",
			"-subj",
			"/CN=updraft-e2e-harness",
			"-addext",
			"keyUsage=critical,digitalSignature",
			"-addext",
			"extendedKeyUsage=emailProtection",
			"-keyout",
			key,
			"-out",
			cert,
		],
		{ stdio: ["ignore", "ignore", "pipe"] },
	);
	return { key, cert };
}

export type SwuImage = {
	path: string;
	size: number;
	sha1: string;
	md5: string;
	sha256: string;
	/** Where the image's payload lands and where hook.sh logs its calls. */
	outdir: string;
};

export type SwuOptions = {
	/** Build directory (gets a subfolder per image). */
	dir: string;
	name: string;
	version: string;
	/** Absolute directory the install writes into; nothing else is touched. */
	outdir: string;
	/** Make hook.sh fail in preinst, so the install fails before anything is written. */
	fail: boolean;
	signer: SigningKey;
};

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

function hookScript(outdir: string, fail: boolean): string {
	const log = shellQuote(join(outdir, "hook.log"));
	const failure = fail
		? `if [ "$1" = preinst ]; then\n\techo "harness: simulated install failure" >&2\n\texit 1\nfi\n`
		: "";
	return `#!/bin/sh\n# Updraft e2e harness: harmless install hook, writes only into its outdir.\nmkdir -p ${shellQuote(outdir)}\necho "hook $1" >> ${log}\n${failure}exit 0\n`;
}

function shellQuote(s: string): string {
	return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** libconfig string literal: only backslash and double quote need escaping. */
function cfgString(s: string): string {
	return `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

export function buildSwu(o: SwuOptions): SwuImage {
	const work = join(o.dir, o.name.replace(/\.swu$/, ""));
	mkdirSync(work, { recursive: true });
	const payload = `Updraft e2e payload ${o.name} ${o.version}\n`;
	const hook = hookScript(o.outdir, o.fail);
	writeFileSync(join(work, "payload.txt"), payload);
	writeFileSync(join(work, "hook.sh"), hook, { mode: 0o755 });
	const description = `software =
{
	version = ${cfgString(o.version)};
	description = ${cfgString(`Updraft e2e harness image ${o.name}`)};
	hardware-compatibility: [ ${cfgString(HW_REVISION)} ];
	files: (
		{
			filename = "payload.txt";
			path = ${cfgString(join(o.outdir, "payload.txt"))};
			sha256 = ${cfgString(sha256(payload))};
			properties: { create-destination = "true"; };
		}
	);
	scripts: (
		{
			filename = "hook.sh";
			type = "shellscript";
			sha256 = ${cfgString(sha256(hook))};
		}
	);
}
`;
	writeFileSync(join(work, "sw-description"), description);
	execFileSync(
		"openssl",
		[
			"cms",
			"-sign",
			"-in",
			"sw-description",
			"-out",
			"sw-description.sig",
			"-signer",
			o.signer.cert,
			"-inkey",
			o.signer.key,
			"-outform",
			"DER",
			"-nosmimecap",
			"-binary",
		],
		{ cwd: work, stdio: ["ignore", "ignore", "pipe"] },
	);
	// SWUpdate reads the archive as a stream: sw-description first, its signature right after it.
	const image = execFileSync("cpio", ["-o", "-H", "newc", "--quiet"], {
		cwd: work,
		input: "sw-description\nsw-description.sig\npayload.txt\nhook.sh\n",
		stdio: ["pipe", "pipe", "pipe"],
		maxBuffer: 16 * 1024 * 1024,
	});
	const path = join(o.dir, o.name);
	writeFileSync(path, image);
	const bytes = readFileSync(path);
	return {
		path,
		size: bytes.length,
		sha1: createHash("sha1").update(bytes).digest("hex"),
		md5: createHash("md5").update(bytes).digest("hex"),
		sha256: sha256(bytes),
		outdir: o.outdir,
	};
}
