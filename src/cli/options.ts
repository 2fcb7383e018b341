// Options every command shares (SPEC section 3), parsed strictly: an unknown flag is a usage error.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { FORMATS, type Format } from "../../reports/renderer.js";
import type { LoadedConfig } from "../config/load.js";
import { loadConfigFrom } from "../config/source.js";
import { UsageError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { terminalLogger } from "./log.js";
import { LocalStore } from "../store/local.js";
import { openS3Store } from "../store/open.js";
import type { Store } from "../store/store.js";
import type { PhaseHook } from "../core/stop.js";

export const COMMON_OPTIONS = {
  config: { type: "string" },
  out: { type: "string" },
  bucket: { type: "string" },
  prefix: { type: "string" },
  accounts: { type: "string" },
  regions: { type: "string" },
  controls: { type: "string" },
  format: { type: "string" },
  json: { type: "boolean", default: false },
  quiet: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const satisfies ParseArgsConfig["options"];

export type Values = Record<string, string | boolean | undefined>;

export function parse(args: string[], extra: ParseArgsConfig["options"] = {}) {
  try {
    const { values, positionals } = parseArgs({ args, options: { ...COMMON_OPTIONS, ...extra }, allowPositionals: true, strict: true });
    return { values: values as Values, positionals };
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; see soc2-evidence --help`);
  }
}

export const list = (value: unknown): string[] | undefined =>
  typeof value === "string" ? value.split(",").map((entry) => entry.trim()).filter(Boolean) : undefined;

export function formatsOf(values: Values): Format[] {
  if (values.format !== undefined && (list(values.format) ?? []).length === 0) {
    throw new UsageError(`--format is empty: name at least one of ${FORMATS.join(", ")}, or leave it out for all`);
  }
  const requested = list(values.format) ?? [...FORMATS];
  for (const format of requested) {
    if (!(FORMATS as readonly string[]).includes(format)) {
      throw new UsageError(`unknown format "${format}": choose from ${FORMATS.join(", ")}`);
    }
  }
  return requested as Format[];
}

export function loggerFor(values: Values): Logger {
  return terminalLogger(Boolean(values.quiet));
}

export async function configFrom(values: Values, now: Date, log: Logger): Promise<LoadedConfig> {
  const loaded = await loadConfigFrom(typeof values.config === "string" ? values.config : undefined, now);
  for (const warning of loaded.warnings) log.warn("config.warning", { warning });
  return loaded;
}

/** --bucket (or store.bucket) selects S3; otherwise the local folder --out (default ./evidence). */
export async function storeFrom(values: Values, loaded: LoadedConfig): Promise<Store> {
  const prefix = typeof values.prefix === "string" ? values.prefix : loaded.config.store.prefix;
  const normalized = prefix && !prefix.endsWith("/") ? `${prefix}/` : prefix;
  const bucket = typeof values.bucket === "string" ? values.bucket : values.out ? undefined : loaded.config.store.bucket;
  const region = loaded.config.scope.regions[0] ?? "us-east-1";
  if (bucket) return openS3Store({ bucket, prefix: normalized, store: loaded.config.store, region });
  const { signingKey } = loaded.config.store;
  const signer = signingKey ? (await import("../integrity/sign.js")).manifestSignerFor(signingKey, region) : undefined;
  return new LocalStore(typeof values.out === "string" ? values.out : "./evidence", normalized, signer);
}

/**
 * Test hook: with SOC2_EVIDENCE_TEST_HOLD=<phase>, the run announces `test.hold` on stderr when it reaches that phase
 * and waits there for a stop signal, so a test can signal it at exactly that point instead of sleeping and hoping.
 */
export function phaseHold(signal?: AbortSignal): PhaseHook | undefined {
  const held = process.env.SOC2_EVIDENCE_TEST_HOLD;
  if (!held || !signal) return undefined;
  return async (phase) => {
    if (phase !== held) return;
    process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: "info", event: "test.hold", phase }) + "\n");
    if (signal.aborted) return;
    // A pending promise alone keeps nothing alive: with no socket, file or timer open the event loop empties, Node
    // exits 0 mid-run and a SIGTERM sent during teardown kills it with no handler. The held run keeps a timer
    // referenced until the stop arrives, as a real run keeps its sockets and files.
    const alive = setInterval(() => {}, 2 ** 31 - 1);
    await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    clearInterval(alive);
  };
}

export function checkScopeOverrides(values: Values): void {
  for (const name of ["accounts", "regions", "controls"] as const) {
    if (typeof values[name] === "string" && (list(values[name]) ?? []).length === 0) {
      throw new UsageError(`--${name} is empty: name at least one, or leave the option out to use controls.yaml`);
    }
  }
  for (const account of list(values.accounts) ?? []) {
    if (!/^\d{12}$/.test(account)) throw new UsageError(`--accounts: "${account}" is not a 12-digit account ID`);
  }
  for (const region of list(values.regions) ?? []) {
    if (!/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/.test(region)) throw new UsageError(`--regions: "${region}" is not an AWS region name`);
  }
}
