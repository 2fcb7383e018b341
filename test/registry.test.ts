// Keeps the registry honest: files, ids, the shipped controls.yaml, and declared permissions vs the calls in the code.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { COLLECTORS } from "../collectors/index.js";
import { iamActionFor } from "../src/aws/iam-actions.js";

const PREFIX_FOR: Record<string, string> = {
  kms: "kms",
  "secrets-manager": "secretsmanager",
  cloudtrail: "cloudtrail",
  accessanalyzer: "access-analyzer",
  s3: "s3",
  sts: "sts",
  organizations: "organizations",
  "elastic-load-balancing-v2": "elasticloadbalancing",
  ecs: "ecs",
  eventbridge: "events",
  iam: "iam",
};

/** The IAM actions a source file can call: every `new XCommand(` and `paginateX(` of each SDK client it loads. */
function actionsCalledIn(source: string): string[] {
  const actions = new Set<string>();
  // A collector loads a client's values with `const { ... } = sdk("@aws-sdk/client-x")` (src/core/sdk.ts; lint allows
  // only types by import).
  for (const [, names, client] of source.matchAll(/const\s*\{([^}]*)\}\s*=\s*sdk\("@aws-sdk\/client-([a-z0-9-]+)"\)/g)) {
    const prefix = PREFIX_FOR[client as string];
    if (!prefix) continue;
    for (const raw of (names as string).split(",")) {
      const name = raw.trim();
      const match = /^(?:paginate(\w+)|(\w+)Command)$/.exec(name);
      const operation = match?.[1] ?? match?.[2];
      if (!operation || !new RegExp(`\\b${name}\\(`).test(source)) continue;
      actions.add(iamActionFor(prefix, operation));
    }
  }
  return [...actions];
}

/** The collector file plus the collectors/ modules it imports (judges, shared helpers). */
function sourcesOf(id: string): string {
  const seen = new Set<string>();
  const read = (file: string): string => {
    if (seen.has(file) || !existsSync(file)) return "";
    seen.add(file);
    const text = readFileSync(file, "utf8");
    const local = [...text.matchAll(/from\s+"\.\/([\w.-]+)\.js"/g)].map(([, name]) => `collectors/${name}.ts`);
    return [text, ...local.map(read)].join("\n");
  };
  return read(`collectors/${id}.ts`);
}

describe("the collector registry", () => {
  it("is sorted by id, with unique kebab-case ids", () => {
    const ids = COLLECTORS.map((collector) => collector.id);
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it("lists every collector file in collectors/", () => {
    const files = readdirSync("collectors").filter((file) => file.endsWith(".ts") && file !== "index.ts");
    const descriptors = files.filter((file) => /export default defineCollector\(/.test(readFileSync(`collectors/${file}`, "utf8")));
    expect(descriptors.map((file) => file.replace(/\.ts$/, "")).sort()).toEqual(COLLECTORS.map((collector) => collector.id));
  });

  it.each(COLLECTORS.map((collector) => [collector.id, collector] as const))("%s has its file, tests and metadata", (id, collector) => {
    expect(existsSync(`collectors/${id}.ts`)).toBe(true);
    expect(existsSync(`test/${id}.test.ts`)).toBe(true);
    expect(collector.docsUrl).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
    expect(collector.permissions.length).toBeGreaterThan(0);
    for (const [name, spec] of Object.entries(collector.params)) {
      expect(spec.description, `${id}.${name} needs a description`).not.toBe("");
    }
  });

  it.each(COLLECTORS.map((collector) => [collector.id, collector] as const))("%s declares every AWS action its code calls", (id, collector) => {
    const called = actionsCalledIn(sourcesOf(id));
    expect(called.length).toBeGreaterThan(0);
    for (const action of called) expect(collector.permissions, `${id} calls ${action}`).toContain(action);
  });

  it("never declares an action that reads secret values or decrypts", () => {
    const forbidden = ["secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue", "kms:Decrypt", "secretsmanager:*", "kms:*", "*"];
    for (const collector of COLLECTORS) {
      for (const action of collector.permissions) expect(forbidden).not.toContain(action);
      expect(sourcesOf(collector.id)).not.toMatch(/GetSecretValueCommand|BatchGetSecretValueCommand|DecryptCommand/);
    }
  });

  it("serves every collector the shipped controls.yaml uses", () => {
    const config = parseDocument(readFileSync("controls.yaml", "utf8")).toJS() as { controls: { collectors: { use: string }[] }[] };
    const ids = COLLECTORS.map((collector) => collector.id as string);
    for (const control of config.controls) for (const use of control.collectors) expect(ids).toContain(use.use);
  });
});
