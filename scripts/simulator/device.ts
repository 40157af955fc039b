/**
 * One virtual device, behaving on the wire like hawkBit's device simulator (hawkbit-sdk-device
 * DdiController/UpdateHandler, shared/reference/real-clients.md §3): poll the controller base (with
 * If-None-Match), answer `configData`, confirm on `confirmationBase`, acknowledge `cancelAction`,
 * and for `deploymentBase` report proceeding → download → (download and verify every artifact) →
 * downloaded → closed success/failure. Then sleep `config.polling.sleep` (or a fixed interval).
 */
import { downloadArtifact } from "./artifact-download";
import type { DdiClient } from "./ddi-client";
import { parsePollingSleep } from "./polling-time";

export type DeviceConfig = {
	controllerId: string;
	/** Full Authorization header value: `GatewayToken …` or `TargetToken …`. */
	authorization: string;
	/** Sent on configData requests. */
	attributes: Record<string, string>;
	/** Fixed poll interval; undefined = honour the server's config.polling.sleep. */
	pollIntervalMs?: number;
	/** Used when the server sent no usable sleep and after errors. */
	fallbackPollMs: number;
	/** Share (0..1) of installations that report closed/failure. */
	failureRate: number;
	/** Installation time range [min, max] ms between "downloaded" and "closed". */
	installDelayMs: [number, number];
	downloadInterruptRate: number;
	downloadAttempts: number;
	/** Stop the device after this many finished (success or failure) updates. */
	maxUpdates?: number;
	random: () => number;
};

/** Attempts per feedback POST (the first and two retries). */
const FEEDBACK_ATTEMPTS = 3;

export type UpdateResult = "success" | "failure" | "download-failure" | "downloaded" | "gone";

export type DeviceEvent =
	| { type: "registered"; controllerId: string }
	| { type: "action-started"; controllerId: string; actionId: string }
	| {
			type: "action-finished";
			controllerId: string;
			actionId: string;
			result: UpdateResult;
			message?: string;
	  }
	| { type: "action-canceled"; controllerId: string; actionId: string }
	| { type: "confirmed"; controllerId: string; actionId: string }
	| {
			type: "download";
			controllerId: string;
			actionId: string;
			filename: string;
			ok: boolean;
			bytes: number;
			resumes: number;
			hashMismatch: boolean;
	  }
	| { type: "error"; controllerId: string; message: string };

export type DeviceReport = {
	controllerId: string;
	registered: boolean;
	polls: number;
	updates: { actionId: string; result: UpdateResult }[];
	canceled: string[];
	lastError?: string;
};

type Href = { href?: string };
type PollBody = {
	config?: { polling?: { sleep?: string } };
	_links?: Record<string, Href | undefined>;
};
type DdiArtifact = {
	filename: string;
	size: number;
	hashes?: { md5?: string; sha1?: string; sha256?: string };
	_links?: Record<string, Href | undefined>;
};
type DeploymentBody = {
	id: string;
	deployment?: {
		download?: string;
		update?: string;
		maintenanceWindow?: string;
		chunks?: { part?: string; name?: string; version?: string; artifacts?: DdiArtifact[] }[];
	};
};

/** The action id in a deploymentBase/confirmationBase/cancelAction href: after the last `/`, before `?`. */
export function actionIdFromHref(href: string): string {
	const path = href.split("?")[0] ?? href;
	return decodeURIComponent(path.slice(path.lastIndexOf("/") + 1));
}

export class VirtualDevice {
	readonly report: DeviceReport;
	#etag: string | undefined;
	#serverSleepMs: number | undefined;
	/** Actions whose artifacts are on the device already (maintenance window waits). */
	readonly #downloaded = new Set<string>();
	/** Actions this device has begun (for counting each once). */
	readonly #started = new Set<string>();
	/** Actions this device finished, with the final feedback to repeat if the server asks again. */
	readonly #finished = new Map<string, unknown>();
	#done = false;

	constructor(
		readonly config: DeviceConfig,
		private readonly ddi: DdiClient,
		private readonly emit: (e: DeviceEvent) => void,
	) {
		this.report = {
			controllerId: config.controllerId,
			registered: false,
			polls: 0,
			updates: [],
			canceled: [],
		};
	}

	get done(): boolean {
		return this.#done;
	}

	/** Polls until `stop` aborts or the device has done its `maxUpdates`. */
	async run(stop: AbortSignal, initialDelayMs: number): Promise<void> {
		await sleep(initialDelayMs, stop);
		while (!stop.aborted && !this.#done) {
			let next: number;
			try {
				next = await this.cycle();
			} catch (err) {
				if (stop.aborted) {
					return;
				}
				this.#etag = undefined; // handle the poll's links again next time
				this.#error(err instanceof Error ? err.message : String(err));
				next = this.config.pollIntervalMs ?? this.config.fallbackPollMs;
			}
			if (this.#done) {
				return;
			}
			await sleep(next, stop);
		}
	}

	/** One poll and whatever its links ask for; returns the time to sleep. */
	async cycle(): Promise<number> {
		const base = this.ddi.controllerUrl(this.config.controllerId);
		this.report.polls++;
		const res = await this.ddi.json("poll", base, this.config.authorization, {
			ifNoneMatch: this.#etag,
		});
		if (res.status === 304) {
			return this.#interval();
		}
		if (res.status !== 200) {
			this.#etag = undefined;
			this.#error(`poll answered ${res.status}`);
			return this.config.pollIntervalMs ?? this.config.fallbackPollMs;
		}
		if (!this.report.registered) {
			this.report.registered = true;
			this.emit({ type: "registered", controllerId: this.config.controllerId });
		}
		const body = (res.body ?? {}) as PollBody;
		this.#serverSleepMs = parsePollingSleep(body.config?.polling?.sleep);
		const links = body._links ?? {};
		if (links.configData?.href) {
			await this.#sendConfigData(links.configData.href);
		}
		// hawkBit offers at most one of these three for the device's current action.
		if (links.confirmationBase?.href) {
			await this.#confirm(links.confirmationBase.href);
		} else if (links.cancelAction?.href) {
			await this.#cancel(links.cancelAction.href);
		} else if (links.deploymentBase?.href) {
			await this.#deploy(links.deploymentBase.href);
		}
		// Remember the ETag only once everything the poll asked for was handled.
		this.#etag = res.headers.get("etag") ?? undefined;
		return this.#interval();
	}

	#interval(): number {
		return this.config.pollIntervalMs ?? this.#serverSleepMs ?? this.config.fallbackPollMs;
	}

	#error(message: string): void {
		this.report.lastError = message;
		this.emit({ type: "error", controllerId: this.config.controllerId, message });
	}

	async #sendConfigData(href: string): Promise<void> {
		const res = await this.ddi.json("configData", href, this.config.authorization, {
			method: "PUT",
			body: { mode: "merge", data: this.config.attributes },
		});
		if (res.status !== 200) {
			throw new Error(`configData answered ${res.status}`);
		}
	}

	async #confirm(href: string): Promise<void> {
		const actionId = actionIdFromHref(href);
		const url = `${this.ddi.controllerUrl(this.config.controllerId)}/confirmationBase/${encodeURIComponent(actionId)}/feedback`;
		const res = await this.ddi.json("confirmation", url, this.config.authorization, {
			method: "POST",
			body: {
				confirmation: "confirmed",
				code: 0,
				details: ["Confirmed by the Updraft device simulator."],
			},
		});
		if (res.status !== 200 && res.status !== 410) {
			throw new Error(`confirmation of action ${actionId} answered ${res.status}`);
		}
		this.emit({ type: "confirmed", controllerId: this.config.controllerId, actionId });
	}

	async #cancel(href: string): Promise<void> {
		const got = await this.ddi.json("cancelAction", href, this.config.authorization);
		if (got.status === 404) {
			return; // the cancellation is over already
		}
		if (got.status !== 200) {
			throw new Error(`cancelAction answered ${got.status}`);
		}
		const body = got.body as { id?: string; cancelAction?: { stopId?: string } };
		const actionId = String(body.cancelAction?.stopId ?? body.id ?? actionIdFromHref(href));
		const res = await this.#feedback("cancelAction", actionId, "closed", "success", {
			details: ["Successfully cancelled by the controller."],
			code: 200,
			progress: { cnt: 100, of: 100 },
		});
		if (res === 200 || res === 410) {
			this.#downloaded.delete(actionId);
			this.report.canceled.push(actionId);
			this.emit({ type: "action-canceled", controllerId: this.config.controllerId, actionId });
		}
	}

	async #deploy(href: string): Promise<void> {
		const linkedId = actionIdFromHref(href);
		const earlier = this.#finished.get(linkedId);
		if (earlier !== undefined) {
			// Our final feedback did not arrive; send it again rather than installing twice.
			await this.ddi.json(
				"feedback",
				`${this.ddi.controllerUrl(this.config.controllerId)}/deploymentBase/${encodeURIComponent(linkedId)}/feedback`,
				this.config.authorization,
				{ method: "POST", body: earlier },
			);
			return;
		}
		const got = await this.ddi.json("deploymentBase", href, this.config.authorization);
		if (got.status === 404) {
			return; // canceled or closed between poll and read
		}
		if (got.status !== 200) {
			throw new Error(`deploymentBase answered ${got.status}`);
		}
		const action = got.body as DeploymentBody;
		const actionId = String(action.id ?? linkedId);
		const deployment = action.deployment ?? {};
		const cid = this.config.controllerId;
		if (!this.#started.has(actionId)) {
			// Once per action, also when a lost feedback makes the device go through it again.
			this.#started.add(actionId);
			this.emit({ type: "action-started", controllerId: cid, actionId });
		}
		if (
			(await this.#feedback("deploymentBase", actionId, "proceeding", "none", {
				details: ["Update begin ..."],
			})) === 410
		) {
			return this.#finish(actionId, "gone");
		}
		if (!this.#downloaded.has(actionId)) {
			const artifacts = (deployment.chunks ?? []).flatMap((c) => c.artifacts ?? []);
			const names = artifacts.map((a) => a.filename).join(", ");
			if (
				(await this.#feedback("deploymentBase", actionId, "download", "none", {
					details: [`Download start for: ${names}`],
				})) === 410
			) {
				return this.#finish(actionId, "gone");
			}
			for (const artifact of artifacts) {
				const url = artifact._links?.download?.href ?? artifact._links?.["download-http"]?.href;
				const failure = url
					? await this.#download(actionId, url, artifact)
					: `no download link for ${artifact.filename}`;
				if (failure) {
					const final = feedbackBody("closed", "failure", {
						details: [`Download failed: ${failure}`],
						code: 404,
					});
					const status = await this.#post("deploymentBase", actionId, final);
					return this.#finish(
						actionId,
						status === 410 ? "gone" : "download-failure",
						final,
						failure,
					);
				}
			}
			if (
				(await this.#feedback("deploymentBase", actionId, "downloaded", "none", {
					details: ["Download complete."],
				})) === 410
			) {
				return this.#finish(actionId, "gone");
			}
			this.#downloaded.add(actionId);
		}
		if (deployment.update === "skip") {
			if (deployment.maintenanceWindow === "unavailable") {
				return; // install when the window opens; the artifacts are kept
			}
			return this.#finish(actionId, "downloaded");
		}
		const [min, max] = this.config.installDelayMs;
		await sleep(min + this.config.random() * Math.max(0, max - min), this.ddi.opts.signal);
		const fail = this.config.random() < this.config.failureRate;
		const final = fail
			? feedbackBody("closed", "failure", {
					details: ["Simulated installation failure."],
					code: 500,
				})
			: feedbackBody("closed", "success", {
					details: [
						deployment.download === "skip"
							? "Update (download-only) completed."
							: "Update complete.",
					],
					code: 200,
				});
		const status = await this.#post("deploymentBase", actionId, final);
		this.#finish(actionId, status === 410 ? "gone" : fail ? "failure" : "success", final);
	}

	/** Downloads and verifies one artifact; returns why it failed, or undefined. */
	async #download(actionId: string, url: string, a: DdiArtifact): Promise<string | undefined> {
		const outcome = await downloadArtifact(
			this.ddi,
			url,
			{ filename: a.filename, size: a.size, hashes: a.hashes ?? {} },
			{
				authorization: this.config.authorization,
				maxAttempts: this.config.downloadAttempts,
				interruptRate: this.config.downloadInterruptRate,
				random: this.config.random,
			},
		);
		this.emit({
			type: "download",
			controllerId: this.config.controllerId,
			actionId,
			filename: a.filename,
			ok: outcome.ok,
			bytes: outcome.bytes,
			resumes: outcome.resumes,
			hashMismatch: outcome.mismatches.length > 0,
		});
		return outcome.ok ? undefined : `${a.filename}: ${outcome.error ?? "failed"}`;
	}

	#finish(actionId: string, result: UpdateResult, final?: unknown, message?: string): void {
		this.#downloaded.delete(actionId);
		if (final !== undefined && result !== "gone") {
			this.#finished.set(actionId, final);
		}
		this.report.updates.push({ actionId, result });
		this.emit({
			type: "action-finished",
			controllerId: this.config.controllerId,
			actionId,
			result,
			message,
		});
		const counted = this.report.updates.filter((u) => u.result !== "gone").length;
		if (this.config.maxUpdates !== undefined && counted >= this.config.maxUpdates) {
			this.#done = true;
		}
	}

	async #feedback(
		channel: "deploymentBase" | "cancelAction",
		actionId: string,
		execution: string,
		finished: string,
		extra: { details: string[]; code?: number; progress?: { cnt: number; of: number } },
	): Promise<number> {
		return this.#post(channel, actionId, feedbackBody(execution, finished, extra));
	}

	/** POSTs feedback; 200 and 410 (action closed) are answers, anything else is an error. */
	async #post(
		channel: "deploymentBase" | "cancelAction",
		actionId: string,
		body: unknown,
	): Promise<number> {
		const url = `${this.ddi.controllerUrl(this.config.controllerId)}/${channel}/${encodeURIComponent(actionId)}/feedback`;
		// A device retries a lost or refused (5xx) status report a few times before giving up on
		// the step; giving up means going through the action again after the next poll.
		for (let attempt = 1; ; attempt++) {
			let status: number;
			try {
				status = (
					await this.ddi.json("feedback", url, this.config.authorization, { method: "POST", body })
				).status;
			} catch (err) {
				if (attempt >= FEEDBACK_ATTEMPTS || this.ddi.opts.signal.aborted) {
					throw err;
				}
				await sleep(1000 * attempt, this.ddi.opts.signal);
				continue;
			}
			if (status === 200 || status === 410) {
				// 410 on a retry: the lost attempt had arrived and closed the action.
				return status === 410 && attempt > 1 ? 200 : status;
			}
			if (status < 500 || attempt >= FEEDBACK_ATTEMPTS) {
				throw new Error(`${channel} feedback for action ${actionId} answered ${status}`);
			}
			await sleep(1000 * attempt, this.ddi.opts.signal);
		}
	}
}

function feedbackBody(
	execution: string,
	finished: string,
	extra: { details: string[]; code?: number; progress?: { cnt: number; of: number } },
) {
	return {
		timestamp: Date.now(),
		status: {
			execution,
			result: { finished, ...(extra.progress ? { progress: extra.progress } : {}) },
			...(extra.code !== undefined ? { code: extra.code } : {}),
			details: extra.details,
		},
	};
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
	return new Promise((resolve) => {
		if (signal.aborted || ms <= 0) {
			resolve();
			return;
		}
		const t = setTimeout(() => {
			signal.removeEventListener("abort", done);
			resolve();
		}, ms);
		const done = () => {
			clearTimeout(t);
			resolve();
		};
		signal.addEventListener("abort", done, { once: true });
	});
}
