#!/usr/bin/env node
// soc2-evidence entry point: runs the command line; SIGTERM/SIGINT abandon the run in flight without a manifest.
import { captureWarnings, main } from "./cli/main.js";

// Runtime warnings (the SDK's Node version notice) become one structured event each, never raw text on stderr.
captureWarnings();

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
