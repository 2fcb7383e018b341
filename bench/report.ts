// The benchmark's findings as Markdown: per profile the tool against achievable = max(bound, floor) and against the
// unpaced 16-way baseline, with the bars of issue 14; then calls by operation next to the documented minimum.
import type { LowerBound } from "./lower-bound.js";
import type { WhileCollecting } from "./measure.js";
import type { EstateSpec, SeedTiming } from "./seed.js";

export interface OperationRow {
  operation: string;
  /** Attempts the proxy saw, throttled ones included. */
  calls: number;
  /** Answered by the proxy's quota buckets with a throttling error. */
  throttled: number;
  /** Answered with any other error status (or dropped), the answers that are the answer left out. */
  failed: number;
  /** The most calls in one account-region. */
  maxPerCell: number;
}

export interface Presence {
  kind: string;
  expected: number;
  found: number;
}

export interface ToolRun {
  wallS: number;
  /** Size of the package's evidence.json. */
  evidenceMb: number;
  collectS?: number;
  packageS?: number;
  peakRssMb?: number;
  sampledRssMb?: { collecting: number; packaging: number };
  cpuS: { tool?: number; moto: number };
  whileCollecting?: WhileCollecting;
  operations: OperationRow[];
  throttled: number;
  retries: number;
  failed: number;
  items: Record<string, number>;
  errorItems: number;
  errorItemsByThrottling: number;
  errorReasons: string[];
  presence: Presence[];
}

export interface ProfileResult {
  name: string;
  factor: number;
  tool: ToolRun;
  baseline?: { wallS: number; calls: number; errors: number; throttlingErrors: number; throttled: number; recorded: number };
  bound: LowerBound;
  load: { before: number; after: number };
}

export interface BenchResult {
  date: string;
  command: string;
  toolCommand: string;
  machine: { cpus: number; cpuModel: string; memoryMb: number; node: string; moto: string; loadAtSeed: number };
  estate: EstateSpec;
  latency: { ms: number; jitterMs: number };
  seeding: SeedTiming[];
  minimum: { operation: string; calls: number }[];
  floor?: FloorRun;
  /** The floor again, right after the default-quota run: the machine's speed drifts (shared), so both are printed. */
  floorAfter?: FloorRun;
  /** Absent from runs recorded before it was measured. */
  concurrent?: ConcurrentRun;
  profiles: ProfileResult[];
}

/** The minimum calls `concurrency` at a time through the proxy with its latency and no quotas (an unpaced client). */
export interface ConcurrentRun extends FloorRun {
  concurrency: number;
  /** The bench process's CPU meanwhile: the scanner's SDK calls and the proxy in front of moto. */
  clientAndProxyCpuS: number;
}

export interface FloorRun {
  motoCpuS: number;
  wallS: number;
  calls: number;
  errors: number;
  load: { before: number; after: number };
}

/** The floor achievable is taken from: the mean of the measurements made around the tool's run. */
export function floorSeconds(result: Pick<BenchResult, "floor" | "floorAfter">): number | undefined {
  const runs = [result.floor, result.floorAfter].filter((run): run is FloorRun => run !== undefined);
  return runs.length === 0 ? undefined : runs.reduce((sum, run) => sum + run.motoCpuS, 0) / runs.length;
}

const floorRun = (run: FloorRun) =>
  `${s(run.motoCpuS)} (wall ${s(run.wallS)}, ${run.errors} errors; 1-min load ${run.load.before.toFixed(2)} to ${run.load.after.toFixed(2)})`;

export const s = (seconds: number | undefined, digits = 1) => (seconds === undefined ? "n/a" : `${seconds.toFixed(digits)} s`);
export const n = (value: number) => value.toLocaleString("en-US");
export const mark = (ok: boolean) => (ok ? "meets" : "**misses**");

function profileRows(result: BenchResult, profile: ProfileResult): string[] {
  const { tool, bound, baseline } = profile;
  const floor = floorSeconds(result);
  const achievable = Math.max(bound.seconds, floor ?? 0);
  const ratio = tool.wallS / achievable;
  const collectRatio = tool.collectS === undefined ? undefined : tool.collectS / achievable;
  const critical = bound.critical
    ? `${bound.critical.service}:${bound.critical.operations.join("+")} in ${bound.critical.scope.replace("|", "/")}, ${n(bound.critical.calls)} calls at ${+bound.critical.perSecond.toFixed(2)}/s`
    : "none";
  const missing = tool.presence.filter((one) => one.found < one.expected);
  const rows = [
    `| 1-min load | ${profile.load.before.toFixed(2)} at start, ${profile.load.after.toFixed(2)} at end${Math.max(profile.load.before, profile.load.after) > result.machine.cpus ? " (**high**: more runnable work than cores)" : ""} |`,
    `| Quota bound | ${s(bound.seconds, 2)} (critical bucket ${critical}; STS prelude ${s(bound.prelude, 2)}) |`,
    `| Emulator floor | ${floor === undefined ? "not measured" : `${s(floor)}${result.floorAfter ? " (the mean of the two measurements above)" : ""}`} |`,
    `| Achievable = max(bound, floor) | ${s(achievable)} (${floor !== undefined && floor > bound.seconds ? "the floor" : "the quota bound"}) |`,
    `| soc2-evidence wall | ${s(tool.wallS)} whole command (collection ${s(tool.collectS)}, packaging and PDF ${s(tool.packageS)}) |`,
    `| Wall / achievable | ${ratio.toFixed(2)} whole command${collectRatio === undefined ? "" : `, ${collectRatio.toFixed(2)} collection only`} (bar <= 1.25: ${mark(ratio <= 1.25)}) |`,
  ];
  if (baseline) {
    rows.push(
      `| 16-way baseline | ${s(baseline.wallS)} for ${n(baseline.calls)} minimum calls (${n(baseline.recorded)} attempts, ${n(baseline.throttled)} throttled, ${n(baseline.errors)} calls lost after the SDK's standard retries, ${n(baseline.throttlingErrors)} of them to throttling); soc2-evidence ${tool.wallS < baseline.wallS ? "faster" : "**slower**"} (${(tool.wallS / baseline.wallS).toFixed(2)}x its wall${tool.collectS === undefined ? "" : `, collection ${(tool.collectS / baseline.wallS).toFixed(2)}x`}) |`,
    );
  }
  rows.push(
    `| Calls | ${n(tool.operations.reduce((total, row) => total + row.calls, 0))} attempts seen by the proxy (minimum ${n(result.minimum.reduce((total, one) => total + one.calls, 0))}) |`,
    `| Throttled responses | ${n(tool.throttled)} |`,
    `| Retries | ${n(tool.retries)} (attempts beyond one per call) |`,
    `| Failed calls | ${n(tool.failed)} non-throttling errors (DescribeOrganization's AWSOrganizationsNotInUse and S3 NoSuchBucketPolicy are answers, not counted) |`,
    `| Evidence items | ${Object.entries(tool.items).map(([status, count]) => `${status} ${n(count)}`).join(", ")} |`,
    `| Error items | ${n(tool.errorItems)}, ${n(tool.errorItemsByThrottling)} caused by throttling (bar 0: ${mark(tool.errorItemsByThrottling === 0)})${tool.errorReasons.length ? `; reasons: ${tool.errorReasons.map((reason) => `"${reason.slice(0, 160)}"`).join("; ")}` : ""} |`,
    `| Estate in the package | ${tool.presence.map((one) => `${one.kind} ${n(one.found)}/${n(one.expected)}`).join("; ")} (${mark(missing.length === 0)}) |`,
    `| Peak RSS | ${tool.peakRssMb === undefined ? "not measured" : `${tool.peakRssMb.toFixed(0)} MB (bar < 300 MB: ${mark(tool.peakRssMb < 300)})`}${tool.sampledRssMb ? `; sampled every 250 ms: ${tool.sampledRssMb.collecting.toFixed(0)} MB at most while collecting, ${tool.sampledRssMb.packaging.toFixed(0)} MB while packaging and rendering the PDF` : ""} |`,
    cpuRow(tool.cpuS, tool.whileCollecting),
    `| evidence.json | ${tool.evidenceMb.toFixed(1)} MB |`,
  );
  return rows;
}

/**
 * Idle cores, on average over the collection, from which the machine counts as not saturated. /proc/stat counts in
 * 10 ms ticks and the medium collection lasts 20 s or more, so a quarter of a core idle is over 5 s of idle CPU: no
 * rounding of the samples comes near it.
 */
const NOT_SATURATED_IDLE_CORES = 0.25;

/**
 * The tool's and moto's CPU over the run, and, sampled every 250 ms between snapshot.start and snapshot.done, moto's
 * share of one core beside the cores the machine left idle. A moto short of one core while cores sat idle was not
 * short of CPU: it had too few requests, or its server could not take them faster.
 */
export function cpuRow(cpuS: { tool?: number; moto: number }, during: WhileCollecting | undefined): string {
  const used = during?.cpuS
    ? `; CPU used while collecting (${s(during.cpuS.windowS)}): tool ${s(during.cpuS.tool)}, moto ${s(during.cpuS.moto)}, the proxy ${s(during.cpuS.proxy)}`
    : "";
  const sampled = during
    ? `; while collecting, moto busy ${(100 * during.motoBusy).toFixed(0)}% of one core and ${during.idleCores.toFixed(2)} of the machine's ${during.cores} cores idle on average${during.idleCores >= NOT_SATURATED_IDLE_CORES ? " (moto was not short of CPU)" : " (the machine was saturated: moto competed for CPU)"}${used}`
    : "";
  return `| CPU | tool ${s(cpuS.tool)}, moto ${s(cpuS.moto)}${sampled} |`;
}

const concurrentRow = (run: ConcurrentRun) =>
  `| Emulator, ${run.concurrency} at a time | the minimum calls through the proxy with its latency and no quotas, unpaced (${n(run.calls)} calls, ${run.errors} errors): wall ${s(run.wallS)}, moto's CPU ${s(run.motoCpuS)} (busy ${(100 * run.motoCpuS / run.wallS).toFixed(0)}% of one core), the scanner's and the proxy's ${s(run.clientAndProxyCpuS)}; 1-min load ${run.load.before.toFixed(2)} to ${run.load.after.toFixed(2)}. How busy moto can be kept through this proxy on this machine; not part of achievable |`;

/** The tool's attempts by operation next to the documented minimum. */
export function operationTable(minimumCalls: readonly { operation: string; calls: number }[], operations: readonly OperationRow[]): string[] {
  const minimum = new Map(minimumCalls.map((one) => [one.operation, one.calls]));
  const rows = new Map(operations.map((row) => [row.operation, row]));
  const names = [...new Set([...minimum.keys(), ...rows.keys()])].sort((a, b) => (rows.get(b)?.calls ?? 0) - (rows.get(a)?.calls ?? 0));
  return [
    "| Operation | Minimum | Tool attempts | Throttled | Failed | Max per account-region |",
    "|---|--:|--:|--:|--:|--:|",
    ...names.map((name) => {
      const row = rows.get(name);
      return `| ${name} | ${n(minimum.get(name) ?? 0)} | ${n(row?.calls ?? 0)} | ${n(row?.throttled ?? 0)} | ${n(row?.failed ?? 0)} | ${n(row?.maxPerCell ?? 0)} |`;
    }),
  ];
}

export function renderResults(result: BenchResult): string {
  const { machine, estate } = result;
  const cells = estate.accounts.length * estate.regions.length;
  const lines = [
    `# Scale benchmark results${result.command.includes("--large") ? ": large estate (memory)" : ""}`,
    "",
    `Run ${result.date} with \`${result.command}\`. The tool runs as \`${result.toolCommand}\`.`,
    "",
    "| Setting | Value |",
    "|---|---|",
    `| Machine | ${machine.cpus} x ${machine.cpuModel}, ${n(Math.round(machine.memoryMb))} MB RAM, node ${machine.node}, moto ${machine.moto}; shared with other work; 1-min load ${machine.loadAtSeed.toFixed(2)} when seeding began |`,
    `| Estate | ${estate.accounts.length} accounts x ${estate.regions.length} regions (${cells} account-regions): ${n(estate.keys)} KMS keys, ${n(estate.secrets)} secrets, ${n(estate.trails)} trails, ${n(estate.findings)} Access Analyzer findings, ${n(estate.buckets)} buckets |`,
    `| Proxy | ${result.latency.ms}-${result.latency.ms + result.latency.jitterMs} ms latency per call; every quota of src/aws/quotas.ts as a token bucket per account-region (per account for global ones) holding one second of its rate |`,
    `| Seeding | ${result.seeding.map((one) => `${one.kind} ${n(one.resources)} in ${s(one.ms / 1000)}`).join("; ")} (keys and secrets at once) |`,
    ...(result.floor
      ? [`| Emulator floor | moto's CPU for the ${n(result.floor.calls)} minimum calls sent one at a time straight to moto: ${floorRun(result.floor)} before the first run${result.floorAfter ? `; ${floorRun(result.floorAfter)} right after the default-quota run` : ""}. Access Analyzer and LookupEvents are served by the proxy, not moto, and add nothing to it. |`]
      : []),
    ...(result.concurrent ? [concurrentRow(result.concurrent)] : []),
    "",
  ];
  for (const profile of result.profiles) {
    lines.push(`## ${profile.name}`, "", "| Measure | Result |", "|---|---|", ...profileRows(result, profile), "", "### Calls by operation", "", ...operationTable(result.minimum, profile.tool.operations), "");
  }
  return lines.join("\n");
}
