#!/usr/bin/env node
// `updraft` / `npx updraft`: loads the TypeScript CLI through tsx, resolved from this file's own
// location so it works from any working directory.
import { register } from "tsx/esm/api";

register();
const { runCli } = await import("./main.ts");
const controller = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"]) {
	process.on(signal, () => {
		if (controller.signal.aborted) {
			process.exit(130);
		}
		controller.abort(new Error(`received ${signal}`));
	});
}
const code = await runCli(process.argv.slice(2), {
	stdout: process.stdout,
	stderr: process.stderr,
	env: process.env,
	signal: controller.signal,
});
// Exit once the output is flushed, without waiting for idle keep-alive sockets to close.
process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
