/** Columns every hawkBit entity carries (BaseEntity: tenant + audit fields). */
import { integer, text } from "drizzle-orm/sqlite-core";

/** Epoch milliseconds, as hawkBit puts them on the wire. */
export const epochMs = () => integer({ mode: "number" });

export const auditColumns = () => ({
	createdAt: epochMs()
		.notNull()
		.$defaultFn(() => Date.now()),
	createdBy: text().notNull().default("system"),
	lastModifiedAt: epochMs()
		.notNull()
		.$defaultFn(() => Date.now()),
	lastModifiedBy: text().notNull().default("system"),
});
