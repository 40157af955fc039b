/**
 * Debian's swupdate in suricatta (hawkBit) mode, one process per scenario.
 *
 * swupdate's IPC sockets have fixed paths (/tmp/sockinstctrl, /tmp/swupdateprog) and it unpacks scripts
 * to /tmp/scripts, so two of them cannot share a /tmp. Each run gets its own mount namespace with a
 * private tmpfs on /tmp; the harness's work dir (which may itself live under /tmp) is bound back at its
 * own path so the certificate and the image's outdir stay reachable. Where namespaces are unavailable
 * the runs fall back to plain processes, strictly one after another.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { Proc } from "./proc";
import { HW_BOARD, HW_REVISION } from "./swu";

let namespaces: boolean | undefined;

/** Whether `unshare -m` plus a tmpfs mount works here (root, or a container that allows it). */
export function canUseMountNamespace(): boolean {
	if (namespaces === undefined && process.env.E2E_NO_NAMESPACE === "1") {
		namespaces = false;
	}
	if (namespaces === undefined) {
		try {
			execFileSync(
				"unshare",
				["-m", "--propagation", "private", "sh", "-c", "mount -t tmpfs updraft-e2e /tmp"],
				{ stdio: "ignore", timeout: 10_000 },
			);
			namespaces = true;
		} catch {
			namespaces = false;
		}
	}
	return namespaces;
}

export type SuricattaOptions = {
	cert: string;
	tenant: string;
	base: string;
	controllerId: string;
	targetToken: string;
	/** swupdate's `-c`: 1 = testing pending, 2 = success, 3 = failed (reported at startup). */
	confirm?: 1 | 2 | 3;
	verbose: boolean;
};

/**
 * The private-/tmp wrapper. `cd` into the work dir first: after the tmpfs hides /tmp, `.` still names
 * the old directory, and `mount --no-canonicalize --bind .` binds it back at the same path.
 */
const NAMESPACE_SCRIPT = `set -e
wd="$1"; shift
cd "$wd"
mount -t tmpfs updraft-e2e /tmp
case "$wd" in /tmp/*) mkdir -p "$wd"; mount --no-canonicalize --bind . "$wd" ;; esac
cd /
exec swupdate "$@"`;

const hardware = ["-H", `${HW_BOARD}:${HW_REVISION}`];

export function suricattaArgs(o: SuricattaOptions): string[] {
	const suricatta = [
		"-t",
		o.tenant,
		"-u",
		o.base,
		"-i",
		o.controllerId,
		"-k",
		o.targetToken,
		// Short retry wait so a broken download fails fast instead of after minutes.
		"-r",
		"2",
		"-w",
		"1",
		"-p",
		"2",
	];
	if (o.confirm !== undefined) {
		suricatta.push("-c", String(o.confirm));
	}
	return [
		...(o.verbose ? ["-v"] : ["-l", "5"]),
		...hardware,
		"-k",
		o.cert,
		"-u",
		suricatta.join(" "),
	];
}

export type GatewayDevice = {
	cert: string;
	tenant: string;
	base: string;
	controllerId: string;
	gatewayToken: string;
	/** Sent as configData: swupdate only PUTs configData when the config file has an `identify` list. */
	identify: Record<string, string>;
};

/** libconfig string literal: only backslash and double quote need escaping. */
const cfg = (s: string) => `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;

/**
 * The config-file form (`swupdate -f file -u ''`), the way devices are usually set up: gateway-token
 * auth and an `identify` section.
 */
export function suricattaConfigFile(o: GatewayDevice, verbose: boolean): string {
	const identify = Object.entries(o.identify)
		.map(([name, value]) => `{ name = ${cfg(name)}; value = ${cfg(value)}; }`)
		.join(", ");
	return `globals : {
	verbose = ${verbose};
	loglevel = ${verbose ? 6 : 5};
	public-key-file = ${cfg(o.cert)};
};
suricatta : {
	tenant = ${cfg(o.tenant)};
	id = ${cfg(o.controllerId)};
	url = ${cfg(o.base)};
	gatewaytoken = ${cfg(o.gatewayToken)};
	polldelay = 2;
	retry = 2;
	retrywait = 1;
};
identify : ( ${identify} );
`;
}

export function configFileArgs(file: string, confirm?: 1 | 2 | 3): string[] {
	return ["-f", file, ...hardware, "-u", confirm === undefined ? "" : `-c ${confirm}`];
}

/** `swupdate -i`: install a local image, no server involved. */
export function localInstallArgs(cert: string, image: string): string[] {
	return ["-v", ...hardware, "-k", cert, "-i", image];
}

export function startSwupdate(o: {
	label: string;
	workDir: string;
	args: string[];
	logFile: string;
}): Proc {
	const env = { ...process.env, LC_ALL: "C" };
	if (canUseMountNamespace()) {
		return new Proc(
			o.label,
			"unshare",
			["-m", "--propagation", "private", "sh", "-c", NAMESPACE_SCRIPT, "sh", o.workDir, ...o.args],
			{ env, logFile: o.logFile },
		);
	}
	const others = runningSwupdates();
	if (others.length > 0) {
		throw new Error(
			`mount namespaces are unavailable and another swupdate is running (pid ${others.join(", ")}); both would share /tmp/sockinstctrl`,
		);
	}
	return new Proc(o.label, "swupdate", o.args, { env, logFile: o.logFile, cwd: o.workDir });
}

/** swupdate processes that share this process's /tmp: same mount namespace, not already dead. */
function runningSwupdates(): string[] {
	const ownNamespace = readlinkSync("/proc/self/ns/mnt");
	const pids: string[] = [];
	for (const pid of readdirSync("/proc")) {
		if (!/^\d+$/.test(pid)) {
			continue;
		}
		try {
			const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
			const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
			if (
				readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "swupdate" &&
				state !== "Z" &&
				readlinkSync(`/proc/${pid}/ns/mnt`) === ownNamespace
			) {
				pids.push(pid);
			}
		} catch {
			// the process ended meanwhile
		}
	}
	return pids;
}
