/** Small helpers the repository query modules share (soft-delete filter, unique violations, counts). */
import { and, eq, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { DomainError } from "../../errors";

export type SoftDeletedMode = "EXCLUDE_SOFT_DELETED" | "ONLY_SOFT_DELETED" | "INCLUDE_SOFT_DELETED";

/** The `deleted` condition for hawkBit's soft_deleted_mode (default: exclude). */
export function softDeletedFilter(
	column: SQLiteColumn,
	mode: SoftDeletedMode | undefined,
): SQL | undefined {
	switch (mode ?? "EXCLUDE_SOFT_DELETED") {
		case "EXCLUDE_SOFT_DELETED":
			return eq(column, false);
		case "ONLY_SOFT_DELETED":
			return eq(column, true);
		case "INCLUDE_SOFT_DELETED":
			return undefined;
	}
}

/** Whether a D1 error is a UNIQUE / PRIMARY KEY violation (D1 wraps SQLite's message). */
export function isUniqueViolation(err: unknown): boolean {
	const text = `${String(err)} ${String((err as { cause?: unknown })?.cause ?? "")}`;
	return text.includes("UNIQUE constraint failed") || text.includes("PRIMARY KEY");
}

/** Runs a batch of writes; a unique violation becomes hawkBit's 409 with `message`. */
export async function withConflict<T>(message: string, run: () => Promise<T>): Promise<T> {
	try {
		return await run();
	} catch (err) {
		if (isUniqueViolation(err)) {
			throw new DomainError("repo.entityAlreadyExists", message);
		}
		throw err;
	}
}

/** `count(*)` as a number column. */
export const countAll = sql<number>`count(*)`.mapWith(Number);

/** Combines optional conditions. */
export function allOf(...conds: (SQL | undefined)[]): SQL | undefined {
	return and(...conds.filter((c): c is SQL => c !== undefined));
}

/** Page of a list query: offset/limit/order as produced by workers/mgmt/paging.ts. */
export type Page = { offset: number; limit: number; orderBy: SQL };

/** Chunks a list so each statement stays under D1's bound-parameter cap (100). */
export function chunks<T>(items: T[], size: number): T[][] {
	const out: T[][] = [];
	for (let i = 0; i < items.length; i += size) {
		out.push(items.slice(i, i + size));
	}
	return out;
}
