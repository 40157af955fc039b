/**
 * The DDI poll: `GET /{tenant}/controller/v1/{controllerId}` (§2.3, §3).
 * hawkBit: DdiRootController#getControllerBase, DataConversionHelper#fromTarget,
 * JpaControllerManagement#getPollingTime / #getPollingTimeForAction.
 *
 * An idle poll (known device, cached entry of the current generation) is answered from KV alone: no D1
 * query. Its last-seen time is written behind through the POLL_EVENTS queue (see recordPoll).
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { markTargetRegistered, registerTarget } from "../../shared/db/queries/controller";
import { findAction } from "../../shared/db/queries/deployments";
import { maintenanceWindowAt } from "../../shared/domain/maintenance-window";
import {
	formatDuration,
	intervalWithDeviation,
	sleepBeforeMaintenanceWindow,
} from "../../shared/domain/polling-time";
import { entityNotFound } from "../../shared/errors";
import { loadPollEntry, type PollEntry, rebuildPollEntry } from "../../shared/poll-cache";
import { actionEtag } from "../../shared/poll-cache/entry";
import { snapshotPollingTime, type TenantConfigSnapshot } from "../../shared/tenant-config";
import type { DdiEnv } from "../middleware/ddi-auth";
import { cancelIfMaintenanceLapsed } from "./deployment-base";
import { controllerUrl } from "./links";
import { clientAddress, recordPoll } from "./poll-events";

/** hawkBit's DdiControllerBase. */
export type DdiControllerBase = {
	config: { polling: { sleep: string } };
	_links?: Record<string, { href: string }>;
};

/**
 * The device's poll entry for this request, registering an unknown controller (plug and play) and moving
 * an operator-created target from `unknown` to `registered` like hawkBit's
 * findOrRegisterTargetIfItDoesNotExist. Only the root poll and `GET confirmationBase` register.
 * `idle` is true when nothing had to be read from or written to D1; `pollStored` when this request already
 * wrote the poll time to D1 (registration), so it needs no write-behind.
 */
export async function findOrRegisterController(
	c: Context<DdiEnv>,
	controllerId: string,
): Promise<{
	entry: PollEntry;
	snapshot: TenantConfigSnapshot;
	idle: boolean;
	pollStored: boolean;
}> {
	const tenant = c.get("tenant");
	let snapshot = c.get("tenantConfig");
	let entry = c.get("pollEntry");
	let idle = c.get("pollEntryFromCache") ?? false;
	if (!entry) {
		const loaded = await loadPollEntry(c.env, tenant, controllerId, snapshot);
		entry = loaded.entry;
		snapshot = loaded.snapshot;
		idle = loaded.fromCache;
	}
	const address = clientAddress(c.req.raw.headers);
	const now = Date.now();
	let pollStored = false;
	if (!entry) {
		await registerTarget(c.env.DB, { tenant, controllerId, address, now });
		entry = await rebuildPollEntry(c.env, tenant, controllerId, snapshot);
		idle = false;
		pollStored = true;
	} else if (entry.updateStatus === "unknown") {
		await markTargetRegistered(c.env.DB, { tenant, targetId: entry.targetId, address, now });
		entry = await rebuildPollEntry(c.env, tenant, controllerId, snapshot);
		idle = false;
		pollStored = true;
	}
	if (!entry) {
		// Deleted between the insert and the read: hawkBit would fail the same way.
		throw entityNotFound("Target", controllerId);
	}
	const action = entry.action;
	if (
		action?.maintenance &&
		action.link !== "cancelAction" &&
		maintenanceWindowAt(action.maintenance, now).lapsed
	) {
		// hawkBit's checkAndCancelExpiredAction: no future window left, so the poll cancels the action.
		const row = await findAction(c.get("db"), { tenant, actionId: action.id });
		if (row) {
			await cancelIfMaintenanceLapsed(c, row);
			entry = (await rebuildPollEntry(c.env, tenant, controllerId, snapshot)) ?? entry;
			idle = false;
		}
	}
	return { entry, snapshot, idle, pollStored };
}

/** `config.polling.sleep` for this poll: interval (override), deviation, maintenance-window shortening. */
export function pollingSleep(
	entry: PollEntry,
	snapshot: TenantConfigSnapshot,
	now: number,
	random = Math.random(),
): { sleepMs: number; intervalMs: number; maintenanceWindowOpen: boolean } {
	const pollingTime = snapshotPollingTime(snapshot);
	const interval =
		entry.pollingOverride >= 0
			? (pollingTime.overrides[entry.pollingOverride]?.interval ?? pollingTime.interval)
			: pollingTime.interval;
	let sleepMs = intervalWithDeviation(interval, random);
	let maintenanceWindowOpen = false;
	const maintenance = entry.action?.maintenance;
	if (maintenance) {
		const window = maintenanceWindowAt(maintenance, now);
		maintenanceWindowOpen = window.open;
		if (!window.lapsed) {
			sleepMs = sleepBeforeMaintenanceWindow(
				sleepMs,
				window.start,
				snapshot.values.maintenanceWindowPollCount,
				now,
			);
		}
	}
	return { sleepMs, intervalMs: interval.ms, maintenanceWindowOpen };
}

/** The poll body: sleep plus at most one action link, installedBase and configData (§2.3 link rules). */
export function controllerBaseBody(
	base: string,
	entry: PollEntry,
	sleep: string,
	now: number,
	maintenanceWindowOpen: boolean,
): DdiControllerBase {
	const links: Record<string, { href: string }> = {};
	const action = entry.action;
	if (action) {
		const c = actionEtag(action, now, maintenanceWindowOpen);
		if (action.link === "confirmationBase") {
			links.confirmationBase = { href: `${base}/confirmationBase/${action.id}?c=${c}` };
		} else if (action.link === "cancelAction") {
			// No query string: SWUpdate appends "/feedback" to this href.
			links.cancelAction = { href: `${base}/cancelAction/${action.id}` };
		} else {
			links.deploymentBase = { href: `${base}/deploymentBase/${action.id}?c=${c}` };
		}
	}
	if (entry.installedActionId !== null) {
		links.installedBase = { href: `${base}/installedBase/${entry.installedActionId}` };
	}
	if (entry.requestAttributes) {
		links.configData = { href: `${base}/configData` };
	}
	const body: DdiControllerBase = { config: { polling: { sleep } } };
	if (Object.keys(links).length > 0) {
		body._links = links;
	}
	return body;
}

export const controllerBase = new Hono<DdiEnv>().get("/:controllerId", async (c) => {
	const controllerId = c.req.param("controllerId");
	const { entry, snapshot, pollStored } = await findOrRegisterController(c, controllerId);
	const now = Date.now();
	const { sleepMs, intervalMs, maintenanceWindowOpen } = pollingSleep(entry, snapshot, now);
	const body = controllerBaseBody(
		controllerUrl(c, controllerId),
		entry,
		formatDuration(sleepMs),
		now,
		maintenanceWindowOpen,
	);
	if (!pollStored) {
		// Registration already stored this poll time; every other poll is written behind.
		c.executionCtx.waitUntil(
			recordPoll(c.env, {
				tenant: c.get("tenant"),
				controllerId,
				targetId: entry.targetId,
				address: clientAddress(c.req.raw.headers),
				intervalMs,
				now,
			}),
		);
	}
	return c.json(body);
});
