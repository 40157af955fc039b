/**
 * Resolved RSQL → parameterised SQL (a drizzle `SQL` chunk). Field SQL is trusted text from the
 * entity maps; every user value is a bound parameter. Semantics (hawkBit, §5.1):
 * - strings compare case-insensitively (`lower(col)`; the query is lower-cased before parsing);
 * - `!=` and `=out=` on plain fields also match NULL;
 * - collections and map entries: `==`/`=in=`/comparisons = EXISTS(matching element),
 *   `!=`/`=out=` = NOT EXISTS(matching element); `=is=null` = no element, `=not=null` = some element;
 * - `==''` = NULL or empty, `!=''` = neither NULL nor empty.
 */
import { type SQL, sql } from "drizzle-orm";
import type { Operand, Predicate, Target, Value } from "./resolve";
import type { ScalarField } from "./types";

const SQL_OP = { lt: "<", le: "<=", gt: ">", ge: ">=" } as const;

function bindValue(v: Value, field: { type: ScalarField["type"]; enumStored?: "lower" | "upper" }) {
	if (typeof v === "boolean") {
		return v ? 1 : 0;
	}
	if (field.type === "enum" && field.enumStored === "upper" && typeof v === "string") {
		return v.toUpperCase();
	}
	return v;
}

/** The compared expression: lower-cased for strings so comparisons ignore case. */
function comparable(expr: string, type: ScalarField["type"]): SQL {
	return type === "string" ? sql.raw(`lower(${expr})`) : sql.raw(expr);
}

/** Positive predicate on one value expression (used inside EXISTS for collections too). */
function positive(
	expr: string,
	field: { type: ScalarField["type"]; enumStored?: "lower" | "upper" },
	op: "eq" | "in" | "lt" | "le" | "gt" | "ge",
	operands: Operand[],
): SQL {
	const lhs = comparable(expr, field.type);
	if (op === "in") {
		const values = operands.map((o) => (o.kind === "value" ? bindValue(o.value, field) : null));
		return sql`${lhs} IN (${sql.join(
			values.map((v) => sql`${v}`),
			sql`, `,
		)})`;
	}
	const operand = operands[0] as Operand;
	if (op !== "eq") {
		const v = operand.kind === "value" ? bindValue(operand.value, field) : null;
		return sql`${lhs} ${sql.raw(SQL_OP[op])} ${v}`;
	}
	switch (operand.kind) {
		case "value":
			return sql`${lhs} = ${bindValue(operand.value, field)}`;
		case "pattern":
			return sql`${lhs} LIKE ${operand.like} ESCAPE '\\'`;
		case "null":
			return sql.raw(`${expr} IS NOT NULL`);
		case "empty":
			return sql.raw(`(${expr} IS NOT NULL AND ${expr} <> '')`);
	}
}

function scalar(
	field: ScalarField,
	op: "eq" | "in" | "lt" | "le" | "gt" | "ge",
	negated: boolean,
	operands: Operand[],
): SQL {
	const expr = field.sql;
	const operand = operands[0];
	if (op === "eq" && operand?.kind === "null") {
		return sql.raw(negated ? `${expr} IS NOT NULL` : `${expr} IS NULL`);
	}
	if (op === "eq" && operand?.kind === "empty") {
		return sql.raw(
			negated ? `(${expr} IS NOT NULL AND ${expr} <> '')` : `(${expr} IS NULL OR ${expr} = '')`,
		);
	}
	const p = positive(expr, field, op, operands);
	return negated ? sql`(${sql.raw(expr)} IS NULL OR NOT (${p}))` : p;
}

function exists(
	existsSql: string,
	extra: SQL | undefined,
	valuePredicate: SQL | undefined,
	negated: boolean,
): SQL {
	const parts = [sql.raw(existsSql)];
	if (extra) {
		parts.push(extra);
	}
	if (valuePredicate) {
		parts.push(valuePredicate);
	}
	const inner = sql.join(parts, sql` AND `);
	return negated ? sql`NOT EXISTS (${inner})` : sql`EXISTS (${inner})`;
}

function collection(
	t: Exclude<Target, { kind: "scalar" }>,
	op: "eq" | "in" | "lt" | "le" | "gt" | "ge",
	negated: boolean,
	operands: Operand[],
): SQL {
	const keyFilter =
		t.kind === "map" ? sql`lower(${sql.raw(t.field.keySql)}) = ${t.key}` : undefined;
	const valueField = t.kind === "map" ? { type: "string" as const } : t.field;
	const operand = operands[0];
	if (op === "eq" && operand?.kind === "null") {
		// `=is=null`: no such element; `=not=null`: some element.
		return exists(t.field.existsSql, keyFilter, undefined, !negated);
	}
	if (op === "eq" && operand?.kind === "empty") {
		const nonEmpty = sql.raw(`(${t.field.valueSql} IS NOT NULL AND ${t.field.valueSql} <> '')`);
		return exists(t.field.existsSql, keyFilter, nonEmpty, !negated);
	}
	return exists(
		t.field.existsSql,
		keyFilter,
		positive(t.field.valueSql, valueField, op, operands),
		negated,
	);
}

/** Compiles a resolved predicate to SQL. */
export function predicateToSql(p: Predicate): SQL {
	if (p.type === "and" || p.type === "or") {
		const glue = p.type === "and" ? sql` AND ` : sql` OR `;
		return sql`(${sql.join(
			p.items.map((i) => predicateToSql(i)),
			glue,
		)})`;
	}
	if (p.target.kind === "scalar") {
		return scalar(p.target.field, p.op, p.negated, p.operands);
	}
	return collection(p.target, p.op, p.negated, p.operands);
}
