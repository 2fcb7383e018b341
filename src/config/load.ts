// Reads controls.yaml: size and encoding checked, parsed with positions, validated whole (eemeli/yaml style errors).
import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument } from "yaml";
import { ConfigError } from "../core/errors.js";
import { isoDay } from "../core/period.js";
import { Checker } from "./checker.js";
import type { ControlsConfig, Problem } from "./types.js";
import { checkConfig } from "./validate.js";

export const MAX_CONFIG_BYTES = 1024 * 1024;

export interface LoadedConfig {
  config: ControlsConfig;
  warnings: string[];
  file: string;
}

export async function loadConfig(file: string, now: Date): Promise<LoadedConfig> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const hint = code === "ENOENT" ? " (pass --config PATH, or create controls.yaml: see the README)" : "";
    throw new ConfigError(`${file}: cannot read the config: ${code ?? String(error)}${hint}`);
  }
  return parseConfig(file, bytes, now);
}

export function parseConfig(file: string, bytes: Buffer | string, now: Date): LoadedConfig {
  const size = typeof bytes === "string" ? Buffer.byteLength(bytes) : bytes.length;
  if (size > MAX_CONFIG_BYTES) {
    throw new ConfigError(`${file}: ${size} bytes is larger than the ${MAX_CONFIG_BYTES}-byte limit for a config file`);
  }
  const text = typeof bytes === "string" ? bytes : decode(file, bytes);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const checker = new Checker(lineCounter);
  for (const error of doc.errors) {
    const { line, col } = error.linePos?.[0] ?? lineCounter.linePos(error.pos[0]);
    checker.problems.push({ severity: "error", code: error.code, path: "", line, col, message: error.message.split("\n")[0] ?? error.message });
  }
  // An unknown tag (`!!js/function`, `!custom`) is refused, not read as a plain string.
  for (const warning of doc.warnings) {
    const { line, col } = warning.linePos?.[0] ?? lineCounter.linePos(warning.pos[0]);
    const message = warning.code === "TAG_RESOLVE_FAILED" ? `${warning.message.split("\n")[0] ?? warning.message}: unknown YAML tags are refused` : (warning.message.split("\n")[0] ?? warning.message);
    checker.problems.push({ severity: "error", code: warning.code, path: "", line, col, message });
  }
  const config = doc.errors.length === 0 && doc.warnings.length === 0 ? checkConfig(doc, checker, isoDay(now)) : undefined;
  const lines = text.split(/\r?\n/);
  const errors = checker.problems.filter((problem) => problem.severity === "error");
  const warnings = checker.problems.filter((problem) => problem.severity === "warning").map((problem) => format(file, problem, lines));
  if (!config || errors.length > 0) {
    const formatted = sortProblems(errors).map((problem) => format(file, problem, lines));
    throw new ConfigError(`${file}: ${errors.length} problem${errors.length === 1 ? "" : "s"}; nothing was collected`, formatted);
  }
  return { config, warnings, file };
}

function decode(file: string, bytes: Buffer): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    // Not UTF-8: find where, for the message.
  }
  const offset = Math.max(0, firstInvalidUtf8(bytes));
  const before = bytes.subarray(0, offset).toString("utf8").split("\n");
  const line = before.length;
  const col = (before.at(-1)?.length ?? 0) + 1;
  const byte = bytes[offset]?.toString(16).padStart(2, "0");
  throw new ConfigError(`${file}:${line}:${col} the file is not valid UTF-8 (byte 0x${byte} at offset ${offset}); save it as UTF-8`);
}

/** Offset of the first byte that does not start a well-formed UTF-8 sequence, or -1. */
function firstInvalidUtf8(bytes: Buffer): number {
  let index = 0;
  while (index < bytes.length) {
    const lead = bytes[index] as number;
    const length = lead < 0x80 ? 1 : lead >> 5 === 6 ? 2 : lead >> 4 === 14 ? 3 : lead >> 3 === 30 ? 4 : 0;
    if (length === 0) return index;
    const sequence = bytes.subarray(index, index + length);
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(sequence);
    } catch {
      return index; // truncated, overlong, a surrogate, or above U+10FFFF
    }
    index += length;
  }
  return -1;
}

const sortProblems = (problems: Problem[]) => [...problems].sort((a, b) => a.line - b.line || a.col - b.col);

/** `controls.yaml:14:9 controls[1].collectors[0].use: message`, then the source line and a caret. */
export function format(file: string, problem: Problem, lines: string[]): string {
  const where = `${file}:${problem.line}:${problem.col}`;
  const source = lines[problem.line - 1];
  const caret = source === undefined ? "" : `\n    ${source}\n    ${" ".repeat(Math.max(0, problem.col - 1))}^`;
  return `${where} ${problem.path ? `${problem.path}: ` : ""}${problem.message}${caret}`;
}
