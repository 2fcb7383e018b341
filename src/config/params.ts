// A collector's `with:` block checked against the parameter schema the collector declares.
import { isMap, isScalar, isSeq } from "yaml";
import type { ParamSchema, ParamSpec } from "../core/collector.js";
import { join, type Checker, type YamlNode } from "./checker.js";

export function checkParams(node: YamlNode, path: string, schema: ParamSchema, checker: Checker) {
  const values: Record<string, unknown> = Object.fromEntries(
    Object.entries(schema).map(([key, spec]) => [key, spec.default]),
  );
  if (node === undefined || node === null) return values;
  const map = checker.map(node, path, Object.keys(schema));
  if (!map || !isMap(map)) return values;
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : "";
    const spec = schema[key];
    if (!spec) continue;
    const value = checkValue(pair.value as YamlNode, join(path, key), spec, checker);
    if (value !== undefined) values[key] = value;
  }
  return values;
}

function checkValue(node: YamlNode, path: string, spec: ParamSpec, checker: Checker): unknown {
  const value = isScalar(node) ? node.value : undefined;
  switch (spec.type) {
    case "integer": {
      const min = spec.min ?? Number.MIN_SAFE_INTEGER;
      const max = spec.max ?? Number.MAX_SAFE_INTEGER;
      if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return value;
      const range = spec.min !== undefined && spec.max !== undefined ? ` from ${spec.min} to ${spec.max}` : "";
      checker.report(node, path, "param-type", `expected a whole number${range}, got ${describe(node)} (${spec.description})`);
      return undefined;
    }
    case "boolean":
      if (typeof value === "boolean") return value;
      checker.report(node, path, "param-type", `expected true or false, got ${describe(node)}`);
      return undefined;
    case "string":
      if (typeof value === "string" && (!spec.enum || spec.enum.includes(value))) return value;
      checker.report(node, path, "param-type", spec.enum ? `expected one of ${spec.enum.join(", ")}, got ${describe(node)}` : `expected a string, got ${describe(node)}`);
      return undefined;
    case "string[]": {
      const items = isSeq(node) ? node.items.map((item) => (isScalar(item) ? item.value : undefined)) : undefined;
      if (items && items.every((item) => typeof item === "string")) return items;
      checker.report(node, path, "param-type", `expected a list of strings, got ${describe(node)}`);
      return undefined;
    }
  }
}

function describe(node: YamlNode): string {
  if (isScalar(node)) return JSON.stringify(node.value);
  if (isSeq(node)) return "a list";
  if (isMap(node)) return "a mapping";
  return "nothing";
}
