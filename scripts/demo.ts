// npm run demo: the whole tool against a local AWS emulator seeded with the acme estate; no AWS account needed.
// Usage: tsx scripts/demo.ts [--out DIR] [--days N]   (default ./evidence, the quarter to date; the CLI must be built)
// It simulates one snapshot a day up to yesterday, time moving between them through the fixtures' clock, then runs
// the built CLI once, today, to take today's snapshot and write the package.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { parseDocument } from "yaml";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config/load.js";
import { silentLogger } from "../src/cli/log.js";
import { addDays, daysOf, parsePeriod } from "../src/core/period.js";
import { snapshotJob } from "../src/run/jobs.js";
import { storeFrom } from "../src/cli/options.js";
import { ACME_CONTROLS, seedAcme } from "../test/fixtures/acme.js";
import { FAILING_SECRET, findingOnDay, PAUSED_KEY_ALIAS, QUARTER_FINDING, quarterStory, tellQuarter, type QuarterStory } from "../test/fixtures/acme-quarter.js";
import { signDigestsLikeAws } from "../test/fixtures/evidence-bucket.js";
import { clientConfig, startEmulator, type Emulator } from "../test/support/emulator.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CLI = join(ROOT, "dist/src/cli.js");
const CONFIG = join(ROOT, ACME_CONTROLS);
/** Exit code when the demo itself cannot run (no moto, no build): SPEC's "the run could not complete". */
const CANNOT_RUN = 3;

const say = (line = "") => process.stdout.write(`${line}\n`);

let emulator: Emulator | undefined;
let cli: ChildProcess | undefined;
let stopping: Promise<void> | undefined;
const stopEmulator = () => (stopping ??= emulator?.stop().catch(() => undefined) ?? Promise.resolve());

// Interrupted or killed: stop the CLI and the emulator before going, and exit 128 + the signal's number. Kept
// registered (not `once`), so moto's own last-resort handler sees a listener and leaves the stopping to this one.
for (const [signal, number] of [
  ["SIGINT", 2],
  ["SIGTERM", 15],
  ["SIGHUP", 1],
] as const) {
  process.on(signal, () => {
    say(`\ndemo: ${signal}, stopping the emulator`);
    cli?.kill(signal);
    void stopEmulator().finally(() => process.exit(128 + number));
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { out: { type: "string", default: "./evidence" }, days: { type: "string" } } });
  const out = resolve(values.out ?? "./evidence");
  const now = new Date();
  const today = now.toISOString().slice(0, 10);
  const days = values.days === undefined ? undefined : Number(values.days);
  if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 366)) {
    say(`demo: --days must be a whole number of days from 1 to 366, not ${values.days}`);
    return CANNOT_RUN;
  }
  // The quarter to date, or the last N days up to today.
  const periodArg = days === undefined ? "current" : `${addDays(today, 1 - days)}..${today}`;
  const period = parsePeriod(periodArg, now);
  if (!existsSync(CLI)) {
    say(
      `demo: ${relative(process.cwd(), CLI)} is missing; build it first (npm run demo builds it): npm run build`,
    );
    return CANNOT_RUN;
  }
  say(
    "soc2-evidence demo: the acme estate in a local AWS emulator (moto behind a test proxy); no AWS account is used.",
  );
  emulator = await startEmulator();
  say(`emulator: ${emulator.endpoint} (moto pid ${emulator.moto.pid})`);
  const started = Date.now();
  const story = quarterStory(daysOf(period, today));
  let simulated: Date | undefined;
  const clock = () => simulated ?? new Date();
  const estate = await seedAcme(emulator, { now, clock, rotationFailsFrom: { name: FAILING_SECRET, from: story.rotationFailsFrom } });
  await tellQuarter(emulator, story, clock, now);
  say(
    `seeded: accounts ${estate.accounts.join(", ")} x regions ${estate.regions.join(", ")}, ` +
      `${estate.expected.length} resources in ${((Date.now() - started) / 1000).toFixed(1)}s`,
  );
  tellStory(story);
  const simulatedFrom = Date.now();
  const snapshots = await simulateDays(story, out, emulator, (at) => (simulated = at));
  simulated = undefined;
  findingOnDay(emulator, story, today);
  say(`simulated ${snapshots} daily snapshots in ${((Date.now() - simulatedFrom) / 1000).toFixed(1)}s`);
  // The package is written in this one step: today's snapshot and the package, by the built CLI.
  const config = await signingConfig(emulator, out);
  const args = ["collect", "--period", periodArg, "--config", config, "--out", out];
  say(`\n$ soc2-evidence ${args.join(" ")}\n`);
  const code = await runCli(args, emulator.env);
  say();
  const folder = await reportPackage(out, period.label);
  if (folder) {
    say(`\n$ soc2-evidence verify --require-signature ${folder}\n`);
    const verified = await runCli(["verify", "--require-signature", folder], emulator.env);
    if (verified !== 0) return verified;
  }
  if (code === 1) {
    // The CLI's exit 1 is the demo's success: the estate is built to have deficient controls. npm would show it as
    // a failed script, so the demo itself exits 0 once the package is written.
    say(`soc2-evidence exited 1: package written, some controls deficient, as the demo estate intends.`);
    return 0;
  }
  return code;
}

function tellStory(story: QuarterStory): void {
  const first = story.days[0] as string;
  const span = (days: string[]) => (days.length ? `${days[0]} to ${days.at(-1)}` : "none (the window is too short)");
  say(`\nsimulating ${story.days.length - 1} days from ${first}, one snapshot a day, then today's run:`);
  say(`  the scheduler is down:               ${span(story.schedulerDown)} (no snapshot)`);
  say(`  ${FAILING_SECRET}'s rotation Lambda fails from ${story.rotationFailsFrom.toISOString().slice(0, 10)}`);
  say(`  ${PAUSED_KEY_ALIAS} has automatic rotation off: ${span(story.keyRotationOff)}`);
  say(`  ${QUARTER_FINDING.resource} is public (Access Analyzer finding ${QUARTER_FINDING.id}): ${span(story.findingOpen)}, then resolved`);
}

/** One snapshot a day before today, at 06:00 UTC, in this process, the fixtures answering as of that day. */
async function simulateDays(story: QuarterStory, out: string, emulator: Emulator, setClock: (at: Date) => void): Promise<number> {
  const saved = { ...process.env };
  Object.assign(process.env, emulator.env);
  delete process.env.AWS_PROFILE;
  try {
    const loaded = await loadConfig(CONFIG, new Date());
    const { config } = loaded;
    // The store the CLI's --out opens, so today's run and the package read these snapshots.
    const store = await storeFrom({ out }, loaded);
    const down = new Set(story.schedulerDown);
    let taken = 0;
    for (const day of story.days.slice(0, -1)) {
      findingOnDay(emulator, story, day);
      if (down.has(day)) continue;
      const at = new Date(`${day}T06:00:00.000Z`);
      setClock(at);
      await snapshotJob({ config, store, log: silentLogger, now: () => at });
      taken += 1;
    }
    return taken;
  } finally {
    process.env = saved;
  }
}

/** The acme config with store.signingKey set to an ECC_NIST_P256 key made in the emulator: the demo signs, as a deployment does. */
async function signingConfig(emulator: Emulator, out: string): Promise<string> {
  signDigestsLikeAws(emulator);
  const kms = new KMSClient(clientConfig(emulator));
  const key = await kms.send(new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY", Description: "demo manifest signing" }));
  kms.destroy();
  const document = parseDocument(await readFile(CONFIG, "utf8"));
  document.setIn(["store", "signingKey"], key.KeyMetadata?.Arn);
  await mkdir(out, { recursive: true });
  const path = join(out, "controls.signed.yaml");
  await writeFile(path, document.toString());
  say(`signing key (emulator): ${key.KeyMetadata?.Arn}`);
  return path;
}

/** Runs the built CLI with the emulator's environment, its output streamed straight through. */
function runCli(args: string[], env: Record<string, string>): Promise<number> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  // A profile would point the SDK at real credentials; the emulator's are in the environment.
  delete childEnv.AWS_PROFILE;
  return new Promise((resolvePromise, reject) => {
    cli = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "inherit", "inherit"], env: childEnv });
    cli.once("error", reject);
    cli.once("close", (code, signal) => {
      cli = undefined;
      if (code === null) say(`demo: the CLI was stopped by ${signal}`);
      resolvePromise(code ?? CANNOT_RUN);
    });
  });
}

/** Where the package is: latest.json for the period points at its manifest. */
async function reportPackage(out: string, label: string): Promise<string | undefined> {
  const { config } = await loadConfig(CONFIG, new Date());
  const latest = join(out, config.store.prefix, "packages", label, "latest.json");
  if (!existsSync(latest)) {
    say(`no package was written (${latest} is missing)`);
    return;
  }
  const pointer = JSON.parse(await readFile(latest, "utf8")) as { manifest: string; status: string };
  const folder = dirname(join(out, config.store.prefix, pointer.manifest));
  say(`package (${pointer.status}): ${folder}`);
  for (const file of ["report.pdf", "evidence.json", "manifest.json"]) {
    const path = join(folder, file);
    if (existsSync(path)) say(`  ${file.padEnd(14)} ${path}`);
    else if (file === "report.pdf") say(`  ${file.padEnd(14)} not rendered by this build`);
  }
  // As the installed CLI runs: npx finds the checkout's own bin (npm ci built it), or the global install.
  say(`verify it: npx soc2-evidence verify --require-signature ${folder}`);
  const pkg = JSON.parse(await readFile(join(folder, "evidence.json"), "utf8")) as {
    period: { label: string; days: number };
    coverage: { covered: number };
    items: { collector: string; resource: { name?: string; arn: string }; status: string; snapshot: { status: string }; period?: { status: string; reason: string } }[];
  };
  say(`\ncoverage: ${pkg.coverage.covered} of the ${pkg.period.days} days of ${pkg.period.label} have a complete snapshot.`);
  // Every collector's verdicts at a glance: the estate has a passing and a failing case for each.
  const byCollector = new Map<string, Map<string, number>>();
  for (const item of pkg.items) {
    const counts = byCollector.get(item.collector) ?? new Map<string, number>();
    counts.set(item.status, (counts.get(item.status) ?? 0) + 1);
    byCollector.set(item.collector, counts);
  }
  say(`items by collector:`);
  for (const [collector, counts] of [...byCollector].sort(([a], [b]) => a.localeCompare(b))) {
    say(`  ${collector.padEnd(26)} ${[...counts].map(([status, count]) => `${count} ${status}`).join(", ")}`);
  }
  const periodOnly = pkg.items.filter((item) => item.period?.status === "fail" && item.snapshot.status === "pass");
  say(`failed for the period though today passes (${periodOnly.length}):`);
  for (const item of periodOnly) say(`  ${item.resource.name ?? item.resource.arn}: ${item.period?.reason}`);
  return folder;
}

async function run(): Promise<number> {
  try {
    return await main();
  } catch (error) {
    say(`demo: ${error instanceof Error ? error.message : String(error)}`);
    return CANNOT_RUN;
  } finally {
    await stopEmulator();
  }
}

void run().then((code) => {
  process.exitCode = code;
});
