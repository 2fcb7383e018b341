// The worker of render-beside.ts: renders its formats from the package's spool files into the staging folder and
// says, file by file, when each is complete. A failure is thrown, and reaches the main thread as the worker's error.
import { parentPort, workerData } from "node:worker_threads";
import { ITEM_STREAMS } from "../../reports/item-streams.js";
import { ItemSpool } from "./item-spool.js";
import type { BesideJob, BesideMessage } from "./render-beside.js";
import { stagingTarget } from "./staging-target.js";

const job = workerData as BesideJob;
const port = parentPort as NonNullable<typeof parentPort>;
const say = (message: BesideMessage) => port.postMessage(message);

const items = new ItemSpool(job.items);
try {
  const pkg = { ...job.pkg, items };
  const completed = new Set<string>();
  const target = stagingTarget(
    job.staging,
    (path) => {
      completed.add(path);
      say({ complete: path });
    },
    (path) => completed.has(path),
  );
  for (const format of job.formats) {
    const renderer = ITEM_STREAMS.find((one) => one.format === format);
    if (!renderer) throw new Error(`no renderer for ${format} on the worker thread`);
    await renderer.render(pkg, target);
  }
  say({ done: true });
} finally {
  items.dispose();
}
