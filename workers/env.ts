/** The Hono environment shared by every surface. `Env` comes from `wrangler types`. */
import type { Db } from "../shared/db/client";

export type AppEnv = {
	Bindings: Env;
	Variables: {
		db: Db;
		requestId: string;
		/** Upper-cased tenant name (DDI: from the path; management: from the principal). */
		tenant: string;
	};
};
