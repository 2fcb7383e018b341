// The README stays true: its collector table is the one the registry generates, and its commands exist.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { withCollectorTable } from "../src/docs/collector-table.js";

const readme = readFileSync("README.md", "utf8");
const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> };

describe("README.md", () => {
  it("carries the collector table generated from the collectors (run `npm run readme` to refresh)", () => {
    expect(readme).toBe(withCollectorTable(readme));
  });

  it("names on its first screen the run and test commands that package.json defines", () => {
    const firstScreen = readme.split("\n").slice(0, 40).join("\n");
    expect(firstScreen).toContain("npm run demo");
    expect(firstScreen).toContain("npm test");
    expect(pkg.scripts.demo).toBeDefined();
    expect(pkg.scripts.test).toBeDefined();
    expect(readFileSync(".ci/run", "utf8")).toContain("npm test");
  });
});
