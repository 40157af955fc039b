import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "./db/client";
import { ensureTenant, normaliseTenant } from "./db/queries/tenants";
import { DomainError } from "./errors";
import { tenantConfigKey } from "./poll-cache/keys";
import {
	DEFAULT_DS_TYPE_KEY,
	deleteTenantConfig,
	forgetTenantConfigMemo,
	getTenantConfig,
	listTenantConfig,
	readTenantConfigSnapshot,
	setTenantConfig,
	setTenantConfigs,
	TENANT_CONFIG_DEFINITIONS,
	type TenantConfigSnapshot,
} from "./tenant-config";

let n = 0;
async function freshTenant(): Promise<string> {
	n += 1;
	const tenant = normaliseTenant(`cfg-${Date.now().toString(36)}-${n}`);
	await ensureTenant(createDb(env.DB), env.DB, tenant);
	return tenant;
}

async function rejects(p: Promise<unknown>, code: string, message?: RegExp) {
	const err = await p.then(
		() => undefined,
		(e: unknown) => e,
	);
	expect(err).toBeInstanceOf(DomainError);
	expect((err as DomainError).code).toBe(code);
	if (message) {
		expect((err as DomainError).message).toMatch(message);
	}
}

describe("tenant configuration keys", () => {
	it("lists every hawkBit key with its system default as global, plus default.ds.type", async () => {
		const tenant = await freshTenant();
		const entries = await listTenantConfig(env, tenant);
		const byKey = Object.fromEntries(entries.map((e) => [e.key, e]));
		expect(Object.keys(byKey).sort()).toEqual(
			[...Object.keys(TENANT_CONFIG_DEFINITIONS), DEFAULT_DS_TYPE_KEY].sort(),
		);
		expect(byKey["authentication.targettoken.enabled"]).toEqual({
			key: "authentication.targettoken.enabled",
			value: false,
			global: true,
		});
		expect(byKey.pollingTime?.value).toBe("00:05:00");
		expect(byKey.pollingOverdueTime?.value).toBe("00:05:00");
		expect(byKey.maintenanceWindowPollCount?.value).toBe(3);
		expect(byKey["implicit.lock.enabled"]?.value).toBe(true);
		expect(byKey["action.cleanup.auto.expiry"]?.value).toBe(-1);
		expect(byKey["action.cleanup.auto.status"]?.value).toBe("CANCELED,ERROR");
		expect(byKey["action.delete.allowed.statuses"]?.value).toBe("CANCELED,ERROR,FINISHED");
		expect(byKey["authentication.gatewaytoken.key"]?.value).toBe("");
		expect(byKey[DEFAULT_DS_TYPE_KEY]).toMatchObject({ global: false });
		expect(typeof byKey[DEFAULT_DS_TYPE_KEY]?.value).toBe("number");
	});

	it("rejects unknown keys with configKeyInvalid", async () => {
		const tenant = await freshTenant();
		await rejects(getTenantConfig(env, tenant, "minPollingTime"), "configKeyInvalid");
		await rejects(
			setTenantConfig(env, tenant, "anonymous.download.enabled", true),
			"configKeyInvalid",
			/does not exist/,
		);
	});

	it("stores an override with audit fields, and deleting it reverts to the global default", async () => {
		const tenant = await freshTenant();
		await setTenantConfig(env, tenant, "pollingTime", "00:01:00", "ops");
		const set = await getTenantConfig(env, tenant, "pollingTime");
		expect(set).toMatchObject({ value: "00:01:00", global: false, createdBy: "ops" });
		expect(set.lastModifiedAt).toBeGreaterThan(0);
		await setTenantConfig(env, tenant, "pollingTime", "00:02:00", "ops2");
		expect(await getTenantConfig(env, tenant, "pollingTime")).toMatchObject({
			value: "00:02:00",
			createdBy: "ops",
			lastModifiedBy: "ops2",
		});
		await deleteTenantConfig(env, tenant, "pollingTime");
		expect(await getTenantConfig(env, tenant, "pollingTime")).toEqual({
			key: "pollingTime",
			value: "00:05:00",
			global: true,
		});
		// Deleting again, or an unknown key, is a no-op as in hawkBit.
		await deleteTenantConfig(env, tenant, "pollingTime");
		await deleteTenantConfig(env, tenant, "no.such.key");
	});

	it("converts values like Spring's conversion service", async () => {
		const tenant = await freshTenant();
		await setTenantConfigs(env, tenant, {
			"authentication.targettoken.enabled": "true",
			"rollout.approval.enabled": "off",
			maintenanceWindowPollCount: "5",
			"action.cleanup.auto.expiry": 86_400_000,
			pollingTime: 45,
		});
		const values = Object.fromEntries(
			(await listTenantConfig(env, tenant)).map((e) => [e.key, e.value]),
		);
		expect(values["authentication.targettoken.enabled"]).toBe(true);
		expect(values["rollout.approval.enabled"]).toBe(false);
		expect(values.maintenanceWindowPollCount).toBe(5);
		expect(values["action.cleanup.auto.expiry"]).toBe(86_400_000);
		expect(values.pollingTime).toBe("45");
	});

	it("rejects values of the wrong type with configValueInvalid", async () => {
		const tenant = await freshTenant();
		for (const [key, value] of [
			["authentication.targettoken.enabled", "maybe"],
			["authentication.targettoken.enabled", 1],
			["maintenanceWindowPollCount", "three"],
			["maintenanceWindowPollCount", 2.5],
			["maintenanceWindowPollCount", 3_000_000_000],
			["pollingTime", null],
			["pollingTime", { a: 1 }],
		] as const) {
			await rejects(setTenantConfig(env, tenant, key, value), "configValueInvalid");
		}
	});

	it("validates pollingTime: grammar, [00:00:30, 23:59:59] and overrides", async () => {
		const tenant = await freshTenant();
		await rejects(
			setTenantConfig(env, tenant, "pollingTime", "00:00:29"),
			"configValueInvalid",
			/smaller then minimum polling interval\. The allowed range is \[00:00:30, 23:59:59\]/,
		);
		await rejects(setTenantConfig(env, tenant, "pollingTime", "24:00:00"), "configValueInvalid");
		await rejects(
			setTenantConfig(env, tenant, "pollingTime", "five minutes"),
			"configValueInvalid",
		);
		await rejects(
			setTenantConfig(env, tenant, "pollingTime", "00:05:00, name==a"),
			"configValueInvalid",
			/Invalid pollingTime override/,
		);
		await rejects(
			setTenantConfig(env, tenant, "pollingTime", "00:05:00, name==a -> 00:00:05"),
			"configValueInvalid",
		);
		for (const ok of ["00:00:30", "23:59:59", "05:00", "300", "PT10M", "00:10:00~20%"]) {
			await setTenantConfig(env, tenant, "pollingTime", ok);
		}
		await setTenantConfig(env, tenant, "pollingTime", "00:05:00, name==a -> 00:01:00");
	});

	it("validates pollingOverdueTime as a non-negative duration and maintenanceWindowPollCount ≥ 1", async () => {
		const tenant = await freshTenant();
		await rejects(
			setTenantConfig(env, tenant, "pollingOverdueTime", "PT-5M"),
			"configValueInvalid",
			/negative/,
		);
		await rejects(setTenantConfig(env, tenant, "pollingOverdueTime", "soon"), "configValueInvalid");
		await setTenantConfig(env, tenant, "pollingOverdueTime", "00:10:00");
		await rejects(
			setTenantConfig(env, tenant, "maintenanceWindowPollCount", 0),
			"configValueInvalid",
		);
	});

	it("writes several keys atomically: one invalid value and nothing changes", async () => {
		const tenant = await freshTenant();
		await rejects(
			setTenantConfigs(env, tenant, {
				"authentication.targettoken.enabled": true,
				pollingTime: "00:00:01",
			}),
			"configValueInvalid",
		);
		expect((await getTenantConfig(env, tenant, "authentication.targettoken.enabled")).global).toBe(
			true,
		);
	});

	it("sets default.ds.type to an existing DS type, rejects unknown ids and never deletes it", async () => {
		const tenant = await freshTenant();
		const type = await env.DB.prepare(
			"SELECT id FROM distribution_set_types WHERE tenant = ?1 AND key = 'os'",
		)
			.bind(tenant)
			.first<{ id: number }>();
		await setTenantConfig(env, tenant, DEFAULT_DS_TYPE_KEY, type?.id);
		expect((await getTenantConfig(env, tenant, DEFAULT_DS_TYPE_KEY)).value).toBe(type?.id);
		await rejects(
			setTenantConfig(env, tenant, DEFAULT_DS_TYPE_KEY, 987_654),
			"repo.entityNotFound",
		);
		await rejects(setTenantConfig(env, tenant, DEFAULT_DS_TYPE_KEY, "os"), "configValueInvalid");
		await rejects(deleteTenantConfig(env, tenant, DEFAULT_DS_TYPE_KEY), "repo.entityNotFound");
	});
});

describe("tenant configuration snapshot (hot path)", () => {
	it("is rewritten in KV by every write, with the gateway key kept only as a hash", async () => {
		const tenant = await freshTenant();
		await setTenantConfigs(env, tenant, {
			"authentication.gatewaytoken.enabled": true,
			"authentication.gatewaytoken.key": "s3cret",
		});
		const stored = await env.POLL_CACHE.get<TenantConfigSnapshot>(tenantConfigKey(tenant), "json");
		expect(stored?.values["authentication.gatewaytoken.enabled"]).toBe(true);
		expect(stored?.values["authentication.gatewaytoken.key"]).toBe("");
		expect(JSON.stringify(stored)).not.toContain("s3cret");
		expect(stored?.gatewayKeySha256).toMatch(/^[0-9a-f]{64}$/);
		// The admin API still reads the real key from D1.
		expect((await getTenantConfig(env, tenant, "authentication.gatewaytoken.key")).value).toBe(
			"s3cret",
		);
	});

	it("is built from D1 on first use and served from the isolate memo afterwards", async () => {
		const tenant = await freshTenant();
		await env.POLL_CACHE.delete(tenantConfigKey(tenant));
		forgetTenantConfigMemo(tenant);
		const built = await readTenantConfigSnapshot(env, tenant);
		expect(built.values.pollingTime).toBe("00:05:00");
		expect(await env.POLL_CACHE.get(tenantConfigKey(tenant))).not.toBeNull();
		expect(await readTenantConfigSnapshot(env, tenant)).toBe(built);
	});

	it("does not store a snapshot in KV for a tenant that does not exist", async () => {
		const ghost = normaliseTenant(`ghost-${Date.now().toString(36)}`);
		const snapshot = await readTenantConfigSnapshot(env, ghost);
		expect(snapshot.values["authentication.targettoken.enabled"]).toBe(false);
		expect(await env.POLL_CACHE.get(tenantConfigKey(ghost))).toBeNull();
	});

	it("keeps the poll-entry generation for plain changes and starts a new one when overrides change", async () => {
		const tenant = await freshTenant();
		const g0 = (await readTenantConfigSnapshot(env, tenant)).gen;
		await setTenantConfig(env, tenant, "pollingTime", "00:02:00");
		const g1 = (await readTenantConfigSnapshot(env, tenant)).gen;
		expect(g1).toBe(g0);
		await setTenantConfig(env, tenant, "pollingTime", "00:02:00, name==x -> 00:01:00");
		const g2 = (await readTenantConfigSnapshot(env, tenant)).gen;
		expect(g2).not.toBe(g1);
		await deleteTenantConfig(env, tenant, "pollingTime");
		const g3 = (await readTenantConfigSnapshot(env, tenant)).gen;
		expect(g3).not.toBe(g2);
	});
});
