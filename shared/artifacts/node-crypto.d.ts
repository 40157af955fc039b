/**
 * The slice of `node:crypto` the artifact hasher uses (workerd implements it under
 * `nodejs_compat`). Declared here because the project does not pull in @types/node for Workers code.
 */
declare module "node:crypto" {
	export interface Hash {
		update(data: Uint8Array | string): Hash;
		digest(encoding: "hex"): string;
	}
	export function createHash(algorithm: string): Hash;
}
