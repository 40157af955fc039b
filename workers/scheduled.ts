/** Cron-driven housekeeping; each job works in bounded chunks per tick. */
import { sweepStaging } from "../shared/artifacts/sweeper";
import { runAutoAssignment } from "./auto-assign/auto-assign";
import { sweepRollouts } from "./rollouts/notify";

export async function runScheduledJobs(
	_controller: ScheduledController,
	env: Env,
	_ctx: ExecutionContext,
): Promise<void> {
	// One job's failure must not starve the others of their tick.
	await runAutoAssignment(env).catch((err) => console.error("auto-assignment tick failed", err));
	await sweepStaging(env.ARTIFACTS).catch((err) => console.error("staging sweep failed", err));
	await sweepRollouts(env).catch((err) => console.error("rollout sweep failed", err));
}
