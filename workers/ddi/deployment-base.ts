/**
 * DDI deployment base: the device reads an assigned action and reports progress and result (§2.4, §2.5).
 * hawkBit: DdiRootController#getControllerDeploymentBaseAction / #postDeploymentBaseActionFeedback,
 * DataConversionHelper#createChunks / #createArtifacts.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import { CONTROLLER_AUDITOR } from "../../shared/db/queries/controller";
import {
	type ActionRow,
	cancelAction,
	type DeploymentModule,
	findTargetAction,
	listActionHistoryMessages,
	listDeploymentModules,
	recordFeedback,
	registerRetrieved,
} from "../../shared/db/queries/deployments";
import {
	DDI_EXECUTIONS,
	DDI_FINISHED,
	ddiDeploymentHandling,
	isCancelingOrCanceled,
	isMaintenanceScheduleLapsed,
	MESSAGES,
} from "../../shared/domain/action-status";
import { scheduleOf } from "../../shared/domain/maintenance-window";
import { ddiArtifactLinker } from "../artifacts/download-links";
import { springError } from "../http-errors";
import type { DdiEnv } from "../middleware/ddi-auth";
import { notifyRolloutActionFinished } from "../rollouts/notify";
import { readJsonBody } from "./json-body";
import { requestOrigin } from "./links";

/** Jackson reads a scalar where a list of strings is expected, and numbers/booleans as text. */
const DetailList = z
	.union([
		z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])),
		z.string(),
		z.number(),
		z.boolean(),
		z.null(),
	])
	.transform((v) => (Array.isArray(v) ? v : [v]).filter((d) => d !== null).map((d) => String(d)));

/** An Integer field as Jackson coerces it: numbers (fractions cut) and numeric strings. */
const JavaInteger = z
	.union([
		z.number(),
		z
			.string()
			.regex(/^\s*[+-]?\d+\s*$/)
			.transform(Number),
	])
	.transform((n) => Math.trunc(n))
	.refine((n) => n >= -2_147_483_648 && n <= 2_147_483_647, { message: "out of Integer range" });

const JavaLong = z
	.union([
		z.number(),
		z
			.string()
			.regex(/^\s*[+-]?\d+\s*$/)
			.transform(Number),
	])
	.transform((n) => Math.trunc(n));

/**
 * hawkBit's DdiActionFeedback: `status.execution` and `status.result.finished` are required with exact
 * lower-case spellings; `progress` is accepted and ignored; unknown members (SWUpdate's `id`, `time`)
 * are ignored.
 */
export const DdiActionFeedback = z.object({
	timestamp: JavaLong.nullish(),
	status: z.object({
		execution: z.enum(DDI_EXECUTIONS),
		result: z.object({
			finished: z.enum(DDI_FINISHED),
			progress: z.unknown().optional(),
		}),
		code: JavaInteger.nullish(),
		details: DetailList.nullish(),
	}),
});
export type DdiActionFeedback = z.infer<typeof DdiActionFeedback>;

/** hawkBit's DdiArtifact. */
export type DdiArtifact = {
	filename: string;
	hashes: { sha1: string; md5: string; sha256?: string };
	size: number;
	_links: Record<string, { href: string }>;
};

/** hawkBit's DdiChunk. */
export type DdiChunk = {
	part: string;
	version: string;
	name: string;
	encrypted?: true;
	artifacts: DdiArtifact[];
	metadata?: { key: string; value: string }[];
};

/** hawkBit's DdiDeployment (also the `confirmation` object of a confirmationBase action). */
export type DdiDeployment = {
	download: "forced" | "attempt" | "skip";
	update: "forced" | "attempt" | "skip";
	maintenanceWindow?: "available" | "unavailable";
	chunks: DdiChunk[];
};

export type DdiActionHistory = { status: string; messages: string[] };

/** hawkBit's DdiDeploymentBase. */
export type DdiDeploymentBase = {
	id: string;
	deployment: DdiDeployment;
	actionHistory?: DdiActionHistory;
};

/** java.net.URLEncoder (UTF-8): what hawkBit does to artifact file names in download links. */
export function formUrlEncode(text: string): string {
	let out = "";
	for (const byte of new TextEncoder().encode(text)) {
		const ch = String.fromCharCode(byte);
		if (/[A-Za-z0-9.\-*_]/.test(ch)) {
			out += ch;
		} else if (byte === 0x20) {
			out += "+";
		} else {
			out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
		}
	}
	return out;
}

/** The two legacy part names hawkBit still maps (DataConversionHelper#mapChunkLegacyKeys). */
export function chunkPart(typeKey: string): string {
	if (typeKey === "application") {
		return "bApp";
	}
	if (typeKey === "runtime") {
		return "jvm";
	}
	return typeKey;
}

/**
 * Download links of an artifact: `download-http` and `md5sum-http` (hawkBit's default URL protocols),
 * scheme/host/port from the request, the stored upper-case tenant, the file name form-encoded.
 */
export function artifactLinks(
	origin: string,
	tenant: string,
	controllerId: string,
	moduleId: number,
	filename: string,
): DdiArtifact["_links"] {
	const href = `${origin}/${tenant}/controller/v1/${encodeURIComponent(controllerId)}/softwaremodules/${moduleId}/artifacts/${formUrlEncode(filename)}`;
	return { "download-http": { href }, "md5sum-http": { href: `${href}.MD5SUM` } };
}

/** One artifact in DDI form. */
export function toDdiArtifact(
	a: DeploymentModule["artifacts"][number],
	links: DdiArtifact["_links"],
): DdiArtifact {
	const hashes: DdiArtifact["hashes"] = { sha1: a.sha1, md5: a.md5 };
	if (a.sha256) {
		hashes.sha256 = a.sha256;
	}
	return { filename: a.filename, hashes, size: a.size, _links: links };
}

/** The `deployment` object of an action: handling, maintenance window and one chunk per module. */
export async function buildDeployment(
	c: Context<DdiEnv>,
	controllerId: string,
	action: ActionRow,
): Promise<DdiDeployment> {
	const tenant = c.get("tenant");
	const modules = await listDeploymentModules(c.env.DB, { tenant, dsId: action.dsId });
	const origin = requestOrigin(c);
	const handling = ddiDeploymentHandling(
		{
			actionType: action.actionType,
			forcedTime: action.forcedTime,
			maintenance: scheduleOf(action),
		},
		Date.now(),
	);
	// Signed links only where the download itself is allowed (open, not canceling action).
	const linker = ddiArtifactLinker(
		c,
		controllerId,
		action.active && !isCancelingOrCanceled(action.status),
	);
	const chunks = await Promise.all(
		modules.map(async (m): Promise<DdiChunk> => {
			const chunk: DdiChunk = {
				part: chunkPart(m.typeKey),
				version: m.version,
				name: m.name,
				artifacts: await Promise.all(
					m.artifacts.map(async (a) =>
						toDdiArtifact(
							a,
							await linker(m.id, a, artifactLinks(origin, tenant, controllerId, m.id, a.filename)),
						),
					),
				),
			};
			if (m.encrypted) {
				chunk.encrypted = true;
			}
			if (m.metadata.length > 0) {
				chunk.metadata = m.metadata;
			}
			return chunk;
		}),
	);
	const { download, update, maintenanceWindow } = handling;
	// hawkBit's field order: download, update, maintenanceWindow (only with a schedule), chunks.
	return maintenanceWindow
		? { download, update, maintenanceWindow, chunks }
		: { download, update, chunks };
}

/** `?actionHistory=n` (Integer; absent = 0). `undefined` when it is not a number (Spring answers 400). */
export function actionHistoryParam(c: Context): number | undefined {
	const raw = c.req.query("actionHistory");
	if (raw === undefined || raw === "") {
		return 0;
	}
	return /^[+-]?\d+$/.test(raw.trim()) ? Number(raw.trim()) : undefined;
}

/** `actionHistory` of an answer: absent unless requested and non-empty. */
export async function buildActionHistory(
	c: Context<DdiEnv>,
	action: ActionRow,
	count: number,
): Promise<DdiActionHistory | undefined> {
	const messages = await listActionHistoryMessages(c.get("db"), { actionId: action.id, count });
	return messages.length > 0 ? { status: action.status, messages } : undefined;
}

/** A path id as hawkBit's `Long` path variables take it; `undefined` = Spring's 400. */
export function idParam(raw: string | undefined): number | undefined {
	return raw !== undefined && /^\d{1,15}$/.test(raw) ? Number(raw) : undefined;
}

/**
 * hawkBit's checkAndCancelExpiredAction: an active action whose maintenance schedule has no future window
 * is canceled when the device looks at it (poll or action read). Returns the action as it now is.
 */
export async function cancelIfMaintenanceLapsed(
	c: Context<DdiEnv>,
	action: ActionRow,
): Promise<ActionRow> {
	if (
		!action.active ||
		isCancelingOrCanceled(action.status) ||
		!isMaintenanceScheduleLapsed(scheduleOf(action), Date.now())
	) {
		return action;
	}
	// ControllerManagement#cancelAction writes this message without the "Update Server: " prefix.
	return cancelAction(c.get("db"), c.env, {
		tenant: c.get("tenant"),
		actionId: action.id,
		user: CONTROLLER_AUDITOR,
		message: "manual cancelation requested",
	});
}

export const deploymentBase = new Hono<DdiEnv>()
	.get("/:controllerId/deploymentBase/:actionId", async (c) => {
		const controllerId = c.req.param("controllerId");
		const actionId = idParam(c.req.param("actionId"));
		const history = actionHistoryParam(c);
		if (actionId === undefined || history === undefined) {
			return springError(c, 400, "Bad Request");
		}
		const db = c.get("db");
		const found = await findTargetAction(db, { tenant: c.get("tenant"), controllerId, actionId });
		const action = await cancelIfMaintenanceLapsed(c, found.action);
		if (isCancelingOrCanceled(action.status) || action.status === "WAIT_FOR_CONFIRMATION") {
			// The device must follow the cancelAction / confirmationBase link instead.
			return c.body(null, 404);
		}
		const body: DdiDeploymentBase = {
			id: String(action.id),
			deployment: await buildDeployment(c, controllerId, action),
		};
		const actionHistory = await buildActionHistory(c, action, history);
		if (actionHistory) {
			body.actionHistory = actionHistory;
		}
		// hawkBit also flips a finished action to RETRIEVED here; only open actions are "retrieved" by us.
		if (action.active) {
			await registerRetrieved(db, c.env, {
				tenant: c.get("tenant"),
				action,
				message: MESSAGES.retrievedDeployment,
				user: CONTROLLER_AUDITOR,
			});
		}
		return c.json(body);
	})
	.post("/:controllerId/deploymentBase/:actionId/feedback", async (c) => {
		const controllerId = c.req.param("controllerId");
		const actionId = idParam(c.req.param("actionId"));
		if (actionId === undefined) {
			return springError(c, 400, "Bad Request");
		}
		const feedback = await readJsonBody(c, DdiActionFeedback);
		const outcome = await recordFeedback(c.get("db"), c.env, {
			tenant: c.get("tenant"),
			controllerId,
			actionId,
			channel: "deployment",
			report: {
				execution: feedback.status.execution,
				finished: feedback.status.result.finished,
				code: feedback.status.code,
				details: feedback.status.details,
			},
			timestamp: feedback.timestamp,
		});
		if (outcome.kind === "waitingForConfirmation") {
			return c.body(null, 404);
		}
		if (outcome.kind === "gone") {
			return c.body(null, 410);
		}
		await notifyRolloutActionFinished(c.env, outcome.action);
		return c.body(null, 200);
	});
