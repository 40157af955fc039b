/**
 * RSQL grammar. Parsing is delegated to `@rsql/parser` (piotr-oles/rsql, MIT, maintained, no runtime
 * dependencies beyond `@rsql/ast`): it implements the same FIQL/RSQL grammar as hawkBit's
 * `cz.jirutka.rsql-parser` — `;`/`and`, `,`/`or` with AND binding tighter, parentheses, single/double
 * quoting with backslash escapes, `=in=(…)` lists and custom `=xx=` operators (needed for hawkBit's
 * `=is=`, `=not=`, `=eq=`, `=ne=`). We reject operators hawkBit does not accept (e.g. `=li=`).
 */
import { parse as parseGrammar } from "@rsql/parser";
import { DomainError } from "../errors";

export type RsqlOperator = "eq" | "ne" | "lt" | "le" | "gt" | "ge" | "in" | "out" | "is" | "not";

export type RsqlNode =
	| { type: "and" | "or"; left: RsqlNode; right: RsqlNode }
	| { type: "comparison"; selector: string; operator: RsqlOperator; values: string[] };

const OPERATORS: Readonly<Record<string, RsqlOperator>> = {
	"==": "eq",
	"!=": "ne",
	"<": "lt",
	"=lt=": "lt",
	"<=": "le",
	"=le=": "le",
	">": "gt",
	"=gt=": "gt",
	">=": "ge",
	"=ge=": "ge",
	"=in=": "in",
	"=out=": "out",
	"=is=": "is",
	"=eq=": "is",
	"=not=": "not",
	"=ne=": "not",
};

/** ASCII-only lower-casing, the same that SQLite's lower() does, so SQL and memory agree. */
export function asciiLower(s: string): string {
	return s.replace(/[A-Z]/g, (ch) => ch.toLowerCase());
}

export function syntaxError(message: string): DomainError {
	return new DomainError("rest.param.rsqlParamSyntax", message);
}

type GrammarNode = {
	type: string;
	operator: string;
	left: GrammarNode & { selector?: string };
	right: GrammarNode & { value?: string | string[] };
};

function convert(node: GrammarNode): RsqlNode {
	if (node.type === "LOGIC") {
		const op = node.operator === ";" || node.operator === "and" ? "and" : "or";
		return { type: op, left: convert(node.left), right: convert(node.right) };
	}
	const operator = OPERATORS[node.operator];
	if (!operator) {
		throw syntaxError(`Unknown operator ${node.operator}`);
	}
	const raw = node.right.value;
	const values = Array.isArray(raw) ? raw : [raw ?? ""];
	if (Array.isArray(raw) && operator !== "in" && operator !== "out") {
		throw syntaxError(`Operator ${node.operator} takes a single value`);
	}
	return { type: "comparison", selector: node.left.selector ?? "", operator, values };
}

/**
 * Parses a query. Like hawkBit with `hawkbit.ql.ignore-case=true` the whole query is lower-cased
 * first (ASCII), so field names, operators, keywords and values are case-insensitive.
 * Throws DomainError `rest.param.rsqlParamSyntax` on any grammar error.
 */
export function parseRsql(query: string): RsqlNode {
	const text = asciiLower(query.trim());
	if (!text) {
		throw syntaxError("Empty RSQL query");
	}
	let ast: GrammarNode;
	try {
		ast = parseGrammar(text) as unknown as GrammarNode;
	} catch (e) {
		throw syntaxError(`RSQL syntax error: ${e instanceof Error ? e.message : String(e)}`);
	}
	return convert(ast);
}
