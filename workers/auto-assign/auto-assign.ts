/**
 * Auto-assignment (hawkBit §6.8, AutoAssignChecker): every target that matches a filter with an
 * auto-assign DS gets that DS once, through the same assignment path as a manual assignment, with the
 * message "Auto assignment: <filter name>".
 *
 * hawkBit re-runs every filter's full query every 2 s, which users report as database load at a
 * million targets. Here each cron tick does bounded work per filter:
 * - one window of at most `windowSize` target ids after the filter's cursor (`autoAssignCursor`);
 *   a window without matches still advances the cursor, and when no target lies beyond it the pass
 *   ends and the next one starts from 0 (targets that started to match late are found by it);
 * - targets created in the last `freshWindowMs`, so newly registered devices do not wait for the pass.
 * A target that ever had an action for the DS is never assigned it again, and a target already
 * assigned the DS is skipped, so passes and overlapping ticks do not repeat work.
 */

import { eq } from "drizzle-orm";
import { createDb, type Db } from "../../shared/db/client";
import {
	advanceAutoAssignCursor,
	createdSince,
	findAutoAssignCandidates,
	idWindow,
	listAutoAssignFilters,
	nextTargetWindow,
} from "../../shared/db/queries/auto-assignments";
import {
	assignDistributionSet,
	type DeploymentBindings,
} from "../../shared/db/queries/deployments";
import { autoAssignCleared } from "../../shared/db/queries/distribution-sets";
import type { TargetFilterRow } from "../../shared/db/queries/target-filters";
import { targetFilters } from "../../shared/db/schema";
import { DomainError } from "../../shared/errors";
import { rsqlWhere, TARGETS } from "../../shared/rsql";
import { readTenantConfigSnapshot } from "../../shared/tenant-config";
import { overdueContext } from "../mgmt/targets";

export type AutoAssignOptions = {
	/** Target ids examined per window (one window per filter per tick). */
	windowSize?: number;
	/** Filters handled per tick. */
	maxFilters?: number;
	/** How far back "newly registered" reaches. */
	freshWindowMs?: number;
	now?: number;
};

export type AutoAssignReport = {
	filters: number;
	assigned: number;
	/** Filters whose pass ended (cursor back to 0). */
	passesCompleted: number;
	errors: number;
};

const DEFAULTS = { windowSize: 500, maxFilters: 50, freshWindowMs: 10 * 60 * 1000 };

/** DS refusals that make an auto-assignment pointless: it is removed, as invalidation would. */
const DS_GONE = new Set(["deleted", "distributionset.invalid", "repo.entityNotFound"]);

/** One tick of auto-assignment for every tenant. Idempotent per target (see module comment). */
export async function runAutoAssignment(
	env: Env,
	opts: AutoAssignOptions = {},
): Promise<AutoAssignReport> {
	const o = { ...DEFAULTS, ...opts };
	const now = o.now ?? Date.now();
	const db = createDb(env.DB);
	const report: AutoAssignReport = { filters: 0, assigned: 0, passesCompleted: 0, errors: 0 };
	for (const filter of await listAutoAssignFilters(db, o.maxFilters)) {
		report.filters++;
		try {
			await runFilter(db, env, filter, o, now, report);
		} catch (err) {
			report.errors++;
			if (err instanceof DomainError && DS_GONE.has(err.code)) {
				await db
					.update(targetFilters)
					.set(autoAssignCleared())
					.where(eq(targetFilters.id, filter.id));
			}
			console.warn("auto-assignment failed", { filterId: filter.id, tenant: filter.tenant, err });
		}
	}
	return report;
}

async function runFilter(
	db: Db,
	env: DeploymentBindings,
	f: TargetFilterRow,
	o: typeof DEFAULTS,
	now: number,
	report: AutoAssignReport,
): Promise<void> {
	const dsId = f.autoAssignDsId;
	if (dsId === null) {
		return;
	}
	const snapshot = await readTenantConfigSnapshot(env as Env, f.tenant);
	const query = rsqlWhere(f.query, TARGETS, overdueContext(snapshot));
	if (!query) {
		return;
	}
	const assign = async (controllerIds: string[]) => {
		if (controllerIds.length === 0) {
			return;
		}
		const result = await assignDistributionSet(db, env, {
			tenant: f.tenant,
			initiatedBy: f.autoAssignInitiatedBy ?? f.createdBy,
			dsId,
			actionMessage: `Auto assignment: ${f.name}`,
			assignments: controllerIds.map((controllerId) => ({
				controllerId,
				type: f.autoAssignActionType ?? "forced",
				weight: f.autoAssignWeight,
				confirmationRequired: f.confirmationRequired,
			})),
		});
		report.assigned += result.assigned;
	};

	const fresh = await findAutoAssignCandidates(db, {
		tenant: f.tenant,
		dsId,
		query,
		range: createdSince(now - o.freshWindowMs),
		limit: o.windowSize,
	});
	await assign(fresh.map((t) => t.controllerId));

	const upper = await nextTargetWindow(db, {
		tenant: f.tenant,
		cursor: f.autoAssignCursor,
		size: o.windowSize,
	});
	if (upper === undefined) {
		if (f.autoAssignCursor > 0) {
			await advanceAutoAssignCursor(db, { filterId: f.id, dsId, from: f.autoAssignCursor, to: 0 });
			report.passesCompleted++;
		}
		return;
	}
	const candidates = await findAutoAssignCandidates(db, {
		tenant: f.tenant,
		dsId,
		query,
		range: idWindow(f.autoAssignCursor, upper),
		limit: o.windowSize,
	});
	await assign(candidates.map((t) => t.controllerId));
	await advanceAutoAssignCursor(db, { filterId: f.id, dsId, from: f.autoAssignCursor, to: upper });
}
