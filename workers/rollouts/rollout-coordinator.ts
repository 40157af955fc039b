/**
 * One Durable Object per rollout (named `TENANT:rolloutId`): it alone moves the rollout and its groups
 * through hawkBit's state machine (§7) — the work hawkBit's RolloutScheduler/JpaRolloutExecutor does
 * every 2 s, done here on demand: creation in chunks across alarms, start, the per-group success/error
 * decisions on every device outcome, pause/resume/stop/delete/approve/triggerNextGroup, dynamic top-up.
 *
 * D1 is the record (rollouts, groups, actions, targets). The object keeps only what coordination needs
 * in its SQLite storage: the rollout's identity, per-group fill progress, poll refreshes still owed, and
 * the terminal outcome of every action of the rollout keyed by action id (so a repeated notification
 * counts once). Alarms are delivered at least once and memory does not survive eviction, so every alarm
 * re-derives what to do from D1 and storage, and every step is idempotent.
 *
 * All state changes run one at a time through `#serial`: D1 calls are outbound I/O, during which the
 * runtime would otherwise deliver the next request. A decision (group error + pause, or next group
 * started) is written to D1 in one batch before the next notification is looked at — so once a
 * group's error condition holds, no later group can start (zero overshoot).
 */
import { DurableObject } from "cloudflare:workers";
import {
	adjustTotals,
	applyRolloutTransitions,
	countActiveRolloutActions,
	countFillCandidates,
	countGroupActionsByStatus,
	countGroupMembers,
	deleteGroupMembersChunk,
	deleteScheduledActionsChunk,
	existingActionIds,
	fillGroupChunk,
	findDistributionSetTypeId,
	findRollout,
	finishOpenGroups,
	forceQuitRolloutActionsChunk,
	groupTargetPredicate,
	hardDeleteRollout,
	hasScheduledActions,
	insertDynamicGroup,
	listGroupActionIds,
	listGroupsOfRollout,
	type RolloutActionTemplate,
	type RolloutFilterSource,
	type RolloutGroupRow,
	type RolloutRow,
	type RolloutTransition,
	rolloutActionPresence,
	scheduleGroupChunk,
	softCancelRolloutActionsChunk,
	startGroupChunk,
	TARGETS_PER_CHUNK,
	topUpDynamicGroupChunk,
	updateGroupStatus,
	updateRolloutStatus,
} from "../../shared/db/queries/rollouts";
import type { ActionStatus } from "../../shared/db/schema/actions";
import type { RolloutStatus } from "../../shared/db/schema/rollouts";
import {
	dynamicGroupCapacity,
	expectedGroupSize,
	MAX_ROLLOUT_GROUPS,
	nextDynamicGroupName,
} from "../../shared/domain/rollout-groups";
import {
	assertRolloutOperation,
	decideRunningRollout,
	type GroupConditions,
	type GroupView,
	groupsToTrigger,
	groupToContinueOnResume,
	isTerminalActionStatus,
	type OutcomeCounts,
	STOPPABLE_STATUSES,
} from "../../shared/domain/rollout-state";
import { DomainError, type ErrorCode, entityNotFound } from "../../shared/errors";
import { refreshPollEntries } from "../../shared/poll-cache";
import { getTenantConfigValues } from "../../shared/tenant-config";

/** Which rollout a coordinator serves. */
export type RolloutRef = { tenant: string; rolloutId: number };

/** RPC answer: hawkBit's error travels as data (class identity does not survive RPC). */
export type CoordinatorResult = { ok: true } | { ok: false; code: ErrorCode; message: string };

/** A device outcome of one rollout action. */
export type ActionOutcome = { actionId: number; groupId: number; status: ActionStatus };

/** What the coordinator holds, for tests and diagnostics. */
export type CoordinatorInspection = {
	ref: RolloutRef | undefined;
	/** More chunked work is queued (the next alarm is due now). */
	workPending: boolean;
	/** Alarms handled so far. */
	ticks: number;
	/** Terminal outcomes counted per group and status. */
	counts: Record<number, OutcomeCounts>;
	alarm: number | null;
};

/** Wall time one alarm may spend before it hands over to the next (notifications wait meanwhile). */
const WORK_BUDGET_MS = 2_000;
/** D1 statements one alarm may issue (Workers allow 1000 per invocation; keep far below). */
const QUERY_BUDGET = 200;
/** While running, an alarm re-derives counts from D1 this often (lost notifications, deleted targets). */
export const RECHECK_MS = 5_000;
/** hawkBit's dynamicRolloutsMinInvolvePeriodMS. */
export const DYNAMIC_FILL_PERIOD_MS = 60_000;
/** Actor recorded for changes the coordinator makes on its own (hawkBit runs them as system). */
const SYSTEM_ACTOR = "system";

const TERMINAL_STATUSES: readonly ActionStatus[] = ["FINISHED", "ERROR", "CANCELED", "DOWNLOADED"];

type Snapshot = { rollout: RolloutRow; groups: RolloutGroupRow[] };
/** How far the filling and scheduling of one group got (kept in storage, so a restart resumes). */
type GroupProgress = {
	/** Targets the group is to take, fixed when its filling starts. */
	expected: number | null;
	/** Matching targets still free when its filling started. */
	candidates: number | null;
	/** Highest target id looked at while filling. */
	fillCursor: number;
	/** Highest member target id that has its SCHEDULED action. */
	scheduleCursor: number;
};
/** Per-rollout overrides of the chunking defaults. */
export type Tuning = { chunk?: number; budgetMs?: number; queries?: number };
/** When the next alarm is due: now (more work), the running recheck, a time (startAt), or never. */
type Wake = "now" | "recheck" | number | undefined;

/**
 * How much one alarm may still do. Exhausted only after at least one chunk was written, so every alarm
 * makes progress whatever the tuning.
 */
class Budget {
	readonly #deadline: number;
	#queries: number;
	#progressed = false;
	constructor(ms: number, queries: number) {
		this.#deadline = Date.now() + ms;
		this.#queries = queries;
	}
	/** Counts statements issued; `chunk` marks that real work was done. */
	spend(queries: number, chunk = false): void {
		this.#queries -= queries;
		this.#progressed ||= chunk;
	}
	get exhausted(): boolean {
		return this.#progressed && (this.#queries <= 0 || Date.now() >= this.#deadline);
	}
}

export class RolloutCoordinator extends DurableObject<Env> {
	#ref: RolloutRef | undefined;
	#snap: Snapshot | undefined;
	#queue: Promise<unknown> = Promise.resolve();
	#pendingEvaluation: Promise<void> | undefined;
	/** Set when something during an alarm asked for another alarm right away (e.g. a group was started). */
	#wantNow = false;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		this.#migrate();
		this.#ref = this.#meta<RolloutRef>("ref");
	}

	/**
	 * A new rollout exists in D1 (status CREATING): remember it and start filling its groups.
	 * Idempotent: a repeated call only makes sure the alarm is set.
	 */
	async created(ref: RolloutRef, opts: { approvalNeeded: boolean }): Promise<void> {
		this.#remember(ref);
		if (this.#meta<boolean>("approvalNeeded") === undefined) {
			this.#setMeta("approvalNeeded", opts.approvalNeeded);
		}
		await this.#wakeNow();
	}

	/** READY → STARTING (hawkBit RolloutManagement#start). A second start answers 400 like hawkBit. */
	async start(ref: RolloutRef, actor: string): Promise<CoordinatorResult> {
		return this.#op(ref, async ({ rollout }) => {
			assertRolloutOperation("start", rollout.status);
			await this.#setStatus(rollout, "starting", ["ready"], actor);
			await this.#wakeNow();
		});
	}

	/** RUNNING → PAUSED; running actions continue, no further group starts. */
	async pause(ref: RolloutRef, actor: string): Promise<CoordinatorResult> {
		return this.#op(ref, async ({ rollout }) => {
			assertRolloutOperation("pause", rollout.status);
			await this.#transition(rollout, [{ kind: "pause", reason: `Paused by ${actor}` }], actor);
		});
	}

	/**
	 * PAUSED → RUNNING. Starts the next group right away when the last started group is in error or
	 * its PAUSE success action fired (hawkBit #resumeRollout), then re-evaluates every running group.
	 */
	async resume(ref: RolloutRef, actor: string): Promise<CoordinatorResult> {
		return this.#op(ref, async (snap) => {
			assertRolloutOperation("resume", snap.rollout.status);
			for (const g of snap.groups) {
				if (g.status !== "scheduled" && g.status !== "ready" && g.status !== "creating") {
					await this.#reconcileGroup(snap.rollout, g);
				}
			}
			const fresh = (await this.#load()) ?? snap;
			const transitions: RolloutTransition[] = [{ kind: "resume" }];
			const from = groupToContinueOnResume(fresh.rollout.actionType, this.#views(fresh));
			if (from) {
				const children = fresh.groups
					.filter((g) => g.parentId === from.id && g.status === "scheduled")
					.map((g) => g.id);
				if (children.length > 0) {
					transitions.push({ kind: "startGroups", parentGroupId: from.id, groupIds: children });
				}
			}
			await this.#transition(fresh.rollout, transitions, actor);
			await this.#evaluate();
			await this.#wakeNow();
		});
	}

	/** Starts the scheduled children of the last started group now, whatever the conditions say. */
	async triggerNextGroup(ref: RolloutRef, actor: string): Promise<CoordinatorResult> {
		return this.#op(ref, async ({ rollout, groups }) => {
			const next = groupsToTrigger(rollout.status, groups);
			if (next.groupIds.length > 0) {
				await this.#transition(rollout, [{ kind: "startGroups", ...next }], actor);
				await this.#wakeNow();
			}
		});
	}

	/** → STOPPING (scheduled actions removed, groups finished, active actions soft-canceled) → STOPPED. */
	async stop(ref: RolloutRef, actor: string): Promise<CoordinatorResult> {
		return this.#op(ref, async ({ rollout }) => {
			assertRolloutOperation("stop", rollout.status);
			await this.#setStatus(rollout, "stopping", STOPPABLE_STATUSES, actor);
			await this.#wakeNow();
		});
	}

	/** → DELETING, then hard delete (nothing started) or soft delete (§7.6). Repeating it is a no-op. */
	async remove(ref: RolloutRef, actor: string): Promise<CoordinatorResult> {
		return this.#op(ref, async ({ rollout }) => {
			if (rollout.status === "deleting" || rollout.status === "deleted") {
				return;
			}
			const others = ALL_STATUSES.filter((s) => s !== "deleting" && s !== "deleted");
			await this.#setStatus(rollout, "deleting", others, actor);
			await this.#wakeNow();
		});
	}

	/** WAITING_FOR_APPROVAL → READY (approve) or APPROVAL_DENIED (deny), recording who and why. */
	async decideApproval(
		ref: RolloutRef,
		decision: { approve: boolean; actor: string; remark: string | null },
	): Promise<CoordinatorResult> {
		return this.#op(ref, async ({ rollout }) => {
			assertRolloutOperation(decision.approve ? "approve" : "deny", rollout.status);
			await updateRolloutStatus(this.env.DB, {
				rolloutId: rollout.id,
				status: decision.approve ? "ready" : "approval_denied",
				from: ["waiting_for_approval"],
				actor: decision.actor,
				now: Date.now(),
				approval: { decidedBy: decision.actor, remark: decision.remark },
			});
			await this.#load();
			if (decision.approve) {
				await this.#wakeNow();
			}
		});
	}

	/**
	 * A device outcome of one of this rollout's actions. Idempotent by action id: the first terminal
	 * outcome counts, repeats do nothing. Returns once the outcome is counted and the resulting decision
	 * (next group started, or rollout paused) is in D1; the heavy part of starting a group follows in
	 * an alarm.
	 */
	async actionFinished(ref: RolloutRef, outcome: ActionOutcome): Promise<{ counted: boolean }> {
		this.#remember(ref);
		let snap = this.#snap ?? (await this.#serial(() => this.#load()));
		if (snap && !snap.groups.some((g) => g.id === outcome.groupId)) {
			// A dynamic group the cached snapshot does not know yet.
			snap = await this.#serial(() => this.#load());
		}
		if (!snap?.groups.some((g) => g.id === outcome.groupId)) {
			return { counted: false };
		}
		if (!isTerminalActionStatus(outcome.status, snap.rollout.actionType)) {
			return { counted: false };
		}
		const counted = this.#record(outcome.actionId, outcome.groupId, outcome.status);
		if (counted) {
			await this.#requestEvaluation();
		}
		return { counted };
	}

	/** Re-derive counts and look at the rollout again soon (another rollout touched its actions). */
	async poke(ref: RolloutRef): Promise<void> {
		this.#remember(ref);
		this.#setMeta("lastReconcile", 0);
		await this.#wakeNow();
	}

	/** Top up the last dynamic group now (a target was registered) instead of waiting for the period. */
	async topUpDynamic(ref: RolloutRef): Promise<void> {
		this.#remember(ref);
		this.#setMeta("lastDynamicFill", 0);
		await this.#wakeNow();
	}

	/**
	 * Overrides chunk size and per-alarm budget for this rollout (benchmarks, and tests that need work
	 * to span several alarms). Idempotent; `{}` restores the defaults.
	 */
	async tune(ref: RolloutRef, tuning: Tuning): Promise<void> {
		this.#remember(ref);
		this.#setMeta("tuning", tuning);
	}

	/** Resolves once every queued state change has run (tests, diagnostics). */
	async settle(): Promise<void> {
		for (;;) {
			const q = this.#queue;
			await q;
			if (q === this.#queue) {
				return;
			}
		}
	}

	/** The coordinator's own state (tests, diagnostics). */
	async inspect(): Promise<CoordinatorInspection> {
		const counts: Record<number, OutcomeCounts> = {};
		for (const row of this.ctx.storage.sql.exec<{ group_id: number; status: string; n: number }>(
			"SELECT group_id, status, n FROM outcome_counts",
		)) {
			counts[row.group_id] ??= {};
			(counts[row.group_id] as OutcomeCounts)[row.status as ActionStatus] = row.n;
		}
		return {
			ref: this.#ref,
			workPending: this.#meta<boolean>("workPending") ?? false,
			ticks: this.#meta<number>("ticks") ?? 0,
			counts,
			alarm: await this.ctx.storage.getAlarm(),
		};
	}

	override async alarm(): Promise<void> {
		await this.#serial(() => this.#tick());
	}

	#serial<T>(fn: () => Promise<T>): Promise<T> {
		const run = this.#queue.then(fn, fn);
		this.#queue = run.catch(() => undefined);
		return run;
	}

	/** Coalesces evaluation requests: at most one runs and one waits, and the waiting one sees every outcome. */
	#requestEvaluation(): Promise<void> {
		if (!this.#pendingEvaluation) {
			this.#pendingEvaluation = this.#serial(async () => {
				this.#pendingEvaluation = undefined;
				await this.#evaluate();
			});
		}
		return this.#pendingEvaluation;
	}

	async #op(ref: RolloutRef, body: (snap: Snapshot) => Promise<void>): Promise<CoordinatorResult> {
		this.#remember(ref);
		return this.#serial(async () => {
			try {
				const snap = await this.#load();
				if (!snap) {
					throw entityNotFound("Rollout", ref.rolloutId);
				}
				await body(snap);
				return { ok: true } as const;
			} catch (err) {
				if (err instanceof DomainError) {
					return { ok: false, code: err.code, message: err.message } as const;
				}
				throw err;
			}
		});
	}

	async #tick(): Promise<void> {
		const ref = this.#ref;
		if (!ref) {
			return;
		}
		await this.#flushRefreshes();
		const snap = await this.#load();
		if (!snap) {
			await this.#forget();
			return;
		}
		this.#wantNow = false;
		this.#setMeta("ticks", (this.#meta<number>("ticks") ?? 0) + 1);
		const tuning = this.#meta<Tuning>("tuning") ?? {};
		const budget = new Budget(tuning.budgetMs ?? WORK_BUDGET_MS, tuning.queries ?? QUERY_BUDGET);
		let wake: Wake;
		switch (snap.rollout.status) {
			case "creating":
				wake = await this.#create(snap, budget);
				break;
			case "ready":
				wake = await this.#ready(snap);
				break;
			case "starting":
				wake = await this.#starting(snap, budget);
				break;
			case "running":
				wake = await this.#running(snap, budget);
				break;
			case "paused":
				wake = (await this.#activate(snap, budget)) ? "now" : undefined;
				break;
			case "stopping":
				wake = await this.#stopping(snap, budget);
				break;
			case "deleting":
				wake = await this.#deleting(snap, budget);
				break;
			default:
				wake = undefined;
		}
		if (this.#ref === undefined) {
			return; // forgotten (hard delete)
		}
		if (this.#wantNow) {
			wake = "now";
		}
		this.#setMeta("workPending", wake === "now");
		if (wake === "now") {
			await this.ctx.storage.setAlarm(Date.now());
		} else if (wake === "recheck") {
			await this.ctx.storage.setAlarm(Date.now() + RECHECK_MS);
		} else if (typeof wake === "number") {
			await this.ctx.storage.setAlarm(wake);
		}
	}

	/** CREATING: fill the groups one after the other in chunks, then READY / WAITING_FOR_APPROVAL. */
	async #create(snap: Snapshot, budget: Budget): Promise<Wake> {
		const d1 = this.env.DB;
		const { rollout, groups } = snap;
		const source = await this.#filterSource(rollout);
		const shares = groups.map((g) => ({
			targetFilterQuery: g.targetFilterQuery,
			targetPercentage: g.targetPercentage,
		}));
		for (const [index, g] of groups.entries()) {
			if (g.status !== "creating") {
				continue;
			}
			const frozen = { frozen: true };
			const scan = groupTargetPredicate(source, g.targetFilterQuery, { ...frozen, scanById: true });
			let progress = this.#progress(g.id);
			if (progress.expected === null) {
				// Computed once per group and kept, so a refill after a crash aims at the same size.
				const earlier = groups.slice(0, index);
				const previous = earlier.at(-1);
				let candidates: number;
				let cursor = 0;
				const prev = previous ? this.#progress(previous.id) : undefined;
				if (
					previous &&
					prev?.candidates != null &&
					earlier.every((e) => (e.targetFilterQuery ?? null) === (g.targetFilterQuery ?? null))
				) {
					// Same filter as every earlier group (amountGroups): they took the lowest matching ids,
					// so what is left is the previous count minus the previous group, above its cursor.
					candidates = prev.candidates - (await countGroupMembers(d1, previous.id));
					cursor = prev.fillCursor;
				} else {
					const count = groupTargetPredicate(source, g.targetFilterQuery, frozen);
					candidates = await countFillCandidates(d1, { rolloutId: rollout.id, predicate: count });
				}
				budget.spend(1);
				progress = {
					...progress,
					expected: expectedGroupSize(shares, index, candidates),
					candidates,
					fillCursor: cursor,
				};
				this.#setProgress(g.id, progress);
			}
			const expected = progress.expected as number;
			for (;;) {
				const members = await countGroupMembers(d1, g.id);
				budget.spend(1);
				const left = expected - members;
				if (left > 0) {
					if (budget.exhausted) {
						return "now";
					}
					const chunk = await fillGroupChunk(d1, {
						rolloutId: rollout.id,
						groupId: g.id,
						predicate: scan,
						limit: Math.min(this.#chunk(), left),
						afterTargetId: progress.fillCursor,
					});
					budget.spend(2, true);
					progress = { ...progress, fillCursor: chunk.cursor };
					this.#setProgress(g.id, { fillCursor: chunk.cursor });
					if (chunk.added > 0) {
						continue;
					}
				}
				await updateGroupStatus(d1, {
					groupId: g.id,
					status: "ready",
					from: ["creating"],
					totalTargets: members,
					actor: SYSTEM_ACTOR,
					now: Date.now(),
				});
				break;
			}
			if (budget.exhausted) {
				return "now";
			}
		}
		let filled = (await this.#load()) ?? snap;
		const last = filled.groups.at(-1);
		if (rollout.dynamic && last && !last.dynamic) {
			// The first dynamic group follows the last static one (hawkBit #handleCreateRollout).
			await insertDynamicGroup(d1, {
				tenant: rollout.tenant,
				rolloutId: rollout.id,
				parentId: last.id,
				group: dynamicGroupFrom(last, filled.groups.length),
				status: "ready",
				actor: SYSTEM_ACTOR,
				now: Date.now(),
			});
			filled = (await this.#load()) ?? filled;
		}
		const total = filled.groups.reduce((sum, g) => sum + g.totalTargets, 0);
		const approvalNeeded =
			this.#meta<boolean>("approvalNeeded") ??
			(await getTenantConfigValues(this.env, rollout.tenant))["rollout.approval.enabled"];
		await updateRolloutStatus(d1, {
			rolloutId: rollout.id,
			status: approvalNeeded ? "waiting_for_approval" : "ready",
			from: ["creating"],
			totalTargets: total,
			actor: rollout.lastModifiedBy,
			now: Date.now(),
		});
		await this.#load();
		return approvalNeeded ? undefined : "now";
	}

	/** READY: a scheduled start (`startAt`) starts once its time has come. */
	async #ready(snap: Snapshot): Promise<Wake> {
		const { startAt } = snap.rollout;
		if (startAt == null) {
			return undefined;
		}
		if (startAt > Date.now()) {
			return startAt;
		}
		await this.#setStatus(snap.rollout, "starting", ["ready"], snap.rollout.createdBy);
		return "now";
	}

	/** STARTING: SCHEDULED actions for every READY group, then the first group runs (→ RUNNING). */
	async #starting(snap: Snapshot, budget: Budget): Promise<Wake> {
		const d1 = this.env.DB;
		const { rollout, groups } = snap;
		const template = actionTemplate(rollout);
		for (const g of groups) {
			if (g.status !== "ready") {
				continue;
			}
			let cursor = this.#progress(g.id).scheduleCursor;
			for (;;) {
				if (budget.exhausted) {
					return "now";
				}
				const chunk = await scheduleGroupChunk(d1, {
					template,
					groupId: g.id,
					afterTargetId: cursor,
					limit: this.#chunk(),
					now: Date.now(),
				});
				budget.spend(3, true);
				if (!chunk) {
					break;
				}
				cursor = chunk.cursor;
				this.#setProgress(g.id, { scheduleCursor: cursor });
			}
			await updateGroupStatus(d1, {
				groupId: g.id,
				status: "scheduled",
				from: ["ready"],
				actor: rollout.lastModifiedBy,
				now: Date.now(),
			});
		}
		const first = groups.find((g) => g.parentId === null);
		const transitions: RolloutTransition[] = first
			? [{ kind: "startGroups", parentGroupId: null, groupIds: [first.id] }]
			: [];
		await applyRolloutTransitions(d1, {
			rolloutId: rollout.id,
			transitions,
			actor: rollout.lastModifiedBy,
			now: Date.now(),
		});
		await this.#setStatus(rollout, "running", ["starting"], rollout.lastModifiedBy);
		if (first) {
			this.#markActivating(first.id);
		}
		return "now";
	}

	/** RUNNING: finish starting groups, re-derive counts, top up dynamic groups, decide. */
	async #running(snap: Snapshot, budget: Budget): Promise<Wake> {
		if (await this.#activate(snap, budget)) {
			return "now";
		}
		let current = (await this.#load()) ?? snap;
		const lastReconcile = this.#meta<number>("lastReconcile") ?? 0;
		if (Date.now() - lastReconcile >= RECHECK_MS) {
			for (const g of current.groups) {
				if (g.status === "running" || g.status === "error") {
					await this.#reconcileGroup(current.rollout, g);
					budget.spend(2);
				}
			}
			this.#setMeta("lastReconcile", Date.now());
			current = (await this.#load()) ?? current;
		}
		if (current.rollout.dynamic && (await this.#topUp(current, budget))) {
			await this.#evaluate();
			return "now";
		}
		await this.#evaluate();
		return "recheck";
	}

	/**
	 * Activates the SCHEDULED actions of started groups (running, or already decided error/finished while
	 * starting) chunk by chunk. Returns true when the budget ran out with work left.
	 */
	async #activate(snap: Snapshot, budget: Budget): Promise<boolean> {
		const d1 = this.env.DB;
		const { rollout } = snap;
		const marked = new Set(this.#meta<number[]>("activating") ?? []);
		const candidates = snap.groups.filter(
			(g) => g.status === "running" || (marked.has(g.id) && g.status !== "scheduled"),
		);
		if (candidates.length === 0) {
			return false;
		}
		const config = await getTenantConfigValues(this.env, rollout.tenant);
		const options = {
			confirmationFlow: config["user.confirmation.flow.enabled"],
			autoclose: config["repository.actions.autoclose.enabled"],
		};
		for (const g of candidates) {
			if (!marked.has(g.id) && !(await hasScheduledActions(d1, g.id))) {
				continue;
			}
			for (;;) {
				if (budget.exhausted) {
					return true;
				}
				let pending: number | undefined;
				const chunk = await startGroupChunk(d1, {
					tenant: rollout.tenant,
					rollout: {
						id: rollout.id,
						name: rollout.name,
						dsId: rollout.dsId,
						createdBy: rollout.createdBy,
					},
					group: { id: g.id, name: g.name, confirmationRequired: g.confirmationRequired ?? false },
					limit: this.#chunk(),
					options,
					actor: rollout.lastModifiedBy,
					now: Date.now(),
					beforeCommit: (ids) => {
						pending = this.#oweRefresh(ids);
					},
				});
				budget.spend(10, true);
				if (!chunk) {
					if (pending !== undefined) {
						this.#paidRefresh(pending);
					}
					break;
				}
				await this.#flushRefreshes();
				for (const other of chunk.otherRolloutIds) {
					await this.#pokeOther(rollout.tenant, other);
				}
			}
			marked.delete(g.id);
			this.#setMeta("activating", [...marked]);
			// Actions closed as "already assigned" count like device outcomes.
			await this.#reconcileGroup(rollout, g);
		}
		return false;
	}

	/**
	 * Dynamic rollouts: the last group takes newly matching targets (at most every 60 s, or at once after
	 * a registration hook); when full or finished a new dynamic group is appended. Returns true when
	 * something changed and another run should follow.
	 */
	async #topUp(snap: Snapshot, budget: Budget): Promise<boolean> {
		const last = snap.groups.at(-1);
		const lastFill = this.#meta<number>("lastDynamicFill") ?? 0;
		if (!last || Date.now() - lastFill < DYNAMIC_FILL_PERIOD_MS || budget.exhausted) {
			return false;
		}
		const d1 = this.env.DB;
		const { rollout } = snap;
		const capacity = dynamicGroupCapacity(last.targetPercentage);
		if (last.totalTargets >= capacity || last.status === "finished") {
			if (snap.groups.length + 1 > MAX_ROLLOUT_GROUPS) {
				this.#setMeta("lastDynamicFill", Date.now());
				return false;
			}
			await insertDynamicGroup(d1, {
				tenant: rollout.tenant,
				rolloutId: rollout.id,
				parentId: last.id,
				group: dynamicGroupFrom(last, snap.groups.length),
				status: "scheduled",
				actor: SYSTEM_ACTOR,
				now: Date.now(),
			});
			await this.#load();
			return true;
		}
		const source = await this.#filterSource(rollout);
		const added = await topUpDynamicGroupChunk(d1, {
			template: actionTemplate(rollout),
			groupId: last.id,
			predicate: groupTargetPredicate(source, last.targetFilterQuery, { frozen: false }),
			limit: Math.min(this.#chunk(), capacity - last.totalTargets),
			now: Date.now(),
		});
		budget.spend(4, true);
		if (added.length === 0) {
			this.#setMeta("lastDynamicFill", Date.now());
			return false;
		}
		await adjustTotals(d1, { rolloutId: rollout.id, groupId: last.id, delta: added.length });
		if (last.status === "running") {
			this.#markActivating(last.id);
		}
		await this.#load();
		return true;
	}

	/** STOPPING: remove scheduled actions, finish open groups, soft-cancel active actions → STOPPED. */
	async #stopping(snap: Snapshot, budget: Budget): Promise<Wake> {
		const d1 = this.env.DB;
		const { rollout } = snap;
		const actor = rollout.lastModifiedBy;
		if (await this.#deleteScheduled(rollout.id, budget)) {
			return "now";
		}
		await finishOpenGroups(d1, { rolloutId: rollout.id, actor, now: Date.now() });
		for (;;) {
			if (budget.exhausted) {
				return "now";
			}
			const targets = await softCancelRolloutActionsChunk(d1, {
				rolloutId: rollout.id,
				limit: this.#chunk(),
				actor,
				now: Date.now(),
				beforeCommit: (ids) => void this.#oweRefresh(ids),
			});
			budget.spend(3, true);
			await this.#flushRefreshes();
			if (targets.length === 0) {
				break;
			}
		}
		if (
			(await countActiveRolloutActions(d1, { rolloutId: rollout.id, excludeCanceling: true })) === 0
		) {
			await this.#setStatus(rollout, "stopped", ["stopping"], actor);
		}
		return undefined;
	}

	/** DELETING: hard delete if nothing ever started, else remove scheduled, force-quit active, soft delete. */
	async #deleting(snap: Snapshot, budget: Budget): Promise<Wake> {
		const d1 = this.env.DB;
		const { rollout } = snap;
		const actor = rollout.lastModifiedBy;
		if (!(await rolloutActionPresence(d1, rollout.id)).started) {
			return this.#hardDelete(rollout.id, budget);
		}
		if (await this.#deleteScheduled(rollout.id, budget)) {
			return "now";
		}
		await finishOpenGroups(d1, { rolloutId: rollout.id, actor, now: Date.now() });
		for (;;) {
			if (budget.exhausted) {
				return "now";
			}
			const targets = await forceQuitRolloutActionsChunk(d1, {
				rolloutId: rollout.id,
				limit: this.#chunk(),
				actor,
				now: Date.now(),
				beforeCommit: (ids) => void this.#oweRefresh(ids),
			});
			budget.spend(4, true);
			await this.#flushRefreshes();
			if (targets.length === 0) {
				break;
			}
		}
		if (
			(await countActiveRolloutActions(d1, { rolloutId: rollout.id, excludeCanceling: false })) ===
			0
		) {
			await updateRolloutStatus(d1, {
				rolloutId: rollout.id,
				status: "deleted",
				from: ["deleting"],
				actor,
				now: Date.now(),
				deleted: true,
			});
			await this.#load();
		}
		return undefined;
	}

	async #hardDelete(rolloutId: number, budget: Budget): Promise<Wake> {
		const d1 = this.env.DB;
		if (await this.#deleteScheduled(rolloutId, budget)) {
			return "now";
		}
		for (;;) {
			if (budget.exhausted) {
				return "now";
			}
			const n = await deleteGroupMembersChunk(d1, { rolloutId, limit: this.#chunk() });
			budget.spend(1, true);
			if (n === 0) {
				break;
			}
		}
		await hardDeleteRollout(d1, rolloutId);
		await this.#forget();
		return undefined;
	}

	/** Deletes the rollout's SCHEDULED actions in chunks; true when the budget ran out first. */
	async #deleteScheduled(rolloutId: number, budget: Budget): Promise<boolean> {
		for (;;) {
			if (budget.exhausted) {
				return true;
			}
			const n = await deleteScheduledActionsChunk(this.env.DB, {
				rolloutId,
				limit: this.#chunk(),
			});
			budget.spend(1, true);
			if (n === 0) {
				return false;
			}
		}
	}

	/** One decision over the running rollout from the counted outcomes (hawkBit #handleRunningRollout). */
	async #evaluate(): Promise<void> {
		const snap = this.#snap ?? (await this.#load());
		if (snap?.rollout.status !== "running") {
			return;
		}
		const steps = decideRunningRollout(snap.rollout, this.#views(snap));
		if (steps.length === 0) {
			return;
		}
		await this.#transition(snap.rollout, steps, SYSTEM_ACTOR);
		const started = steps.flatMap((s) => (s.kind === "startGroups" ? s.groupIds : []));
		for (const id of started) {
			this.#markActivating(id);
		}
		if (started.length > 0) {
			await this.#wakeNow();
		}
	}

	async #transition(rollout: RolloutRow, transitions: RolloutTransition[], actor: string) {
		await applyRolloutTransitions(this.env.DB, {
			rolloutId: rollout.id,
			transitions,
			actor,
			now: Date.now(),
		});
		for (const t of transitions) {
			if (t.kind === "startGroups") {
				for (const id of t.groupIds) {
					this.#markActivating(id);
				}
			}
		}
		await this.#load();
	}

	async #setStatus(
		rollout: RolloutRow,
		status: RolloutStatus,
		from: readonly RolloutStatus[],
		actor: string,
	): Promise<void> {
		await updateRolloutStatus(this.env.DB, {
			rolloutId: rollout.id,
			status,
			from: [...from],
			actor,
			now: Date.now(),
		});
		await this.#load();
	}

	/**
	 * Brings the counted outcomes of a group in line with D1 (the record): adds terminal actions no
	 * notification reported, drops actions that no longer exist, and corrects the group's total when
	 * targets or actions were deleted (hawkBit recounts every run).
	 */
	async #reconcileGroup(rollout: RolloutRow, g: RolloutGroupRow): Promise<void> {
		const d1 = this.env.DB;
		const rows = await countGroupActionsByStatus(d1, g.id);
		const inD1 = new Map(rows.map((r) => [r.status, r.count]));
		const total = rows.reduce((sum, r) => sum + r.count, 0);
		if (total !== g.totalTargets && g.status !== "creating" && g.status !== "ready") {
			await adjustTotals(d1, {
				rolloutId: rollout.id,
				groupId: g.id,
				delta: total - g.totalTargets,
			});
			await this.#load();
		}
		for (const status of TERMINAL_STATUSES) {
			if (!isTerminalActionStatus(status, rollout.actionType)) {
				continue;
			}
			const wanted = inD1.get(status) ?? 0;
			const have = this.#count(g.id, status);
			if (wanted > have) {
				let after = 0;
				for (;;) {
					const ids = await listGroupActionIds(d1, {
						groupId: g.id,
						status,
						afterId: after,
						limit: 1000,
					});
					for (const id of ids) {
						this.#record(id, g.id, status);
					}
					if (ids.length < 1000) {
						break;
					}
					after = ids[ids.length - 1] as number;
				}
			} else if (wanted < have) {
				const ids = [
					...this.ctx.storage.sql.exec<{ action_id: number }>(
						"SELECT action_id FROM outcomes WHERE group_id = ? AND status = ?",
						g.id,
						status,
					),
				].map((r) => r.action_id);
				const existing = await existingActionIds(d1, ids);
				for (const id of ids) {
					if (!existing.has(id)) {
						this.#unrecord(id, g.id, status);
					}
				}
			}
		}
	}

	#views(snap: Snapshot): GroupView[] {
		return snap.groups.map((g) => ({
			...(conditionsOf(g) as GroupConditions),
			id: g.id,
			parentId: g.parentId,
			name: g.name,
			status: g.status,
			dynamic: g.dynamic,
			targetPercentage: g.targetPercentage,
			total: g.totalTargets,
			outcomes: this.#outcomes(g.id),
		}));
	}

	async #filterSource(rollout: RolloutRow): Promise<RolloutFilterSource> {
		let dsTypeId = this.#meta<number>("dsTypeId");
		if (dsTypeId === undefined) {
			dsTypeId =
				(await findDistributionSetTypeId(this.env.DB, {
					tenant: rollout.tenant,
					dsId: rollout.dsId,
				})) ?? -1;
			this.#setMeta("dsTypeId", dsTypeId);
		}
		return {
			tenant: rollout.tenant,
			targetFilterQuery: rollout.targetFilterQuery,
			createdAt: rollout.createdAt,
			dsTypeId,
		};
	}

	async #load(): Promise<Snapshot | undefined> {
		const ref = this.#ref;
		if (!ref) {
			return undefined;
		}
		const rollout = await findRollout(this.env.DB, ref);
		if (!rollout) {
			this.#snap = undefined;
			return undefined;
		}
		const groups = await listGroupsOfRollout(this.env.DB, ref);
		this.#snap = { rollout, groups };
		return this.#snap;
	}

	async #wakeNow(): Promise<void> {
		this.#wantNow = true;
		this.#setMeta("workPending", true);
		const current = await this.ctx.storage.getAlarm();
		const now = Date.now();
		if (current === null || current > now) {
			await this.ctx.storage.setAlarm(now);
		}
	}

	async #pokeOther(tenant: string, rolloutId: number): Promise<void> {
		try {
			await this.env.ROLLOUT_COORDINATOR.getByName(coordinatorName(tenant, rolloutId)).poke({
				tenant,
				rolloutId,
			});
		} catch (err) {
			console.warn("could not poke rollout coordinator", { tenant, rolloutId, err });
		}
	}

	async #forget(): Promise<void> {
		await this.ctx.storage.deleteAlarm();
		await this.ctx.storage.deleteAll();
		this.#migrate();
		this.#ref = undefined;
		this.#snap = undefined;
	}

	#remember(ref: RolloutRef): void {
		if (!this.#ref) {
			this.#ref = { tenant: ref.tenant, rolloutId: ref.rolloutId };
			this.#setMeta("ref", this.#ref);
		}
	}

	#migrate(): void {
		const sql = this.ctx.storage.sql;
		sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
			CREATE TABLE IF NOT EXISTS outcomes (action_id INTEGER PRIMARY KEY, group_id INTEGER NOT NULL, status TEXT NOT NULL);
			CREATE INDEX IF NOT EXISTS outcomes_group_status ON outcomes (group_id, status);
			CREATE TABLE IF NOT EXISTS outcome_counts (group_id INTEGER NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL,
				PRIMARY KEY (group_id, status));
			CREATE TABLE IF NOT EXISTS group_progress (group_id INTEGER PRIMARY KEY, expected INTEGER,
				candidates INTEGER, fill_cursor INTEGER NOT NULL DEFAULT 0, schedule_cursor INTEGER NOT NULL DEFAULT 0);
			CREATE TABLE IF NOT EXISTS owed_refresh (id INTEGER PRIMARY KEY AUTOINCREMENT, target_ids TEXT NOT NULL);`);
	}

	#meta<T>(key: string): T | undefined {
		const row = this.ctx.storage.sql
			.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key)
			.toArray()[0];
		return row ? (JSON.parse(row.value) as T) : undefined;
	}

	#setMeta(key: string, value: unknown): void {
		this.ctx.storage.sql.exec(
			"INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
			key,
			JSON.stringify(value),
		);
	}

	/** Targets per chunk statement (hawkBit's 5 000 unless tuned). */
	#chunk(): number {
		return this.#meta<Tuning>("tuning")?.chunk ?? TARGETS_PER_CHUNK;
	}

	#markActivating(groupId: number): void {
		const marked = new Set(this.#meta<number[]>("activating") ?? []);
		marked.add(groupId);
		this.#setMeta("activating", [...marked]);
	}

	#progress(groupId: number): GroupProgress {
		const row = this.ctx.storage.sql
			.exec<{
				expected: number | null;
				candidates: number | null;
				fill_cursor: number;
				schedule_cursor: number;
			}>(
				"SELECT expected, candidates, fill_cursor, schedule_cursor FROM group_progress WHERE group_id = ?",
				groupId,
			)
			.toArray()[0];
		return {
			expected: row?.expected ?? null,
			candidates: row?.candidates ?? null,
			fillCursor: row?.fill_cursor ?? 0,
			scheduleCursor: row?.schedule_cursor ?? 0,
		};
	}

	#setProgress(groupId: number, p: Partial<GroupProgress>): void {
		const next = { ...this.#progress(groupId), ...p };
		this.ctx.storage.sql.exec(
			`INSERT INTO group_progress (group_id, expected, candidates, fill_cursor, schedule_cursor) VALUES (?, ?, ?, ?, ?)
			 ON CONFLICT(group_id) DO UPDATE SET expected = excluded.expected, candidates = excluded.candidates,
			   fill_cursor = excluded.fill_cursor, schedule_cursor = excluded.schedule_cursor`,
			groupId,
			next.expected,
			next.candidates,
			next.fillCursor,
			next.scheduleCursor,
		);
	}

	/** Counts an outcome once per action id; the insert and the counter move together. */
	#record(actionId: number, groupId: number, status: ActionStatus): boolean {
		return this.ctx.storage.transactionSync(() => {
			const inserted = this.ctx.storage.sql.exec(
				"INSERT OR IGNORE INTO outcomes (action_id, group_id, status) VALUES (?, ?, ?)",
				actionId,
				groupId,
				status,
			).rowsWritten;
			if (inserted === 0) {
				return false;
			}
			this.ctx.storage.sql.exec(
				`INSERT INTO outcome_counts (group_id, status, n) VALUES (?, ?, 1)
				 ON CONFLICT(group_id, status) DO UPDATE SET n = n + 1`,
				groupId,
				status,
			);
			return true;
		});
	}

	#unrecord(actionId: number, groupId: number, status: ActionStatus): void {
		this.ctx.storage.transactionSync(() => {
			const removed = this.ctx.storage.sql.exec(
				"DELETE FROM outcomes WHERE action_id = ?",
				actionId,
			).rowsWritten;
			if (removed > 0) {
				this.ctx.storage.sql.exec(
					"UPDATE outcome_counts SET n = n - 1 WHERE group_id = ? AND status = ?",
					groupId,
					status,
				);
			}
		});
	}

	#count(groupId: number, status: ActionStatus): number {
		const row = this.ctx.storage.sql
			.exec<{ n: number }>(
				"SELECT n FROM outcome_counts WHERE group_id = ? AND status = ?",
				groupId,
				status,
			)
			.toArray()[0];
		return row?.n ?? 0;
	}

	#outcomes(groupId: number): OutcomeCounts {
		const out: OutcomeCounts = {};
		for (const row of this.ctx.storage.sql.exec<{ status: string; n: number }>(
			"SELECT status, n FROM outcome_counts WHERE group_id = ?",
			groupId,
		)) {
			out[row.status as ActionStatus] = row.n;
		}
		return out;
	}

	/** Records poll refreshes owed before the D1 write that makes them necessary commits. */
	#oweRefresh(targetIds: number[]): number {
		const row = this.ctx.storage.sql
			.exec<{ id: number }>(
				"INSERT INTO owed_refresh (target_ids) VALUES (?) RETURNING id",
				JSON.stringify(targetIds),
			)
			.toArray()[0];
		return row?.id ?? 0;
	}

	#paidRefresh(id: number): void {
		this.ctx.storage.sql.exec("DELETE FROM owed_refresh WHERE id = ?", id);
	}

	/** Refreshes the poll entries of every target whose view changed (shared/poll-cache contract). */
	async #flushRefreshes(): Promise<void> {
		const ref = this.#ref;
		if (!ref) {
			return;
		}
		const owed = this.ctx.storage.sql
			.exec<{ id: number; target_ids: string }>(
				"SELECT id, target_ids FROM owed_refresh ORDER BY id",
			)
			.toArray();
		for (const row of owed) {
			await refreshPollEntries(this.env, ref.tenant, JSON.parse(row.target_ids) as number[]);
			this.#paidRefresh(row.id);
		}
	}
}

const ALL_STATUSES: readonly RolloutStatus[] = [
	"creating",
	"waiting_for_approval",
	"approval_denied",
	"ready",
	"starting",
	"running",
	"paused",
	"stopping",
	"stopped",
	"finished",
	"deleting",
	"deleted",
];

/** The Durable Object name of a rollout's coordinator. */
export function coordinatorName(tenant: string, rolloutId: number): string {
	return `${tenant}:${rolloutId}`;
}

function conditionsOf(g: RolloutGroupRow) {
	return {
		successCondition: g.successCondition,
		successConditionExp: g.successConditionExp,
		successAction: g.successAction,
		successActionExp: g.successActionExp,
		errorCondition: g.errorCondition,
		errorConditionExp: g.errorConditionExp,
		errorAction: g.errorAction,
		errorActionExp: g.errorActionExp,
	};
}

function actionTemplate(rollout: RolloutRow): RolloutActionTemplate {
	return {
		tenant: rollout.tenant,
		rolloutId: rollout.id,
		dsId: rollout.dsId,
		actionType: rollout.actionType,
		forcedTime: rollout.forcedTime,
		weight: rollout.weight,
		initiatedBy: rollout.createdBy,
	};
}

/** hawkBit #createDynamicGroup: name, parent, filter, conditions and capacity from the last group. */
function dynamicGroupFrom(last: RolloutGroupRow, groupCount: number) {
	const name = nextDynamicGroupName(groupCount, last.name);
	return {
		name,
		description: name,
		targetFilterQuery: last.targetFilterQuery,
		// For dynamic groups hawkBit keeps the wanted target count in targetPercentage.
		targetPercentage: last.dynamic ? last.targetPercentage : last.totalTargets,
		confirmationRequired: last.confirmationRequired,
		dynamic: true,
		conditions: conditionsOf(last) as GroupConditions,
	};
}
