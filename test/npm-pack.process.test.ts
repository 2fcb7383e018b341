// What `npm pack` ships: only what runs (the compiled CLI, schemas, the sample controls.yaml, README, LICENSE),
// never tests, fixtures or sources; and the bin it declares is in the tarball and starts as a script.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const manifest = JSON.parse(readFileSync("package.json", "utf8")) as {
  bin: Record<string, string>;
  engines: { node: string };
  scripts: Record<string, string>;
};

let files: string[] = [];
beforeAll(async () => {
  // --ignore-scripts: list what the built tree (npm test builds first) would pack, without building again here.
  const { stdout } = await run("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { maxBuffer: 16 * 1024 * 1024 });
  files = (JSON.parse(stdout) as { files: { path: string }[] }[])[0]?.files.map((file) => file.path) ?? [];
}, 120_000);

describe("the npm package", () => {
  it.each([
    ["the compiled entry point", "dist/src/cli.js"],
    ["the collectors", "dist/collectors/index.js"],
    ["the renderers", "dist/reports/index.js"],
    ["the evidence schema", "schemas/evidence.schema.json"],
    ["the sample controls.yaml", "controls.yaml"],
    ["the README", "README.md"],
    ["the LICENSE", "LICENSE"],
  ])("includes %s (%s)", (_what, path) => {
    expect(files).toContain(path);
  });

  it.each([
    ["tests", /^(dist\/)?test\//],
    ["TypeScript sources", /\.ts$/],
    ["source maps that point at sources it does not ship", /\.map$/],
    ["benchmarks and scripts", /^(dist\/)?(bench|scripts)\//],
    ["evidence, deploy templates and CI", /^(evidence|deploy|\.ci)\//],
  ])("ships no %s", (_what, pattern) => {
    expect(files.filter((path) => pattern.test(path))).toEqual([]);
  });

  it("declares the bin it ships, built by prepare on npm ci, npm pack and git installs", () => {
    expect(files).toContain(manifest.bin["soc2-evidence"]);
    expect(readFileSync(manifest.bin["soc2-evidence"] as string, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(manifest.scripts.prepare).toBe("npm run build");
    expect(manifest.engines.node).toBe(">=22");
  });
});
