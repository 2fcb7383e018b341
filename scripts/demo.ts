// npm run demo: the whole tool against a local AWS emulator seeded with the acme estate; no AWS account needed.
// Usage: tsx scripts/demo.ts [--out DIR]   (default ./evidence; the CLI must be built: npm run build)
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { parseDocument } from "yaml";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config/load.js";
import { parsePeriod } from "../src/core/period.js";
import { ACME_CONTROLS, seedAcme } from "../test/fixtures/acme.js";
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
  const { values } = parseArgs({ options: { out: { type: "string", default: "./evidence" } } });
  const out = resolve(values.out ?? "./evidence");
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
  const estate = await seedAcme(emulator);
  say(
    `seeded: accounts ${estate.accounts.join(", ")} x regions ${estate.regions.join(", ")}, ` +
      `${estate.expected.length} resources in ${((Date.now() - started) / 1000).toFixed(1)}s`,
  );
  const config = await signingConfig(emulator, out);
  const args = ["collect", "--period", "current", "--config", config, "--out", out];
  say(`\n$ soc2-evidence ${args.join(" ")}\n`);
  const code = await runCli(args, emulator.env);
  say();
  const folder = await reportPackage(out);
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
async function reportPackage(out: string): Promise<string | undefined> {
  const { config } = await loadConfig(CONFIG, new Date());
  const period = parsePeriod("current", new Date());
  const latest = join(out, config.store.prefix, "packages", period.label, "latest.json");
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
  const cli = relative(process.cwd(), CLI);
  say(`verify it: node ${cli.startsWith("..") ? CLI : cli} verify --require-signature ${folder}`);
  const pkg = JSON.parse(await readFile(join(folder, "evidence.json"), "utf8")) as {
    period: { label: string; days: number };
    coverage: { covered: number };
  };
  say(
    `\nNote: the demo takes one snapshot, today, so ${pkg.coverage.covered} of the ${pkg.period.days} days of ` +
      `${pkg.period.label} to date have a snapshot and the rest of the quarter shows as gaps. A deployment ` +
      "snapshots every day (soc2-evidence schedule, or the ECS task in deploy/).",
  );
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
