import { describe, expect, it } from "vitest";
import {
	checkAutoAssignActionType,
	checkDsAssignable,
	checkDsModulesChangeable,
	checkModuleAssignment,
	isDistributionSetComplete,
	isModuleComplete,
	type ModuleTypeInfo,
} from "./repository-rules";

const OS: ModuleTypeInfo = { id: 1, key: "os", maxAssignments: 1, minArtifacts: 1 };
const APP: ModuleTypeInfo = { id: 2, key: "application", maxAssignments: 10, minArtifacts: 0 };
const RUNTIME: ModuleTypeInfo = { id: 3, key: "runtime", maxAssignments: 1, minArtifacts: 0 };
const types = new Map([OS, APP, RUNTIME].map((t) => [t.id, t]));
const osApp = { mandatory: [1], optional: [2] };

describe("completeness", () => {
	it("counts a module complete once it has its type's minArtifacts", () => {
		expect(isModuleComplete(0, 0)).toBe(true);
		expect(isModuleComplete(0, 1)).toBe(false);
	});

	it("needs every mandatory type, complete modules and at least one module", () => {
		expect(isDistributionSetComplete(osApp, [], types)).toBe(false);
		expect(isDistributionSetComplete({ mandatory: [], optional: [2] }, [], types)).toBe(false);
		expect(isDistributionSetComplete(osApp, [{ id: 9, typeId: 2, artifactCount: 0 }], types)).toBe(
			false,
		);
		expect(isDistributionSetComplete(osApp, [{ id: 8, typeId: 1, artifactCount: 0 }], types)).toBe(
			false,
		);
		expect(
			isDistributionSetComplete(
				osApp,
				[
					{ id: 8, typeId: 1, artifactCount: 1 },
					{ id: 9, typeId: 2, artifactCount: 0 },
				],
				types,
			),
		).toBe(true);
	});
});

describe("checkModuleAssignment", () => {
	it("accepts mandatory and optional types up to maxAssignments", () => {
		expect(
			checkModuleAssignment(
				osApp,
				[],
				[
					{ id: 1, typeId: 1 },
					{ id: 2, typeId: 2 },
				],
				types,
			),
		).toBeUndefined();
	});

	it("refuses a type the DS type does not list", () => {
		expect(checkModuleAssignment(osApp, [], [{ id: 5, typeId: 3 }], types)?.code).toBe(
			"distributionset.modules.unsupported",
		);
	});

	it("refuses a second module of a single-assignment type, but not re-adding the same one", () => {
		expect(
			checkModuleAssignment(osApp, [{ id: 1, typeId: 1 }], [{ id: 4, typeId: 1 }], types)?.code,
		).toBe("distributionset.modules.unsupported");
		expect(
			checkModuleAssignment(osApp, [{ id: 1, typeId: 1 }], [{ id: 1, typeId: 1 }], types),
		).toBeUndefined();
	});

	it("enforces the modules-per-DS quota", () => {
		const many = Array.from({ length: 3 }, (_, i) => ({ id: 100 + i, typeId: 2 }));
		expect(checkModuleAssignment(osApp, [], many, types, 2)?.code).toBe("quota.tooManyEntries");
	});
});

describe("DS state checks", () => {
	it("locks module changes of a locked DS with 423", () => {
		expect(checkDsModulesChangeable({ id: 1, locked: true })?.code).toBe("locked");
		expect(checkDsModulesChangeable({ id: 1, locked: false })).toBeUndefined();
	});

	it("requires a DS to be present, valid and complete for assignment", () => {
		const ok = { id: 1, deleted: false, valid: true, complete: true };
		expect(checkDsAssignable(ok)).toBeUndefined();
		expect(checkDsAssignable({ ...ok, deleted: true })?.code).toBe("deleted");
		expect(checkDsAssignable({ ...ok, valid: false })?.code).toBe("distributionset.invalid");
		expect(checkDsAssignable({ ...ok, complete: false })?.code).toBe("distributionset.incomplete");
	});

	it("refuses timeforced for auto-assignment", () => {
		expect(checkAutoAssignActionType("timeforced")?.code).toBe("repo.invalidAutoAssignActionType");
		expect(checkAutoAssignActionType("soft")).toBeUndefined();
	});
});

describe("checkConstraints", () => {
	it("reports sizes, missing values and markup as one constraint violation", async () => {
		const { checkConstraints } = await import("./repository-constraints");
		expect(checkConstraints([{ property: "name", value: "ok", max: 128, required: true }])).toBe(
			undefined,
		);
		const err = checkConstraints([
			{ property: "name", value: "", max: 128, required: true },
			{ property: "version", value: undefined, max: 64, required: true },
			{ property: "description", value: "<b>x</b>", max: 512 },
			{ property: "value", value: "a < b > c", max: 10, allowMarkup: true },
		]);
		expect(err?.code).toBe("repo.constraintViolation");
		expect(err?.message).toBe(
			"name size must be between 1 and 128.,version must not be null.,description must not contain HTML.",
		);
	});
});
