/**
 * GET /rest/v1/userinfo: who the credentials belong to. hawkBit: MgmtBasicAuthResource#validateBasicAuth
 * (`{tenant, username, permissions}`; permissions as configured, roles with `ROLE_`, not expanded).
 */
import { z } from "zod";
import { jsonResponse, mgmtRoute, mgmtRouter } from "./openapi";

export const MgmtUserInfo = z
	.object({
		tenant: z.string().meta({ example: "DEFAULT" }),
		username: z.string().meta({ example: "admin" }),
		permissions: z.array(z.string()).meta({ example: ["ROLE_TENANT_ADMIN"] }),
	})
	.meta({ id: "MgmtUserInfo" });

const getUserInfo = mgmtRoute({
	method: "get",
	path: "/userinfo",
	tags: ["User info"],
	summary: "Validate credentials and return tenant, username and granted authorities",
	permissions: [],
	responses: { 200: jsonResponse(MgmtUserInfo, "The authenticated principal") },
});

export const userinfo = mgmtRouter().openapi(getUserInfo, (c) => {
	const p = c.var.principal;
	return c.json({ tenant: p.tenant, username: p.username, permissions: p.authorities }, 200);
});
