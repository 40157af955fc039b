/**
 * Benchmark reference "ceiling": a bare Hono worker that answers every device poll with constant JSON
 * and does no I/O at all. Same route shape as the DDI poll so the router does comparable work.
 */
import { Hono } from "hono";

const BODY = { config: { polling: { sleep: "00:05:00" } } };

const app = new Hono();
app.get("/:tenant/controller/v1/:controllerId", (c) => c.json(BODY));

export default app;
