/**
 * hawkBit's repository rules for software modules and distribution sets as pure functions
 * (hawkBit: JpaDistributionSetManagement#assignSoftwareModules, DistributionSetType#checkComplete,
 * JpaSoftwareModule#isComplete, validation in JpaTargetFilterQueryManagement). Each check answers a
 * DomainError to throw, or undefined when the rule holds.
 */
import { DomainError } from "../errors";

export type ModuleTypeInfo = {
	id: number;
	key: string;
	maxAssignments: number;
	minArtifacts: number;
};
export type DsTypeInfo = { mandatory: number[]; optional: number[] };
export type ModuleInfo = { id: number; typeId: number; artifactCount: number };

/** `complete` of a module: at least its type's minArtifacts artifacts (0 when unset). */
export function isModuleComplete(artifactCount: number, minArtifacts: number): boolean {
	return artifactCount >= minArtifacts;
}

/**
 * `complete` of a DS: every mandatory module type is present and every module is complete.
 * A DS without modules is incomplete, even if its type has no mandatory types.
 */
export function isDistributionSetComplete(
	dsType: DsTypeInfo,
	modules: ModuleInfo[],
	moduleTypes: ReadonlyMap<number, ModuleTypeInfo>,
): boolean {
	if (modules.length === 0) {
		return false;
	}
	const present = new Set(modules.map((m) => m.typeId));
	if (!dsType.mandatory.every((t) => present.has(t))) {
		return false;
	}
	return modules.every((m) =>
		isModuleComplete(m.artifactCount, moduleTypes.get(m.typeId)?.minArtifacts ?? 0),
	);
}

/**
 * Adding modules to a DS: each module's type must be mandatory or optional in the DS type, and no
 * type may end up with more modules than its maxAssignments (both 400
 * `distributionset.modules.unsupported`, hawkbit-api.md §6.10); at most `maxModulesPerDs` modules
 * in all (quota, 429). Modules already in the DS are not counted twice.
 */
export function checkModuleAssignment(
	dsType: DsTypeInfo,
	current: { id: number; typeId: number }[],
	adding: { id: number; typeId: number }[],
	moduleTypes: ReadonlyMap<number, ModuleTypeInfo>,
	maxModulesPerDs = 100,
): DomainError | undefined {
	const allowed = new Set([...dsType.mandatory, ...dsType.optional]);
	for (const m of adding) {
		if (!allowed.has(m.typeId)) {
			const key = moduleTypes.get(m.typeId)?.key ?? String(m.typeId);
			return new DomainError(
				"distributionset.modules.unsupported",
				`Software module ${m.id} of type ${key} is not supported by this distribution set type.`,
			);
		}
	}
	const ids = new Set(current.map((m) => m.id));
	const all = [...current, ...adding.filter((m) => !ids.has(m.id))];
	const uniqueAll = [...new Map(all.map((m) => [m.id, m])).values()];
	if (uniqueAll.length > maxModulesPerDs) {
		return new DomainError(
			"quota.tooManyEntries",
			`Quota exceeded: a distribution set may hold at most ${maxModulesPerDs} software modules.`,
		);
	}
	const perType = new Map<number, number>();
	for (const m of uniqueAll) {
		perType.set(m.typeId, (perType.get(m.typeId) ?? 0) + 1);
	}
	for (const [typeId, n] of perType) {
		const type = moduleTypes.get(typeId);
		if (type && n > type.maxAssignments) {
			return new DomainError(
				"distributionset.modules.unsupported",
				`Distribution set may hold at most ${type.maxAssignments} software module(s) of type ${type.key}.`,
			);
		}
	}
	return undefined;
}

/** Module changes on a locked DS are refused with 423. */
export function checkDsModulesChangeable(ds: {
	id: number;
	locked: boolean;
}): DomainError | undefined {
	return ds.locked
		? new DomainError(
				"locked",
				`Distribution set ${ds.id} is locked: its software modules cannot be changed.`,
			)
		: undefined;
}

/** Artifact changes on a locked module are refused with 423. */
export function checkModuleArtifactsChangeable(sm: {
	id: number;
	locked: boolean;
}): DomainError | undefined {
	return sm.locked
		? new DomainError(
				"locked",
				`Software module ${sm.id} is locked: its artifacts cannot be changed.`,
			)
		: undefined;
}

/**
 * What assignment, rollouts and auto-assignment require of a DS: not deleted, valid (not
 * invalidated) and complete. hawkBit: DeploymentManagement / TargetFilterQueryManagement checks.
 */
export function checkDsAssignable(ds: {
	id: number;
	deleted: boolean;
	valid: boolean;
	complete: boolean;
}): DomainError | undefined {
	if (ds.deleted) {
		return new DomainError("deleted", `Distribution set ${ds.id} is deleted.`);
	}
	if (!ds.valid) {
		return new DomainError(
			"distributionset.invalid",
			`Distribution set ${ds.id} is invalidated and cannot be assigned.`,
		);
	}
	if (!ds.complete) {
		return new DomainError(
			"distributionset.incomplete",
			`Distribution set ${ds.id} is incomplete: a mandatory module is missing or a module has too few artifacts.`,
		);
	}
	return undefined;
}

/** Auto-assignment never uses `timeforced` (400 repo.invalidAutoAssignActionType). */
export function checkAutoAssignActionType(type: string): DomainError | undefined {
	return type === "timeforced"
		? new DomainError(
				"repo.invalidAutoAssignActionType",
				"The action type timeforced is not allowed for auto-assignments.",
			)
		: undefined;
}

/** Removing the last module-type lists of a used DS type, or changing them, is read-only (403). */
export function checkDsTypeModulesChangeable(type: {
	id: number;
	inUse: boolean;
}): DomainError | undefined {
	return type.inUse
		? new DomainError(
				"repo.entityReadOnly",
				`Distribution set type ${type.id} is already in use: its module types cannot be changed.`,
			)
		: undefined;
}

/** Whether an entity referenced elsewhere is soft-deleted (kept, flagged) instead of removed. */
export function deletionKind(referenced: boolean): "soft" | "hard" {
	return referenced ? "soft" : "hard";
}
