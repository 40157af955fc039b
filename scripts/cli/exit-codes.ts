/**
 * Exit codes of the release CLI, one per kind of failure, so scripts can react without parsing
 * text (documented in docs/cli.md). CliError carries one; HTTP failures map by status.
 */

export const EXIT = {
	ok: 0,
	/** A bug or an unexpected failure inside the CLI. */
	internal: 1,
	/** Unknown command, missing or malformed option. */
	usage: 2,
	/** No usable profile, URL or credential; unreadable profile file. */
	config: 3,
	/** 401 or 403 from the server. */
	auth: 4,
	/** 404: the named entity does not exist. */
	notFound: 5,
	/** The server rejected the request (400, 405, 409, 410, 412, 415, 423, 429). */
	rejected: 6,
	/** 5xx, or the server could not be reached. */
	server: 7,
	/** A hash or size the server reported differs from the local file. */
	integrity: 8,
	/** A watched rollout ended without success (errors, stopped, denied, deleted). */
	rolloutFailed: 9,
	/** A wait (rollout ready, rollout watch) ran out of time. */
	timeout: 10,
	/** Interrupted by SIGINT/SIGTERM. */
	interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the CLI explains itself: message for people, code for scripts. */
export class CliError extends Error {
	constructor(
		readonly exitCode: ExitCode,
		message: string,
		/** Extra machine-readable detail for `--json` output. */
		readonly detail?: Record<string, unknown>,
	) {
		super(message);
	}
}

/** hawkBit statuses → exit codes. */
export function exitCodeForStatus(status: number): ExitCode {
	if (status === 401 || status === 403) {
		return EXIT.auth;
	}
	if (status === 404) {
		return EXIT.notFound;
	}
	if (status >= 500) {
		return EXIT.server;
	}
	return EXIT.rejected;
}
