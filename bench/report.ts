// The benchmark's findings as Markdown: one summary table against the bars of SPEC section 10, then the details
// an engineer needs to see where the time went (calls by operation, buckets next to the bound, task timeline).
import type { LowerBound } from "./lower-bound.js";
import type { EstateSpec, SeedTiming } from "./seed.js";

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryMb: number;
  node: string;
  moto: string;
  load: { before: number; after: number };
}

export interface OperationRow {
  operation: string;
  /** Attempts the proxy saw, throttled ones included. */
  calls: number;
  /** Answered 429/400/503 Throttling by the proxy's quota buckets. */
  throttled: number;
  /** Answered with any other error status (or dropped). */
  failed: number;
  /** The most calls in one account-region. */
  maxPerCell: number;
}

export interface TaskSpan {
  task: string;
  startS: number;
  endS: number;
}

export interface RunMeasure {
  label: string;
  command: string;
  estate: EstateSpec;
  wallS: number;
  /** From the CLI's snapshot.start to snapshot.done log events. */
  collectS?: number;
  packageS?: number;
  peakRssMb?: number;
  /** Sampled every 250 ms: the most RSS while collecting (to snapshot.done), and after it. */
  sampledRssMb?: { collecting: number; packaging: number };
  cpuS: { tool?: number; moto: number; proxy: number };
  operations: OperationRow[];
  totals: { calls: number; throttled: number; failed: number; retries: number; answers: number };
  ledger?: { calls: number; failures: number; throttles: number };
  /** The SDK's "socket usage at capacity" warnings on the run's stderr. */
  socketWarnings: number;
  items: Record<string, number>;
  bound: LowerBound;
  boundFull: LowerBound;
  timeline: TaskSpan[];
}

export interface PdfTiming {
  label: string;
  items: number;
  seconds?: number;
  bytes?: number;
  note?: string;
}

export interface Throughput {
  path: string;
  concurrency: number;
  perSecond: number;
}

export interface BenchResult {
  date: string;
  machine: Machine;
  seeding: SeedTiming[];
  main: RunMeasure;
  /** Same estate, other settings, to find where the time goes. */
  diagnostics: RunMeasure[];
  /** The small estate without quotas: the tool one task at a time, and one call at a time. */
  baselines: RunMeasure[];
  pdf: PdfTiming[];
  throughput: Throughput[];
  notes: string[];
}

const s = (seconds: number | undefined, digits = 1) => (seconds === undefined ? "n/a" : `${seconds.toFixed(digits)} s`);
const n = (value: number) => value.toLocaleString("en-US");
const mark = (ok: boolean) => (ok ? "meets" : "**misses**");

function estateText(estate: EstateSpec): string {
  const cells = estate.accounts.length * estate.regions.length;
  return `${estate.accounts.length} accounts x ${estate.regions.length} regions (${cells} cells): ${n(estate.keys)} KMS keys, ${n(estate.secrets)} secrets, ${n(estate.trails)} trails, ${n(estate.findings)} Access Analyzer findings`;
}

const criticalText = (bound: LowerBound) =>
  bound.critical
    ? `${bound.critical.service}:${bound.critical.operations.join("+")} in ${bound.critical.scope.replace("|", "/")}: ${n(bound.critical.calls)} calls at ${bound.critical.perSecond} RPS`
    : "none";

/** The task that finished last: how long it waited for a runner slot, and how long it ran. */
function criticalPath(run: RunMeasure): string {
  const last = run.timeline.reduce<TaskSpan | undefined>((latest, span) => (!latest || span.endS > latest.endS ? span : latest), undefined);
  if (!last) return "n/a";
  const ran = last.endS - last.startS;
  return `${last.task} finished last: it started at ${last.startS.toFixed(1)} s (waiting for a runner slot) and ran ${ran.toFixed(1)} s = ${(ran / run.bound.seconds).toFixed(2)} x the bound`;
}

function runRows(run: RunMeasure): string[] {
  const ratio = run.wallS / run.bound.seconds;
  const collectRatio = run.collectS === undefined ? undefined : run.collectS / run.bound.seconds;
  return [
    `| Command | \`${run.command}\` |`,
    `| Estate | ${estateText(run.estate)} |`,
    `| Wall time | ${s(run.wallS)} (collection ${s(run.collectS)}, packaging and rendering ${s(run.packageS)}) |`,
    `| Quota lower bound | ${s(run.bound.seconds)} at share ${run.bound.share} of each quota (critical: ${criticalText(run.bound)}; Organizations/STS prelude ${s(run.bound.prelude, 3)}); ${s(run.boundFull.seconds)} at the full quota |`,
    `| Wall / bound | ${ratio.toFixed(2)} whole command${collectRatio === undefined ? "" : `, ${collectRatio.toFixed(2)} collection only`} (target <= 1.25: ${mark(ratio <= 1.25)}) |`,
    `| Critical path | ${criticalPath(run)} |`,
    `| API calls | ${n(run.totals.calls)} attempts seen by the proxy${run.ledger ? `; the tool's CallLedger counted ${n(run.ledger.calls)}` : ""} |`,
    `| Throttles | ${n(run.totals.throttled)} (proxy quota answers)${run.ledger ? `; ledger ${n(run.ledger.throttles)}` : ""} |`,
    `| Retries | ${n(run.totals.retries)} (attempts beyond one per logical request) |`,
    `| Failed calls | ${n(run.totals.failed)} non-throttle errors (target 0: ${mark(run.totals.failed === 0)}); ${n(run.totals.answers)} error answers that are the answer (S3 NoSuchBucketPolicy)${run.ledger ? `; the ledger counts ${n(run.ledger.failures)} failures, those answers included` : ""} |`,
    `| Evidence items | ${Object.entries(run.items).map(([status, count]) => `${status} ${n(count)}`).join(", ")} |`,
    `| Peak RSS | ${run.peakRssMb === undefined ? "not measured" : `${run.peakRssMb.toFixed(0)} MB (target < 300 MB: ${mark(run.peakRssMb < 300)})`}${run.sampledRssMb ? `; sampled: ${run.sampledRssMb.collecting.toFixed(0)} MB at most while collecting, ${run.sampledRssMb.packaging.toFixed(0)} MB while packaging and rendering` : ""} |`,
    `| CPU time | tool ${s(run.cpuS.tool)}, moto ${s(run.cpuS.moto)}, proxy ${s(run.cpuS.proxy)} |`,
    `| Socket queue | ${run.socketWarnings} SDK "socket usage at capacity" warnings |`,
  ];
}

function operationTable(run: RunMeasure): string[] {
  const rates = new Map<string, { perSecond: number; seconds: number }>();
  for (const bucket of run.bound.buckets) {
    for (const operation of bucket.operations) {
      const key = `${bucket.service}:${operation}`;
      const known = rates.get(key);
      if (!known || bucket.seconds > known.seconds) rates.set(key, { perSecond: bucket.perSecond, seconds: bucket.seconds });
    }
  }
  return [
    "| Operation | Calls | Max per account-region | Throttled | Failed | Tool rate (RPS) | Slowest bucket (s) |",
    "|---|--:|--:|--:|--:|--:|--:|",
    ...run.operations.map((row) => {
      const rate = rates.get(row.operation);
      return `| ${row.operation} | ${n(row.calls)} | ${n(row.maxPerCell)} | ${n(row.throttled)} | ${n(row.failed)} | ${rate ? rate.perSecond : "unmetered"} | ${rate ? rate.seconds.toFixed(1) : "-"} |`;
    }),
  ];
}

function timelineTable(run: RunMeasure): string[] {
  return [
    "| Task (collector account/region) | Start (s) | End (s) | Duration (s) |",
    "|---|--:|--:|--:|",
    ...run.timeline.map((span) => `| ${span.task} | ${span.startS.toFixed(1)} | ${span.endS.toFixed(1)} | ${(span.endS - span.startS).toFixed(1)} |`),
  ];
}

export function renderResults(result: BenchResult): string {
  const { machine, main } = result;
  const seedTotal = result.seeding.reduce((total, one) => total + one.ms, 0) / 1000;
  const pdfRows = result.pdf.map(
    (pdf) => `${pdf.label} (${n(pdf.items)} items): ${pdf.seconds === undefined ? (pdf.note ?? "not measured") : `${s(pdf.seconds)}, ${((pdf.bytes ?? 0) / 1e6).toFixed(1)} MB`}`,
  );
  const pdf20k = result.pdf.find((pdf) => pdf.items === 20_000)?.seconds;
  const lines = [
    "# Scale benchmark results",
    "",
    `Run ${result.date} with \`npm run bench${result.diagnostics.length ? " -- --diagnose" : ""}\`. Bars from SPEC section 10.`,
    "",
    "| Measure | Result |",
    "|---|---|",
    `| Machine | ${machine.cpus} x ${machine.cpuModel}, ${n(Math.round(machine.memoryMb))} MB RAM, node ${machine.node}, moto ${machine.moto}; 1-min load ${machine.load.before.toFixed(1)} before, ${machine.load.after.toFixed(1)} after |`,
    `| Proxy | 15-35 ms latency per call (15 ms + 0-20 ms jitter); AWS quotas from src/aws/quotas.ts as per-account-region token buckets |`,
    `| Seeding | ${s(seedTotal)} in total: ${result.seeding.map((one) => `${one.kind} ${n(one.resources)} in ${s(one.ms / 1000)} (${one.motoRequests > 0 ? `${Math.round(one.motoRequests / (one.ms / 1000))} moto req/s` : "proxy memory"})`).join("; ")} |`,
    ...runRows(main),
    `| PDF render | ${pdfRows.join("; ")} (20,000-item target < 10 s: ${pdf20k === undefined ? "not measured" : mark(pdf20k < 10)}) |`,
    ...result.diagnostics.map(
      (run) =>
        `| Diagnostic: ${run.label} | collection ${s(run.collectS)} = ${((run.collectS ?? run.wallS) / main.bound.seconds).toFixed(2)} x the bound; ${n(run.totals.calls)} calls, ${n(run.totals.throttled)} throttled, ${n(run.totals.failed)} failed; \`${run.command}\` |`,
    ),
    ...result.baselines.map(
      (run) =>
        `| Baseline: ${run.label} | ${estateText(run.estate)}: collection ${s(run.collectS)} (${n(run.totals.calls)} calls, ${(run.totals.calls / (run.collectS ?? run.wallS)).toFixed(0)} calls/s), wall ${s(run.wallS)}; no quotas, so no bound applies (at share ${run.bound.share} it would be ${s(run.bound.seconds)}) |`,
    ),
    `| moto + proxy throughput | ${result.throughput.map((one) => `${one.path} x${one.concurrency}: ${one.perSecond.toFixed(0)}/s`).join("; ")} |`,
    "",
    ...(result.notes.length ? ["## Notes", "", ...result.notes.map((note) => `- ${note}`), ""] : []),
    "## Calls by operation (main run)",
    "",
    ...operationTable(main),
    "",
    "## Task timeline (main run, seconds from snapshot.start)",
    "",
    ...timelineTable(main),
    "",
  ];
  const [baseline] = result.baselines;
  if (baseline) lines.push("## Baseline calls by operation", "", ...operationTable(baseline), "");
  for (const run of result.diagnostics) lines.push(`## Timeline: ${run.label}`, "", ...timelineTable(run), "");
  return lines.join("\n");
}
