// Run events: one JSON line per event off a TTY (ECS, CI), a short human line on a TTY; never credentials.
import type { Level, Logger } from "../core/log.js";
import { ProgressLine } from "./progress.js";


const SECRET_FIELD = /^(secretaccesskey|sessiontoken|accesskeyid|authorization|password|clientsecret|apikey|token)$/i;
const ACCESS_KEY = /\b(AKIA|ASIA)[A-Z0-9]{16}\b/g;

/** Drops credential-shaped fields and masks access key ids wherever they appear. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return value.replace(ACCESS_KEY, "$1****************");
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return { name: value.name, message: redact(value.message, depth + 1) };
  if (Array.isArray(value)) return value.map((entry) => redact(entry, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, entry]) => [key, SECRET_FIELD.test(key) ? "[redacted]" : redact(entry, depth + 1)]),
  );
}

export interface LoggerOptions {
  json: boolean;
  quiet: boolean;
  write?: (line: string) => void;
  /** On a TTY: the raw terminal writer for the live progress line (src/cli/progress.ts), redrawn in place. */
  live?: (text: string) => void;
  columns?: () => number | undefined;
}

/** How a person reads the run's main events on a terminal: progress with counts, not key=value dumps. */
function humanLine(name: string, fields: Record<string, unknown>, progress: { done: number; total: number }): string | undefined {
  switch (name) {
    case "snapshot.start":
      progress.total = Number(fields.tasks ?? 0);
      progress.done = 0;
      return `collecting: ${fields.collectors} collector(s) x ${fields.accounts} account(s) x ${fields.regions} region(s)`;
    case "collector.done":
      progress.done += 1;
      return `[${progress.done}/${progress.total}] ${fields.collector} ${fields.account}/${fields.region}: ${fields.resources} resources${Number(fields.errors) > 0 ? `, ${fields.errors} errors` : ""}`;
    case "snapshot.done":
      return `snapshot ${fields.runId}: ${fields.pass} pass, ${fields.fail} fail, ${fields.excepted} excepted, ${fields.not_applicable} n/a, ${fields.error} error`;
    default:
      return undefined;
  }
}

export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line + "\n"));
  const progress = { done: 0, total: 0 };
  const live = options.live && !options.json && !options.quiet ? new ProgressLine({ write: options.live, ...(options.columns ? { columns: options.columns } : {}) }) : undefined;
  const print = (line: string) => {
    live?.clear();
    write(line);
    live?.redraw();
  };
  const event = (level: Level, name: string, fields: Record<string, unknown> = {}) => {
    live?.observe(name, fields);
    if (options.quiet && (level === "info" || level === "debug")) return;
    if (level === "debug" && !process.env.SOC2_EVIDENCE_DEBUG) return;
    const safe = redact(fields) as Record<string, unknown>;
    if (options.json) {
      write(JSON.stringify({ time: new Date().toISOString(), level, event: name, ...safe }));
      return;
    }
    const human = level === "info" ? humanLine(name, safe, progress) : undefined;
    if (human !== undefined) {
      print(human);
      return;
    }
    const details = Object.entries(safe)
      .map(([key, entry]) => `${key}=${typeof entry === "string" ? entry : JSON.stringify(entry)}`)
      .join(" ");
    print(`${level === "info" ? "" : `${level}: `}${name}${details ? ` ${details}` : ""}`);
  };
  return {
    event,
    info: (name, fields) => event("info", name, fields),
    warn: (name, fields) => event("warn", name, fields),
    error: (name, fields) => event("error", name, fields),
  };
}

/** The run's logger for a command: JSON lines off a TTY, human lines and the live progress line on one. */
export function terminalLogger(quiet: boolean, stream: NodeJS.WriteStream = process.stderr): Logger {
  if (!stream.isTTY) return createLogger({ json: true, quiet });
  return createLogger({ json: false, quiet, live: (text) => stream.write(text), columns: () => stream.columns });
}

export const silentLogger: Logger = { event() {}, info() {}, warn() {}, error() {} };
