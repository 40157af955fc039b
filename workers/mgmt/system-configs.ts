/**
 * /rest/v1/system/configs: the tenant configuration (every key with hawkBit's default; overrides only
 * are stored). The keys, types, validation and caching live in shared/tenant-config.ts.
 * hawkBit: MgmtTenantManagementRestApi / MgmtTenantManagementResource (§4.15).
 */
import type { Context } from "hono";
import { z } from "zod";
import {
	deleteTenantConfig,
	getTenantConfig,
	listTenantConfig,
	setTenantConfig,
	setTenantConfigs,
	type TenantConfigEntry,
} from "../../shared/tenant-config";
import { ApiError } from "../http-errors";
import { callerHas, type MgmtEnv } from "../middleware/mgmt-auth";
import { mgmtLink, seg } from "./hal";
import { jsonBody, jsonResponse, mgmtRoute, mgmtRouter, NO_CONTENT, NOT_FOUND } from "./openapi";

const TAG = ["System configuration"];
const GATEWAY_KEY = "authentication.gatewaytoken.key";

export const MgmtSystemTenantConfigurationValue = z
	.object({
		value: z.union([z.string(), z.number(), z.boolean()]),
		global: z.boolean(),
		createdAt: z.number().int().optional(),
		createdBy: z.string().optional(),
		lastModifiedAt: z.number().int().optional(),
		lastModifiedBy: z.string().optional(),
		_links: z.record(z.string(), z.object({ href: z.string() })).optional(),
	})
	.meta({ id: "MgmtSystemTenantConfigurationValue" });
type ConfigValue = z.infer<typeof MgmtSystemTenantConfigurationValue>;

function toValue(c: Context, e: TenantConfigEntry): ConfigValue {
	const out: ConfigValue = { value: e.value, global: e.global };
	if (!e.global) {
		out.createdAt = e.createdAt;
		out.createdBy = e.createdBy;
		out.lastModifiedAt = e.lastModifiedAt;
		out.lastModifiedBy = e.lastModifiedBy;
	}
	out._links = { self: mgmtLink(c, `/system/configs/${seg(e.key)}`) };
	return out;
}

function assertGatewayRead(c: Context<MgmtEnv>, key: string) {
	if (key === GATEWAY_KEY && !callerHas(c.var.principal, "READ_GATEWAY_SECURITY_TOKEN")) {
		throw new ApiError(
			"insufficientPermission",
			"Reading the gateway token needs READ_GATEWAY_SECURITY_TOKEN",
		);
	}
}

const KeyParam = z.object({ keyName: z.string().min(1) });

const list = mgmtRoute({
	method: "get",
	path: "/system/configs",
	tags: TAG,
	summary:
		"Every configuration key of the tenant (the gateway key only with READ_GATEWAY_SECURITY_TOKEN)",
	permissions: ["READ_TENANT_CONFIGURATION"],
	responses: {
		200: jsonResponse(z.record(z.string(), MgmtSystemTenantConfigurationValue), "Key → value"),
	},
});

const getOne = mgmtRoute({
	method: "get",
	path: "/system/configs/{keyName}",
	tags: TAG,
	summary: "One configuration value (400 configKeyInvalid for unknown keys)",
	permissions: ["READ_TENANT_CONFIGURATION"],
	request: { params: KeyParam },
	responses: { 200: jsonResponse(MgmtSystemTenantConfigurationValue, "The value") },
});

const putOne = mgmtRoute({
	method: "put",
	path: "/system/configs/{keyName}",
	tags: TAG,
	summary: "Set one configuration value",
	permissions: ["UPDATE_TENANT_CONFIGURATION"],
	request: { params: KeyParam, body: jsonBody(z.object({ value: z.unknown() })) },
	responses: { ...NO_CONTENT },
});

const putMany = mgmtRoute({
	method: "put",
	path: "/system/configs",
	tags: TAG,
	summary: "Set several configuration values at once (all or nothing)",
	permissions: ["UPDATE_TENANT_CONFIGURATION"],
	request: { body: jsonBody(z.record(z.string(), z.unknown())) },
	responses: { ...NO_CONTENT },
});

const remove = mgmtRoute({
	method: "delete",
	path: "/system/configs/{keyName}",
	tags: TAG,
	summary: "Remove the tenant override (the system default applies again)",
	permissions: ["DELETE_TENANT_CONFIGURATION"],
	request: { params: KeyParam },
	responses: { ...NO_CONTENT, ...NOT_FOUND },
});

export const systemConfigsApi = mgmtRouter()
	.openapi(list, async (c) => {
		const entries = await listTenantConfig(c.env, c.var.tenant);
		const showGateway = callerHas(c.var.principal, "READ_GATEWAY_SECURITY_TOKEN");
		const out: Record<string, ConfigValue> = {};
		for (const e of entries) {
			if (e.key === GATEWAY_KEY && !showGateway) {
				continue;
			}
			out[e.key] = toValue(c, e);
		}
		return c.json(out, 200);
	})
	.openapi(getOne, async (c) => {
		const { keyName } = c.req.valid("param");
		assertGatewayRead(c, keyName);
		return c.json(toValue(c, await getTenantConfig(c.env, c.var.tenant, keyName)), 200);
	})
	.openapi(putOne, async (c) => {
		const { keyName } = c.req.valid("param");
		await setTenantConfig(
			c.env,
			c.var.tenant,
			keyName,
			c.req.valid("json").value,
			c.var.principal.username,
		);
		return c.body(null, 204);
	})
	.openapi(putMany, async (c) => {
		await setTenantConfigs(c.env, c.var.tenant, c.req.valid("json"), c.var.principal.username);
		return c.body(null, 204);
	})
	.openapi(remove, async (c) => {
		await deleteTenantConfig(c.env, c.var.tenant, c.req.valid("param").keyName);
		return c.body(null, 204);
	});
