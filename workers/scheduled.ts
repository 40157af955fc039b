/** Cron-driven housekeeping; each job works in bounded chunks per tick. */

export async function runScheduledJobs(
	_controller: ScheduledController,
	_env: Env,
	_ctx: ExecutionContext,
): Promise<void> {}
