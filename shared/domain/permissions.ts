/**
 * hawkBit's management permissions and roles (§9), with the implication hierarchy that Spring's
 * RoleHierarchy applies. hawkBit: SpPermission (TARGET_HIERARCHY, SOFTWARE_MODULE_HIERARCHY,
 * DISTRIBUTION_SET_HIERARCHY, TENANT_CONFIGURATION_HIERARCHY) and SpRole (*_ADMIN_HIERARCHY).
 */

const CRUD = ["CREATE", "READ", "UPDATE", "DELETE"] as const;
const crud = <G extends string>(group: G) => CRUD.map((a) => `${a}_${group}` as const);

export const PERMISSIONS = [
	...crud("TARGET"),
	"READ_TARGET_SECURITY_TOKEN",
	...crud("TARGET_TYPE"),
	...crud("SOFTWARE_MODULE"),
	"READ_SOFTWARE_MODULE_ARTIFACT",
	...crud("SOFTWARE_MODULE_TYPE"),
	...crud("DISTRIBUTION_SET"),
	...crud("DISTRIBUTION_SET_TYPE"),
	...crud("ROLLOUT"),
	"HANDLE_ROLLOUT",
	"APPROVE_ROLLOUT",
	...crud("AUTO_ASSIGNMENT"),
	"APPROVE_AUTO_ASSIGNMENT",
	"HANDLE_AUTO_ASSIGNMENT",
	"TENANT_CONFIGURATION",
	...crud("TENANT_CONFIGURATION"),
	"READ_GATEWAY_SECURITY_TOKEN",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Roles as hawkBit names them in authorities (with the `ROLE_` prefix). */
export const ROLES = [
	"ROLE_TARGET_ADMIN",
	"ROLE_REPOSITORY_ADMIN",
	"ROLE_ROLLOUT_ADMIN",
	"ROLE_TENANT_ADMIN",
] as const;
export type Role = (typeof ROLES)[number];

const TARGET_ADMIN: readonly string[] = [
	...crud("TARGET"),
	"READ_TARGET_SECURITY_TOKEN",
	...crud("TARGET_TYPE"),
	"APPROVE_AUTO_ASSIGNMENT",
	"HANDLE_AUTO_ASSIGNMENT",
];
const REPOSITORY_ADMIN: readonly string[] = [
	...crud("SOFTWARE_MODULE"),
	"READ_SOFTWARE_MODULE_ARTIFACT",
	...crud("SOFTWARE_MODULE_TYPE"),
	...crud("DISTRIBUTION_SET"),
	...crud("DISTRIBUTION_SET_TYPE"),
];
const ROLLOUT_ADMIN: readonly string[] = [...crud("ROLLOUT"), "HANDLE_ROLLOUT", "APPROVE_ROLLOUT"];

/** One step of the hierarchy: authority → what it directly implies. Expanded transitively. */
const IMPLIES: Readonly<Record<string, readonly string[]>> = {
	ROLE_TARGET_ADMIN: TARGET_ADMIN,
	ROLE_REPOSITORY_ADMIN: REPOSITORY_ADMIN,
	ROLE_ROLLOUT_ADMIN: ROLLOUT_ADMIN,
	ROLE_TENANT_ADMIN: [
		"ROLE_TARGET_ADMIN",
		"ROLE_REPOSITORY_ADMIN",
		"ROLE_ROLLOUT_ADMIN",
		"TENANT_CONFIGURATION",
	],
	CREATE_TARGET: ["READ_TARGET_TYPE"],
	READ_TARGET: ["READ_TARGET_TYPE", "READ_AUTO_ASSIGNMENT"],
	UPDATE_TARGET: [
		"READ_TARGET_TYPE",
		"CREATE_AUTO_ASSIGNMENT",
		"UPDATE_AUTO_ASSIGNMENT",
		"DELETE_AUTO_ASSIGNMENT",
	],
	DELETE_TARGET: ["READ_TARGET_TYPE"],
	CREATE_SOFTWARE_MODULE: ["READ_SOFTWARE_MODULE_TYPE"],
	READ_SOFTWARE_MODULE: ["READ_SOFTWARE_MODULE_TYPE"],
	UPDATE_SOFTWARE_MODULE: ["READ_SOFTWARE_MODULE_TYPE"],
	DELETE_SOFTWARE_MODULE: ["READ_SOFTWARE_MODULE_TYPE"],
	CREATE_DISTRIBUTION_SET: ["READ_DISTRIBUTION_SET_TYPE"],
	READ_DISTRIBUTION_SET: ["READ_DISTRIBUTION_SET_TYPE"],
	UPDATE_DISTRIBUTION_SET: ["READ_DISTRIBUTION_SET_TYPE"],
	DELETE_DISTRIBUTION_SET: ["READ_DISTRIBUTION_SET_TYPE"],
	TENANT_CONFIGURATION: [...crud("TENANT_CONFIGURATION"), "READ_GATEWAY_SECURITY_TOKEN"],
	// ≤ 0.9 names (§9 "Changed in 0.10/1.0"): accepted so old user/token configs keep working.
	READ_REPOSITORY: [
		"READ_SOFTWARE_MODULE",
		"READ_SOFTWARE_MODULE_TYPE",
		"READ_DISTRIBUTION_SET",
		"READ_DISTRIBUTION_SET_TYPE",
	],
	CREATE_REPOSITORY: [
		"CREATE_SOFTWARE_MODULE",
		"CREATE_SOFTWARE_MODULE_TYPE",
		"CREATE_DISTRIBUTION_SET",
		"CREATE_DISTRIBUTION_SET_TYPE",
	],
	UPDATE_REPOSITORY: [
		"UPDATE_SOFTWARE_MODULE",
		"UPDATE_SOFTWARE_MODULE_TYPE",
		"UPDATE_DISTRIBUTION_SET",
		"UPDATE_DISTRIBUTION_SET_TYPE",
	],
	DELETE_REPOSITORY: [
		"DELETE_SOFTWARE_MODULE",
		"DELETE_SOFTWARE_MODULE_TYPE",
		"DELETE_DISTRIBUTION_SET",
		"DELETE_DISTRIBUTION_SET_TYPE",
	],
	DOWNLOAD_REPOSITORY_ARTIFACT: ["READ_SOFTWARE_MODULE_ARTIFACT"],
	READ_TENANT_CONFIGURATION: [],
	SYSTEM_ADMIN: ["TENANT_CONFIGURATION"],
};

/** Every authority name Updraft understands (for validating user/token input). */
export const KNOWN_AUTHORITIES: ReadonlySet<string> = new Set([
	...PERMISSIONS,
	...ROLES,
	...Object.keys(IMPLIES),
]);

/**
 * Normalises an authority as written by an operator: roles may be given without `ROLE_`
 * (hawkBit's static users configure `roles=TENANT_ADMIN`).
 */
export function normaliseAuthority(authority: string): string {
	const a = authority.trim().toUpperCase();
	return !a.startsWith("ROLE_") && (ROLES as readonly string[]).includes(`ROLE_${a}`)
		? `ROLE_${a}`
		: a;
}

/** The reachable permissions of a set of granted authorities (roles and permissions), transitively. */
export function expandAuthorities(granted: Iterable<string>): Set<Permission> {
	const seen = new Set<string>();
	const stack = [...granted].map(normaliseAuthority);
	while (stack.length > 0) {
		const a = stack.pop() as string;
		if (seen.has(a)) {
			continue;
		}
		seen.add(a);
		for (const implied of IMPLIES[a] ?? []) {
			stack.push(implied);
		}
	}
	const perms = new Set<Permission>();
	for (const p of PERMISSIONS) {
		if (seen.has(p)) {
			perms.add(p);
		}
	}
	return perms;
}

/** True when every required permission is reachable. */
export function hasPermissions(granted: ReadonlySet<Permission>, required: readonly Permission[]) {
	return required.every((p) => granted.has(p));
}
