/** hawkBit's Management API, mounted at /rest/v1. */
import { Hono } from "hono";
import type { AppEnv } from "../env";

export const mgmt = new Hono<AppEnv>();
