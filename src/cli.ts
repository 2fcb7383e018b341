#!/usr/bin/env node
// soc2-evidence entry point: runs the command line; SIGTERM/SIGINT abandon the run in flight without a manifest.
import { setFlagsFromString } from "node:v8";
import { captureWarnings, main } from "./cli/main.js";

// V8 lets the old generation grow to up to four times what survived the last full collection before it collects again
// (kMaxGrowingFactor = 4.0, v8 src/heap/heap-controller.h); rendering a report leaves garbage behind at that rate.
// Packaging the large bench estate's store alone peaked at 368-398 MB RSS with a heap of 33 MB after a collection, and
// at 267 MB with this factor. V8 reads heap_growing_percent each time it computes the factor (heap-controller.cc), so
// setting it here takes effect for the whole run.
setFlagsFromString("--heap-growing-percent=50");

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
