// What the benchmark measures around a run: the proxy's record of calls, the run's own log events and populations,
// CPU time of moto and of this process (the proxy), and the tool's peak memory.
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { execFileSync, spawn } from "node:child_process";
import type { Population } from "../src/core/model.js";
import type { Emulator } from "../test/support/emulator.js";
import type { RecordedCall } from "../test/support/proxy.js";
import type { OperationRow } from "./report.js";

const THROTTLE_FAULTS = new Set(["quota", "throttle"]);
/** Error answers that are the answer itself, not a failed call: a bucket without a policy. */
const ANSWERS = new Set(["s3:GetBucketPolicy:404", "organizations:DescribeOrganization:400"]);

export const isThrottled = (call: RecordedCall) => call.fault !== undefined && THROTTLE_FAULTS.has(call.fault);
export const isAnswer = (call: RecordedCall) => ANSWERS.has(`${call.service}:${call.operation}:${call.status}`);
export const isFailed = (call: RecordedCall) =>
  !isThrottled(call) && (call.status === 0 || (call.status >= 400 && !isAnswer(call)));

export function operationRows(calls: readonly RecordedCall[]): OperationRow[] {
  const rows = new Map<string, OperationRow & { cells: Map<string, number> }>();
  for (const call of calls) {
    const operation = `${call.service}:${call.operation}`;
    const row = rows.get(operation) ?? { operation, calls: 0, throttled: 0, failed: 0, maxPerCell: 0, cells: new Map() };
    row.calls += 1;
    if (isThrottled(call)) row.throttled += 1;
    if (isFailed(call)) row.failed += 1;
    const cell = `${call.account}|${call.region}`;
    row.cells.set(cell, (row.cells.get(cell) ?? 0) + 1);
    rows.set(operation, row);
  }
  return [...rows.values()]
    .map(({ cells, ...row }) => ({ ...row, maxPerCell: Math.max(...cells.values()) }))
    .sort((a, b) => b.calls - a.calls);
}

export function machineInfo() {
  const moto = (() => {
    try {
      return execFileSync("python3", ["-c", "import moto; print(moto.__version__)"], { encoding: "utf8" }).trim();
    } catch {
      return "unknown";
    }
  })();
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model.trim() ?? "cpu", memoryMb: totalmem() / 2 ** 20, node: process.version, moto };
}

export const load1 = () => loadavg()[0] ?? 0;

/** User + system CPU seconds of a process, from /proc (clock ticks at the usual 100 Hz). */
export function cpuSecondsOf(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

export const ownCpuSeconds = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};

interface LogEvent {
  time: string;
  event: string;
  [field: string]: unknown;
}

export function logEvents(stderr: string): LogEvent[] {
  return stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as LogEvent];
      } catch {
        return [];
      }
    });
}

/** When the run's log first had `name` (epoch ms). */
function eventTime(events: readonly LogEvent[], name: string): number | undefined {
  const found = events.find((event) => event.event === name);
  return found ? Date.parse(found.time) : undefined;
}

/** Collection and packaging times from the run's log, and when each task ran (seconds from snapshot.start). */
export function phases(events: LogEvent[], populations: Population[]) {
  const at = (name: string) => eventTime(events, name);
  const start = at("snapshot.start");
  const done = at("snapshot.done");
  const packaged = at("package.done");
  const timeline: { task: string; startS: number; endS: number }[] = [];
  for (const event of events.filter((one) => one.event === "collector.done")) {
    const population = populations.find(
      (one) => one.collector === event.collector && one.account === event.account && one.region === event.region,
    );
    if (start === undefined || !population) continue;
    const endS = (Date.parse(event.time) - start) / 1000;
    timeline.push({ task: `${population.collector} ${population.account}/${population.region}`, startS: endS - population.durationMs / 1000, endS });
  }
  return {
    doneAt: done,
    collectS: start !== undefined && done !== undefined ? (done - start) / 1000 : undefined,
    packageS: done !== undefined && packaged !== undefined ? (packaged - done) / 1000 : undefined,
    timeline: timeline.sort((a, b) => a.startS - b.startS),
  };
}

/** Peak RSS and CPU seconds from `/usr/bin/time -v -o file`. */
export function parseTimeV(text: string): { peakRssMb?: number; cpuS?: number } {
  const number = (label: string) => {
    const match = new RegExp(`${label}: ([0-9.]+)`).exec(text);
    return match ? Number(match[1]) : undefined;
  };
  const rss = number("Maximum resident set size \\(kbytes\\)");
  const user = number("User time \\(seconds\\)");
  const system = number("System time \\(seconds\\)");
  return {
    ...(rss === undefined ? {} : { peakRssMb: rss / 1024 }),
    ...(user === undefined || system === undefined ? {} : { cpuS: user + system }),
  };
}

/** Idle and total clock ticks of the whole machine, from the first line of /proc/stat (idle counts iowait too). */
function machineTicks(): { idle: number; total: number } {
  const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
  return { idle: (fields[3] ?? 0) + (fields[4] ?? 0), total: fields.reduce((sum, value) => sum + value, 0) };
}

/** What moto and the machine did while the tool collected: moto's share of one core, and the cores left idle. */
export interface WhileCollecting {
  motoBusy: number;
  idleCores: number;
  cores: number;
  /** CPU seconds each process used between snapshot.start and snapshot.done, and the window's length. */
  cpuS?: { tool?: number; moto: number; proxy: number; windowS: number };
}

/**
 * Samples the resident set of `pid` (or of its only child, when it runs under /usr/bin/time), moto's CPU and the
 * machine's idle ticks. Idle cores beside a moto that is not busy say whether moto was short of CPU or of requests.
 */
export function sampleRun(pid: number | undefined, motoPid: number | undefined, everyMs = 250) {
  const samples: { at: number; mb?: number; tool?: number; moto: number; proxy: number; idle: number; total: number }[] = [];
  const rssOf = (target: string) => {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${target}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : undefined;
  };
  const timer = setInterval(() => {
    let mb: number | undefined;
    let tool: number | undefined;
    try {
      const child = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(" ")[0] || String(pid);
      mb = rssOf(child);
      tool = cpuSecondsOf(Number(child));
    } catch {
      // the process has exited
    }
    const seen = { ...(mb === undefined ? {} : { mb }), ...(tool === undefined ? {} : { tool }) };
    samples.push({ at: Date.now(), ...seen, moto: cpuSecondsOf(motoPid), proxy: ownCpuSeconds(), ...machineTicks() });
  }, everyMs);
  return {
    samples,
    /** The largest RSS sample before `done` (epoch ms) and from it on; moto and the machine from `start` to `done`. */
    stop(start: number | undefined, done: number | undefined) {
      clearInterval(timer);
      if (done === undefined) return undefined;
      const most = (list: typeof samples) => Math.max(0, ...list.flatMap((sample) => (sample.mb === undefined ? [] : [sample.mb])));
      const rss = { collecting: most(samples.filter((one) => one.at < done)), packaging: most(samples.filter((one) => one.at >= done)) };
      const during = samples.filter((one) => start !== undefined && one.at >= start && one.at <= done);
      const [first, last] = [during[0], during.at(-1)];
      if (!first || !last || last.total <= first.total) return { rss };
      const cores = cpus().length;
      const windowS = (last.at - first.at) / 1000;
      const tool = last.tool !== undefined && first.tool !== undefined ? { tool: last.tool - first.tool } : {};
      const whileCollecting: WhileCollecting = {
        motoBusy: (last.moto - first.moto) / windowS,
        idleCores: ((last.idle - first.idle) / (last.total - first.total)) * cores,
        cores,
        cpuS: { ...tool, moto: last.moto - first.moto, proxy: last.proxy - first.proxy, windowS },
      };
      return { rss, whileCollecting };
    },
  };
}

const TIME = "/usr/bin/time";

export interface TimedCli {
  code: number | null;
  wallS: number;
  /** Peak RSS and CPU as /usr/bin/time -v saw them (absent without it). */
  time: { peakRssMb?: number; cpuS?: number };
  /** Peak RSS sampled before and after the run's snapshot.done event. */
  sampled: { collecting: number; packaging: number } | undefined;
  /** moto and the machine between the run's snapshot.start and snapshot.done events. */
  whileCollecting: WhileCollecting | undefined;
  motoCpuS: number;
  /** What the proxy saw during the run. */
  calls: RecordedCall[];
  stdout: string;
  stderr: string;
  events: LogEvent[];
}

/**
 * Node flags for the tool's process from BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile its
 * runs (Node refuses --cpu-prof in NODE_OPTIONS).
 */
export const toolNodeArgs: readonly string[] = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);

/** The command line of the tool's `collect --period current` run, as a process with this Node and BENCH_NODE_ARGS. */
export const collectArgv = (out: string, run: { config: string; accounts: readonly string[]; regions: readonly string[]; formats: string }) => [
  process.execPath, ...toolNodeArgs, "dist/src/cli.js", "collect", "--period", "current", "--config", run.config,
  "--accounts", run.accounts.join(","), "--regions", run.regions.join(","), "--out", out, "--format", run.formats, "--json",
];

/**
 * Runs the CLI once against the emulator under `/usr/bin/time -v`, sampling its memory, and reads what the proxy
 * saw and moto's CPU. `callsFile` (--keep) gets the proxy's call log, one line a call, to see when each bucket was busy,
 * the tool's log beside it (`.log.jsonl` for `.jsonl`), to see when each phase began, and the samples (`.samples.jsonl`:
 * the tool's RSS, the CPU seconds of the tool, moto and this process (the proxy), the machine's ticks every 250 ms), to
 * see when moto waited.
 */
export async function timedCli(emulator: Emulator, argv: readonly string[], callsFile?: string): Promise<TimedCli> {
  emulator.proxy.clearCalls();
  const dir = await mkdtemp(join(tmpdir(), "bench-time-"));
  const timeFile = join(dir, "time.txt");
  const withTime = existsSync(TIME);
  const motoBefore = cpuSecondsOf(emulator.moto.pid);
  const started = performance.now();
  const spawnedAt = new Date().toISOString();
  const [file, ...args] = withTime ? [TIME, "-v", "-o", timeFile, ...argv] : argv;
  const child = spawn(file as string, args, { env: { ...process.env, ...emulator.env }, stdio: ["ignore", "pipe", "pipe"] });
  const sampler = sampleRun(child.pid, emulator.moto.pid);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const wallS = (performance.now() - started) / 1000;
  const motoCpuS = cpuSecondsOf(emulator.moto.pid) - motoBefore;
  const calls = [...emulator.proxy.calls];
  if (callsFile) {
    await writeFile(callsFile, calls.map((call) => JSON.stringify(call)).join("\n"));
    await writeFile(callsFile.replace(/\.jsonl$/, ".log.jsonl"), `${JSON.stringify({ event: "bench.spawned", time: spawnedAt })}\n${stderr}`);
  }
  const time = withTime ? parseTimeV(await readFile(timeFile, "utf8").catch(() => "")) : {};
  await rm(dir, { recursive: true, force: true });
  const events = logEvents(stderr);
  const sampled = sampler.stop(eventTime(events, "snapshot.start"), eventTime(events, "snapshot.done"));
  if (callsFile) await writeFile(callsFile.replace(/\.jsonl$/, ".samples.jsonl"), sampler.samples.map((one) => JSON.stringify(one)).join("\n"));
  return { code, wallS, time, sampled: sampled?.rss, whileCollecting: sampled?.whileCollecting, motoCpuS, calls, stdout, stderr, events };
}
