/**
 * What a tenant needs before simulated devices may talk to it, done through the Management API as
 * hawkBit's device simulator does (real-clients.md §3): switch on gateway-token authentication with
 * a key, or target-token authentication plus targets whose security tokens the devices then use.
 */
import { randomBytes } from "node:crypto";
import { ApiError, type MgmtClient } from "../cli/mgmt-client";

/** Enables `GatewayToken` auth with `token` (hawkBit tenant keys authentication.gatewaytoken.*). */
export async function enableGatewayToken(client: MgmtClient, token: string): Promise<void> {
	await client.put("/system/configs", {
		"authentication.gatewaytoken.enabled": true,
		"authentication.gatewaytoken.key": token,
	});
}

/**
 * Enables `TargetToken` auth and makes sure every controller id exists as a target; returns each
 * target's security token (new targets get a random one, existing ones keep theirs).
 */
export async function ensureTargetsWithTokens(
	client: MgmtClient,
	controllerIds: string[],
	onProgress?: (done: number) => void,
): Promise<Record<string, string>> {
	await client.put("/system/configs/authentication.targettoken.enabled", { value: true });
	const tokens: Record<string, string> = {};
	const batch = 500;
	for (let i = 0; i < controllerIds.length; i += batch) {
		const chunk = controllerIds.slice(i, i + batch);
		const wanted = chunk.map((id) => ({
			controllerId: id,
			name: id,
			description: "Updraft device simulator",
			securityToken: randomBytes(16).toString("hex"),
		}));
		try {
			await client.post("/targets", wanted);
			for (const t of wanted) {
				tokens[t.controllerId] = t.securityToken;
			}
		} catch (err) {
			if (!(err instanceof ApiError && err.status === 409)) {
				throw err;
			}
			// Some exist already: create the missing ones one by one, read the others' tokens.
			for (const t of wanted) {
				try {
					await client.post("/targets", [t]);
					tokens[t.controllerId] = t.securityToken;
				} catch (e) {
					if (!(e instanceof ApiError && e.status === 409)) {
						throw e;
					}
					const existing = await client.get<{ securityToken?: string }>(
						`/targets/${encodeURIComponent(t.controllerId)}`,
					);
					if (!existing.securityToken) {
						throw new Error(
							`target ${t.controllerId} exists but its token is not readable (needs READ_TARGET_SECURITY_TOKEN)`,
						);
					}
					tokens[t.controllerId] = existing.securityToken;
				}
			}
		}
		onProgress?.(Math.min(i + batch, controllerIds.length));
	}
	return tokens;
}

export function randomGatewayToken(): string {
	return randomBytes(16).toString("hex");
}
