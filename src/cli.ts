#!/usr/bin/env node
// soc2-evidence entry point: runs the command line; SIGTERM/SIGINT abandon the run in flight without a manifest.
import { main } from "./main.js";

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
