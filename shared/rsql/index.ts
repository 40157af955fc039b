/**
 * hawkBit's RSQL/FIQL query language (§5): parse, validate against an entity's field map, compile
 * to parameterised SQL (drizzle `SQL`), or evaluate in memory. See shared/rsql/README.md.
 */
export type * from "./types";
