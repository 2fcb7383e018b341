import { describe, expect, it } from "vitest";
import { createLogger, redact } from "../src/cli/log.js";

describe("run events", () => {
  it("writes one JSON object per line off a TTY", () => {
    const lines: string[] = [];
    const log = createLogger({ json: true, quiet: false, write: (line) => lines.push(line) });
    log.info("collector.done", { collector: "kms-key-rotation", resources: 3 });
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: "info", event: "collector.done", resources: 3 });
  });

  it("shows progress with counts on a terminal", () => {
    const lines: string[] = [];
    const log = createLogger({ json: false, quiet: false, write: (line) => lines.push(line) });
    log.info("snapshot.start", { collectors: 2, accounts: 1, regions: 2, tasks: 4 });
    log.info("collector.done", { collector: "kms-key-rotation", account: "123456789012", region: "us-east-1", resources: 12, errors: 1 });
    expect(lines).toEqual([
      "collecting: 2 collector(s) x 1 account(s) x 2 region(s)",
      "[1/4] kms-key-rotation 123456789012/us-east-1: 12 resources, 1 errors",
    ]);
  });

  it("never writes credentials", () => {
    const lines: string[] = [];
    const log = createLogger({ json: true, quiet: false, write: (line) => lines.push(line) });
    log.warn("debug", { secretAccessKey: "wJalrXUtnFEMI/K7MDENG", nested: { sessionToken: "abc" }, note: "key AKIAIOSFODNN7EXAMPLE used" });
    expect(lines[0]).not.toContain("wJalrXUtnFEMI");
    expect(lines[0]).not.toContain("abc\"");
    expect(lines[0]).not.toContain("AKIAIOSFODNN7EXAMPLE");
    expect(redact({ Authorization: "AWS4-HMAC-SHA256 Credential=x" })).toEqual({ Authorization: "[redacted]" });
  });

  it("keeps quiet runs to warnings and errors", () => {
    const lines: string[] = [];
    const log = createLogger({ json: true, quiet: true, write: (line) => lines.push(line) });
    log.info("snapshot.start", {});
    log.warn("store.warning", { warning: "bucket policy allows HTTP" });
    expect(lines).toHaveLength(1);
  });
});
