/**
 * Producer side of the last-seen write-behind: a poll enqueues `{tenant, targetId, at, address}` on
 * POLL_EVENTS unless the device was recorded recently in this location (a Cache API marker), so D1 sees
 * one write statement per queue batch rather than one per poll. The consumer is
 * workers/queues/poll-events.ts. hawkBit batches the same writes in memory (flushUpdateQueue, every 10 s).
 */
import type { PollSeen } from "../../shared/db/queries/controller";
import { pollMarkerUrl } from "../../shared/poll-cache/keys";

const IPV4 = /(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(:\d{1,5})?/;
const IPV6 = /([0-9a-f]{1,4}:){7}[0-9a-f]{1,4}/i;

function httpUri(ip: string): string {
	return ip.includes(":") && !ip.includes(".") ? `http://[${ip}]` : `http://${ip}`;
}

/**
 * The device address as hawkBit stores it: `http://<ip>`, the IP taken from `X-Forwarded-For` when it
 * holds one (hawkBit: IpUtil#getClientIpFromRequest), else the peer address Cloudflare reports.
 */
export function clientAddress(headers: Headers): string | null {
	const forwarded = headers.get("X-Forwarded-For");
	if (forwarded) {
		const v4 = IPV4.exec(forwarded);
		if (v4?.[1]) {
			return httpUri(v4[1]);
		}
		const v6 = IPV6.exec(forwarded);
		if (v6) {
			return httpUri(v6[0].toLowerCase());
		}
	}
	const peer = headers.get("CF-Connecting-IP");
	return peer ? httpUri(peer) : null;
}

/**
 * How long a device's "seen" marker suppresses further events: half its polling interval (at least 30 s),
 * so the stored last poll time is never more than half an interval (plus queue delay) behind, while
 * devices polling faster than their interval (retries, 304 loops, rauc's 5 s during an action) add nothing.
 */
export function markerTtlSeconds(intervalMs: number): number {
	return Math.max(30, Math.floor(intervalMs / 2000));
}

/**
 * This isolate's copy of the markers it wrote itself (it knows their expiry exactly; a marker found in
 * the Cache API is not copied, as its remaining lifetime is unknown). Bounded: oldest entries go first.
 */
const recentlyRecorded = new Map<string, { address: string; until: number }>();
const RECENT_LIMIT = 20_000;

function rememberRecorded(key: string, value: { address: string; until: number }): void {
	recentlyRecorded.delete(key);
	recentlyRecorded.set(key, value);
	if (recentlyRecorded.size > RECENT_LIMIT) {
		const oldest = recentlyRecorded.keys().next().value;
		if (oldest !== undefined) {
			recentlyRecorded.delete(oldest);
		}
	}
}

/**
 * Whether this isolate itself recorded the device's poll so recently (same address) that `recordPoll`
 * would do nothing: lets the idle-poll fast path skip scheduling it at all.
 */
export function recordedRecently(
	tenant: string,
	controllerId: string,
	address: string | null,
	now: number,
): boolean {
	const recent = recentlyRecorded.get(`${tenant}\n${controllerId}`);
	return recent !== undefined && recent.until > now && recent.address === (address ?? "");
}

/** Forgets this isolate's memory of recorded polls (tests that count queue messages). */
export function forgetRecordedPolls(): void {
	recentlyRecorded.clear();
}

/**
 * Records an idle poll for the write-behind. Never throws: losing one last-seen update must not fail the
 * poll (the next one after the marker expires carries the time again). Returns whether it enqueued.
 */
export async function recordPoll(
	env: Pick<Env, "POLL_EVENTS">,
	p: {
		tenant: string;
		controllerId: string;
		targetId: number;
		address: string | null;
		intervalMs: number;
		now: number;
	},
): Promise<boolean> {
	const memoKey = `${p.tenant}\n${p.controllerId}`;
	// Same rule as the Cache API marker, checked in memory first: a busy isolate then needs no cache read.
	if (recordedRecently(p.tenant, p.controllerId, p.address, p.now)) {
		return false;
	}
	try {
		const cache = await caches.open("updraft-poll-markers");
		const url = pollMarkerUrl(p.tenant, p.controllerId);
		const marker = await cache.match(url);
		// A changed address is written at once, as hawkBit stores address changes eagerly.
		if (marker && (await marker.text()) === (p.address ?? "")) {
			return false;
		}
		const message: PollSeen = {
			tenant: p.tenant,
			targetId: p.targetId,
			at: p.now,
			address: p.address,
		};
		await env.POLL_EVENTS.send(message, { contentType: "json" });
		rememberRecorded(memoKey, {
			address: p.address ?? "",
			until: p.now + markerTtlSeconds(p.intervalMs) * 1000,
		});
		await cache.put(
			url,
			new Response(p.address ?? "", {
				headers: { "Cache-Control": `max-age=${markerTtlSeconds(p.intervalMs)}` },
			}),
		);
		return true;
	} catch (err) {
		console.warn("poll not recorded", { tenant: p.tenant, controllerId: p.controllerId, err });
		return false;
	}
}
