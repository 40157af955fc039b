/**
 * hawkBit's bean-validation of repository entities (sizes, not-null, no HTML): a violation is
 * 400 `repo.constraintViolation` with the message `"<property> <reason>."` joined by `,`.
 * hawkBit: `@Size` / `@NotNull` / `@ValidString` on the Jpa* entities, ConstraintViolationException.
 */
import { DomainError } from "../errors";

/** hawkBit's sizes (NamedEntity, Type, NamedVersionedEntity, MetaData, TargetFilterQuery, …). */
export const SIZES = {
	name: 128,
	description: 512,
	version: 64,
	key: 64,
	colour: 16,
	vendor: 256,
	metadataKey: 128,
	metadataValue: 4000,
	query: 1024,
} as const;

/** Markup hawkBit's ValidString (Jsoup with an empty safelist) would strip, so it rejects it. */
const MARKUP = /<\s*\/?\s*[a-z!?][^>]*>/i;

export type Constraint = {
	property: string;
	value: string | null | undefined;
	max: number;
	/** Must be present and non-empty. */
	required?: boolean;
	/** Skip the markup check (metadata values and RSQL queries may contain `<`/`>`). */
	allowMarkup?: boolean;
};

/** The violations of `constraints`, or undefined when all hold. */
export function checkConstraints(constraints: Constraint[]): DomainError | undefined {
	const messages: string[] = [];
	for (const c of constraints) {
		if (c.value === null || c.value === undefined) {
			if (c.required) {
				messages.push(`${c.property} must not be null.`);
			}
			continue;
		}
		const min = c.required ? 1 : 0;
		if (c.value.length < min || c.value.length > c.max) {
			messages.push(`${c.property} size must be between ${min} and ${c.max}.`);
		} else if (!c.allowMarkup && MARKUP.test(c.value)) {
			messages.push(`${c.property} must not contain HTML.`);
		}
	}
	return messages.length > 0
		? new DomainError("repo.constraintViolation", messages.join(","))
		: undefined;
}

/** Throws the constraint violation, if any. */
export function assertConstraints(constraints: Constraint[]): void {
	const err = checkConstraints(constraints);
	if (err) {
		throw err;
	}
}
