/**
 * How the CLI names entities on its command line: a numeric id, or `name:version` for software
 * modules and distribution sets, or the name of a rollout / target filter. Each resolver asks the
 * Management API with an RSQL filter and then compares exactly (RSQL `==` treats `*` as a wildcard).
 */
import { CliError, EXIT } from "./exit-codes";
import { type MgmtClient, rsqlValue } from "./mgmt-client";

export type MgmtSoftwareModule = {
	id: number;
	name: string;
	version: string;
	type: string;
	locked?: boolean;
	deleted?: boolean;
};

export type MgmtDistributionSet = {
	id: number;
	name: string;
	version: string;
	type?: string;
	complete?: boolean;
	locked?: boolean;
	valid?: boolean;
	modules?: MgmtSoftwareModule[];
};

export type RolloutStatusTotals = Partial<
	Record<"scheduled" | "running" | "error" | "finished" | "cancelled" | "notstarted", number>
>;

export type MgmtRollout = {
	id: number;
	name: string;
	status: string;
	distributionSetId?: number;
	targetFilterQuery?: string;
	totalTargets?: number;
	totalGroups?: number;
	totalTargetsPerStatus?: RolloutStatusTotals;
	type?: string;
};

export type MgmtRolloutGroup = {
	id: number;
	name: string;
	status: string;
	totalTargets?: number;
	totalTargetsPerStatus?: RolloutStatusTotals;
};

export type MgmtTargetFilter = {
	id: number;
	name: string;
	query: string;
	autoAssignDistributionSet?: number | null;
	autoAssignActionType?: string | null;
};

/** `name:version` → parts; the version is everything after the last colon. */
export function splitNameVersion(ref: string): { name: string; version: string } | undefined {
	const i = ref.lastIndexOf(":");
	if (i <= 0 || i === ref.length - 1) {
		return undefined;
	}
	return { name: ref.slice(0, i), version: ref.slice(i + 1) };
}

function isId(ref: string): boolean {
	return /^\d+$/.test(ref);
}

export async function findSoftwareModule(
	client: MgmtClient,
	q: { name: string; version: string; type?: string },
): Promise<MgmtSoftwareModule | undefined> {
	const filter = [`name==${rsqlValue(q.name)}`, `version==${rsqlValue(q.version)}`];
	if (q.type) {
		filter.push(`type==${rsqlValue(q.type)}`);
	}
	const page = await client.get<{ content?: MgmtSoftwareModule[] }>("/softwaremodules", {
		query: { q: filter.join(";"), limit: 100 },
	});
	return (page?.content ?? []).find(
		(m) =>
			m.name === q.name && m.version === q.version && (q.type === undefined || m.type === q.type),
	);
}

/** A module by id or `name:version` (the only module with that name and version). */
export async function resolveSoftwareModule(
	client: MgmtClient,
	ref: string,
): Promise<MgmtSoftwareModule> {
	if (isId(ref)) {
		return client.get<MgmtSoftwareModule>(`/softwaremodules/${ref}`);
	}
	const nv = splitNameVersion(ref);
	if (!nv) {
		throw new CliError(EXIT.usage, `a software module is an id or name:version, not "${ref}"`);
	}
	const filter = `name==${rsqlValue(nv.name)};version==${rsqlValue(nv.version)}`;
	const page = await client.get<{ content?: MgmtSoftwareModule[] }>("/softwaremodules", {
		query: { q: filter, limit: 100 },
	});
	const matches = (page?.content ?? []).filter(
		(m) => m.name === nv.name && m.version === nv.version,
	);
	if (matches.length === 0) {
		throw new CliError(EXIT.notFound, `no software module ${ref}`);
	}
	if (matches.length > 1) {
		throw new CliError(
			EXIT.usage,
			`${ref} names ${matches.length} software modules (types ${matches.map((m) => m.type).join(", ")}); use the id`,
		);
	}
	return matches[0] as MgmtSoftwareModule;
}

export async function findDistributionSet(
	client: MgmtClient,
	q: { name: string; version: string },
): Promise<MgmtDistributionSet | undefined> {
	const page = await client.get<{ content?: MgmtDistributionSet[] }>("/distributionsets", {
		query: { q: `name==${rsqlValue(q.name)};version==${rsqlValue(q.version)}`, limit: 100 },
	});
	return (page?.content ?? []).find((d) => d.name === q.name && d.version === q.version);
}

/** A distribution set by id or `name:version`. */
export async function resolveDistributionSet(
	client: MgmtClient,
	ref: string,
): Promise<MgmtDistributionSet> {
	if (isId(ref)) {
		return client.get<MgmtDistributionSet>(`/distributionsets/${ref}`);
	}
	const nv = splitNameVersion(ref);
	if (!nv) {
		throw new CliError(EXIT.usage, `a distribution set is an id or name:version, not "${ref}"`);
	}
	const ds = await findDistributionSet(client, nv);
	if (!ds) {
		throw new CliError(EXIT.notFound, `no distribution set ${ref}`);
	}
	return ds;
}

/** A rollout by id or name. */
export async function resolveRollout(client: MgmtClient, ref: string): Promise<MgmtRollout> {
	if (isId(ref)) {
		return client.get<MgmtRollout>(`/rollouts/${ref}`);
	}
	const page = await client.get<{ content?: MgmtRollout[] }>("/rollouts", {
		query: { q: `name==${rsqlValue(ref)}`, limit: 100 },
	});
	const found = (page?.content ?? []).find((r) => r.name === ref);
	if (!found) {
		throw new CliError(EXIT.notFound, `no rollout named "${ref}"`);
	}
	return client.get<MgmtRollout>(`/rollouts/${found.id}`);
}

export async function findTargetFilter(
	client: MgmtClient,
	name: string,
): Promise<MgmtTargetFilter | undefined> {
	const page = await client.get<{ content?: MgmtTargetFilter[] }>("/targetfilters", {
		query: { q: `name==${rsqlValue(name)}`, limit: 100 },
	});
	return (page?.content ?? []).find((f) => f.name === name);
}
