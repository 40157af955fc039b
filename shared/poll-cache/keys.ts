/**
 * Every key Updraft writes to the `POLL_CACHE` KV namespace (documented in docs/storage-schema.md).
 * KV keys are at most 512 bytes; controller ids are at most 256 characters in hawkBit, so they fit raw.
 */

/**
 * Per-device poll entry: what the idle poll and DDI authentication need. The tenant part is
 * URI-encoded so no `:` in a tenant name can make two tenants' keys collide (tenant `A:B` + device `C`
 * versus tenant `A` + device `B:C`).
 */
export function pollEntryKey(tenant: string, controllerId: string): string {
	return `poll:${encodeURIComponent(tenant)}:${controllerId}`;
}

/** Per-tenant snapshot of the resolved tenant configuration. */
export function tenantConfigKey(tenant: string): string {
	return `tenantcfg:${encodeURIComponent(tenant)}`;
}

/**
 * Cache API URL of the "last seen recently" marker of a device (Cache API, not KV): while it exists in
 * this location, a poll does not enqueue another last-seen event.
 */
export function pollMarkerUrl(tenant: string, controllerId: string): string {
	return `https://poll-marker.updraft.internal/${encodeURIComponent(tenant)}/${encodeURIComponent(controllerId)}`;
}
