/**
 * Sizes and durations as people type and read them on the command line.
 */

export function formatBytes(n: number): string {
	const units = ["B", "KiB", "MiB", "GiB", "TiB"];
	let v = n;
	let i = 0;
	while (v >= 1024 && i < units.length - 1) {
		v /= 1024;
		i++;
	}
	return `${i === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

/** `10s`, `5m`, `1h`, `1500ms`, or plain seconds → milliseconds. */
export function parseDuration(text: string): number {
	const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
	if (!m) {
		throw new Error(`not a duration: "${text}" (use e.g. 30s, 5m, 1h)`);
	}
	const n = Number(m[1]);
	const unit = m[2] ?? "s";
	const factor = unit === "ms" ? 1 : unit === "s" ? 1000 : unit === "m" ? 60_000 : 3_600_000;
	return Math.round(n * factor);
}

/** `64MiB`, `5M`, `1GiB`, `1048576` (bytes) → bytes. */
export function parseSize(text: string): number {
	const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(i?B)?\s*$/i.exec(text);
	if (!m) {
		throw new Error(`not a size: "${text}" (use e.g. 8MiB, 512KiB, 1GiB)`);
	}
	const power = ["", "K", "M", "G", "T"].indexOf((m[2] ?? "").toUpperCase());
	return Math.round(Number(m[1]) * 1024 ** power);
}
