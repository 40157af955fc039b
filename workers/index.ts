/** Updraft's one Worker: HTTP (device API, management API, UI), the poll queue consumer and cron. */
import { app } from "./app";
import { consumePollEvents } from "./queues/poll-events";
import { runScheduledJobs } from "./scheduled";

export { RolloutCoordinator } from "./rollouts/rollout-coordinator";

export default {
	fetch: app.fetch,
	queue: consumePollEvents,
	scheduled: runScheduledJobs,
} satisfies ExportedHandler<Env>;
