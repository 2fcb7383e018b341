// `npm run bench:daily`: the daily scheduled run late in a period. The medium estate behind the proxy at AWS's default
// quotas; `collect --period current` once into an empty store; that snapshot copied to every earlier day of the period
// (bench/earlier-days.ts), as a daily schedule would have left them; then `collect` again, which packages them all.
// Beside the second run's packaging it measures what reading those days back costs on its own (readHistory in this
// process, right after), the part of packaging the tool reads while its snapshot is taken instead of after it.
// Writes bench/RESULTS-daily.md.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { findCollector } from "../collectors/index.js";
import { parseConfig } from "../src/config/load.js";
import { daysOf, isoDay, parsePeriod } from "../src/core/period.js";
import { readHistory } from "../src/package/history.js";
import { LocalStore } from "../src/store/local.js";
import { startEmulator } from "../test/support/emulator.js";
import { copyToEarlierDays } from "./earlier-days.js";
import * as measure from "./measure.js";
import { configureProxy } from "./profile.js";
import { MEDIUM, seedEstate } from "./seed.js";

const CONFIG = "controls.yaml";

interface DailyRun {
  days: number;
  wallS: number;
  collectS?: number;
  packageS?: number;
  peakRssMb?: number;
  code: number | null;
}

async function main(maxDays: number): Promise<void> {
  const say = (text: string) => console.error(`[bench:daily ${new Date().toISOString().slice(11, 19)}] ${text}`);
  const now = new Date();
  const { config } = parseConfig(CONFIG, await readFile(CONFIG, "utf8"), now);
  const period = parsePeriod("current", now, config.fiscalYearStartMonth ? { fiscalYearStartMonth: config.fiscalYearStartMonth } : {});
  const today = isoDay(now);
  const earlier = Math.min(maxDays, daysOf(period, today).length - 1);
  const work = await mkdtemp(join(tmpdir(), "bench-daily-"));
  const out = join(work, "store");
  const emulator = await startEmulator();
  try {
    say(`seeding ${JSON.stringify(MEDIUM)}`);
    await seedEstate(emulator, MEDIUM, now, 16);
    const argv = measure.collectArgv(out, { config: CONFIG, accounts: MEDIUM.accounts, regions: MEDIUM.regions, formats: "json,pdf" });
    const run = async (days: number): Promise<DailyRun> => {
      configureProxy(emulator.proxy, 1);
      const cli = await measure.timedCli(emulator, argv);
      const { collectS, packageS } = measure.phases(cli.events, []);
      if (cli.code !== 0 && cli.code !== 1) throw new Error(`collect failed (exit ${cli.code}):\n${cli.stderr.slice(-3000)}`);
      const result = { days, wallS: cli.wallS, code: cli.code, ...(collectS === undefined ? {} : { collectS }), ...(packageS === undefined ? {} : { packageS }), ...(cli.time.peakRssMb === undefined ? {} : { peakRssMb: cli.time.peakRssMb }) };
      say(`collect with ${days} day(s) of snapshots in the period: ${JSON.stringify(result)}`);
      return result;
    };
    const first = await run(1);
    const copied = await copyToEarlierDays(join(out, config.store.prefix), earlier);
    say(`copied the snapshot to ${copied.length} earlier days (${copied.at(-1)} to ${copied[0]})`);
    const second = await run(copied.length + 1);
    // What reading the period back costs alone, once the second run's snapshot is in the store too.
    const started = performance.now();
    const history = await readHistory(new LocalStore(out, config.store.prefix), period, today, { collector: findCollector });
    const readS = (performance.now() - started) / 1000;
    const snapshots = history.snapshots.length;
    history.dispose();
    say(`readHistory of ${snapshots} snapshots alone: ${readS.toFixed(1)} s`);
    const markdown = render({ now, first, second, readS, snapshots, machine: measure.machineInfo(), load: measure.load1() });
    await writeFile(join("bench", "RESULTS-daily.md"), markdown);
    console.log(markdown);
  } finally {
    await emulator.stop();
    await rm(work, { recursive: true, force: true });
  }
}

function render(input: { now: Date; first: DailyRun; second: DailyRun; readS: number; snapshots: number; machine: ReturnType<typeof measure.machineInfo>; load: number }): string {
  const { first, second, machine } = input;
  const n = (value: number) => value.toLocaleString("en-US");
  const s = (value: number | undefined) => (value === undefined ? "-" : `${value.toFixed(1)} s`);
  const row = (label: string, one: DailyRun) => `| ${label} | ${one.days} | ${s(one.wallS)} | ${s(one.collectS)} | ${s(one.packageS)} | ${one.peakRssMb === undefined ? "-" : `${one.peakRssMb.toFixed(0)} MB`} |`;
  return [
    "# Daily run benchmark: packaging a period late in it",
    "",
    `Run ${input.now.toISOString()} with \`npm run bench:daily\`. The tool runs as \`soc2-evidence collect --period current --config controls.yaml --accounts ${MEDIUM.accounts.join(",")} --regions ${MEDIUM.regions.join(",")} --out $TMP --format json,pdf --json\`, twice into the same store.`,
    "",
    "| Setting | Value |",
    "|---|---|",
    `| Machine | ${machine.cpus} x ${machine.cpuModel}, ${n(Math.round(machine.memoryMb))} MB RAM, node ${machine.node}, moto ${machine.moto}; 1-min load ${input.load.toFixed(2)} at the end |`,
    `| Estate | the medium estate of \`npm run bench\`: ${n(MEDIUM.keys)} KMS keys, ${n(MEDIUM.secrets)} secrets, ${MEDIUM.trails} trails, ${MEDIUM.findings} findings, ${MEDIUM.buckets} buckets, ${MEDIUM.accounts.length} accounts x ${MEDIUM.regions.length} regions; AWS default quotas at the proxy |`,
    `| Earlier days | the first run's snapshot copied to each of the ${second.days - 1} days of the period before today (bench/earlier-days.ts) |`,
    "",
    "| Run | Days of snapshots packaged | Whole command | Collection | Packaging after it | Peak RSS |",
    "|---|--:|--:|--:|--:|--:|",
    row("first, empty store", first),
    row("second, the period's earlier days in the store", second),
    "",
    `Reading the ${input.snapshots} snapshots back alone (readHistory in the bench process, after the second run): ${s(input.readS)}. The tool reads the earlier days while its snapshot is taken (src/package/history.ts readHistoryAhead); read after it, they would add about that much to the second run's packaging.`,
    "",
  ].join("\n");
}

const { values } = parseArgs({ options: { days: { type: "string", default: "92" } } });
await main(Number(values.days));
