/**
 * `updraft push <file>`: hashes the file locally, finds or creates the software module
 * (name + version + type), uploads the artifact (one request, or the resumable upload for big
 * files) and checks the MD5/SHA-1/SHA-256 and size the server reports against the local ones.
 * Pushing the same file again is a no-op; a different file under the same name is refused.
 */
import { stat } from "node:fs/promises";
import { basename, extname } from "node:path";
import {
	defaultUploadStateDir,
	type MgmtArtifact,
	uploadForm,
	uploadResumable,
} from "../artifact-upload";
import { CliError, EXIT } from "../exit-codes";
import { compareHashes, hashFile } from "../file-hashes";
import { findSoftwareModule, type MgmtSoftwareModule } from "../references";
import {
	type CliIo,
	type CommandContext,
	commandContext,
	type GlobalFlags,
	parseOption,
	parsePositiveInt,
	type Root,
} from "../root-command";
import { formatBytes, parseSize } from "../units";

export type PushOptions = {
	file: string;
	name: string;
	version: string;
	type: string;
	vendor?: string;
	description?: string;
	filename: string;
	/** Files larger than this use the resumable upload. */
	multipartThreshold: number;
	partSize: number;
	parallel: number;
	stateDir: string;
};

export type PushResult = {
	softwareModule: { id: number; name: string; version: string; type: string; created: boolean };
	artifact: {
		id: number;
		filename: string;
		size: number;
		hashes: { md5?: string; sha1?: string; sha256?: string };
		/** false when the module already had this exact file. */
		uploaded: boolean;
		method: "form" | "resumable" | "none";
		parts?: number;
		resumedParts?: number;
	};
	verified: true;
};

export function registerPushCommand(root: Root, io: CliIo): void {
	root
		.command("push")
		.description(
			"upload an artifact into a software module (created if missing) and verify its hashes",
		)
		.argument("<file>", "the artifact to upload")
		.option("-n, --name <name>", "software module name (default: the file name without extension)")
		.requiredOption("-v, --version <version>", "software module version")
		.option("-t, --type <key>", "software module type key", "os")
		.option("--vendor <vendor>", "vendor of a new module")
		.option("--description <text>", "description of a new module")
		.option("--filename <name>", "artifact filename on the server (default: the file's name)")
		.option("--multipart-threshold <size>", "use the resumable upload above this size", "64MiB")
		.option("--part-size <size>", "part size of the resumable upload", "16MiB")
		.option("--parallel <n>", "parts uploaded at once", "3")
		.action(async (file, opts, cmd) => {
			const ctx = commandContext(cmd.optsWithGlobals() as GlobalFlags, io);
			const result = await push(ctx, {
				file,
				name: opts.name ?? basename(file, extname(file)),
				version: opts.version,
				type: opts.type,
				vendor: opts.vendor,
				description: opts.description,
				filename: opts.filename ?? basename(file),
				multipartThreshold: parseOption(
					"--multipart-threshold",
					opts.multipartThreshold,
					parseSize,
				),
				partSize: parseOption("--part-size", opts.partSize, parseSize),
				parallel: parseOption("--parallel", opts.parallel, parsePositiveInt),
				stateDir: io.env.UPDRAFT_UPLOAD_STATE_DIR || defaultUploadStateDir(io.env),
			});
			const sm = result.softwareModule;
			const a = result.artifact;
			ctx.out.result(result, [
				`software module ${sm.id} ${sm.name}:${sm.version} (${sm.type})${sm.created ? " created" : ""}`,
				`artifact ${a.id} ${a.filename} ${formatBytes(a.size)} ${a.uploaded ? `uploaded (${a.method}${a.parts ? `, ${a.parts} parts` : ""})` : "already present"}`,
				`  md5    ${a.hashes.md5 ?? "-"}`,
				`  sha1   ${a.hashes.sha1 ?? "-"}`,
				`  sha256 ${a.hashes.sha256 ?? "-"}`,
				"hashes verified",
			]);
		});
}

export async function push(ctx: CommandContext, opts: PushOptions): Promise<PushResult> {
	const { client, out, signal } = ctx;
	let size: number;
	try {
		const st = await stat(opts.file);
		if (!st.isFile()) {
			throw new Error("not a regular file");
		}
		size = st.size;
	} catch (err) {
		throw new CliError(EXIT.usage, `cannot read ${opts.file}: ${(err as Error).message}`);
	}
	if (size === 0) {
		throw new CliError(
			EXIT.usage,
			`${opts.file} is empty; hawkBit does not accept empty artifacts`,
		);
	}

	const hashBar = out.byteBar("hashing", size);
	const local = await hashFile(opts.file, (n) => hashBar.update(n)).finally(() => hashBar.stop());

	let sm: MgmtSoftwareModule | undefined = await findSoftwareModule(client, {
		name: opts.name,
		version: opts.version,
		type: opts.type,
	});
	let created = false;
	if (sm) {
		const artifacts = await client.get<MgmtArtifact[]>(`/softwaremodules/${sm.id}/artifacts`, {
			signal,
		});
		const same = (artifacts ?? []).find((a) => a.providedFilename === opts.filename);
		if (same) {
			const mismatches = compareHashes(local, { ...same.hashes, size: same.size });
			if (mismatches.length > 0) {
				throw new CliError(
					EXIT.rejected,
					`software module ${opts.name}:${opts.version} already has a different ${opts.filename} (${mismatches.map((m) => `${m.field} ${m.expected}`).join(", ")}); push it under a new version`,
					{ softwareModuleId: sm.id, artifactId: same.id, mismatches },
				);
			}
			out.note(`${opts.filename} is already in software module ${sm.id}; nothing to upload`);
			return result(sm, false, same, { uploaded: false, method: "none" });
		}
		if (sm.locked) {
			throw new CliError(
				EXIT.rejected,
				`software module ${opts.name}:${opts.version} is locked (it belongs to an assigned distribution set); push a new version instead`,
				{ softwareModuleId: sm.id },
			);
		}
	} else {
		const body = [
			{
				name: opts.name,
				version: opts.version,
				type: opts.type,
				vendor: opts.vendor,
				description: opts.description,
			},
		];
		const createdList = await client.post<MgmtSoftwareModule[]>("/softwaremodules", body, {
			signal,
		});
		sm = createdList?.[0];
		if (!sm) {
			throw new CliError(EXIT.server, "the server created no software module");
		}
		created = true;
		out.note(`created software module ${sm.id} ${sm.name}:${sm.version} (${sm.type})`);
	}

	const bar = out.byteBar("uploading", size);
	const input = {
		softwareModuleId: sm.id,
		path: opts.file,
		filename: opts.filename,
		size,
		hashes: local,
		onProgress: (n: number) => bar.update(n),
		signal,
	};
	let artifact: MgmtArtifact;
	let extra: Pick<PushResult["artifact"], "method" | "parts" | "resumedParts">;
	try {
		if (size > opts.multipartThreshold) {
			const r = await uploadResumable(client, input, {
				partSize: opts.partSize,
				parallel: opts.parallel,
				attempts: 5,
				stateDir: opts.stateDir,
			});
			artifact = r.artifact;
			extra = { method: "resumable", parts: r.parts, resumedParts: r.resumedParts };
			if (r.resumedParts > 0) {
				out.note(
					`resumed an earlier upload: ${r.resumedParts} of ${r.parts} parts were already there`,
				);
			}
		} else {
			artifact = await uploadForm(client, input);
			extra = { method: "form" };
		}
	} catch (err) {
		if (
			size > opts.multipartThreshold &&
			!(err instanceof CliError && err.exitCode === EXIT.rejected)
		) {
			out.note("the upload stopped; run the same command again to resume it");
		}
		throw err;
	} finally {
		bar.stop();
	}

	const mismatches = compareHashes(local, { ...artifact.hashes, size: artifact.size });
	if (mismatches.length > 0) {
		throw new CliError(
			EXIT.integrity,
			`the server stored ${opts.filename} with other hashes than the local file: ${mismatches
				.map((m) => `${m.field} server ${m.expected} local ${m.actual}`)
				.join("; ")}`,
			{ softwareModuleId: sm.id, artifactId: artifact.id, mismatches },
		);
	}
	for (const field of ["md5", "sha1"] as const) {
		if (!artifact.hashes[field]) {
			throw new CliError(EXIT.integrity, `the server reported no ${field} for ${opts.filename}`);
		}
	}
	return result(sm, created, artifact, { uploaded: true, ...extra });
}

function result(
	sm: MgmtSoftwareModule,
	created: boolean,
	a: MgmtArtifact,
	extra: Partial<PushResult["artifact"]> & Pick<PushResult["artifact"], "uploaded" | "method">,
): PushResult {
	return {
		softwareModule: { id: sm.id, name: sm.name, version: sm.version, type: sm.type, created },
		artifact: {
			id: a.id,
			filename: a.providedFilename,
			size: a.size,
			hashes: a.hashes,
			...extra,
		},
		verified: true,
	};
}
