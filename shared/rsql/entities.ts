/**
 * hawkBit's query fields per resource (§5.2) mapped onto Updraft's D1 tables. hawkBit: TargetFields,
 * ActionFields, DistributionSetFields, SoftwareModuleFields, *TypeFields, TagFields, RolloutFields,
 * RolloutGroupFields, TargetFilterQueryFields, ActionStatusFields.
 *
 * Subqueries reference the outer table by its real name (e.g. `"targets"."id"`), so queries using
 * these maps must select FROM that table without an alias. `path` names the property the in-memory
 * evaluator reads (see evaluate.ts; the target snapshot shape is `RsqlTargetRecord` in index.ts).
 */
import { ACTION_STATUSES } from "../db/schema/actions";
import { ROLLOUT_STATUSES } from "../db/schema/rollouts";
import { TARGET_UPDATE_STATUSES } from "../db/schema/targets";
import type {
	CollectionField,
	FieldDef,
	MapField,
	ReferenceField,
	RsqlEntity,
	ScalarField,
} from "./types";

const col = (table: string, column: string) => `"${table}"."${column}"`;

function str(sqlExpr: string, path?: string): ScalarField {
	return { kind: "scalar", sql: sqlExpr, type: "string", path };
}
function num(sqlExpr: string, path?: string): ScalarField {
	return { kind: "scalar", sql: sqlExpr, type: "number", path };
}
function bool(sqlExpr: string, path?: string): ScalarField {
	return { kind: "scalar", sql: sqlExpr, type: "boolean", path };
}
function enumField(
	sqlExpr: string,
	values: readonly string[],
	stored: "lower" | "upper",
	path?: string,
): ScalarField {
	return {
		kind: "scalar",
		sql: sqlExpr,
		type: "enum",
		enumValues: values.map((v) => v.toLowerCase()),
		enumStored: stored,
		path,
	};
}
function ref(subs: ReferenceField["subs"], defaultSub?: string): ReferenceField {
	return { kind: "reference", subs, defaultSub };
}
/** A to-one reference column as a correlated scalar subquery. */
function lookupSql(table: string, column: string, fk: string): string {
	return `(SELECT "r"."${column}" FROM "${table}" "r" WHERE "r"."id" = ${fk})`;
}

function audit(table: string): Record<string, ScalarField> {
	return {
		createdat: num(col(table, "created_at"), "createdAt"),
		createdby: str(col(table, "created_by"), "createdBy"),
		lastmodifiedat: num(col(table, "last_modified_at"), "lastModifiedAt"),
		lastmodifiedby: str(col(table, "last_modified_by"), "lastModifiedBy"),
	};
}

/** Sortable fields: the top-level scalar fields, by their query names. */
function sortColumnsOf(fields: Record<string, FieldDef>, extra: Record<string, string> = {}) {
	const out: Record<string, string> = {};
	for (const [name, def] of Object.entries(fields)) {
		if (def.kind === "scalar" && !def.unsortable) {
			out[name] = def.sql;
		}
	}
	return { ...out, ...extra };
}

function entity(
	name: string,
	table: string,
	fields: Record<string, FieldDef>,
	defaultSort = "id:ASC",
	extraSort: Record<string, string> = {},
): RsqlEntity {
	return {
		name,
		table,
		idColumn: col(table, "id"),
		tenantColumn: col(table, "tenant"),
		fields,
		sortColumns: sortColumnsOf(fields, extraSort),
		defaultSort,
	};
}

function typeRef(typeTable: string, fk: string, pathPrefix?: string): ReferenceField {
	const p = (s: string) => (pathPrefix ? `${pathPrefix}.${s}` : undefined);
	return ref(
		{
			id: num(fk, p("id")),
			key: str(lookupSql(typeTable, "key", fk), p("key")),
			name: str(lookupSql(typeTable, "name", fk), p("name")),
		},
		"key",
	);
}

function namedTyped(table: string): Record<string, FieldDef> {
	return {
		id: num(col(table, "id"), "id"),
		key: str(col(table, "key"), "key"),
		name: str(col(table, "name"), "name"),
		description: str(col(table, "description"), "description"),
		...audit(table),
	};
}

const T = "targets";
const targetTagCollection: CollectionField = {
	kind: "collection",
	existsSql: `SELECT 1 FROM "target_tag_assignments" "tta" JOIN "target_tags" "tt" ON "tt"."id" = "tta"."tag_id" WHERE "tta"."target_id" = ${col(T, "id")}`,
	valueSql: `"tt"."name"`,
	type: "string",
	path: "tags",
};
const targetAttributes: MapField = {
	kind: "map",
	existsSql: `SELECT 1 FROM "target_attributes" "ta" WHERE "ta"."target_id" = ${col(T, "id")}`,
	keySql: `"ta"."key"`,
	valueSql: `"ta"."value"`,
	path: "attributes",
};
const targetMetadata: MapField = {
	kind: "map",
	existsSql: `SELECT 1 FROM "target_metadata" "tm" WHERE "tm"."target_id" = ${col(T, "id")}`,
	keySql: `"tm"."key"`,
	valueSql: `"tm"."value"`,
	path: "metadata",
};
const dsOfTarget = (fk: string, path: string) =>
	ref({
		name: str(lookupSql("distribution_sets", "name", col(T, fk)), `${path}.name`),
		version: str(lookupSql("distribution_sets", "version", col(T, fk)), `${path}.version`),
	});
const targetTypeRef = typeRef("target_types", col(T, "target_type_id"), "type");

/** Targets (also: target filter queries, rollout/auto-assign filters, polling overrides). */
export const TARGETS = entity(
	"Target",
	T,
	{
		id: str(col(T, "controller_id"), "controllerId"),
		controllerid: str(col(T, "controller_id"), "controllerId"),
		name: str(col(T, "name"), "name"),
		description: str(col(T, "description"), "description"),
		...audit(T),
		updatestatus: enumField(
			col(T, "update_status"),
			TARGET_UPDATE_STATUSES,
			"lower",
			"updateStatus",
		),
		ipaddress: str(col(T, "address"), "address"),
		attribute: targetAttributes,
		metadata: targetMetadata,
		group: str(col(T, "group"), "group"),
		assignedds: dsOfTarget("assigned_ds_id", "assignedDs"),
		installedds: dsOfTarget("installed_ds_id", "installedDs"),
		tag: ref({ name: targetTagCollection }, "name"),
		lastcontrollerrequestat: num(col(T, "last_target_query"), "lastControllerRequestAt"),
		type: targetTypeRef,
		// Deprecated alias of `type`; hawkBit requires a sub-attribute here.
		targettype: ref(targetTypeRef.subs),
		autoconfirm: bool(col(T, "auto_confirm_active"), "autoConfirm"),
		// Internal (rollout retry): targets whose action in the given rollout ended in ERROR.
		failedrollout: {
			kind: "collection",
			existsSql: `SELECT 1 FROM "actions" "fa" WHERE "fa"."target_id" = ${col(T, "id")} AND "fa"."status" = 'ERROR'`,
			valueSql: `"fa"."rollout_id"`,
			type: "number",
		},
	},
	"controllerId:ASC",
);

const A = "actions";
/** Actions (`/actions`, `/targets/{id}/actions`). */
export const ACTIONS = entity(
	"Action",
	A,
	{
		id: num(col(A, "id"), "id"),
		active: bool(col(A, "active"), "active"),
		status: enumField(col(A, "status"), ACTION_STATUSES, "upper", "status"),
		laststatuscode: num(col(A, "last_action_status_code"), "lastStatusCode"),
		weight: num(col(A, "weight"), "weight"),
		externalref: str(col(A, "external_ref"), "externalRef"),
		...audit(A),
		target: ref({
			controllerid: str(lookupSql("targets", "controller_id", col(A, "target_id"))),
			name: str(lookupSql("targets", "name", col(A, "target_id"))),
			updatestatus: enumField(
				lookupSql("targets", "update_status", col(A, "target_id")),
				TARGET_UPDATE_STATUSES,
				"lower",
			),
			address: str(lookupSql("targets", "address", col(A, "target_id"))),
		}),
		distributionset: ref({
			id: num(col(A, "ds_id")),
			name: str(lookupSql("distribution_sets", "name", col(A, "ds_id"))),
			version: str(lookupSql("distribution_sets", "version", col(A, "ds_id"))),
			type: str(
				`(SELECT "dt"."key" FROM "distribution_sets" "d" JOIN "distribution_set_types" "dt" ON "dt"."id" = "d"."type_id" WHERE "d"."id" = ${col(A, "ds_id")})`,
			),
		}),
		rollout: ref({
			id: num(col(A, "rollout_id")),
			name: str(lookupSql("rollouts", "name", col(A, "rollout_id"))),
		}),
		rolloutgroup: ref({
			id: num(col(A, "rollout_group_id")),
			name: str(lookupSql("rollout_groups", "name", col(A, "rollout_group_id"))),
		}),
	},
	"id:DESC",
);

const AS = "action_statuses";
/** Action status history: sort only (`/targets/{id}/actions/{aid}/status`). */
export const ACTION_STATUSES_SORT = entity(
	"ActionStatus",
	AS,
	{
		id: num(col(AS, "id")),
		timestamp: num(col(AS, "timestamp")),
		reportedat: num(col(AS, "created_at")),
		createdat: num(col(AS, "created_at")),
		createdby: str(col(AS, "created_by")),
	},
	"id:DESC",
);

const DS = "distribution_sets";
/** Distribution sets. */
export const DISTRIBUTION_SETS = entity("DistributionSet", DS, {
	id: num(col(DS, "id"), "id"),
	name: str(col(DS, "name"), "name"),
	description: str(col(DS, "description"), "description"),
	version: str(col(DS, "version"), "version"),
	...audit(DS),
	type: typeRef("distribution_set_types", col(DS, "type_id"), "type"),
	module: ref({
		id: {
			kind: "collection",
			existsSql: `SELECT 1 FROM "distribution_set_modules" "dsm" WHERE "dsm"."ds_id" = ${col(DS, "id")}`,
			valueSql: `"dsm"."sm_id"`,
			type: "number",
		},
		name: {
			kind: "collection",
			existsSql: `SELECT 1 FROM "distribution_set_modules" "dsm" JOIN "software_modules" "sm" ON "sm"."id" = "dsm"."sm_id" WHERE "dsm"."ds_id" = ${col(DS, "id")}`,
			valueSql: `"sm"."name"`,
			type: "string",
		},
	}),
	tag: ref(
		{
			name: {
				kind: "collection",
				existsSql: `SELECT 1 FROM "distribution_set_tag_assignments" "dta" JOIN "distribution_set_tags" "dtg" ON "dtg"."id" = "dta"."tag_id" WHERE "dta"."ds_id" = ${col(DS, "id")}`,
				valueSql: `"dtg"."name"`,
				type: "string",
				path: "tags",
			},
		},
		"name",
	),
	metadata: {
		kind: "map",
		existsSql: `SELECT 1 FROM "distribution_set_metadata" "dmd" WHERE "dmd"."ds_id" = ${col(DS, "id")}`,
		keySql: `"dmd"."key"`,
		valueSql: `"dmd"."value"`,
		path: "metadata",
	},
	valid: bool(col(DS, "valid"), "valid"),
});

const SM = "software_modules";
/** Software modules. */
export const SOFTWARE_MODULES = entity("SoftwareModule", SM, {
	id: num(col(SM, "id"), "id"),
	name: str(col(SM, "name"), "name"),
	description: str(col(SM, "description"), "description"),
	version: str(col(SM, "version"), "version"),
	type: typeRef("software_module_types", col(SM, "type_id"), "type"),
	metadata: {
		kind: "map",
		existsSql: `SELECT 1 FROM "software_module_metadata" "smd" WHERE "smd"."software_module_id" = ${col(SM, "id")}`,
		keySql: `"smd"."key"`,
		valueSql: `"smd"."value"`,
		path: "metadata",
	},
	...audit(SM),
});

const SMT = "software_module_types";
/** Software-module types. */
export const SOFTWARE_MODULE_TYPES = entity("SoftwareModuleType", SMT, {
	...namedTyped(SMT),
	maxassignments: num(col(SMT, "max_assignments"), "maxAssignments"),
});

/** Distribution-set types. */
export const DISTRIBUTION_SET_TYPES = entity(
	"DistributionSetType",
	"distribution_set_types",
	namedTyped("distribution_set_types"),
);

/** Target types. */
export const TARGET_TYPES = entity("TargetType", "target_types", namedTyped("target_types"));

function tagFields(table: string): Record<string, FieldDef> {
	return {
		id: num(col(table, "id"), "id"),
		name: str(col(table, "name"), "name"),
		description: str(col(table, "description"), "description"),
		colour: str(col(table, "colour"), "colour"),
		...audit(table),
	};
}

/** Target tags. */
export const TARGET_TAGS = entity("TargetTag", "target_tags", tagFields("target_tags"));

const DST = "distribution_set_tags";
/** Distribution-set tags (tag fields plus the tagged sets). */
export const DISTRIBUTION_SET_TAGS = entity("DistributionSetTag", DST, {
	...tagFields(DST),
	distributionset: ref({
		id: {
			kind: "collection",
			existsSql: `SELECT 1 FROM "distribution_set_tag_assignments" "dta" WHERE "dta"."tag_id" = ${col(DST, "id")}`,
			valueSql: `"dta"."ds_id"`,
			type: "number",
		},
		name: {
			kind: "collection",
			existsSql: `SELECT 1 FROM "distribution_set_tag_assignments" "dta" JOIN "distribution_sets" "d" ON "d"."id" = "dta"."ds_id" WHERE "dta"."tag_id" = ${col(DST, "id")}`,
			valueSql: `"d"."name"`,
			type: "string",
		},
	}),
});

const TF = "target_filters";
/** Target filter queries. */
export const TARGET_FILTERS = entity("TargetFilterQuery", TF, {
	id: num(col(TF, "id"), "id"),
	name: str(col(TF, "name"), "name"),
	...audit(TF),
	autoassigndistributionset: ref({
		name: str(lookupSql("distribution_sets", "name", col(TF, "auto_assign_ds_id"))),
		version: str(lookupSql("distribution_sets", "version", col(TF, "auto_assign_ds_id"))),
	}),
});

const R = "rollouts";
/** Rollouts. */
export const ROLLOUTS = entity("Rollout", R, {
	id: num(col(R, "id"), "id"),
	name: str(col(R, "name"), "name"),
	description: str(col(R, "description"), "description"),
	status: enumField(col(R, "status"), ROLLOUT_STATUSES, "lower", "status"),
	...audit(R),
	distributionset: ref({
		id: num(col(R, "ds_id")),
		name: str(lookupSql("distribution_sets", "name", col(R, "ds_id"))),
		version: str(lookupSql("distribution_sets", "version", col(R, "ds_id"))),
		type: str(
			`(SELECT "dt"."key" FROM "distribution_sets" "d" JOIN "distribution_set_types" "dt" ON "dt"."id" = "d"."type_id" WHERE "d"."id" = ${col(R, "ds_id")})`,
		),
	}),
});

const RG = "rollout_groups";
/** Rollout groups. */
export const ROLLOUT_GROUPS = entity("RolloutGroup", RG, {
	id: num(col(RG, "id"), "id"),
	name: str(col(RG, "name"), "name"),
	description: str(col(RG, "description"), "description"),
	...audit(RG),
});
