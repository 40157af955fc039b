/**
 * In-memory evaluation of a resolved RSQL predicate against one record, with the same semantics as
 * the SQL compiler (compile.ts). Used where a single entity is tested without a D1 round trip, e.g.
 * the `pollingTime` overrides (`<rsql> -> <interval>`) on the poll path.
 *
 * A record holds fields under each field definition's `path` (dotted paths for references):
 * scalars as string/number/boolean/null, collections as arrays, maps as `Record<string, string>`.
 * Fields without a `path`, or absent from the record, count as NULL / empty.
 */
import { asciiLower } from "./parse";
import type { Operand, Predicate, Target, Value } from "./resolve";
import type { ScalarField } from "./types";

export type RsqlRecord = Record<string, unknown>;

function lookup(record: RsqlRecord, path: string | undefined): unknown {
	if (!path) {
		return undefined;
	}
	let cur: unknown = record;
	for (const part of path.split(".")) {
		if (cur === null || cur === undefined || typeof cur !== "object") {
			return undefined;
		}
		cur = (cur as Record<string, unknown>)[part];
	}
	return cur;
}

type Scalar = string | number | boolean | null;

function normalise(v: unknown, type: ScalarField["type"]): Scalar {
	if (v === undefined || v === null) {
		return null;
	}
	if (type === "string" || type === "enum") {
		return asciiLower(String(v));
	}
	if (type === "boolean") {
		return Boolean(v);
	}
	return typeof v === "number" ? v : Number(v);
}

function compareValues(a: Scalar, b: Value): number {
	if (typeof a === "number" && typeof b === "number") {
		return a - b;
	}
	const x = String(a);
	const y = String(b);
	return x < y ? -1 : x > y ? 1 : 0;
}

/** Positive match of one non-null value (SQL semantics: NULL never matches a positive predicate). */
function positive(v: Scalar, op: "eq" | "in" | "lt" | "le" | "gt" | "ge", operands: Operand[]) {
	if (v === null) {
		return false;
	}
	if (op === "in") {
		return operands.some((o) => o.kind === "value" && compareValues(v, o.value) === 0);
	}
	const o = operands[0] as Operand;
	if (o.kind === "pattern") {
		return o.regex.test(String(v));
	}
	if (o.kind === "null") {
		return true;
	}
	if (o.kind === "empty") {
		return v !== "";
	}
	const c = compareValues(v, o.value);
	switch (op) {
		case "eq":
			return c === 0;
		case "lt":
			return c < 0;
		case "le":
			return c <= 0;
		case "gt":
			return c > 0;
		case "ge":
			return c >= 0;
	}
}

function elements(t: Exclude<Target, { kind: "scalar" }>, record: RsqlRecord): Scalar[] {
	const raw = lookup(record, t.field.path);
	if (t.kind === "map") {
		if (!raw || typeof raw !== "object") {
			return [];
		}
		return Object.entries(raw as Record<string, unknown>)
			.filter(([k]) => asciiLower(k) === t.key)
			.map(([, v]) => normalise(v, "string"));
	}
	return Array.isArray(raw) ? raw.map((v) => normalise(v, t.field.type)) : [];
}

/** True when the record satisfies the predicate. */
export function evaluatePredicate(p: Predicate, record: RsqlRecord): boolean {
	if (p.type === "and") {
		return p.items.every((i) => evaluatePredicate(i, record));
	}
	if (p.type === "or") {
		return p.items.some((i) => evaluatePredicate(i, record));
	}
	const operand = p.operands[0];
	if (p.target.kind === "scalar") {
		const v = normalise(lookup(record, p.target.field.path), p.target.field.type);
		if (p.op === "eq" && operand?.kind === "null") {
			return p.negated ? v !== null : v === null;
		}
		if (p.op === "eq" && operand?.kind === "empty") {
			const empty = v === null || v === "";
			return p.negated ? !empty : empty;
		}
		const hit = positive(v, p.op, p.operands);
		return p.negated ? v === null || !hit : hit;
	}
	const els = elements(p.target, record);
	if (p.op === "eq" && operand?.kind === "null") {
		return p.negated ? els.length > 0 : els.length === 0;
	}
	if (p.op === "eq" && operand?.kind === "empty") {
		const someNonEmpty = els.some((e) => e !== null && e !== "");
		return p.negated ? someNonEmpty : !someNonEmpty;
	}
	const some = els.some((e) => positive(e, p.op, p.operands));
	return p.negated ? !some : some;
}
