import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { DomainError } from "../errors";
import {
	ACTIONS,
	compileRsql,
	DISTRIBUTION_SETS,
	matchesRsql,
	parseRsql,
	ROLLOUTS,
	type RsqlEntity,
	TARGETS,
	validateRsql,
} from ".";

const dialect = new SQLiteSyncDialect();
const toSql = (q: string, e: RsqlEntity = TARGETS, ctx = {}) =>
	dialect.sqlToQuery(compileRsql(q, e, ctx));

function errorCode(fn: () => unknown): string | undefined {
	try {
		fn();
	} catch (e) {
		return e instanceof DomainError ? e.code : `other: ${String(e)}`;
	}
	return undefined;
}

describe("parseRsql", () => {
	it("gives AND precedence over OR and honours parentheses", () => {
		expect(parseRsql("a==1;b==2,c==3")).toMatchObject({
			type: "or",
			left: { type: "and" },
			right: { type: "comparison", selector: "c" },
		});
		expect(parseRsql("a==1;(b==2,c==3)")).toMatchObject({
			type: "and",
			right: { type: "or" },
		});
	});

	it("accepts the verbose and/or keywords, in any case", () => {
		expect(parseRsql("a==1 AND b==2 or c==3")).toMatchObject({ type: "or", left: { type: "and" } });
	});

	it("maps every hawkBit operator, including =is= =eq= =not= =ne=", () => {
		const ops = [
			"==",
			"!=",
			"=lt=",
			"<",
			"=le=",
			"<=",
			"=gt=",
			">",
			"=ge=",
			">=",
			"=is=",
			"=eq=",
			"=not=",
			"=ne=",
		];
		const got = ops.map((op) => {
			const n = parseRsql(`a${op}1`);
			return n.type === "comparison" ? n.operator : undefined;
		});
		expect(got).toEqual([
			"eq",
			"ne",
			"lt",
			"lt",
			"le",
			"le",
			"gt",
			"gt",
			"ge",
			"ge",
			"is",
			"is",
			"not",
			"not",
		]);
		expect(parseRsql("a=in=(x,y)")).toMatchObject({ operator: "in", values: ["x", "y"] });
		expect(parseRsql("a=OUT=(x)")).toMatchObject({ operator: "out", values: ["x"] });
	});

	it("unquotes single- and double-quoted values", () => {
		expect(parseRsql("name=='a b;c'")).toMatchObject({ values: ["a b;c"] });
		expect(parseRsql('name=="x,y"')).toMatchObject({ values: ["x,y"] });
	});

	it("answers rsqlParamSyntax for grammar errors and unsupported operators", () => {
		for (const q of ["name==", "a==1;", "(a==1", "=li=x", "name=li=x", "", "a==(1,2)"]) {
			expect(
				errorCode(() => parseRsql(q)),
				q,
			).toBe("rest.param.rsqlParamSyntax");
		}
	});
});

describe("compileRsql → SQL", () => {
	it("binds every value as a parameter (no value text in the SQL)", () => {
		const q = toSql("name=='x\\' OR 1=1 --'");
		expect(q.sql).not.toContain("OR 1=1");
		expect(q.params).toContain("x' or 1=1 --");
	});

	it("compares strings case-insensitively and matches NULL for !=", () => {
		const eq = toSql("name==Dev");
		expect(eq.sql).toBe('lower("targets"."name") = ?');
		expect(eq.params).toEqual(["dev"]);
		const ne = toSql("name!=dev");
		expect(ne.sql).toBe('("targets"."name" IS NULL OR NOT (lower("targets"."name") = ?))');
	});

	it("turns * into LIKE with % and _ escaped, and keeps \\* literal", () => {
		const q = toSql("name==a%b_c*");
		expect(q.sql).toContain("LIKE ? ESCAPE '\\'");
		expect(q.params).toEqual(["a\\%b\\_c%"]);
		expect(toSql("name==a\\*b").params).toEqual(["a*b"]);
		expect(toSql("name==a\\**").params).toEqual(["a*%"]);
	});

	it("uses EXISTS / NOT EXISTS for tags, attributes and metadata", () => {
		expect(toSql("tag==prod").sql).toMatch(/^EXISTS \(SELECT 1 FROM "target_tag_assignments"/);
		expect(toSql("tag!=prod").sql).toMatch(/^NOT EXISTS \(/);
		const attr = toSql("attribute.hwRevision==2");
		expect(attr.sql).toContain('lower("ta"."key") = ?');
		expect(attr.params).toEqual(["hwrevision", "2"]);
		expect(toSql("metadata.k=out=(a,b)").sql).toMatch(/^NOT EXISTS .* IN \(\?, \?\)\)$/);
	});

	it("implements =is=null / =not=null and hawkBit's legacy ''", () => {
		expect(toSql("description=is=null").sql).toBe('"targets"."description" IS NULL');
		expect(toSql("description=not=null").sql).toBe('"targets"."description" IS NOT NULL');
		expect(toSql("description==''").sql).toBe(
			`("targets"."description" IS NULL OR "targets"."description" = '')`,
		);
		expect(toSql("description!=''").sql).toBe(
			`("targets"."description" IS NOT NULL AND "targets"."description" <> '')`,
		);
		expect(toSql("name==null").params).toEqual(["null"]);
	});

	it("substitutes ${NOW_TS} and ${OVERDUE_TS}", () => {
		expect(
			toSql("lastcontrollerrequestat=le=${OVERDUE_TS}", TARGETS, { overdueTs: 1234 }).params,
		).toEqual([1234]);
		expect(toSql("createdat<${now_ts}", TARGETS, { now: 99 }).params).toEqual([99]);
	});

	it("validates enums (any case) and stores action statuses upper case", () => {
		expect(toSql("updatestatus==IN_SYNC").params).toEqual(["in_sync"]);
		expect(toSql("status==running", ACTIONS).params).toEqual(["RUNNING"]);
		expect(toSql("status==running", ROLLOUTS).params).toEqual(["running"]);
		expect(errorCode(() => toSql("updatestatus==bogus"))).toBe("rest.param.rsqlInvalidField");
	});

	it("refuses comparisons on enums and booleans, and non-numbers on numeric fields", () => {
		expect(errorCode(() => toSql("updatestatus=gt=pending"))).toBe("rest.param.rsqlParamSyntax");
		expect(errorCode(() => toSql("autoconfirm=lt=true"))).toBe("rest.param.rsqlParamSyntax");
		expect(errorCode(() => toSql("autoconfirm==yes"))).toBe("rest.param.rsqlParamSyntax");
		expect(errorCode(() => toSql("createdat=gt=yesterday"))).toBe("rest.param.rsqlParamSyntax");
		expect(errorCode(() => toSql("name=gt=null"))).toBe("rest.param.rsqlParamSyntax");
	});

	it("answers rsqlInvalidField for unknown fields and sub-attributes", () => {
		for (const q of [
			"foo==1",
			"assignedds==fw",
			"assignedds.foo==1",
			"attribute==x",
			"targettype==gw",
			"name.x==1",
		]) {
			expect(
				errorCode(() => toSql(q)),
				q,
			).toBe("rest.param.rsqlInvalidField");
		}
		expect(errorCode(() => toSql("type==os", DISTRIBUTION_SETS))).toBeUndefined();
		expect(errorCode(() => toSql("module==x", DISTRIBUTION_SETS))).toBe(
			"rest.param.rsqlInvalidField",
		);
	});

	it("accepts bare references with a default sub-attribute", () => {
		expect(toSql("type==gateway").sql).toContain('"target_types"');
		expect(toSql("tag==x").sql).toBe(toSql("tag.name==x").sql);
	});

	it("validateRsql checks without compiling", () => {
		expect(() => validateRsql("name==x;tag==y", TARGETS)).not.toThrow();
		expect(errorCode(() => validateRsql("nope==x", TARGETS))).toBe("rest.param.rsqlInvalidField");
	});
});

describe("matchesRsql (in memory)", () => {
	const target = {
		controllerId: "Dev-1",
		name: "Device One",
		description: null,
		updateStatus: "in_sync",
		address: "http://10.0.0.7",
		attributes: { hwRevision: "2" },
		tags: ["Prod"],
		group: "Europe/East",
		assignedDs: { name: "fw", version: "1.0" },
		type: { id: 3, key: "gateway", name: "Gateway" },
		lastControllerRequestAt: 1000,
		autoConfirm: false,
	};
	const m = (q: string, ctx = {}) => matchesRsql(q, TARGETS, target, ctx);

	it("evaluates hawkBit semantics on one target", () => {
		expect(m("id==dev-1")).toBe(true);
		expect(m("name==device*")).toBe(true);
		expect(m("description!=x")).toBe(true);
		expect(m("description==''")).toBe(true);
		expect(m("attribute.HWREVISION==2")).toBe(true);
		expect(m("attribute.other!=2")).toBe(true);
		expect(m("attribute.other=is=null")).toBe(true);
		expect(m("tag==prod;tag!=eu")).toBe(true);
		expect(m("tag=out=(prod)")).toBe(false);
		expect(m("group==Europe/*")).toBe(true);
		expect(m("assignedds.version=in=(1.0,2.0)")).toBe(true);
		expect(m("type==gateway,type.id==9")).toBe(true);
		expect(m("updatestatus=out=(pending)")).toBe(true);
		expect(m("lastcontrollerrequestat=le=${OVERDUE_TS}", { overdueTs: 999 })).toBe(false);
		expect(m("lastcontrollerrequestat=le=${OVERDUE_TS}", { overdueTs: 1000 })).toBe(true);
		expect(m("autoconfirm==false")).toBe(true);
		expect(m("installedds.name==fw")).toBe(false);
		expect(m("installedds.name!=fw")).toBe(true);
	});
});
