/**
 * hawkBit's role and permission hierarchy, as the browser needs it: /rest/v1/userinfo returns the
 * authorities as granted (roles unexpanded), and the UI offers only what they allow. This mirrors
 * shared/domain/permissions.ts; workers/ui/permissions.test.ts fails when the two drift apart.
 */

const crud = (group) => ["CREATE", "READ", "UPDATE", "DELETE"].map((a) => `${a}_${group}`);

const TARGET_ADMIN = [
	...crud("TARGET"),
	"READ_TARGET_SECURITY_TOKEN",
	...crud("TARGET_TYPE"),
	"APPROVE_AUTO_ASSIGNMENT",
	"HANDLE_AUTO_ASSIGNMENT",
];
const REPOSITORY_ADMIN = [
	...crud("SOFTWARE_MODULE"),
	"READ_SOFTWARE_MODULE_ARTIFACT",
	...crud("SOFTWARE_MODULE_TYPE"),
	...crud("DISTRIBUTION_SET"),
	...crud("DISTRIBUTION_SET_TYPE"),
];
const ROLLOUT_ADMIN = [...crud("ROLLOUT"), "HANDLE_ROLLOUT", "APPROVE_ROLLOUT"];

/** authority → what it directly implies (expanded transitively). */
const IMPLIES = {
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

const ROLES = [
	"ROLE_TARGET_ADMIN",
	"ROLE_REPOSITORY_ADMIN",
	"ROLE_ROLLOUT_ADMIN",
	"ROLE_TENANT_ADMIN",
];

/** Roles may be configured without `ROLE_` (hawkBit's static users say `roles=TENANT_ADMIN`). */
function normalise(authority) {
	const a = String(authority).trim().toUpperCase();
	return !a.startsWith("ROLE_") && ROLES.includes(`ROLE_${a}`) ? `ROLE_${a}` : a;
}

/**
 * Every authority reachable from the granted ones (roles, permissions and implied permissions).
 * @param {Iterable<string>} granted
 * @returns {Set<string>}
 */
export function expandAuthorities(granted) {
	const seen = new Set();
	const stack = [...granted].map(normalise);
	while (stack.length > 0) {
		const a = stack.pop();
		if (seen.has(a)) {
			continue;
		}
		seen.add(a);
		for (const implied of IMPLIES[a] ?? []) {
			stack.push(implied);
		}
	}
	return seen;
}
