/**
 * hawkBit's artifact quotas (`hawkbit.server.security.dos.*` defaults, hawkbit-api.md §6.12).
 * Callers may pass smaller limits (tests do); the HTTP layer uses these.
 */
export type ArtifactLimits = {
	/** maxArtifactSize: 1 GiB. */
	maxArtifactBytes: number;
	/** maxArtifactStorage per tenant: 20 GiB. */
	maxTenantStorageBytes: number;
	/** maxArtifactsPerSoftwareModule: 50. */
	maxArtifactsPerModule: number;
};

export const DEFAULT_ARTIFACT_LIMITS: ArtifactLimits = {
	maxArtifactBytes: 1024 ** 3,
	maxTenantStorageBytes: 20 * 1024 ** 3,
	maxArtifactsPerModule: 50,
};
