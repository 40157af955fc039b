import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
	givenDistributionSet,
	givenSoftwareModule,
	givenTarget,
	givenTenant,
	readTarget,
	uniqueName,
} from "../../../workers/testing/factories";
import { DomainError } from "../../errors";
import { readPollEntry } from "../../poll-cache";
import { createDb } from "../client";
import { actionStatuses, actions, distributionSets, softwareModules } from "../schema";
import {
	activateAutoConfirm,
	assignDistributionSet,
	cancelAction,
	deactivateAutoConfirm,
	forceAction,
	forceQuitAction,
	recordConfirmation,
	recordFeedback,
} from "./deployments";

const db = createDb(env.DB);

async function setup(config: Record<string, unknown> = {}) {
	const tenant = await givenTenant(env, { config });
	const target = await givenTarget(env, { tenant });
	const sm = await givenSoftwareModule(env, {
		tenant,
		artifacts: [{ filename: "a.bin", content: "x" }],
	});
	const ds = await givenDistributionSet(env, { tenant, modules: [sm.id] });
	return { tenant, target, sm, ds };
}

async function assign(
	tenant: string,
	dsId: number,
	assignments: Parameters<typeof assignDistributionSet>[2]["assignments"],
	extra: Partial<Parameters<typeof assignDistributionSet>[2]> = {},
) {
	return assignDistributionSet(db, env, {
		tenant,
		dsId,
		initiatedBy: "ops",
		assignments,
		...extra,
	});
}

async function history(actionId: number) {
	const rows = await db.query.actionStatuses.findMany({
		where: eq(actionStatuses.actionId, actionId),
		orderBy: actionStatuses.id,
	});
	return rows.map((r) => ({ status: r.status, messages: JSON.parse(r.messages) as string[] }));
}

async function action(id: number) {
	const row = await db.query.actions.findFirst({ where: eq(actions.id, id) });
	if (!row) {
		throw new Error(`action ${id} missing`);
	}
	return row;
}

async function expectDomainError(p: Promise<unknown>, code: string, message?: string | RegExp) {
	const err = await p.then(
		() => undefined,
		(e: unknown) => e,
	);
	expect(err).toBeInstanceOf(DomainError);
	expect((err as DomainError).code).toBe(code);
	if (message !== undefined) {
		expect((err as DomainError).message).toMatch(message);
	}
}

describe("assignDistributionSet", () => {
	it("creates a RUNNING action with hawkBit's first history entry and makes the target pending", async () => {
		const { tenant, target, sm, ds } = await setup();
		const result = await assign(tenant, ds.id, [{ controllerId: target.controllerId }]);
		expect(result).toMatchObject({ assigned: 1, alreadyAssigned: 0, total: 1 });
		const [assigned] = result.assignedActions;
		expect(assigned?.controllerId).toBe(target.controllerId);
		const a = await action(assigned?.id ?? 0);
		expect(a).toMatchObject({
			status: "RUNNING",
			active: true,
			actionType: "forced",
			weight: 1000,
			forcedTime: null,
			initiatedBy: "ops",
			dsId: ds.id,
		});
		expect(await history(a.id)).toEqual([
			{ status: "RUNNING", messages: ["Assignment initiated by user 'ops'"] },
		]);
		expect(await readTarget(env, target.id)).toMatchObject({
			assignedDsId: ds.id,
			updateStatus: "pending",
		});
		// Implicit lock of the DS and its modules on first assignment.
		const dsRow = await db.query.distributionSets.findFirst({
			where: eq(distributionSets.id, ds.id),
		});
		const smRow = await db.query.softwareModules.findFirst({
			where: eq(softwareModules.id, sm.id),
		});
		expect(dsRow?.locked).toBe(true);
		expect(smRow?.locked).toBe(true);
		// The device sees it on its next poll without touching D1.
		const entry = await readPollEntry(env, tenant, target.controllerId);
		expect(entry?.action).toMatchObject({ id: a.id, link: "deploymentBase" });
	});

	it("keeps type, force time, weight and maintenance window of the request", async () => {
		const { tenant, target, ds } = await setup();
		const forcetime = Date.now() + 60_000;
		const result = await assign(tenant, ds.id, [
			{
				controllerId: target.controllerId,
				type: "timeforced",
				forcetime,
				weight: 400,
				maintenanceWindow: { schedule: "0 0 3 ? * *", duration: "01:00:00", timezone: "+02:00" },
			},
		]);
		expect(await action(result.assignedActions[0]?.id ?? 0)).toMatchObject({
			actionType: "timeforced",
			forcedTime: forcetime,
			weight: 400,
			maintenanceSchedule: "0 0 3 ? * *",
			maintenanceDuration: "01:00:00",
			maintenanceTimezone: "+02:00",
		});
	});

	it("counts targets that already have the DS as alreadyAssigned and skips unknown controllers", async () => {
		const { tenant, target, ds } = await setup();
		await assign(tenant, ds.id, [{ controllerId: target.controllerId }]);
		const again = await assign(tenant, ds.id, [
			{ controllerId: target.controllerId },
			{ controllerId: "nobody-knows-me" },
		]);
		expect(again).toEqual({ assigned: 0, alreadyAssigned: 1, total: 1, assignedActions: [] });
	});

	it("sends the previous active action to CANCELING, or closes it with autoclose", async () => {
		for (const autoclose of [false, true]) {
			const { tenant, target, sm, ds } = await setup({
				"repository.actions.autoclose.enabled": autoclose,
			});
			const first = await assign(tenant, ds.id, [{ controllerId: target.controllerId }]);
			const ds2 = await givenDistributionSet(env, { tenant, modules: [sm.id] });
			await assign(tenant, ds2.id, [{ controllerId: target.controllerId }]);
			const old = await action(first.assignedActions[0]?.id ?? 0);
			const steps = await history(old.id);
			if (autoclose) {
				expect(old).toMatchObject({ status: "CANCELED", active: false });
				expect(steps.at(-1)).toEqual({
					status: "CANCELED",
					messages: ["Update Server: close obsolete action due to new update"],
				});
			} else {
				expect(old).toMatchObject({ status: "CANCELING", active: true });
				expect(steps.at(-1)).toEqual({
					status: "CANCELING",
					messages: ["Update Server: cancel obsolete action due to new update"],
				});
			}
			expect((await readTarget(env, target.id))?.assignedDsId).toBe(ds2.id);
		}
	});

	it("leaves actions of a required migration step running", async () => {
		const { tenant, target, sm } = await setup();
		const migration = await givenDistributionSet(env, {
			tenant,
			modules: [sm.id],
			requiredMigrationStep: true,
		});
		const first = await assign(tenant, migration.id, [{ controllerId: target.controllerId }]);
		const ds2 = await givenDistributionSet(env, { tenant, modules: [sm.id] });
		await assign(tenant, ds2.id, [{ controllerId: target.controllerId }]);
		expect(await action(first.assignedActions[0]?.id ?? 0)).toMatchObject({
			status: "RUNNING",
			active: true,
		});
	});

	it("cancels inactive SCHEDULED rollout actions of the target", async () => {
		const { tenant, target, ds } = await setup();
		// A rollout action of a group that has not started yet (rollouts create these without history).
		const [scheduled] = await db
			.insert(actions)
			.values({ tenant, targetId: target.id, dsId: ds.id, status: "SCHEDULED", active: false })
			.returning({ id: actions.id });
		const ds2 = await givenDistributionSet(env, {
			tenant,
			modules: [(await givenSoftwareModule(env, { tenant })).id],
		});
		const result = await assign(tenant, ds2.id, [{ controllerId: target.controllerId }]);
		expect(result.assigned).toBe(1);
		expect(await action(scheduled?.id ?? 0)).toMatchObject({ status: "CANCELED", active: false });
		// The scheduled action got no initial entry of the new assignment by mistake.
		expect(await history(scheduled?.id ?? 0)).toEqual([]);
	});

	it("refuses the same target twice with different parameters, but collapses identical entries", async () => {
		const { tenant, target, ds } = await setup();
		await expectDomainError(
			assign(tenant, ds.id, [
				{ controllerId: target.controllerId, type: "soft" },
				{ controllerId: target.controllerId, type: "forced" },
			]),
			"multiAssignmentNotEnabled",
		);
		const ok = await assign(tenant, ds.id, [
			{ controllerId: target.controllerId, type: "soft" },
			{ controllerId: target.controllerId, type: "soft" },
		]);
		expect(ok.assigned).toBe(1);
	});

	it("refuses invalid, incomplete, deleted and unknown distribution sets", async () => {
		const { tenant, target, sm } = await setup();
		const c = [{ controllerId: target.controllerId }];
		const invalid = await givenDistributionSet(env, { tenant, modules: [sm.id], valid: false });
		await expectDomainError(assign(tenant, invalid.id, c), "distributionset.invalid", /invalid/);
		const empty = await givenDistributionSet(env, { tenant, modules: [] });
		await expectDomainError(assign(tenant, empty.id, c), "distributionset.incomplete");
		// os_app needs an os module: an application module alone is incomplete.
		const app = await givenSoftwareModule(env, { tenant, typeKey: "application" });
		const appOnly = await givenDistributionSet(env, { tenant, modules: [app.id] });
		await expectDomainError(assign(tenant, appOnly.id, c), "distributionset.incomplete");
		const deleted = await givenDistributionSet(env, { tenant, modules: [sm.id], deleted: true });
		await expectDomainError(assign(tenant, deleted.id, c), "deleted");
		await expectDomainError(assign(tenant, 999_999, c), "repo.entityNotFound");
	});

	it("refuses targets whose type does not accept the DS type", async () => {
		const { tenant, ds } = await setup();
		await db.run(
			sql`INSERT INTO target_types (tenant, key, name, created_at, last_modified_at) VALUES (${tenant}, 'gw', 'Gateway', 0, 0)`,
		);
		const type = await db.get<{ id: number }>(
			sql`SELECT id FROM target_types WHERE tenant = ${tenant} AND key = 'gw'`,
		);
		const typed = await givenTarget(env, { tenant, targetTypeId: type?.id });
		await expectDomainError(
			assign(tenant, ds.id, [{ controllerId: typed.controllerId }]),
			"target.type.incompatible",
			"Targets of types [Gateway] are not compatible with distribution set of type OS with app(s)",
		);
		await db.run(
			sql`INSERT INTO target_type_ds_types (target_type_id, ds_type_id) VALUES (${type?.id}, ${ds.typeId})`,
		);
		expect((await assign(tenant, ds.id, [{ controllerId: typed.controllerId }])).assigned).toBe(1);
	});

	it("validates weight and maintenance window", async () => {
		const { tenant, target, ds } = await setup();
		await expectDomainError(
			assign(tenant, ds.id, [{ controllerId: target.controllerId, weight: 1001 }]),
			"repo.constraintViolation",
		);
		await expectDomainError(
			assign(tenant, ds.id, [
				{ controllerId: target.controllerId, maintenanceWindow: { schedule: "0 0 3 ? * *" } },
			]),
			"maintenanceScheduleInvalid",
		);
		await expectDomainError(
			assign(tenant, ds.id, [
				{
					controllerId: target.controllerId,
					maintenanceWindow: {
						schedule: "0 0 3 ? * * 2020",
						duration: "01:00",
						timezone: "+00:00",
					},
				},
			]),
			"maintenanceScheduleInvalid",
			"No valid maintenance window available after current time",
		);
	});

	it("enforces 5000 targets per request", async () => {
		const { tenant, ds } = await setup();
		const many = Array.from({ length: 5001 }, (_, i) => ({ controllerId: `x${i}` }));
		await expectDomainError(assign(tenant, ds.id, many), "quota.tooManyEntries", /5001/);
	});

	it("enforces 2000 actions per target unless the tenant allows purging the oldest", async () => {
		const { tenant, target, ds } = await setup();
		await db.run(sql`
			WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
			INSERT INTO actions (tenant, target_id, ds_id, status, active, created_at, last_modified_at)
			SELECT ${tenant}, ${target.id}, ${ds.id}, 'FINISHED', 0, i, i FROM n`);
		await expectDomainError(
			assign(tenant, ds.id, [{ controllerId: target.controllerId }]),
			"quota.tooManyEntries",
			`Quota exceeded: Cannot assign 1 more Action entities to Target '${target.controllerId}'. The maximum is 2000.`,
		);
		const purging = await givenTenant(env, { config: { "action.cleanup.onQuotaHit.percent": 10 } });
		const t2 = await givenTarget(env, { tenant: purging });
		const sm2 = await givenSoftwareModule(env, { tenant: purging });
		const ds2 = await givenDistributionSet(env, { tenant: purging, modules: [sm2.id] });
		await db.run(sql`
			WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
			INSERT INTO actions (tenant, target_id, ds_id, status, active, created_at, last_modified_at)
			SELECT ${purging}, ${t2.id}, ${ds2.id}, 'FINISHED', 0, i, i FROM n`);
		expect((await assign(purging, ds2.id, [{ controllerId: t2.controllerId }])).assigned).toBe(1);
		const count = await db.get<{ n: number }>(
			sql`SELECT count(*) AS n FROM actions WHERE target_id = ${t2.id}`,
		);
		expect(count?.n).toBe(2000 - 200 + 1);
	});

	it("assigns many targets atomically across JSON chunks", async () => {
		const tenant = await givenTenant(env);
		const sm = await givenSoftwareModule(env, { tenant });
		const ds = await givenDistributionSet(env, { tenant, modules: [sm.id] });
		const prefix = uniqueName("bulk");
		await db.run(sql`
			WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 620)
			INSERT INTO targets (tenant, controller_id, name, security_token, created_at, last_modified_at)
			SELECT ${tenant}, ${prefix} || '-' || i, 'n', 't' || i, 0, 0 FROM n`);
		const assignments = Array.from({ length: 620 }, (_, i) => ({
			controllerId: `${prefix}-${i + 1}`,
		}));
		const result = await assign(tenant, ds.id, assignments);
		expect(result).toMatchObject({ assigned: 620, alreadyAssigned: 0, total: 620 });
		expect(new Set(result.assignedActions.map((a) => a.controllerId)).size).toBe(620);
		const counts = await db.get<{ actions: number; statuses: number; pending: number }>(sql`
			SELECT (SELECT count(*) FROM actions WHERE ds_id = ${ds.id}) AS actions,
			  (SELECT count(*) FROM action_statuses s JOIN actions a ON a.id = s.action_id WHERE a.ds_id = ${ds.id}) AS statuses,
			  (SELECT count(*) FROM targets WHERE tenant = ${tenant} AND assigned_ds_id = ${ds.id} AND update_status = 'pending') AS pending`);
		expect(counts).toEqual({ actions: 620, statuses: 620, pending: 620 });
	});

	it("leaves DS and modules unlocked when implicit lock is off or the DS has a skip tag", async () => {
		const off = await setup({ "implicit.lock.enabled": false });
		await assign(off.tenant, off.ds.id, [{ controllerId: off.target.controllerId }]);
		const dsRow = await db.query.distributionSets.findFirst({
			where: eq(distributionSets.id, off.ds.id),
		});
		expect(dsRow?.locked).toBe(false);

		const tagged = await setup();
		await db.run(
			sql`INSERT INTO distribution_set_tags (tenant, name, created_at, last_modified_at) VALUES (${tagged.tenant}, 'skip-implicit-lock', 0, 0)`,
		);
		await db.run(sql`INSERT INTO distribution_set_tag_assignments (ds_id, tag_id)
			SELECT ${tagged.ds.id}, id FROM distribution_set_tags WHERE tenant = ${tagged.tenant}`);
		await assign(tagged.tenant, tagged.ds.id, [{ controllerId: tagged.target.controllerId }]);
		const smRow = await db.query.softwareModules.findFirst({
			where: eq(softwareModules.id, tagged.sm.id),
		});
		expect(smRow?.locked).toBe(false);
	});

	it("records offline installations as closed FINISHED actions and skips pending targets", async () => {
		const { tenant, target, sm, ds } = await setup();
		const result = await assign(tenant, ds.id, [{ controllerId: target.controllerId }], {
			offline: true,
		});
		const a = await action(result.assignedActions[0]?.id ?? 0);
		expect(a).toMatchObject({ status: "FINISHED", active: false });
		expect(await history(a.id)).toEqual([
			{
				status: "FINISHED",
				messages: [
					"Assignment initiated by user 'ops'",
					"Update Server: Action reported as offline deployment",
				],
			},
		]);
		expect(await readTarget(env, target.id)).toMatchObject({
			assignedDsId: ds.id,
			installedDsId: ds.id,
			updateStatus: "in_sync",
		});
		const pending = await givenTarget(env, { tenant });
		const ds2 = await givenDistributionSet(env, { tenant, modules: [sm.id] });
		await assign(tenant, ds2.id, [{ controllerId: pending.controllerId }]);
		const ds3 = await givenDistributionSet(env, { tenant, modules: [sm.id] });
		expect(
			await assign(tenant, ds3.id, [{ controllerId: pending.controllerId }], { offline: true }),
		).toMatchObject({ assigned: 0, alreadyAssigned: 1 });
	});
});

describe("confirmation flow", () => {
	it("starts actions waiting, or running when consent was given or auto-confirm is on", async () => {
		const { tenant, target, ds } = await setup({ "user.confirmation.flow.enabled": true });
		const waiting = await assign(tenant, ds.id, [{ controllerId: target.controllerId }]);
		const waitingAction = await action(waiting.assignedActions[0]?.id ?? 0);
		expect(waitingAction.status).toBe("WAIT_FOR_CONFIRMATION");
		expect(await history(waitingAction.id)).toEqual([
			{
				status: "WAIT_FOR_CONFIRMATION",
				messages: [
					"Assignment initiated by user 'ops'",
					"Waiting for the confirmation by the device before processing with the deployment",
				],
			},
		]);

		const other = await givenTarget(env, { tenant });
		const consented = await assign(tenant, ds.id, [
			{ controllerId: other.controllerId, confirmationRequired: false },
		]);
		const consentedAction = await action(consented.assignedActions[0]?.id ?? 0);
		expect(consentedAction.status).toBe("RUNNING");
		expect((await history(consentedAction.id))[0]?.messages[1]).toBe(
			"Assignment confirmed by initiator [ops].",
		);
	});

	it("confirms and denies like hawkBit and refuses what is not waiting", async () => {
		const { tenant, target, ds } = await setup({ "user.confirmation.flow.enabled": true });
		const { assignedActions } = await assign(tenant, ds.id, [
			{ controllerId: target.controllerId },
		]);
		const actionId = assignedActions[0]?.id ?? 0;
		const denied = await recordConfirmation(db, env, {
			tenant,
			actionId,
			confirmation: "denied",
			user: "dev",
		});
		expect(denied.kind).toBe("recorded");
		expect((await action(actionId)).status).toBe("WAIT_FOR_CONFIRMATION");
		const confirmed = await recordConfirmation(db, env, {
			tenant,
			actionId,
			confirmation: "confirmed",
			code: 12,
			details: ["ok"],
			user: "dev",
		});
		expect(confirmed.kind).toBe("recorded");
		expect(await action(actionId)).toMatchObject({ status: "RUNNING", lastActionStatusCode: 12 });
		expect(
			(
				await recordConfirmation(db, env, {
					tenant,
					actionId,
					confirmation: "confirmed",
					user: "d",
				})
			).kind,
		).toBe("notAwaitingConfirmation");
		// Revoking a granted confirmation sends it back to waiting while the flow is on.
		await recordConfirmation(db, env, { tenant, actionId, confirmation: "denied", user: "d" });
		expect((await action(actionId)).status).toBe("WAIT_FOR_CONFIRMATION");
		expect((await readPollEntry(env, tenant, target.controllerId))?.action?.link).toBe(
			"confirmationBase",
		);
	});

	it("auto-confirm activation confirms every waiting action once and refuses a second activation", async () => {
		const { tenant, target, ds } = await setup({ "user.confirmation.flow.enabled": true });
		const { assignedActions } = await assign(tenant, ds.id, [
			{ controllerId: target.controllerId },
		]);
		const actionId = assignedActions[0]?.id ?? 0;
		const state = await activateAutoConfirm(db, env, {
			tenant,
			controllerId: target.controllerId,
			initiator: "alice",
			remark: "",
			user: "ops",
		});
		expect(state).toMatchObject({ active: true, initiator: "alice", remark: null });
		expect((await action(actionId)).status).toBe("RUNNING");
		expect((await history(actionId)).at(-1)).toEqual({
			status: "RUNNING",
			messages: [
				"Assignment automatically confirmed by initiator 'alice'. \n\nAuto confirmation activated by system user: 'ops' \n\nRemark: n/a",
			],
		});
		await expectDomainError(
			activateAutoConfirm(db, env, { tenant, controllerId: target.controllerId, user: "ops" }),
			"repo.autoConfAlreadyActive",
		);
		// New assignments to an auto-confirmed target start running.
		const ds2 = await givenDistributionSet(env, {
			tenant,
			modules: [(await givenSoftwareModule(env, { tenant })).id],
		});
		const next = await assign(tenant, ds2.id, [{ controllerId: target.controllerId }]);
		const nextId = next.assignedActions[0]?.id ?? 0;
		expect((await action(nextId)).status).toBe("RUNNING");
		// The entry names who switched auto-confirm on, as hawkBit's AutoConfirmationStatus does.
		expect((await history(nextId))[0]?.messages[1]).toBe(
			"Assignment automatically confirmed by initiator 'alice'. \n\nAuto confirmation activated by system user: 'ops' \n\nRemark: n/a",
		);
		await deactivateAutoConfirm(db, env, {
			tenant,
			controllerId: target.controllerId,
			user: "ops",
		});
		expect((await readTarget(env, target.id))?.autoConfirmActive).toBe(false);
	});
});

describe("operator cancel, force-quit and force", () => {
	it("cancels, then force-quits, with hawkBit's errors on the wrong states", async () => {
		const { tenant, target, ds } = await setup();
		const { assignedActions } = await assign(tenant, ds.id, [
			{ controllerId: target.controllerId },
		]);
		const actionId = assignedActions[0]?.id ?? 0;
		await expectDomainError(
			forceQuitAction(db, env, { tenant, actionId, user: "ops" }),
			"action.notForceQuitable",
		);
		expect((await cancelAction(db, env, { tenant, actionId, user: "ops" })).status).toBe(
			"CANCELING",
		);
		expect((await history(actionId)).at(-1)).toEqual({
			status: "CANCELING",
			messages: ["Update Server: manual cancelation requested"],
		});
		expect((await readPollEntry(env, tenant, target.controllerId))?.action?.link).toBe(
			"cancelAction",
		);
		await expectDomainError(
			cancelAction(db, env, { tenant, actionId, user: "ops" }),
			"action.notCancelable",
			"Actions in canceling or canceled state cannot be canceled",
		);
		const quit = await forceQuitAction(db, env, { tenant, actionId, user: "ops" });
		expect(quit).toMatchObject({ status: "CANCELED", active: false });
		expect((await history(actionId)).at(-1)).toEqual({
			status: "CANCELED",
			messages: ["Update Server: A force quit has been performed."],
		});
		// Nothing else active: the target falls back to its installed DS (none) and in_sync.
		expect(await readTarget(env, target.id)).toMatchObject({
			assignedDsId: null,
			updateStatus: "in_sync",
		});
		await expectDomainError(
			forceQuitAction(db, env, { tenant, actionId, user: "ops" }),
			"action.notForceQuitable",
			/not active/,
		);
		await expectDomainError(
			cancelAction(db, env, { tenant, actionId: 987_654, user: "ops" }),
			"repo.entityNotFound",
		);
	});

	it("refuses to cancel a finished action", async () => {
		const { tenant, target, ds } = await setup();
		const { assignedActions } = await assign(tenant, ds.id, [
			{ controllerId: target.controllerId },
		]);
		const actionId = assignedActions[0]?.id ?? 0;
		await recordFeedback(db, env, {
			tenant,
			controllerId: target.controllerId,
			actionId,
			channel: "deployment",
			report: { execution: "closed", finished: "success" },
		});
		await expectDomainError(
			cancelAction(db, env, { tenant, actionId, user: "ops" }),
			"action.notCancelable",
			`${actionId} is not active and cannot be canceled`,
		);
	});

	it("switches soft actions to forced and leaves forced ones alone", async () => {
		const { tenant, target, ds } = await setup();
		const { assignedActions } = await assign(tenant, ds.id, [
			{ controllerId: target.controllerId, type: "soft" },
		]);
		const actionId = assignedActions[0]?.id ?? 0;
		expect((await forceAction(db, env, { tenant, actionId, user: "ops" })).actionType).toBe(
			"forced",
		);
		const again = await forceAction(db, env, { tenant, actionId, user: "ops" });
		expect(again.actionType).toBe("forced");
	});

	it("hands the assigned DS to the next active action when a cancellation completes", async () => {
		const { tenant, target, sm } = await setup();
		const migration = await givenDistributionSet(env, {
			tenant,
			modules: [sm.id],
			requiredMigrationStep: true,
		});
		const first = await assign(tenant, migration.id, [{ controllerId: target.controllerId }]);
		const ds2 = await givenDistributionSet(env, { tenant, modules: [sm.id] });
		await assign(tenant, ds2.id, [{ controllerId: target.controllerId }]);
		const migrationAction = first.assignedActions[0]?.id ?? 0;
		await cancelAction(db, env, { tenant, actionId: migrationAction, user: "ops" });
		await forceQuitAction(db, env, { tenant, actionId: migrationAction, user: "ops" });
		expect(await readTarget(env, target.id)).toMatchObject({
			assignedDsId: ds2.id,
			updateStatus: "pending",
		});
	});
});
