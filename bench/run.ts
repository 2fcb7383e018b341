// `npm run bench`: seeds a large estate behind the proxy (AWS latency and quotas), runs `collect --period current`
// as a process, and sets wall time, calls, throttles, retries and peak memory next to the quota lower bound
// (SPEC section 10). Writes bench/RESULTS.md. Flags: --scale F (estate x F, not written), --no-baseline,
// --quota-factor Q (every proxy quota x Q, the tool not told), and
// --diagnose (the same estate again with every task at once, and without quotas, to see where the time goes).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { QUOTAS } from "../src/aws/quotas.js";
import { collectJob } from "../src/run/jobs.js";
import { parseConfig } from "../src/config/load.js";
import { createLogger } from "../src/cli/log.js";
import type { EvidencePackage } from "../src/core/package-model.js";
import { parsePeriod } from "../src/core/period.js";
import { LocalStore } from "../src/store/local.js";
import { syntheticPackage } from "../test/fixtures/package.js";
import { DEFAULT_ACCOUNT, startEmulator, type Emulator } from "../test/support/emulator.js";
import type { TestProxy } from "../test/support/proxy.js";
import { countCalls, lowerBound } from "./lower-bound.js";
import * as measure from "./measure.js";
import { renderResults, type BenchResult, type RunMeasure } from "./report.js";
import { seedEstate, type EstateSpec } from "./seed.js";
import { startSerialGate } from "./serial-gate.js";

const ACCOUNTS = [DEFAULT_ACCOUNT, "210987654321"];
const REGIONS = ["us-east-1", "us-east-2"];
const FULL: EstateSpec = { accounts: ACCOUNTS, regions: REGIONS, keys: 5000, secrets: 5000, trails: 50, findings: 2000 };
const BASELINE: EstateSpec = { accounts: [DEFAULT_ACCOUNT], regions: ["us-east-1"], keys: 500, secrets: 500, trails: 5, findings: 200 };
/** The tool starts each bucket at the full published rate (src/run/jobs.ts), so the bound is at 100% of each quota. */
const SHARE = 1;
/** Far above any quota: the limiter never waits. */
const NO_LIMIT = 1e6;
const CONFIG = "controls.yaml";
const TIME = "/usr/bin/time";

interface JobSpec {
  accounts: string[];
  regions: string[];
  out: string;
  concurrency?: number;
  quotaShare?: number;
}

/**
 * AWS-like latency on every call (25 +/- 10 ms), and each quota bucket of the table as a token bucket per
 * account-region at `factor` x the published rate. The tool is never told the factor: it must find the rate.
 */
function configureProxy(proxy: TestProxy, quotas: boolean, factor = 1): void {
  proxy.clearFaults();
  proxy.inject({ kind: "latency", ms: 15, jitterMs: 20 });
  if (!quotas) return;
  for (const [service, operations] of Object.entries(QUOTAS)) {
    const buckets = new Map<string, { operations: string[]; perSecond: number }>();
    for (const [operation, quota] of Object.entries(operations)) {
      const bucket = buckets.get(quota.bucket) ?? { operations: [], perSecond: quota.perSecond };
      bucket.operations.push(operation);
      buckets.set(quota.bucket, bucket);
    }
    for (const { operations: names, perSecond } of buckets.values()) {
      proxy.quota({ service, operation: names, perSecond: perSecond * factor });
    }
  }
}

type Measured = RunMeasure & { packageFile: string };

/** Runs a process against the emulator under `/usr/bin/time -v` (peak RSS, CPU), sampling its RSS on the side. */
async function spawnMeasured(emulator: Emulator, argv: string[], env: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), "bench-time-"));
  const timeFile = join(dir, "time.txt");
  const withTime = existsSync(TIME);
  const before = { moto: measure.cpuSecondsOf(emulator.moto.pid), proxy: measure.ownCpuSeconds() };
  const started = performance.now();
  const [file, ...args] = withTime ? [TIME, "-v", "-o", timeFile, ...argv] : argv;
  const child = spawn(file as string, args, { env: { ...process.env, ...emulator.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const rss = measure.sampleRss(child.pid);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const wallS = (performance.now() - started) / 1000;
  const cpu = { moto: measure.cpuSecondsOf(emulator.moto.pid) - before.moto, proxy: measure.ownCpuSeconds() - before.proxy };
  const time = withTime ? measure.parseTimeV(await readFile(timeFile, "utf8")) : {};
  await rm(dir, { recursive: true, force: true });
  return { stdout, stderr, code, wallS, cpu, time, rss };
}

/** Runs a command against the emulator and measures it from the outside: the proxy's calls, its log, its package. */
async function measuredRun(
  emulator: Emulator,
  label: string,
  argv: string[],
  command: string,
  estate: EstateSpec,
  env: Record<string, string> = {},
): Promise<Measured> {
  emulator.proxy.clearCalls();
  const { stdout, stderr, code, wallS, cpu, time, rss } = await spawnMeasured(emulator, argv, env);
  const line = stdout.split("\n").find((one) => one.includes('"package"'));
  if (!line) throw new Error(`${label} wrote no package (exit ${code}):\n${stderr.slice(-3000)}`);
  const packageFile = join((JSON.parse(line) as { package: string }).package, "evidence.json");
  const pkg = JSON.parse(await readFile(packageFile, "utf8")) as EvidencePackage;
  const { doneAt, ...phases } = measure.phases(measure.logEvents(stderr), pkg.populations);
  const sampledRssMb = rss.stop(doneAt);
  const calls = [...emulator.proxy.calls];
  const answered = countCalls(calls.filter((call) => !measure.isThrottled(call)));
  const operations = measure.operationRows(calls);
  const sum = (pick: (row: (typeof operations)[number]) => number) => operations.reduce((total, row) => total + pick(row), 0);
  const transient = calls.filter((call) => call.status === 0 || call.status >= 500).length;
  const ledger = pkg.calls.reduce(
    (total, tally) => ({ calls: total.calls + tally.calls, failures: total.failures + tally.failures, throttles: total.throttles + tally.throttles }),
    { calls: 0, failures: 0, throttles: 0 },
  );
  return {
    label,
    command,
    estate,
    wallS,
    ...phases,
    ...(sampledRssMb ? { sampledRssMb } : {}),
    ...(time.peakRssMb === undefined ? {} : { peakRssMb: time.peakRssMb }),
    cpuS: { ...cpu, ...(time.cpuS === undefined ? {} : { tool: time.cpuS }) },
    operations,
    totals: {
      calls: calls.length,
      throttled: sum((row) => row.throttled),
      failed: sum((row) => row.failed),
      retries: sum((row) => row.throttled) + transient,
      answers: calls.filter(measure.isAnswer).length,
    },
    ledger,
    socketWarnings: stderr.split("socket usage at capacity").length - 1,
    items: { ...pkg.summary.items },
    bound: lowerBound(answered, QUOTAS, SHARE),
    boundFull: lowerBound(answered, QUOTAS, 1),
    packageFile,
  };
}

const cliArgs = (out: string) => [
  process.execPath, "dist/src/cli.js", "collect", "--period", "current", "--config", CONFIG,
  "--accounts", ACCOUNTS.join(","), "--regions", REGIONS.join(","), "--out", out, "--format", "json,pdf", "--json",
];

/** The same job in a child process, for JobOptions the CLI does not expose (concurrency, quotaShare). */
const jobArgs = (spec: JobSpec) => [process.execPath, "--import", "tsx", "bench/run.ts", "--job", JSON.stringify(spec)];

async function runJob(spec: JobSpec): Promise<void> {
  const now = () => new Date();
  const { config } = parseConfig(CONFIG, await readFile(CONFIG, "utf8"), now());
  const store = new LocalStore(spec.out, config.store.prefix);
  const fiscal = config.fiscalYearStartMonth;
  const period = parsePeriod("current", now(), fiscal ? { fiscalYearStartMonth: fiscal } : {});
  const log = createLogger({ json: true, quiet: false });
  const { written } = await collectJob(
    { config, store, log, now, accounts: spec.accounts, regions: spec.regions, concurrency: spec.concurrency ?? 16, quotaShare: spec.quotaShare ?? SHARE },
    period,
    ["json"],
  );
  process.stdout.write(JSON.stringify({ package: join(store.location, written.prefix) }) + "\n");
}

async function pdfTimings(mainPackage: string) {
  const pkg = JSON.parse(await readFile(mainPackage, "utf8")) as EvidencePackage;
  const timings = [await measure.timePdf("benchmark package", pkg)];
  timings.push(await measure.timePdf("synthetic package", syntheticPackage({ items: 20_000 })));
  return timings;
}

function scaled(spec: EstateSpec, factor: number): EstateSpec {
  const times = (count: number) => Math.max(1, Math.round(count * factor));
  return { ...spec, keys: times(spec.keys), secrets: times(spec.secrets), trails: times(spec.trails), findings: times(spec.findings) };
}

/** The same estate with every task at once under quotas, and with no quotas at all: where does the time go? */
async function diagnose(emulator: Emulator, work: string, estate: EstateSpec, say: (text: string) => void) {
  const variants = [
    { label: "all tasks at once (concurrency 32), quotas on", quotas: true, spec: { concurrency: 32 } },
    { label: "no quotas and no limiter (quotaShare 1e6), concurrency 8", quotas: false, spec: { quotaShare: NO_LIMIT } },
  ];
  const runs: RunMeasure[] = [];
  for (const [index, variant] of variants.entries()) {
    say(`diagnostic: ${variant.label}`);
    configureProxy(emulator.proxy, variant.quotas);
    const spec = { accounts: ACCOUNTS, regions: REGIONS, out: join(work, `diagnostic-${index}`), ...variant.spec };
    runs.push(await measuredRun(emulator, variant.label, jobArgs(spec), `job ${JSON.stringify({ ...spec, out: "$TMP" })}`, estate));
  }
  return runs;
}

/** The small estate without quotas: the tool one task at a time, then strictly one call at a time. */
async function baselineRuns(emulator: Emulator, work: string, say: (text: string) => void) {
  say("baselines on the small estate");
  await emulator.reset();
  await seedEstate(emulator, BASELINE, new Date(), 16);
  configureProxy(emulator.proxy, false);
  const spec = { accounts: BASELINE.accounts, regions: BASELINE.regions, concurrency: 1, quotaShare: NO_LIMIT };
  const text = `job ${JSON.stringify({ ...spec, out: "$TMP" })}`;
  const runs = [await measuredRun(emulator, "one task at a time, no limiter", jobArgs({ ...spec, out: join(work, "tasks") }), text, BASELINE)];
  const gate = await startSerialGate(emulator.endpoint);
  try {
    const label = "one call at a time (a forwarder lets one request through at a time)";
    const args = jobArgs({ ...spec, out: join(work, "serial") });
    runs.push(await measuredRun(emulator, label, args, text, BASELINE, { AWS_ENDPOINT_URL: gate.url }));
  } finally {
    await gate.close();
  }
  return runs;
}

async function bench(options: { scale: number; baseline: boolean; diagnose: boolean; quotaFactor: number }): Promise<void> {
  const machine = measure.machineInfo();
  const loadBefore = measure.load1();
  const work = await mkdtemp(join(tmpdir(), "bench-"));
  const estate = scaled(FULL, options.scale);
  const notes = [
    "Against the emulator every service is one origin, so the 64 sockets of src/aws/clients.ts are shared by all calls of a run; against AWS each service and region endpoint gets its own 64.",
    "The quota bound counts answered calls only (throttled attempts are the tool's cost, not the estate's) and divides each bucket's calls by quota x share, summing operations that share a bucket. It ignores a bucket's initial burst (the limiter starts with floor(rate) tokens), so a tiny estate can finish slightly under it.",
  ];
  const emulator = await startEmulator();
  let stopped = false;
  const say = (text: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}`);
  try {
    say(`seeding ${JSON.stringify(estate)}`);
    const seeding = await seedEstate(emulator, estate, new Date(), 16);
    say(`seeded: ${seeding.map((one) => `${one.kind} ${(one.ms / 1000).toFixed(1)} s`).join(", ")}`);
    configureProxy(emulator.proxy, true, options.quotaFactor);
    if (options.quotaFactor !== 1) notes.push(`Every proxy quota is ${options.quotaFactor} x the published one; the tool is not told.`);
    const command = `soc2-evidence ${cliArgs(join(work, "main")).slice(2).join(" ").replace(work, "$TMP")}`;
    say("collect (CLI process)");
    const main = await measuredRun(emulator, "main", cliArgs(join(work, "main")), command, estate);
    say(`collect done in ${main.wallS.toFixed(1)} s; bound ${main.bound.seconds.toFixed(1)} s`);
    const throughput = await measure.emulatorThroughput(emulator, REGIONS[0] as string);
    const diagnostics = options.diagnose ? await diagnose(emulator, work, estate, say) : [];
    const baselines = options.baseline ? await baselineRuns(emulator, work, say) : [];
    if (options.baseline) {
      notes.push(
        "The first baseline runs one task at a time with no limiter, but each collector keeps its own per-resource concurrency (16 for KMS keys and secrets, 4 for trails and findings; no JobOptions field sets it). The second is strictly one call at a time.",
      );
    }
    await emulator.stop();
    stopped = true;
    say("PDF timings");
    const pdf = await pdfTimings(main.packageFile);
    const result: BenchResult = {
      date: new Date().toISOString(),
      machine: { ...machine, load: { before: loadBefore, after: measure.load1() } },
      seeding, main, diagnostics, baselines, pdf, throughput, notes,
    };
    const markdown = renderResults(result);
    // Only the full estate is the benchmark; a scaled run is for trying changes.
    if (options.scale === 1) await writeFile(join("bench", "RESULTS.md"), markdown);
    const raw = join(tmpdir(), `soc2-bench-${Date.now()}.json`);
    await writeFile(raw, JSON.stringify(result, null, 2));
    console.log(markdown);
    say(`raw measurements: ${raw}`);
  } finally {
    if (!stopped) await emulator.stop();
    await rm(work, { recursive: true, force: true });
  }
}

const { values } = parseArgs({
  options: {
    job: { type: "string" },
    scale: { type: "string", default: "1" },
    "no-baseline": { type: "boolean", default: false },
    "quota-factor": { type: "string", default: "1" },
    diagnose: { type: "boolean", default: false },
  },
});
if (values.job) await runJob(JSON.parse(values.job) as JobSpec);
else {
  const quotaFactor = Number(values["quota-factor"]);
  await bench({ scale: Number(values.scale), baseline: !values["no-baseline"], diagnose: values.diagnose, quotaFactor });
}
