/**
 * Artifact bytes of software modules: the multipart/form-data upload hawkBit defines
 * (`POST /softwaremodules/{id}/artifacts`), Updraft's resumable uploads for files larger than a
 * Worker request body (`…/artifacts/uploads…`, docs/artifacts-upload.md) and the management download.
 * hawkBit: MgmtSoftwareModuleResource#uploadArtifact / #downloadArtifact, ArtifactManagement#create.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import { commitStagedArtifact } from "../../shared/artifacts/ingest";
import { stagingDataKey } from "../../shared/artifacts/keys";
import { DEFAULT_ARTIFACT_LIMITS } from "../../shared/artifacts/limits";
import {
	MultipartFormError,
	multipartBoundary,
	parseMultipartForm,
} from "../../shared/artifacts/multipart-form";
import {
	fileSizeExceeded,
	hashStoredObject,
	type StagedBytes,
	stageBytes,
} from "../../shared/artifacts/staging";
import {
	discardUploadSession,
	findUploadSession,
	MAX_PART_NUMBER,
	MIN_PART_BYTES,
	openUploadSession,
	resumeUpload,
	UPLOAD_SESSION_TTL_MS,
} from "../../shared/artifacts/uploads";
import {
	type ArtifactRow,
	findArtifact,
	findUploadTarget,
	listArtifacts,
} from "../../shared/db/queries/artifacts";
import { assertConstraints } from "../../shared/domain/repository-constraints";
import { DomainError, entityNotFound } from "../../shared/errors";
import { audit, nonNull } from "../../shared/mgmt/repository-base";
import { MgmtArtifact } from "../../shared/mgmt/software-modules";
import { serveArtifact } from "../artifacts/serve-artifact";
import { ApiError, springError } from "../http-errors";
import { type MgmtEnv, requirePermission } from "../middleware/mgmt-auth";
import { mgmtLink } from "./hal";
import { jsonBody, jsonResponse, mgmtRoute, NO_CONTENT, NOT_FOUND } from "./openapi";

const TAG = ["Software modules"];
const LIMITS = DEFAULT_ARTIFACT_LIMITS;
/** hawkBit's Artifact filename size. */
const MAX_FILENAME = 256;
/** Headroom for the multipart framing around a maximum-size file when checking Content-Length. */
const FORM_OVERHEAD_BYTES = 64 * 1024;

/** hawkBit's MgmtArtifactMapper; the download link is on single reads and the full list. */
export function toMgmtArtifact(c: Context, a: ArtifactRow, withDownload = true): MgmtArtifact {
	const base = `/softwaremodules/${a.softwareModuleId}/artifacts/${a.id}`;
	const links: Record<string, { href: string }> = { self: mgmtLink(c, base) };
	if (withDownload) {
		links.download = mgmtLink(c, `${base}/download`);
	}
	return {
		...audit(a),
		id: a.id,
		hashes: nonNull({ sha1: a.sha1, md5: a.md5, sha256: a.sha256 ?? undefined }),
		providedFilename: a.filename,
		size: a.size,
		_links: links,
	};
}

function moduleId(c: Context): number {
	const id = Number(c.req.param("softwareModuleId"));
	if (!Number.isInteger(id)) {
		throw new ApiError("rest.body.notReadable", "softwareModuleId must be a number");
	}
	return id;
}

/** Fails fast (before any byte is read) for a missing, deleted or locked module or a full module. */
async function uploadableModule(c: Context<MgmtEnv>, softwareModuleId: number) {
	const sm = await findUploadTarget(c.var.db, { tenant: c.var.tenant, softwareModuleId });
	if (!sm || sm.deleted) {
		throw entityNotFound("SoftwareModule", softwareModuleId);
	}
	if (sm.locked) {
		throw new DomainError(
			"locked",
			`Software module ${softwareModuleId} is locked: artifacts cannot be added.`,
		);
	}
	return sm;
}

function checkFilename(filename: string | undefined): string {
	assertConstraints([
		{ property: "filename", value: filename, max: MAX_FILENAME, required: true, allowMarkup: true },
	]);
	return filename as string;
}

function expectedHashes(f: {
	md5sum?: string | null;
	sha1sum?: string | null;
	sha256sum?: string | null;
}) {
	const pick = (v: string | null | undefined) => (v?.trim() ? v.trim() : undefined);
	return nonNull({ md5: pick(f.md5sum), sha1: pick(f.sha1sum), sha256: pick(f.sha256sum) });
}

/** POST /softwaremodules/{id}/artifacts (multipart/form-data: file, filename?, md5sum?, sha1sum?, sha256sum?). */
async function uploadForm(c: Context<MgmtEnv>) {
	const tenant = c.var.tenant;
	const softwareModuleId = moduleId(c);
	await uploadableModule(c, softwareModuleId);
	const declared = Number(c.req.header("content-length"));
	if (declared > LIMITS.maxArtifactBytes + FORM_OVERHEAD_BYTES) {
		throw fileSizeExceeded(LIMITS.maxArtifactBytes, declared);
	}
	const boundary = multipartBoundary(c.req.header("content-type"));
	if (!boundary) {
		return springError(c, 415, "Unsupported Media Type");
	}
	const body = c.req.raw.body;
	if (!body) {
		throw new ApiError("rest.body.notReadable", "Required request part 'file' is not present");
	}
	const bucket = c.env.ARTIFACTS;
	let staged: StagedBytes | undefined;
	let partFilename: string | undefined;
	const fields: Record<string, string> = {};
	try {
		for await (const part of parseMultipartForm(body, boundary)) {
			if (part.name === "file" && !staged) {
				partFilename = part.filename;
				staged = await stageBytes(
					bucket,
					stagingDataKey(tenant, crypto.randomUUID()),
					part.chunks,
					{
						maxBytes: LIMITS.maxArtifactBytes,
					},
				);
			} else if (["filename", "md5sum", "sha1sum", "sha256sum"].includes(part.name)) {
				fields[part.name] = await part.text(4096);
			}
		}
	} catch (err) {
		if (staged) {
			await bucket.delete(staged.key);
		}
		if (err instanceof MultipartFormError) {
			throw new ApiError("rest.body.notReadable", err.message);
		}
		throw err;
	}
	if (!staged) {
		throw new ApiError("rest.body.notReadable", "Required request part 'file' is not present");
	}
	if (staged.size === 0) {
		// hawkBit answers an empty file with a bare 400.
		await bucket.delete(staged.key);
		return c.body(null, 400);
	}
	let filename: string;
	try {
		filename = checkFilename(fields.filename?.trim() || partFilename);
	} catch (err) {
		await bucket.delete(staged.key);
		throw err;
	}
	const artifact = await commitStagedArtifact(c.var.db, bucket, {
		tenant,
		softwareModuleId,
		filename,
		createdBy: c.var.principal.username,
		staged,
		expected: expectedHashes(fields),
		limits: LIMITS,
	});
	return c.json(toMgmtArtifact(c, artifact), 201);
}

const UploadParams = z.object({
	softwareModuleId: z.coerce.number().int(),
	uploadId: z.string(),
});

const MgmtArtifactUploadRequest = z
	.object({
		filename: z.string(),
		size: z
			.number()
			.int()
			.min(0)
			.nullish()
			.meta({ description: "Expected total size (checked against the quota up front)" }),
	})
	.meta({ id: "MgmtArtifactUploadRequest" });

const MgmtArtifactUpload = z
	.object({
		uploadId: z.string(),
		filename: z.string(),
		minPartSize: z.number().int(),
		maxPartNumber: z.number().int(),
		expiresAt: z.number().int(),
		_links: z.record(z.string(), z.object({ href: z.string() })),
	})
	.meta({ id: "MgmtArtifactUpload" });

const MgmtArtifactUploadComplete = z
	.object({
		parts: z
			.array(
				z.object({ partNumber: z.number().int().min(1).max(MAX_PART_NUMBER), etag: z.string() }),
			)
			.min(1),
		sha1sum: z.string().min(1),
		md5sum: z.string().nullish(),
		sha256sum: z.string().nullish(),
	})
	.meta({ id: "MgmtArtifactUploadComplete" });

const openUpload = mgmtRoute({
	method: "post",
	path: "/softwaremodules/{softwareModuleId}/artifacts/uploads",
	tags: TAG,
	summary: "Updraft: start a resumable artifact upload (for files larger than one request)",
	permissions: ["CREATE_SOFTWARE_MODULE"],
	request: {
		params: z.object({ softwareModuleId: z.coerce.number().int() }),
		body: jsonBody(MgmtArtifactUploadRequest),
	},
	responses: { 201: jsonResponse(MgmtArtifactUpload, "The upload session"), ...NOT_FOUND },
});

const completeUpload = mgmtRoute({
	method: "post",
	path: "/softwaremodules/{softwareModuleId}/artifacts/uploads/{uploadId}/complete",
	tags: TAG,
	summary:
		"Updraft: finish a resumable upload; the server re-hashes the bytes and verifies the given hashes",
	permissions: ["CREATE_SOFTWARE_MODULE"],
	request: { params: UploadParams, body: jsonBody(MgmtArtifactUploadComplete) },
	responses: { 201: jsonResponse(MgmtArtifact, "The created artifact"), ...NOT_FOUND },
});

const abortUpload = mgmtRoute({
	method: "delete",
	path: "/softwaremodules/{softwareModuleId}/artifacts/uploads/{uploadId}",
	tags: TAG,
	summary: "Updraft: abort a resumable upload and discard its bytes",
	permissions: ["CREATE_SOFTWARE_MODULE"],
	request: { params: UploadParams },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

/** PUT …/uploads/{uploadId}/parts/{partNumber}: raw bytes of one part (Content-Length required). */
async function uploadPart(c: Context<MgmtEnv>) {
	const softwareModuleId = moduleId(c);
	const partNumber = Number(c.req.param("partNumber"));
	if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
		throw new ApiError("rest.body.notReadable", `partNumber must be 1..${MAX_PART_NUMBER}`);
	}
	const session = await findUploadSession(c.env.ARTIFACTS, {
		tenant: c.var.tenant,
		softwareModuleId,
		uploadId: c.req.param("uploadId") ?? "",
	});
	const length = Number(c.req.header("content-length"));
	const body = c.req.raw.body;
	if (!body || !Number.isInteger(length) || length <= 0) {
		throw new ApiError(
			"rest.body.notReadable",
			"A part needs a non-empty body with Content-Length",
		);
	}
	if (length > LIMITS.maxArtifactBytes) {
		throw fileSizeExceeded(LIMITS.maxArtifactBytes, length);
	}
	const part = await resumeUpload(c.env.ARTIFACTS, session).uploadPart(partNumber, body);
	return c.json({ partNumber: part.partNumber, etag: part.etag }, 200);
}

/**
 * GET …/artifacts/{artifactId}/download: the bytes, with Range/If-Match/If-Range as the DDI download
 * (shared serveArtifact). 410 `artifact.binaryDeleted` once the module is soft-deleted.
 */
async function download(c: Context<MgmtEnv>) {
	const softwareModuleId = moduleId(c);
	const artifactId = Number(c.req.param("artifactId"));
	const tenant = c.var.tenant;
	const sm = await findUploadTarget(c.var.db, { tenant, softwareModuleId });
	if (!sm) {
		throw entityNotFound("SoftwareModule", softwareModuleId);
	}
	const artifact = Number.isInteger(artifactId)
		? await findArtifact(c.var.db, { tenant, softwareModuleId, artifactId })
		: undefined;
	if (!artifact) {
		throw entityNotFound("Artifact", c.req.param("artifactId") ?? "");
	}
	if (sm.deleted) {
		throw new DomainError(
			"artifact.binaryDeleted",
			`Artifact binary of artifact ${artifact.id} has been deleted.`,
		);
	}
	return serveArtifact(c.req.raw, c.env.ARTIFACTS, artifact);
}

/** Adds the artifact upload/download routes to the software module router. */
export function registerArtifactTransferRoutes(router: OpenAPIHono<MgmtEnv>) {
	router.get(
		"/softwaremodules/:softwareModuleId/artifacts/:artifactId/download",
		requirePermission("READ_SOFTWARE_MODULE_ARTIFACT"),
		download,
	);
	router.post(
		"/softwaremodules/:softwareModuleId/artifacts",
		requirePermission("CREATE_SOFTWARE_MODULE"),
		uploadForm,
	);
	router.put(
		"/softwaremodules/:softwareModuleId/artifacts/uploads/:uploadId/parts/:partNumber",
		requirePermission("CREATE_SOFTWARE_MODULE"),
		uploadPart,
	);
	return router
		.openapi(openUpload, async (c) => {
			const { softwareModuleId } = c.req.valid("param");
			const body = c.req.valid("json");
			const tenant = c.var.tenant;
			await uploadableModule(c, softwareModuleId);
			const filename = checkFilename(body.filename);
			if ((body.size ?? 0) > LIMITS.maxArtifactBytes) {
				throw fileSizeExceeded(LIMITS.maxArtifactBytes, body.size ?? 0);
			}
			const existing = await listArtifacts(c.var.db, { tenant, softwareModuleId });
			if (existing.some((a) => a.filename === filename)) {
				throw new DomainError(
					"repo.entityAlreadyExists",
					`Artifact with filename ${filename} already exists in software module ${softwareModuleId}.`,
				);
			}
			if (existing.length >= LIMITS.maxArtifactsPerModule) {
				throw new DomainError(
					"quota.tooManyEntries",
					`Quota exceeded: cannot assign more than ${LIMITS.maxArtifactsPerModule} artifacts to a software module.`,
				);
			}
			const session = await openUploadSession(c.env.ARTIFACTS, {
				tenant,
				softwareModuleId,
				filename,
				createdBy: c.var.principal.username,
			});
			const base = `/softwaremodules/${softwareModuleId}/artifacts/uploads/${session.uploadId}`;
			return c.json(
				{
					uploadId: session.uploadId,
					filename,
					minPartSize: MIN_PART_BYTES,
					maxPartNumber: MAX_PART_NUMBER,
					expiresAt: session.createdAt + UPLOAD_SESSION_TTL_MS,
					_links: {
						self: mgmtLink(c, base),
						parts: mgmtLink(c, `${base}/parts/{partNumber}`),
						complete: mgmtLink(c, `${base}/complete`),
					},
				},
				201,
			);
		})
		.openapi(completeUpload, async (c) => {
			const { softwareModuleId, uploadId } = c.req.valid("param");
			const body = c.req.valid("json");
			const tenant = c.var.tenant;
			const bucket = c.env.ARTIFACTS;
			const session = await findUploadSession(bucket, { tenant, softwareModuleId, uploadId });
			const dataKey = stagingDataKey(tenant, uploadId);
			try {
				const parts = [...body.parts].sort((a, b) => a.partNumber - b.partNumber);
				try {
					await resumeUpload(bucket, session).complete(parts);
				} catch (err) {
					throw new ApiError(
						"rest.body.notReadable",
						`The parts could not be assembled: ${err instanceof Error ? err.message : String(err)}`,
					);
				}
				// Server-side verification: the assembled object is hashed once, so the stored hashes
				// are always the server's own, whatever the client claimed.
				const computed = await hashStoredObject(bucket, dataKey);
				if (!computed) {
					throw entityNotFound("ArtifactUpload", uploadId);
				}
				const artifact = await commitStagedArtifact(c.var.db, bucket, {
					tenant,
					softwareModuleId,
					filename: session.filename,
					createdBy: session.createdBy,
					staged: { key: dataKey, ...computed },
					expected: expectedHashes(body),
					limits: LIMITS,
				});
				return c.json(toMgmtArtifact(c, artifact), 201);
			} finally {
				await discardUploadSession(bucket, session);
			}
		})
		.openapi(abortUpload, async (c) => {
			const { softwareModuleId, uploadId } = c.req.valid("param");
			const session = await findUploadSession(c.env.ARTIFACTS, {
				tenant: c.var.tenant,
				softwareModuleId,
				uploadId,
			});
			await discardUploadSession(c.env.ARTIFACTS, session);
			return c.body(null, 204);
		});
}
