/**
 * Binds a parsed query to an entity's field map: resolves field names (case-insensitive, first `.`
 * separates field from sub-attribute or map key), converts and validates values per type, and applies
 * hawkBit's special cases (`=is=null`, `''`, placeholders). The result is shared by the SQL compiler
 * and the in-memory evaluator, so both validate identically.
 * hawkBit: RsqlUtility / the field enums' `getSubEntityAttributes` and `isMap`.
 */
import { DomainError } from "../errors";
import { asciiLower, parseRsql, type RsqlNode, type RsqlOperator, syntaxError } from "./parse";
import type { CollectionField, MapField, RsqlEntity, ScalarField } from "./types";

/** Values substituted for `${NOW_TS}` and `${OVERDUE_TS}` (epoch ms). */
export type RsqlContext = { now?: number; overdueTs?: number };

/** Default overdue placeholder when the caller has no tenant config at hand: hawkBit's defaults (5 + 5 min). */
const DEFAULT_OVERDUE_MS = 10 * 60_000;

export type Value = string | number | boolean;

/** A value of `==`/`!=`: plain, a LIKE pattern (`*` wildcards), NULL, or hawkBit's legacy `''`. */
export type Operand =
	| { kind: "value"; value: Value }
	| { kind: "pattern"; like: string; regex: RegExp }
	| { kind: "null" }
	| { kind: "empty" };

export type Target =
	| { kind: "scalar"; field: ScalarField }
	| { kind: "collection"; field: CollectionField }
	| { kind: "map"; field: MapField; key: string };

export type ComparisonOp = "eq" | "in" | "lt" | "le" | "gt" | "ge";

/** One field test; `negated` turns the positive form into NOT (with NULL-inclusive semantics). */
export type ComparisonPredicate = {
	type: "cmp";
	target: Target;
	op: ComparisonOp;
	negated: boolean;
	operands: Operand[];
};

export type LogicPredicate =
	| { type: "and"; items: Predicate[] }
	| { type: "or"; items: Predicate[] };

export type Predicate = LogicPredicate | ComparisonPredicate;

function invalidField(message: string): DomainError {
	return new DomainError("rest.param.rsqlInvalidField", message);
}

function resolveTarget(entity: RsqlEntity, selector: string): Target {
	const dot = selector.indexOf(".");
	const head = dot < 0 ? selector : selector.slice(0, dot);
	const rest = dot < 0 ? undefined : selector.slice(dot + 1);
	const def = entity.fields[head];
	const valid = () => Object.keys(entity.fields).join(", ");
	if (!def) {
		throw invalidField(
			`The given search parameter field {${selector}} does not exist, must be one of the following fields [${valid()}]`,
		);
	}
	switch (def.kind) {
		case "scalar":
		case "collection":
			if (rest !== undefined) {
				throw invalidField(`The field {${head}} has no sub-attribute {${rest}}`);
			}
			return def.kind === "scalar"
				? { kind: "scalar", field: def }
				: { kind: "collection", field: def };
		case "map":
			if (!rest) {
				throw invalidField(`The map field {${head}} needs a key, e.g. ${head}.<key>`);
			}
			return { kind: "map", field: def, key: rest };
		case "reference": {
			const subName = rest ?? def.defaultSub;
			const sub = subName === undefined ? undefined : def.subs[subName];
			if (!sub) {
				throw invalidField(
					`The field {${selector}} needs one of the sub-attributes [${Object.keys(def.subs)
						.map((s) => `${head}.${s}`)
						.join(", ")}]`,
				);
			}
			return sub.kind === "scalar"
				? { kind: "scalar", field: sub }
				: { kind: "collection", field: sub };
		}
	}
}

function substitute(raw: string, ctx: RsqlContext): string {
	// The query was lower-cased, so the placeholders arrive as ${now_ts} / ${overdue_ts}.
	if (raw === "${now_ts}") {
		return String(ctx.now ?? Date.now());
	}
	if (raw === "${overdue_ts}") {
		return String(ctx.overdueTs ?? (ctx.now ?? Date.now()) - DEFAULT_OVERDUE_MS);
	}
	return raw;
}

function escapeRegex(ch: string): string {
	return ch.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * `*` is a wildcard, `\*` a literal asterisk; `%` and `_` are literal (escaped for LIKE with `\`).
 * Returns undefined when the value has no unescaped `*` (then it is compared for equality).
 */
export function toPattern(
	raw: string,
): { like: string; regex: RegExp; literal: string } | undefined {
	let like = "";
	let re = "";
	let literal = "";
	let wildcard = false;
	for (let i = 0; i < raw.length; i++) {
		const ch = raw[i] as string;
		if (ch === "\\" && i + 1 < raw.length) {
			const next = raw[i + 1] as string;
			i++;
			literal += next;
			like += next === "%" || next === "_" || next === "\\" ? `\\${next}` : next;
			re += escapeRegex(next);
			continue;
		}
		if (ch === "*") {
			wildcard = true;
			like += "%";
			re += ".*";
			literal += ch;
			continue;
		}
		literal += ch;
		like += ch === "%" || ch === "_" || ch === "\\" ? `\\${ch}` : ch;
		re += escapeRegex(ch);
	}
	return wildcard ? { like, regex: new RegExp(`^${re}$`, "s"), literal } : undefined;
}

function unescapeValue(raw: string): string {
	return raw.replace(/\\(.)/g, "$1");
}

function convertValue(
	type: ScalarField["type"],
	raw: string,
	field: { enumValues?: readonly string[] },
	selector: string,
): Value {
	switch (type) {
		case "string":
			return unescapeValue(raw);
		case "number": {
			const n = Number(raw);
			if (raw.trim() === "" || !Number.isFinite(n)) {
				throw syntaxError(`The value {${raw}} of {${selector}} is not a number`);
			}
			return n;
		}
		case "boolean":
			if (raw !== "true" && raw !== "false") {
				throw syntaxError(`The value {${raw}} of {${selector}} must be true or false`);
			}
			return raw === "true";
		case "enum": {
			const allowed = field.enumValues ?? [];
			if (!allowed.includes(raw)) {
				throw invalidField(
					`The value {${raw}} is not valid for field {${selector}}, allowed values are [${allowed.join(", ")}]`,
				);
			}
			return raw;
		}
	}
}

function valueType(t: Target): ScalarField["type"] {
	return t.kind === "map" ? "string" : t.field.type;
}

function enumInfo(t: Target): { enumValues?: readonly string[] } {
	return t.kind === "scalar" ? { enumValues: t.field.enumValues } : {};
}

function resolveComparison(
	node: Extract<RsqlNode, { type: "comparison" }>,
	entity: RsqlEntity,
	ctx: RsqlContext,
): Predicate {
	const target = resolveTarget(entity, node.selector);
	const type = valueType(target);
	const op: RsqlOperator = node.operator;
	const raws = node.values.map((v) => substitute(v, ctx));
	const selector = node.selector;
	const one = raws[0] ?? "";

	if (op === "lt" || op === "le" || op === "gt" || op === "ge") {
		if (type === "enum" || type === "boolean") {
			throw syntaxError(`Comparison operators are not allowed on {${selector}}`);
		}
		if (one === "null") {
			throw syntaxError(`Comparison with null is not allowed on {${selector}}`);
		}
		return {
			type: "cmp",
			target,
			op,
			negated: false,
			operands: [{ kind: "value", value: convertValue(type, one, enumInfo(target), selector) }],
		};
	}
	if (op === "in" || op === "out") {
		if (raws.length === 0) {
			throw syntaxError(`Operator needs at least one value on {${selector}}`);
		}
		return {
			type: "cmp",
			target,
			op: "in",
			negated: op === "out",
			operands: raws.map((r) => ({
				kind: "value" as const,
				value: convertValue(type, r, enumInfo(target), selector),
			})),
		};
	}
	const negated = op === "ne" || op === "not";
	let operand: Operand;
	if ((op === "is" || op === "not") && one === "null") {
		operand = { kind: "null" };
	} else if (one === "" && (op === "eq" || op === "ne")) {
		operand = { kind: "empty" };
	} else {
		const pattern = type === "string" ? toPattern(one) : undefined;
		operand = pattern
			? { kind: "pattern", like: pattern.like, regex: pattern.regex }
			: { kind: "value", value: convertValue(type, one, enumInfo(target), selector) };
	}
	return { type: "cmp", target, op: "eq", negated, operands: [operand] };
}

function resolveNode(node: RsqlNode, entity: RsqlEntity, ctx: RsqlContext): Predicate {
	if (node.type === "comparison") {
		return resolveComparison(node, entity, ctx);
	}
	const items: Predicate[] = [];
	for (const side of [node.left, node.right]) {
		const p = resolveNode(side, entity, ctx);
		// Flatten chains of the same operator: keeps the SQL shallow for long generated filters.
		if (p.type === node.type) {
			items.push(...p.items);
		} else {
			items.push(p);
		}
	}
	return node.type === "and" ? { type: "and", items } : { type: "or", items };
}

/**
 * Parses and resolves a query against an entity. Throws DomainError 400 `rsqlParamSyntax` or
 * `rsqlInvalidField`.
 */
export function resolveRsql(query: string, entity: RsqlEntity, ctx: RsqlContext = {}): Predicate {
	return resolveNode(parseRsql(query), entity, ctx);
}

/** Lower-cases a map key the way the query was lower-cased, for comparing stored keys. */
export function normaliseKey(key: string): string {
	return asciiLower(key);
}
