/**
 * A metering wrapper around the real local D1 binding (not a mock: every call goes through to D1).
 * It records each statement the code executes, so a test can prove that a request made no D1 query,
 * or count write statements. The Worker under test must use `env.DB` from its handler arguments
 * (it does: workers/middleware/db.ts and every query module take the binding they are given).
 */

export type D1Meter = {
	/** Pass this as `DB` in the env given to the Worker's handlers. */
	db: D1Database;
	/** SQL of every executed statement (batch members counted one by one), plus `exec`/`dump` calls. */
	statements: string[];
	/** Executed statements that write (INSERT / UPDATE / DELETE / REPLACE). */
	writes(): number;
	reset(): void;
};

const WRITE = /^\s*(insert|update|delete|replace|with\b[\s\S]*\b(insert|update|delete))/i;

export function meterD1(inner: D1Database): D1Meter {
	const statements: string[] = [];
	const sqlOf = new WeakMap<object, string>();
	const innerOf = new WeakMap<object, D1PreparedStatement>();

	const wrapStatement = (stmt: D1PreparedStatement, sql: string): D1PreparedStatement => {
		const wrapped = new Proxy(stmt, {
			get(target, prop) {
				if (prop === "bind") {
					return (...args: unknown[]) => wrapStatement(target.bind(...args), sql);
				}
				if (prop === "run" || prop === "all" || prop === "first" || prop === "raw") {
					return (...args: unknown[]) => {
						statements.push(sql);
						const fn = target[prop] as (...a: unknown[]) => unknown;
						return fn.apply(target, args);
					};
				}
				const value = Reflect.get(target, prop, target);
				return typeof value === "function" ? value.bind(target) : value;
			},
		});
		sqlOf.set(wrapped, sql);
		innerOf.set(wrapped, stmt);
		return wrapped;
	};

	const wrapDb = (db: D1Database | D1DatabaseSession): D1Database =>
		new Proxy(db as D1Database, {
			get(target, prop) {
				if (prop === "prepare") {
					return (sql: string) => wrapStatement(target.prepare(sql), sql);
				}
				if (prop === "batch") {
					return (batch: D1PreparedStatement[]) => {
						for (const s of batch) {
							statements.push(sqlOf.get(s) ?? "<unknown statement>");
						}
						return target.batch(batch.map((s) => innerOf.get(s) ?? s));
					};
				}
				if (prop === "exec") {
					return (sql: string) => {
						statements.push(sql);
						return target.exec(sql);
					};
				}
				if (prop === "dump") {
					return () => {
						statements.push("<dump>");
						return target.dump();
					};
				}
				if (prop === "withSession") {
					return (constraint?: string) =>
						wrapDb(target.withSession(constraint as D1SessionConstraint));
				}
				const value = Reflect.get(target, prop, target);
				return typeof value === "function" ? value.bind(target) : value;
			},
		});

	return {
		db: wrapDb(inner),
		statements,
		writes: () => statements.filter((s) => WRITE.test(s)).length,
		reset: () => {
			statements.length = 0;
		},
	};
}
