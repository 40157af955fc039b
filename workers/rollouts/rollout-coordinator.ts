/** One Durable Object per rollout (named `tenant:rolloutId`): owns the rollout's group state machine. */
import { DurableObject } from "cloudflare:workers";

export class RolloutCoordinator extends DurableObject<Env> {}
