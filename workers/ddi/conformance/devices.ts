/**
 * Test fixtures for the device side: tenants with DDI authentication switched on, targets and actions
 * written straight into D1 (then the poll entry refreshed, as every real writer must), and a `ddi()`
 * caller that goes through the Worker's real entry point.
 */
import { env, exports } from "cloudflare:workers";
import { createDb } from "../../../shared/db/client";
import { ensureTenant, normaliseTenant } from "../../../shared/db/queries/tenants";
import type { ActionStatus, ActionType, TargetUpdateStatus } from "../../../shared/db/schema";
import { refreshPollEntries } from "../../../shared/poll-cache";
import { setTenantConfigs } from "../../../shared/tenant-config";

let counter = 0;

/** A unique name (tests within one file share storage). */
export function unique(prefix: string): string {
	counter += 1;
	return `${prefix}-${Date.now().toString(36)}-${counter}-${crypto.randomUUID().slice(0, 6)}`;
}

/** A fresh tenant (stored upper case) with the given configuration; target tokens on by default. */
export async function givenTenant(config: Record<string, unknown> = {}): Promise<string> {
	const tenant = normaliseTenant(unique("ddi"));
	await ensureTenant(createDb(env.DB), env.DB, tenant);
	await setTenantConfigs(env, tenant, {
		"authentication.targettoken.enabled": true,
		...config,
	});
	return tenant;
}

export type Device = { tenant: string; controllerId: string; token: string; targetId: number };

/** An operator-created target (registered, attributes not requested unless asked). */
export async function givenDevice(
	tenant: string,
	o: {
		controllerId?: string;
		token?: string;
		updateStatus?: TargetUpdateStatus;
		requestAttributes?: boolean;
		name?: string;
	} = {},
): Promise<Device> {
	const controllerId = o.controllerId ?? unique("dev");
	const token = o.token ?? crypto.randomUUID().replaceAll("-", "");
	const now = Date.now();
	const row = await env.DB.prepare(
		`INSERT INTO targets (tenant, controller_id, name, security_token, update_status, request_controller_attributes,
		   created_at, created_by, last_modified_at, last_modified_by)
		 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'test', ?7, 'test') RETURNING id`,
	)
		.bind(
			tenant,
			controllerId,
			o.name ?? controllerId,
			token,
			o.updateStatus ?? "registered",
			o.requestAttributes ? 1 : 0,
			now,
		)
		.first<{ id: number }>();
	if (!row) {
		throw new Error("target not inserted");
	}
	await refreshPollEntries(env, tenant, [row.id]);
	return { tenant, controllerId, token, targetId: row.id };
}

/** A distribution set of the tenant's default type. */
export async function givenDistributionSet(tenant: string): Promise<number> {
	const { defaultDsTypeId } = await ensureTenant(createDb(env.DB), env.DB, tenant);
	const row = await env.DB.prepare(
		`INSERT INTO distribution_sets (tenant, type_id, name, version, created_at, created_by, last_modified_at, last_modified_by)
		 VALUES (?1, ?2, ?3, '1.0', ?4, 'test', ?4, 'test') RETURNING id`,
	)
		.bind(tenant, defaultDsTypeId, unique("ds"), Date.now())
		.first<{ id: number }>();
	if (!row) {
		throw new Error("DS not inserted");
	}
	return row.id;
}

/** An action of a device, written directly (the assignment logic is not under test here). */
export async function givenAction(
	device: Device,
	o: {
		status?: ActionStatus;
		active?: boolean;
		weight?: number | null;
		type?: ActionType;
		forcedTime?: number;
		dsId?: number;
		maintenance?: { schedule: string; duration: string; timezone: string };
		refresh?: boolean;
	} = {},
): Promise<number> {
	const dsId = o.dsId ?? (await givenDistributionSet(device.tenant));
	const now = Date.now();
	const row = await env.DB.prepare(
		`INSERT INTO actions (tenant, target_id, ds_id, action_type, status, active, weight, forced_time,
		   maintenance_schedule, maintenance_duration, maintenance_timezone, created_at, created_by, last_modified_at, last_modified_by)
		 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'test', ?12, 'test') RETURNING id`,
	)
		.bind(
			device.tenant,
			device.targetId,
			dsId,
			o.type ?? "forced",
			o.status ?? "RUNNING",
			o.active === false ? 0 : 1,
			o.weight === undefined ? 1000 : o.weight,
			o.forcedTime ?? null,
			o.maintenance?.schedule ?? null,
			o.maintenance?.duration ?? null,
			o.maintenance?.timezone ?? null,
			now,
		)
		.first<{ id: number }>();
	if (!row) {
		throw new Error("action not inserted");
	}
	if (o.refresh !== false) {
		await refreshPollEntries(env, device.tenant, [device.targetId]);
	}
	return row.id;
}

/** Calls the Worker's DDI API as a device would (`path` is after /{tenant}/controller/v1/). */
export async function ddi(
	tenant: string,
	path: string,
	init: RequestInit & { token?: string; gateway?: string } = {},
	origin = "https://ddi.test",
): Promise<Response> {
	const headers = new Headers(init.headers);
	if (init.token !== undefined) {
		headers.set("Authorization", `TargetToken ${init.token}`);
	}
	if (init.gateway !== undefined) {
		headers.set("Authorization", `GatewayToken ${init.gateway}`);
	}
	return exports.default.fetch(`${origin}/${tenant}/controller/v1/${path}`, { ...init, headers });
}

/** A device's poll with its own target token. */
export async function poll(device: Device, init: RequestInit = {}): Promise<Response> {
	return ddi(device.tenant, device.controllerId, { ...init, token: device.token });
}
