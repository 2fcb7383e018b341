// The files that only stream the package's items, rendered on a worker thread while the main thread lays out
// report.pdf and the other formats: evidence.json and access-review.csv read the items from the package's spool
// files, share nothing else, and hold one item at a time.
//
// Packaging is one thread's work after the collection, when the emulator or AWS leaves the second core idle. For the
// access review bench (188,010 review rows), the CSV alone took 1.4 to 2.2 s of it in the same thread as the PDF (ten
// packaging probe runs). report.pdf stays on the main thread: its renderer loads pdfkit and its fonts, and a worker
// rendering it raised peak memory by 70 to 80 MB in an earlier attempt; these two need only their own modules
// (reports/item-streams.ts).
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Format } from "../../reports/renderer.js";
import type { EvidencePackage } from "../core/package-model.js";
import type { SharedItems } from "./item-spool.js";

/**
 * The worker's young generation. Its garbage is one item and one 1 MB write batch at a time, but at V8's default the
 * young generation grows with the allocation rate: rendering the access review bench's files, the worker's heap peaked
 * at 52.6 and 56.3 MB of physical memory by default, 40.0 MB at 16, 24.8 MB at 8, and 20.5 to 21.5 MB at 4, with no
 * slower a write phase (v8.getHeapStatistics() sampled every 20 ms in the worker).
 */
const WORKER_YOUNG_GENERATION_MB = 4;

/** What the worker is handed: all plain data (structured clone). */
export interface BesideJob {
  pkg: Omit<EvidencePackage, "items">;
  items: SharedItems;
  formats: Format[];
  /** The staging folder of writePackage: the worker writes its files there. */
  staging: string;
}

/** A message from the worker: one file is complete, or every file is. */
export type BesideMessage = { complete: string } | { done: true };

export interface BesideRender {
  /** Settles once the worker has written every file (each announced to `complete` first) or failed. */
  finished: Promise<void>;
  /** Ends the worker now (a failure elsewhere, a stop): `finished` then rejects, and no further file is announced. */
  stop(reason: unknown): Promise<void>;
}

export function renderBeside(job: BesideJob, complete: (path: string) => void): BesideRender {
  const worker = startWorker(job);
  let stopped: unknown;
  const finished = new Promise<void>((resolve, reject) => {
    let done = false;
    worker.on("message", (message: BesideMessage) => {
      if (stopped !== undefined) return;
      if ("complete" in message) complete(message.complete);
      else done = true;
    });
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (stopped !== undefined) reject(stopped);
      else if (done) resolve();
      else reject(new Error(`the worker rendering ${job.formats.join(", ")} ended (exit code ${code}) before its files were complete`));
    });
  });
  return {
    finished,
    async stop(reason) {
      stopped ??= reason;
      await worker.terminate();
    },
  };
}

/**
 * The worker on render-worker.js beside this module. Run from the TypeScript sources (the test suite, `tsx`), its entry
 * is TypeScript too, and the worker loads it through tsx (a development dependency, so never in the shipped code path).
 */
function startWorker(job: BesideJob): Worker {
  const options = { workerData: job, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } };
  const entry = new URL(`./render-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
  if (entry.pathname.endsWith(".js")) return new Worker(entry, options);
  const boot = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}
