/**
 * hawkBit's collection conventions (§4.2): `offset` (element offset) / `limit` (default 50, max 500),
 * `sort=field:DIR[,field:DIR…]` over the resource's RSQL field names, and the paged envelope
 * `{content, total, size}`. hawkBit: PagingUtility, SortUtility, PagedList.
 */
import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { RsqlEntity } from "../../shared/rsql";
import { ApiError } from "../http-errors";

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

/** Query parameters of a paged list (documented once, reused by every list route). */
export const PagingQuery = z.object({
	offset: z.coerce
		.number()
		.int()
		.optional()
		.meta({ description: "Index of the first element (not a page number). Default 0." }),
	limit: z.coerce
		.number()
		.int()
		.optional()
		.meta({ description: "Page size, default 50, at most 500." }),
	sort: z
		.string()
		.optional()
		.meta({ description: "`field:ASC|DESC[,field:DIR…]` over the resource's RSQL field names." }),
	q: z.string().optional().meta({ description: "RSQL/FIQL filter (hawkBit grammar)." }),
});
export type PagingQuery = z.infer<typeof PagingQuery>;

/** Paging-only query (sub-resources that sort but do not search). */
export const PagingOnlyQuery = PagingQuery.omit({ q: true });

/** Clamps offset/limit exactly as hawkBit: negative offset → 0, limit < 1 → 50, > 500 → 500. */
export function pageBounds(q: { offset?: number; limit?: number }): {
	offset: number;
	limit: number;
} {
	const offset = q.offset === undefined || q.offset < 0 ? 0 : q.offset;
	let limit = q.limit ?? DEFAULT_LIMIT;
	if (limit < 1) {
		limit = DEFAULT_LIMIT;
	} else if (limit > MAX_LIMIT) {
		limit = MAX_LIMIT;
	}
	return { offset, limit };
}

export type SortOrder = { field: string; column: string; direction: "ASC" | "DESC" };

/**
 * Parses `sort` against the sortable columns (lower-case field → SQL column expression).
 * Errors: no `:` or more than one → sortParamSyntax; unknown field → invalidField;
 * direction other than ASC/DESC → invalidDirection.
 */
export function parseSort(
	sort: string | undefined,
	columns: Readonly<Record<string, string>>,
	defaultSort: string,
): SortOrder[] {
	const text = sort?.trim() ? sort : defaultSort;
	const orders: SortOrder[] = [];
	for (const part of text.split(",")) {
		const pieces = part.split(":");
		if (pieces.length !== 2 || !pieces[0]?.trim()) {
			throw new ApiError(
				"rest.param.sortParamSyntax",
				`The given sort parameter ${JSON.stringify(text)} is not well formed. Expected field:direction[,field:direction]`,
			);
		}
		const field = (pieces[0] as string).trim().toLowerCase();
		const direction = (pieces[1] as string).trim().toUpperCase();
		const column = columns[field];
		if (column === undefined) {
			throw new ApiError(
				"rest.param.invalidField",
				`The given sort field {${pieces[0]}} is invalid. Valid fields: ${Object.keys(columns).join(", ")}`,
			);
		}
		if (direction !== "ASC" && direction !== "DESC") {
			throw new ApiError(
				"rest.param.invalidDirection",
				`The given sort direction {${pieces[1]}} is invalid. Use ASC or DESC`,
			);
		}
		orders.push({ field, column, direction });
	}
	return orders;
}

/** `ORDER BY` SQL for parsed sort orders; columns come from our field maps, never from input. */
export function orderBySql(orders: SortOrder[], tieBreaker?: string): SQL {
	const parts = orders.map((o) => `${o.column} ${o.direction}`);
	if (tieBreaker && !orders.some((o) => o.column === tieBreaker)) {
		parts.push(`${tieBreaker} ASC`);
	}
	return sql.raw(parts.join(", "));
}

/** Everything a list query needs from `offset/limit/sort` for one RSQL entity. */
export function pageRequest(
	q: { offset?: number; limit?: number; sort?: string },
	entity: RsqlEntity,
	defaultSort: string = entity.defaultSort,
): { offset: number; limit: number; orderBy: SQL } {
	const orders = parseSort(q.sort, entity.sortColumns, defaultSort);
	return { ...pageBounds(q), orderBy: orderBySql(orders, entity.idColumn) };
}

/** hawkBit's PagedList schema for an item schema (`size` = elements in `content`). */
export function PagedList<T extends z.ZodType>(item: T, id: string) {
	return z
		.object({
			content: z.array(item),
			total: z.number().int().meta({ description: "Total number of matches" }),
			size: z.number().int().meta({ description: "Number of elements in content" }),
		})
		.meta({ id });
}

/** The paged envelope; `size` is the number of returned elements, not the requested limit. */
export function paged<T>(
	content: T[],
	total: number,
): { content: T[]; total: number; size: number } {
	return { content, total, size: content.length };
}
