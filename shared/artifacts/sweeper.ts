/**
 * Removes what interrupted uploads left under `staging/`: a form upload whose Worker died between
 * staging and cleanup, or a resumable upload the client never completed or aborted. Runs from the
 * cron handler in bounded work per tick (a few R2 list pages).
 */
import { STAGING_PREFIX } from "./keys";
import { discardUploadSession, UPLOAD_SESSION_TTL_MS, type UploadSession } from "./uploads";

/** A form upload finishes within one request; anything older than this is an orphan. */
export const STAGED_OBJECT_TTL_MS = 60 * 60 * 1000;

export type SweepResult = { deleted: number; sessionsAborted: number; scanned: number };

/**
 * Deletes stale staging objects and aborts stale upload sessions. Idempotent; at most
 * `maxPages` list calls of 1000 keys each.
 */
export async function sweepStaging(
	bucket: R2Bucket,
	opts: { now?: number; maxPages?: number } = {},
): Promise<SweepResult> {
	const now = opts.now ?? Date.now();
	const result: SweepResult = { deleted: 0, sessionsAborted: 0, scanned: 0 };
	let cursor: string | undefined;
	for (let page = 0; page < (opts.maxPages ?? 3); page++) {
		const listed = await bucket.list({ prefix: STAGING_PREFIX, cursor, limit: 1000 });
		const stale: string[] = [];
		for (const obj of listed.objects) {
			result.scanned++;
			const age = now - obj.uploaded.getTime();
			if (obj.key.endsWith("/session.json")) {
				if (age > UPLOAD_SESSION_TTL_MS) {
					const body = await bucket.get(obj.key);
					if (body) {
						await discardUploadSession(bucket, (await body.json()) as UploadSession);
						result.sessionsAborted++;
					}
				}
			} else if (obj.key.endsWith("/data") && age > STAGED_OBJECT_TTL_MS) {
				// A completed resumable upload's data is as old as its session; keep it while the
				// session lives so that `complete` can still verify it.
				const sessionKey = obj.key.replace(/\/data$/, "/session.json");
				if (!(await bucket.head(sessionKey))) {
					stale.push(obj.key);
				}
			}
		}
		if (stale.length > 0) {
			await bucket.delete(stale);
			result.deleted += stale.length;
		}
		if (!listed.truncated) {
			break;
		}
		cursor = listed.cursor;
	}
	return result;
}
