/**
 * DDI artifacts (§2.10): the artifact list of a module, artifact downloads (streamed from R2 with
 * Range/If-Match/If-Range, see workers/artifacts/serve-artifact.ts) and `.MD5SUM` files.
 * hawkBit: DdiRootController#getSoftwareModulesArtifacts / #downloadArtifact / #downloadArtifactMd5.
 *
 * Only a device with an active, not canceling action whose DS contains the module may download. The
 * artifact is looked up in D1 by (tenant, module, file name) and its R2 key comes from that row: nothing
 * in the URL ever becomes part of an R2 key, so a crafted file name cannot reach other bytes.
 */
import { and, eq } from "drizzle-orm";
import type { Context } from "hono";
import { Hono } from "hono";
import { CONTROLLER_AUDITOR } from "../../shared/db/queries/controller";
import {
	addInformationalStatus,
	findDownloadAction,
	findInstalledActionWithModule,
} from "../../shared/db/queries/deployments";
import { artifacts, softwareModules, targets } from "../../shared/db/schema";
import { MESSAGES } from "../../shared/domain/action-status";
import { DomainError, entityNotFound } from "../../shared/errors";
import { openArtifactBytes } from "../artifacts/artifact-cache";
import { ddiArtifactLinker } from "../artifacts/download-links";
import { isFullDownload, md5SumResponse, serveArtifact } from "../artifacts/serve-artifact";
import { springError } from "../http-errors";
import type { DdiEnv } from "../middleware/ddi-auth";
import { artifactLinks, type DdiArtifact, idParam, toDdiArtifact } from "./deployment-base";
import { requestOrigin } from "./links";

const MD5SUM_SUFFIX = ".MD5SUM";

function notAssigned(moduleId: number, controllerId: string): DomainError {
	return new DomainError(
		"repo.entityNotFound",
		`No assignment found for SoftwareModule with id {${moduleId}} to Target with id {${controllerId}}.`,
	);
}

/** The target (404 if unknown) and the module of the tenant (404 if unknown), as hawkBit checks them first. */
async function findTargetAndModule(c: Context<DdiEnv>, controllerId: string, moduleId: number) {
	const db = c.get("db");
	const tenant = c.get("tenant");
	const target = await db.query.targets.findFirst({
		columns: { id: true },
		where: and(eq(targets.tenant, tenant), eq(targets.controllerId, controllerId)),
	});
	if (!target) {
		throw entityNotFound("Target", controllerId);
	}
	const module = await db.query.softwareModules.findFirst({
		columns: { id: true, deleted: true },
		where: and(eq(softwareModules.tenant, tenant), eq(softwareModules.id, moduleId)),
	});
	if (!module) {
		throw entityNotFound("SoftwareModule", moduleId);
	}
	return { target, module };
}

async function findArtifactByName(c: Context<DdiEnv>, moduleId: number, fileName: string) {
	const db = c.get("db");
	const byName = (name: string) =>
		db.query.artifacts.findFirst({
			where: and(
				eq(artifacts.tenant, c.get("tenant")),
				eq(artifacts.softwareModuleId, moduleId),
				eq(artifacts.filename, name),
			),
		});
	// Our own links form-encode names (space → "+", as hawkBit's do); a literal "+" still wins.
	return (
		(await byName(fileName)) ??
		(fileName.includes("+") ? await byName(fileName.replaceAll("+", " ")) : undefined)
	);
}

export const artifactRoutes = new Hono<DdiEnv>()
	.get("/:controllerId/softwaremodules/:moduleId/artifacts", async (c) => {
		const controllerId = c.req.param("controllerId");
		const moduleId = idParam(c.req.param("moduleId"));
		if (moduleId === undefined) {
			return springError(c, 400, "Bad Request");
		}
		const { target } = await findTargetAndModule(c, controllerId, moduleId);
		const db = c.get("db");
		// Allowed for an open action with the module, or for the module of the installed action.
		const open = await findDownloadAction(db, { targetId: target.id, softwareModuleId: moduleId });
		const allowed =
			open ??
			(await findInstalledActionWithModule(db, {
				targetId: target.id,
				softwareModuleId: moduleId,
			}));
		if (allowed === undefined) {
			throw notAssigned(moduleId, controllerId);
		}
		// Signed links only when the download itself is allowed (not for the installed action's module).
		const linker = ddiArtifactLinker(c, controllerId, open !== undefined);
		const rows = await db.query.artifacts.findMany({
			where: and(eq(artifacts.tenant, c.get("tenant")), eq(artifacts.softwareModuleId, moduleId)),
			orderBy: artifacts.id,
		});
		const origin = requestOrigin(c);
		return c.json(
			await Promise.all(
				rows.map(
					async (a): Promise<DdiArtifact> =>
						toDdiArtifact(
							a,
							await linker(
								moduleId,
								a,
								artifactLinks(origin, c.get("tenant"), controllerId, moduleId, a.filename),
							),
						),
				),
			),
		);
	})
	.get("/:controllerId/softwaremodules/:moduleId/artifacts/:fileName", async (c) => {
		const controllerId = c.req.param("controllerId");
		const moduleId = idParam(c.req.param("moduleId"));
		if (moduleId === undefined) {
			return springError(c, 400, "Bad Request");
		}
		const requested = c.req.param("fileName");
		const md5 = requested.endsWith(MD5SUM_SUFFIX);
		const fileName = md5 ? requested.slice(0, -MD5SUM_SUFFIX.length) : requested;
		const { target, module } = await findTargetAndModule(c, controllerId, moduleId);
		const artifact = await findArtifactByName(c, moduleId, fileName);
		if (!artifact) {
			return c.body(null, 404);
		}
		const ifMatch = c.req.header("If-Match");
		if (!md5 && ifMatch !== undefined) {
			// hawkBit answers a failed precondition before it checks the assignment.
			const matches = ifMatch
				.split(",")
				.some((v) => v.trim() === artifact.sha1 || v.trim() === "*");
			if (!matches) {
				return c.body(null, 412);
			}
		}
		const action = await findDownloadAction(c.get("db"), {
			targetId: target.id,
			softwareModuleId: moduleId,
		});
		if (!action) {
			throw notAssigned(moduleId, controllerId);
		}
		if (module.deleted) {
			throw new DomainError(
				"artifact.binaryDeleted",
				`Artifact binary of ${artifact.filename} has been deleted.`,
			);
		}
		if (md5 || isFullDownload(c.req.raw)) {
			// Range requests are many per download: hawkBit logs only the full ones (and the .MD5SUM).
			await addInformationalStatus(c.get("db"), c.env, {
				tenant: c.get("tenant"),
				actionId: action.id,
				entry: { status: "DOWNLOAD", messages: [MESSAGES.downloads(new URL(c.req.url).pathname)] },
				user: CONTROLLER_AUDITOR,
			});
		}
		if (md5) {
			return md5SumResponse(artifact.md5, artifact.filename, c.req.method);
		}
		// Bytes from this location's cache when it has them; the access check above has passed.
		const bytes = await openArtifactBytes(c.env.ARTIFACTS, c.executionCtx, artifact.r2Key, {
			size: artifact.size,
			uploaded: artifact.createdAt,
		});
		return serveArtifact(c.req.raw, c.env.ARTIFACTS, artifact, { source: bytes?.source });
	});
