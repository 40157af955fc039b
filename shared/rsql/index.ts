/**
 * hawkBit's RSQL/FIQL query language (§5): parse, validate against an entity's field map, compile
 * to parameterised SQL (drizzle `SQL`), or evaluate in memory. See shared/rsql/README.md.
 */
import type { SQL } from "drizzle-orm";
import { predicateToSql } from "./compile";
import { evaluatePredicate, type RsqlRecord } from "./evaluate";
import { type RsqlContext, resolveRsql } from "./resolve";
import type { RsqlEntity } from "./types";
import "./polling-overrides";

export * from "./entities";
export type { RsqlRecord } from "./evaluate";
export { parseRsql, type RsqlNode, type RsqlOperator } from "./parse";
export type { Predicate, RsqlContext } from "./resolve";
export { resolveRsql } from "./resolve";
export type * from "./types";

/**
 * Compiles a query to a parameterised SQL condition on the entity's table.
 * @throws DomainError 400 rest.param.rsqlParamSyntax / rest.param.rsqlInvalidField
 */
export function compileRsql(query: string, entity: RsqlEntity, ctx?: RsqlContext): SQL {
	return predicateToSql(resolveRsql(query, entity, ctx));
}

/** `compileRsql` for an optional `q` parameter: undefined when absent or blank. */
export function rsqlWhere(
	query: string | undefined | null,
	entity: RsqlEntity,
	ctx?: RsqlContext,
): SQL | undefined {
	return query?.trim() ? compileRsql(query, entity, ctx) : undefined;
}

/** Checks a query (e.g. a stored target filter) without compiling; same errors as compileRsql. */
export function validateRsql(query: string, entity: RsqlEntity): void {
	resolveRsql(query, entity, { now: 0, overdueTs: 0 });
}

/** In-memory test of one record (shape: see evaluate.ts and `RsqlTargetRecord`). */
export function matchesRsql(
	query: string,
	entity: RsqlEntity,
	record: RsqlRecord,
	ctx?: RsqlContext,
): boolean {
	return evaluatePredicate(resolveRsql(query, entity, ctx), record);
}

/** The target snapshot `matchesRsql(q, TARGETS, record)` reads; absent fields count as NULL/empty. */
export type RsqlTargetRecord = {
	controllerId: string;
	name?: string | null;
	description?: string | null;
	createdAt?: number;
	createdBy?: string;
	lastModifiedAt?: number;
	lastModifiedBy?: string;
	updateStatus?: string;
	address?: string | null;
	attributes?: Record<string, string>;
	metadata?: Record<string, string>;
	group?: string | null;
	assignedDs?: { name: string; version: string } | null;
	installedDs?: { name: string; version: string } | null;
	tags?: string[];
	lastControllerRequestAt?: number | null;
	type?: { id: number; key: string; name: string } | null;
	autoConfirm?: boolean;
};
