/**
 * Controller attributes pushed by a device (DDI configData, §2.9): validation, the three update modes and
 * the per-target quota. hawkBit: JpaControllerManagement#updateControllerAttributes, QuotaHelper.
 * Pure functions.
 */
import { DomainError } from "../errors";

export const MAX_ATTRIBUTE_KEY_LENGTH = 128;
export const MAX_ATTRIBUTE_VALUE_LENGTH = 128;
/** hawkBit's default `maxAttributeEntriesPerTarget`. */
export const MAX_ATTRIBUTES_PER_TARGET = 100;

export const ATTRIBUTE_UPDATE_MODES = ["merge", "replace", "remove"] as const;
export type AttributeUpdateMode = (typeof ATTRIBUTE_UPDATE_MODES)[number];

// hawkBit's character whitelist; Java's \s is ASCII whitespace only, so it is spelled out.
const ALLOWED = /^[a-zA-Z0-9_\-!@#$%^&*()+=[\]{}|;:'",.<>/\\? \t\n\v\f\r]*$/;

/** hawkBit's InvalidTargetAttributeException (default message, no detail). */
export function invalidAttributes(): DomainError {
	return new DomainError("repo.invalidTargetAttributes", "The given target attributes are invalid");
}

/**
 * Every key and (non-null) value must be ≤ 128 characters from the whitelist.
 * @throws DomainError repo.invalidTargetAttributes
 */
export function validateAttributes(data: Record<string, string | null>): void {
	for (const [key, value] of Object.entries(data)) {
		if (key.length > MAX_ATTRIBUTE_KEY_LENGTH || !ALLOWED.test(key)) {
			throw invalidAttributes();
		}
		if (value !== null && (value.length > MAX_ATTRIBUTE_VALUE_LENGTH || !ALLOWED.test(value))) {
			throw invalidAttributes();
		}
	}
}

/**
 * The attribute map after an update: `merge` adds/overwrites, `replace` starts empty, `remove` drops the
 * given keys; in merge and replace a `null` value removes its key.
 */
export function applyAttributeUpdate(
	current: ReadonlyMap<string, string>,
	data: Record<string, string | null>,
	mode: AttributeUpdateMode,
): Map<string, string> {
	const next = mode === "replace" ? new Map<string, string>() : new Map(current);
	for (const [key, value] of Object.entries(data)) {
		if (mode === "remove" || value === null) {
			next.delete(key);
		} else {
			next.set(key, value);
		}
	}
	return next;
}

/**
 * hawkBit checks the quota only when the map grows, against the new size.
 * @throws DomainError quota.tooManyEntries
 */
export function assertAttributeQuota(
	targetId: number,
	current: ReadonlyMap<string, string>,
	next: ReadonlyMap<string, string>,
): void {
	if (next.size > current.size && next.size > MAX_ATTRIBUTES_PER_TARGET) {
		throw new DomainError(
			"quota.tooManyEntries",
			`Quota exceeded: Cannot assign ${next.size} more Attribute entities to Target '${targetId}'. The maximum is ${MAX_ATTRIBUTES_PER_TARGET}.`,
		);
	}
}

/** Whether two attribute maps are equal. */
export function sameAttributes(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>) {
	return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}
