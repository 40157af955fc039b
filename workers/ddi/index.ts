/** hawkBit's Direct Device Integration API, mounted at /:tenant/controller/v1. */
import { Hono } from "hono";
import type { AppEnv } from "../env";

export const ddi = new Hono<AppEnv>();
