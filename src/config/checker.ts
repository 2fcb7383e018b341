// Walks the YAML tree collecting every problem with its key path and line:column, instead of stopping at the first.
import { isMap, isScalar, isSeq, type LineCounter, type Node, type Pair, type YAMLMap, type YAMLSeq } from "yaml";
import type { Problem } from "./types.js";

export type YamlNode = Node | null | undefined;

/** Longest string value accepted in controls.yaml unless a key sets its own limit (a page of text). */
export const MAX_STRING_LENGTH = 4096;

export class Checker {
  readonly problems: Problem[] = [];

  constructor(private readonly lineCounter: LineCounter) {}

  report(node: YamlNode | Pair, path: string, code: string, message: string, severity: Problem["severity"] = "error") {
    const offset = offsetOf(node);
    const { line, col } = offset === undefined ? { line: 1, col: 1 } : this.lineCounter.linePos(offset);
    this.problems.push({ severity, code, path, line, col, message });
  }

  warn(node: YamlNode | Pair, path: string, code: string, message: string) {
    this.report(node, path, code, message, "warning");
  }

  /** The map at `node`, or a problem; unknown keys are reported with a did-you-mean. */
  map(node: YamlNode, path: string, allowed: readonly string[]): YAMLMap | undefined {
    if (!isMap(node)) {
      this.report(node, path, "type", `expected a mapping with keys ${allowed.join(", ")}`);
      return undefined;
    }
    // Duplicate keys are found here with a Set: the parser's own check is quadratic in the number of keys.
    const seen = new Set<string>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (seen.has(key)) this.report(pair.key as Node, join(path, key), "duplicate-key", `"${key}" is given twice in this mapping`);
      seen.add(key);
      if (!allowed.includes(key)) {
        const hint = suggest(key, allowed);
        this.report(
          pair.key as Node,
          join(path, key),
          "unknown-key",
          `unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : `; allowed: ${allowed.join(", ")}`}`,
        );
      }
    }
    return node;
  }

  seq(node: YamlNode, path: string, what: string): YAMLSeq | undefined {
    if (!isSeq(node)) {
      this.report(node, path, "type", `expected a list of ${what}`);
      return undefined;
    }
    return node;
  }

  string(map: YAMLMap, key: string, path: string, required: boolean, maxLength = MAX_STRING_LENGTH): string | undefined {
    const node = map.get(key, true) as YamlNode;
    const at = join(path, key);
    if (node === undefined || node === null || (isScalar(node) && node.value === null)) {
      if (required) this.report(map, at, "missing", `"${key}" is required`);
      return undefined;
    }
    if (!isScalar(node) || typeof node.value !== "string" || node.value.trim() === "") {
      this.report(node, at, "type", `expected a non-empty string`);
      return undefined;
    }
    if (node.value.length > maxLength) {
      this.report(node, at, "length", `${node.value.length} characters is longer than the ${maxLength}-character limit`);
      return undefined;
    }
    return node.value;
  }

  integer(map: YAMLMap, key: string, path: string, min: number, max: number): number | undefined {
    const node = map.get(key, true) as YamlNode;
    if (node === undefined || node === null) return undefined;
    const value = isScalar(node) ? node.value : undefined;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      this.report(node, join(path, key), "type", `expected a whole number from ${min} to ${max}`);
      return undefined;
    }
    return value;
  }
}

function offsetOf(node: YamlNode | Pair): number | undefined {
  if (!node) return undefined;
  if ("range" in node && node.range) return node.range[0];
  if ("key" in node) return offsetOf(node.key as Node);
  return undefined;
}

export function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/** The closest allowed word, when it is close enough to be a typo. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
