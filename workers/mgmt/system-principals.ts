/**
 * Updraft extension (not in hawkBit): management users and API tokens of the caller's tenant.
 * hawkBit configures users statically (`hawkbit.security.user.*`) and gets bearer tokens from an
 * OAuth2 server; a Worker has neither, so these endpoints create them. Needs TENANT_CONFIGURATION,
 * and a caller can only grant what it holds itself (no privilege escalation).
 *
 *   POST   /rest/v1/system/users            {"username","password","authorities":["ROLE_TARGET_ADMIN"]}
 *   GET    /rest/v1/system/users
 *   DELETE /rest/v1/system/users/{username}
 *   POST   /rest/v1/system/tokens           {"name","authorities":["READ_TARGET"],"expiresAt"?}  → token shown once
 *   GET    /rest/v1/system/tokens
 *   DELETE /rest/v1/system/tokens/{tokenId}
 */
import type { Context } from "hono";
import { z } from "zod";
import {
	deleteApiToken,
	deleteUser,
	insertApiToken,
	insertUser,
	listApiTokens,
	listUsers,
	parseAuthorities,
} from "../../shared/db/queries/users";
import { generateApiToken, hashPassword, sha256Hex } from "../../shared/domain/credentials";
import {
	expandAuthorities,
	KNOWN_AUTHORITIES,
	normaliseAuthority,
} from "../../shared/domain/permissions";
import { DomainError, entityNotFound } from "../../shared/errors";
import { ApiError } from "../http-errors";
import type { MgmtEnv } from "../middleware/mgmt-auth";
import {
	CONFLICT,
	jsonBody,
	jsonResponse,
	mgmtRoute,
	mgmtRouter,
	NO_CONTENT,
	NOT_FOUND,
} from "./openapi";

const TAG = ["System users and tokens (Updraft)"];

const Authorities = z.array(z.string()).meta({
	description: "Roles (ROLE_TENANT_ADMIN, TARGET_ADMIN, …) and/or permissions (READ_TARGET, …)",
});

export const UpdraftUserRequest = z
	.object({
		username: z
			.string()
			.min(1)
			.max(128)
			.regex(/^[^:\s]+$/, "no ':' or whitespace"),
		password: z.string().min(8).max(256),
		authorities: Authorities,
	})
	.meta({ id: "UpdraftUserRequest" });

export const UpdraftUser = z
	.object({
		username: z.string(),
		tenant: z.string(),
		authorities: z.array(z.string()),
		createdAt: z.number().int(),
		createdBy: z.string(),
	})
	.meta({ id: "UpdraftUser" });

export const UpdraftTokenRequest = z
	.object({
		name: z.string().min(1).max(128),
		authorities: Authorities,
		expiresAt: z.number().int().nullish().meta({ description: "Epoch ms; absent = never" }),
	})
	.meta({ id: "UpdraftTokenRequest" });

export const UpdraftToken = z
	.object({
		id: z.number().int(),
		name: z.string(),
		tenant: z.string(),
		authorities: z.array(z.string()),
		expiresAt: z.number().int().optional(),
		createdAt: z.number().int(),
		createdBy: z.string(),
		token: z.string().optional().meta({ description: "Only in the creation response" }),
	})
	.meta({ id: "UpdraftToken" });

/** Validates names and refuses authorities beyond the caller's own permissions. */
function checkGrant(c: Context<MgmtEnv>, requested: string[]): string[] {
	const normalised = requested.map(normaliseAuthority);
	const unknown = normalised.filter((a) => !KNOWN_AUTHORITIES.has(a));
	if (unknown.length > 0) {
		throw new ApiError("rest.body.notReadable", `Unknown authorities: ${unknown.join(", ")}`);
	}
	const exceeding = [...expandAuthorities(normalised)].filter(
		(p) => !c.var.principal.permissions.has(p),
	);
	if (exceeding.length > 0) {
		throw new ApiError(
			"insufficientPermission",
			`Cannot grant permissions the caller does not hold: ${exceeding.join(", ")}`,
		);
	}
	return normalised;
}

const createUser = mgmtRoute({
	method: "post",
	path: "/system/users",
	tags: TAG,
	summary: "Create a management user (HTTP Basic) in the caller's tenant",
	permissions: ["TENANT_CONFIGURATION"],
	request: { body: jsonBody(UpdraftUserRequest) },
	responses: { 201: jsonResponse(UpdraftUser, "The user"), ...CONFLICT },
});

const listUsersRoute = mgmtRoute({
	method: "get",
	path: "/system/users",
	tags: TAG,
	summary: "Users of the caller's tenant",
	permissions: ["TENANT_CONFIGURATION"],
	responses: { 200: jsonResponse(z.array(UpdraftUser), "Users") },
});

const deleteUserRoute = mgmtRoute({
	method: "delete",
	path: "/system/users/{username}",
	tags: TAG,
	summary: "Delete a user",
	permissions: ["TENANT_CONFIGURATION"],
	request: { params: z.object({ username: z.string().min(1) }) },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

const createToken = mgmtRoute({
	method: "post",
	path: "/system/tokens",
	tags: TAG,
	summary: "Create an API token (Bearer); the token is returned once, only its SHA-256 is stored",
	permissions: ["TENANT_CONFIGURATION"],
	request: { body: jsonBody(UpdraftTokenRequest) },
	responses: { 201: jsonResponse(UpdraftToken, "The token") },
});

const listTokens = mgmtRoute({
	method: "get",
	path: "/system/tokens",
	tags: TAG,
	summary: "API tokens of the caller's tenant (without secrets)",
	permissions: ["TENANT_CONFIGURATION"],
	responses: { 200: jsonResponse(z.array(UpdraftToken), "Tokens") },
});

const deleteToken = mgmtRoute({
	method: "delete",
	path: "/system/tokens/{tokenId}",
	tags: TAG,
	summary: "Revoke an API token",
	permissions: ["TENANT_CONFIGURATION"],
	request: { params: z.object({ tokenId: z.coerce.number().int() }) },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

export const systemPrincipalsApi = mgmtRouter()
	.openapi(createUser, async (c) => {
		const body = c.req.valid("json");
		const authorities = checkGrant(c, body.authorities);
		if (body.username === c.env.ADMIN_USER) {
			throw new DomainError("repo.entityAlreadyExists", `User ${body.username} already exists`);
		}
		const row = await insertUser(c.var.db, {
			tenant: c.var.tenant,
			username: body.username,
			passwordHash: await hashPassword(body.password),
			authorities,
			by: c.var.principal.username,
		});
		if (!row) {
			throw new DomainError("repo.entityAlreadyExists", `User ${body.username} already exists`);
		}
		return c.json(
			{
				username: row.username,
				tenant: row.tenant,
				authorities,
				createdAt: row.createdAt,
				createdBy: row.createdBy,
			},
			201,
		);
	})
	.openapi(listUsersRoute, async (c) => {
		const rows = await listUsers(c.var.db, c.var.tenant);
		return c.json(
			rows.map((r) => ({
				username: r.username,
				tenant: r.tenant,
				authorities: parseAuthorities(r.authorities),
				createdAt: r.createdAt,
				createdBy: r.createdBy,
			})),
			200,
		);
	})
	.openapi(deleteUserRoute, async (c) => {
		const { username } = c.req.valid("param");
		if (!(await deleteUser(c.var.db, { tenant: c.var.tenant, username }))) {
			throw entityNotFound("User", username);
		}
		return c.body(null, 204);
	})
	.openapi(createToken, async (c) => {
		const body = c.req.valid("json");
		const authorities = checkGrant(c, body.authorities);
		const token = generateApiToken();
		const row = await insertApiToken(c.var.db, {
			tenant: c.var.tenant,
			name: body.name,
			tokenHash: await sha256Hex(token),
			authorities,
			expiresAt: body.expiresAt ?? undefined,
			by: c.var.principal.username,
		});
		return c.json(
			{
				id: row.id,
				name: row.name,
				tenant: row.tenant,
				authorities,
				expiresAt: row.expiresAt ?? undefined,
				createdAt: row.createdAt,
				createdBy: row.createdBy,
				token,
			},
			201,
		);
	})
	.openapi(listTokens, async (c) => {
		const rows = await listApiTokens(c.var.db, c.var.tenant);
		return c.json(
			rows.map((r) => ({
				id: r.id,
				name: r.name,
				tenant: r.tenant,
				authorities: parseAuthorities(r.authorities),
				expiresAt: r.expiresAt ?? undefined,
				createdAt: r.createdAt,
				createdBy: r.createdBy,
			})),
			200,
		);
	})
	.openapi(deleteToken, async (c) => {
		const { tokenId } = c.req.valid("param");
		if (!(await deleteApiToken(c.var.db, { tenant: c.var.tenant, id: tokenId }))) {
			throw entityNotFound("ApiToken", tokenId);
		}
		return c.body(null, 204);
	});
