/** Consumer of the poll write-behind queue: device last-seen times, many targets per statement. */

export async function consumePollEvents(_batch: MessageBatch<unknown>, _env: Env): Promise<void> {}
