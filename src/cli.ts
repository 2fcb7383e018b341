#!/usr/bin/env node
// soc2-evidence entry point: runs the command line; SIGTERM/SIGINT abandon the run in flight without a manifest.
import { main } from "./cli/main.js";

// Off a TTY, stderr carries one JSON event per line: runtime warnings (the SDK's Node version notice) become events too.
if (!process.stderr.isTTY) {
  process.removeAllListeners("warning");
  process.on("warning", (warning) => {
    const event = { time: new Date().toISOString(), level: "warn", event: "node.warning", name: warning.name, message: warning.message };
    process.stderr.write(JSON.stringify(event) + "\n");
  });
}

const controller = new AbortController();
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => controller.abort(new Error(`stopped by ${signal}`)));
}
main(process.argv.slice(2), () => new Date(), controller.signal).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`soc2-evidence: ${String(error)}\n`);
    process.exitCode = 3;
  },
);
