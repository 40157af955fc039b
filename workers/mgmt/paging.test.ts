import { describe, expect, it } from "vitest";
import { DomainError } from "../../shared/errors";
import { ApiError } from "../http-errors";
import { pageBounds, paged, parseSort } from "./paging";

const COLS = { id: '"t"."id"', name: '"t"."name"', controllerid: '"t"."controller_id"' };

function code(fn: () => unknown) {
	try {
		fn();
	} catch (e) {
		return e instanceof ApiError || e instanceof DomainError ? e.code : String(e);
	}
	return undefined;
}

describe("pageBounds", () => {
	it("clamps like hawkBit: default 50, max 500, <1 → 50, negative offset → 0", () => {
		expect(pageBounds({})).toEqual({ offset: 0, limit: 50 });
		expect(pageBounds({ offset: -3, limit: 0 })).toEqual({ offset: 0, limit: 50 });
		expect(pageBounds({ offset: 10, limit: 10_000 })).toEqual({ offset: 10, limit: 500 });
		expect(pageBounds({ offset: 5, limit: 7 })).toEqual({ offset: 5, limit: 7 });
	});
});

describe("parseSort", () => {
	it("parses several fields case-insensitively, defaulting when absent", () => {
		expect(parseSort("NAME:desc,ControllerId:ASC", COLS, "id:ASC")).toEqual([
			{ field: "name", column: '"t"."name"', direction: "DESC" },
			{ field: "controllerid", column: '"t"."controller_id"', direction: "ASC" },
		]);
		expect(parseSort(undefined, COLS, "controllerId:ASC")[0]?.field).toBe("controllerid");
	});

	it("answers sortParamSyntax, invalidField and invalidDirection", () => {
		expect(code(() => parseSort("name", COLS, "id:ASC"))).toBe("rest.param.sortParamSyntax");
		expect(code(() => parseSort("name:ASC:x", COLS, "id:ASC"))).toBe("rest.param.sortParamSyntax");
		expect(code(() => parseSort("nope:ASC", COLS, "id:ASC"))).toBe("rest.param.invalidField");
		expect(code(() => parseSort("name:sideways", COLS, "id:ASC"))).toBe(
			"rest.param.invalidDirection",
		);
	});
});

describe("paged", () => {
	it("reports size as the number of returned elements", () => {
		expect(paged([1, 2], 10)).toEqual({ content: [1, 2], total: 10, size: 2 });
	});
});
