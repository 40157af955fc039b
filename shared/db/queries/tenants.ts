/** Tenant bootstrap. hawkBit: SystemManagement#createTenantMetadata (implicit tenant creation). */
import { eq } from "drizzle-orm";
import type { Db } from "../client";
import { tenants } from "../schema";

/** hawkBit's `Integer.MAX_VALUE`: "any number of modules of this type". */
export const UNLIMITED_ASSIGNMENTS = 2_147_483_647;

/** Tenant names are case-insensitive; data is kept under the upper-cased name. */
export function normaliseTenant(name: string): string {
	return name.toUpperCase();
}

/**
 * Makes sure the tenant exists with hawkBit's default software-module types (`os`, `application`)
 * and distribution-set types (`os`, `app`, `os_app` — the default). Idempotent and atomic: every
 * statement is INSERT OR IGNORE in one D1 batch, so concurrent first requests cannot duplicate.
 */
export async function ensureTenant(
	db: Db,
	d1: D1Database,
	name: string,
): Promise<{ id: number; defaultDsTypeId: number }> {
	const tenant = normaliseTenant(name);
	const existing = await db.query.tenants.findFirst({ where: eq(tenants.name, tenant) });
	if (existing?.defaultDsTypeId) {
		return { id: existing.id, defaultDsTypeId: existing.defaultDsTypeId };
	}
	const now = Date.now();
	const smType = d1.prepare(
		`INSERT OR IGNORE INTO software_module_types (tenant, key, name, description, max_assignments, min_artifacts, created_at, last_modified_at)
		 VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?6)`,
	);
	const dsType = d1.prepare(
		`INSERT OR IGNORE INTO distribution_set_types (tenant, key, name, description, created_at, last_modified_at)
		 VALUES (?1, ?2, ?3, ?4, ?5, ?5)`,
	);
	const dsTypeModule = d1.prepare(
		`INSERT OR IGNORE INTO distribution_set_type_module_types (ds_type_id, sm_type_id, mandatory)
		 SELECT d.id, s.id, ?4 FROM distribution_set_types d, software_module_types s
		 WHERE d.tenant = ?1 AND d.key = ?2 AND s.tenant = ?1 AND s.key = ?3`,
	);
	await d1.batch([
		d1
			.prepare("INSERT OR IGNORE INTO tenants (name, created_at) VALUES (?1, ?2)")
			.bind(tenant, now),
		smType.bind(tenant, "os", "OS", "Core firmware or operation system", 1, now),
		smType.bind(
			tenant,
			"application",
			"Application",
			"Application addons",
			UNLIMITED_ASSIGNMENTS,
			now,
		),
		dsType.bind(tenant, "os", "OS only", "Default type with Firmware/OS only.", now),
		dsType.bind(tenant, "app", "App(s) only", "Default type with app(s) only.", now),
		dsType.bind(
			tenant,
			"os_app",
			"OS with app(s)",
			"Default type with Firmware/OS and optional app(s).",
			now,
		),
		dsTypeModule.bind(tenant, "os", "os", 1),
		dsTypeModule.bind(tenant, "app", "application", 1),
		dsTypeModule.bind(tenant, "os_app", "os", 1),
		dsTypeModule.bind(tenant, "os_app", "application", 0),
		d1
			.prepare(
				`UPDATE tenants SET default_ds_type_id = (SELECT id FROM distribution_set_types WHERE tenant = ?1 AND key = 'os_app')
				 WHERE name = ?1 AND default_ds_type_id IS NULL`,
			)
			.bind(tenant),
	]);
	const row = await db.query.tenants.findFirst({ where: eq(tenants.name, tenant) });
	const defaultType = await db.query.distributionSetTypes.findFirst({
		where: (t, { and, eq }) => and(eq(t.tenant, tenant), eq(t.key, "os_app")),
	});
	if (!row) {
		throw new Error(`tenant ${tenant} could not be created`);
	}
	return { id: row.id, defaultDsTypeId: row.defaultDsTypeId ?? defaultType?.id ?? 0 };
}
