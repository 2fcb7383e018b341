// The fault suites' small estate (KMS keys and secrets in two regions) and `collect` run in-process against it,
// with the clock, the store and the signal in the test's hands.
import { CreateKeyCommand, EnableKeyRotationCommand, KMSClient } from "@aws-sdk/client-kms";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Format } from "../../reports/renderer.js";
import { collectJob } from "../../src/run/jobs.js";
import { readBack, type CollectedPackage } from "./read-back.js";
import { parseConfig } from "../../src/config/load.js";
import { createLogger } from "../../src/cli/log.js";
import type { ItemStatus } from "../../src/core/model.js";
import type { PackageItem } from "../../src/core/package-model.js";
import { parsePeriod } from "../../src/core/period.js";
import type { Store } from "../../src/store/store.js";
import { LocalPackageSource, verifyPackage, type VerifyReport } from "../../src/integrity/verify.js";
import { seedSecrets } from "../fixtures/secrets.js";
import { clientConfig, type Emulator } from "./emulator.js";

export const REGIONS = ["us-east-1", "us-east-2"] as const;

export const SMALL_ESTATE_CONFIG = `version: 1
organization: Fault Drill Inc.
scope: { accounts: [current], regions: [${REGIONS.join(", ")}] }
controls:
  - id: CC6.1
    title: Keys and secrets rotate
    collectors:
      - use: kms-key-rotation
      - use: secrets-rotation
`;

/** Two rotating KMS keys and two rotating secrets in each region: every item passes when nothing goes wrong. */
export async function seedSmallEstate(emulator: Emulator, now: Date): Promise<void> {
  for (const region of REGIONS) {
    const kms = new KMSClient(clientConfig(emulator, region));
    for (const name of ["orders", "billing"]) {
      const key = await kms.send(new CreateKeyCommand({ Description: `${name} ${region}` }));
      await kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyMetadata?.KeyId }));
    }
    kms.destroy();
    await seedSecrets(
      emulator,
      region,
      ["db", "api"].map((name) => ({
        name: `prod/${name}`,
        rotation: { AutomaticallyAfterDays: 30 },
        lastRotatedDaysAgo: 5,
        createdDaysAgo: 20,
      })),
      now,
    );
  }
}

/** Resources per run: 2 regions x (2 keys + 2 secrets). */
export const ESTATE_SIZE = 8;

export interface RunOptions {
  store: Store;
  now?: () => Date;
  signal?: AbortSignal;
  /** Epoch ms after which a throttled call is not retried again. */
  deadline?: number;
  /** Log events (the JSON lines the CLI would print) land here. */
  events?: Record<string, unknown>[];
  /** Default: today..today, one day, so a complete, clean run is `effective`. */
  period?: string;
  config?: string;
  formats?: Format[];
}

/** `collect --period P --format json` in this process. */
export function runCollect(options: RunOptions): Promise<CollectedPackage> {
  const now = options.now ?? (() => new Date());
  const start = now();
  const today = start.toISOString().slice(0, 10);
  const config = parseConfig("controls.yaml", options.config ?? SMALL_ESTATE_CONFIG, start).config;
  const events = options.events ?? [];
  const log = createLogger({ json: true, quiet: false, write: (line) => events.push(JSON.parse(line)) });
  return readBack(options.store, collectJob(
    { config, store: options.store, log, now, ...(options.signal ? { signal: options.signal } : {}), ...(options.deadline !== undefined ? { deadline: options.deadline } : {}) },
    parsePeriod(options.period ?? `${today}..${today}`, start),
    options.formats ?? ["json"],
  ));
}

export const resourceKey = (item: Pick<PackageItem, "collector" | "region" | "resource">) =>
  `${item.collector} ${item.region} ${item.resource.arn}`;

/** resource -> status, the fault-free verdicts a faulted run is compared with. */
export const verdicts = (result: CollectedPackage) =>
  new Map<string, ItemStatus>(result.pkg.items.map((item) => [resourceKey(item), item.status]));

/**
 * What a fault may change, and nothing more: each resource either keeps its fault-free verdict or is an `error`
 * item with an AWS error code in `codes`; a resource that is missing altogether is covered by a population error
 * for its collector and region. Returns the error items.
 */
export function onlyFaultedItemsChanged(
  baseline: Map<string, ItemStatus>,
  faulted: CollectedPackage,
  codes: readonly string[],
) {
  const items = new Map(faulted.pkg.items.map((item) => [resourceKey(item), item]));
  const problems: string[] = [];
  const errors = faulted.pkg.items.filter((item) => item.status === "error");
  for (const item of errors) {
    if (!codes.includes(String(item.observed.errorCode)))
      problems.push(`${resourceKey(item)}: unexpected code ${String(item.observed.errorCode)}`);
  }
  for (const [key, status] of baseline) {
    const item = items.get(key);
    if (item) {
      if (item.status !== status && item.status !== "error")
        problems.push(`${key}: ${status} became ${item.status}`);
      continue;
    }
    const [collector, region] = key.split(" ");
    const covered = errors.some(
      (error) =>
        error.collector === collector && error.region === region && error.resource.type === "Population",
    );
    if (!covered) problems.push(`${key}: missing, and no population error says why`);
  }
  return { errors, problems };
}

/** Every package under the store root that has a manifest, with its verify report. */
export async function verifyEveryPackage(root: string) {
  const reports: VerifyReport[] = [];
  if (!existsSync(join(root, "packages"))) return reports;
  for (const period of await readdir(join(root, "packages"))) {
    for (const run of await readdir(join(root, "packages", period), { withFileTypes: true })) {
      const folder = join(root, "packages", period, run.name);
      if (!run.isDirectory() || !existsSync(join(folder, "manifest.json"))) continue;
      reports.push(await verifyPackage(new LocalPackageSource(folder)));
    }
  }
  return reports;
}

/** packages/<period>/latest.json, parsed, or undefined. */
export async function latestOf(
  root: string,
  period: string,
): Promise<{ runId: string; manifest: string } | undefined> {
  const file = join(root, "packages", period, "latest.json");
  return existsSync(file) ? JSON.parse(await readFile(file, "utf8")) : undefined;
}

/** Store keys (paths relative to the root) of every file under it. */
export async function keysUnder(root: string): Promise<string[]> {
  if (!existsSync(root)) return [];
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1))
    .sort();
}
