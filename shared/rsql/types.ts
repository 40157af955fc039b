/**
 * Field maps that tell the RSQL compiler how hawkBit's query field names map onto Updraft's tables.
 * hawkBit: the `*Fields` enums (TargetFields, DistributionSetFields, …) used by its RSQL utility.
 *
 * SQL fragments here are trusted text written in this repository (column names, joins); user values
 * are only ever bound as parameters by the compiler.
 */

/** How values of a field are typed and compared. */
export type ValueType = "string" | "number" | "boolean" | "enum";

/** A single value per row: a column, or a correlated scalar subquery (to-one reference). */
export type ScalarField = {
	kind: "scalar";
	/** SQL expression in the context of the entity's table (e.g. `"targets"."name"`). */
	sql: string;
	type: ValueType;
	/** Enum: the accepted wire values (lower case) and how they are stored. */
	enumValues?: readonly string[];
	enumStored?: "lower" | "upper";
	/** Property name of the in-memory record (evaluate.ts); absent = not evaluable in memory. */
	path?: string;
	/** Not usable in `sort` (e.g. subquery fields). */
	unsortable?: boolean;
};

/** Zero or more values per row (tags, modules): `==` means "some element matches". */
export type CollectionField = {
	kind: "collection";
	/** `SELECT 1 FROM … WHERE <correlation>`; the compiler appends ` AND <predicate on valueSql>`. */
	existsSql: string;
	valueSql: string;
	type: ValueType;
	path?: string;
};

/** A key/value map (attributes, metadata): `attribute.<key>` selects one entry. */
export type MapField = {
	kind: "map";
	/** `SELECT 1 FROM … WHERE <correlation>`; the compiler appends key and value predicates. */
	existsSql: string;
	keySql: string;
	valueSql: string;
	path?: string;
};

/** A reference with sub-attributes (`assignedds.version`, `type.key`). */
export type ReferenceField = {
	kind: "reference";
	subs: Readonly<Record<string, ScalarField | CollectionField>>;
	/** Sub-attribute used when the field is written bare (`tag` ≡ `tag.name`); none = bare is an error. */
	defaultSub?: string;
};

export type FieldDef = ScalarField | CollectionField | MapField | ReferenceField;

/** One queryable resource: its fields, sort columns and default sort. */
export type RsqlEntity = {
	name: string;
	/** SQL table name, as referenced by correlated subqueries. */
	table: string;
	/** Primary-key column (tie-breaker for stable paging). */
	idColumn: string;
	/** Tenant column of the table. */
	tenantColumn: string;
	/** Lower-case field name → definition. */
	fields: Readonly<Record<string, FieldDef>>;
	/** Lower-case sort field → SQL column (derived from scalar fields plus explicit extras). */
	sortColumns: Readonly<Record<string, string>>;
	/** hawkBit's default sort, e.g. `controllerId:ASC`. */
	defaultSort: string;
};
