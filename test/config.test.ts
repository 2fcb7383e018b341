import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/load.js";
import { ConfigError } from "../src/core/errors.js";
import { VALID_CONFIG } from "./fixtures/controls.js";

const NOW = new Date("2026-11-25T12:00:00Z");

const VALID = VALID_CONFIG;

function problemsOf(text: string | Buffer): string[] {
  try {
    parseConfig("controls.yaml", text, NOW);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems.map((problem) => problem.split("\n")[0] as string);
  }
  throw new Error("expected the config to be rejected");
}

describe("controls.yaml", () => {
  it("accepts the shipped sample", () => {
    const { config } = parseConfig("controls.yaml", readFileSync("controls.yaml"), NOW);
    expect(config.controls.map((control) => control.id)).toEqual(["CC6.1", "CC6.2", "CC6.7", "CC7.2", "CC7.3", "CC6.3"]);
    expect(config.exceptions[0]?.ticket).toBe("SEC-142");
  });

  it("fills collector defaults and keeps given parameters", () => {
    const { config } = parseConfig("controls.yaml", VALID, NOW);
    expect(config.controls[0]?.collectors[0]?.with).toEqual({ maxRotationPeriodDays: 180, graceDays: 7 });
    expect(config.store.prefix).toBe("");
  });

  it("reads each control's platform mapping", () => {
    const { config } = parseConfig("controls.yaml", readFileSync("controls.yaml"), NOW);
    expect(config.controls[0]?.platforms).toEqual({ vanta: ["crypto-key-rotation"], drata: ["DCF-37"] });
    const mapped = VALID.replace("    title:", "    platforms: { vanta: [key-rotation], drata: [DCF-37, DCF-38] }\n    title:");
    expect(parseConfig("controls.yaml", mapped, NOW).config.controls[0]?.platforms).toEqual({
      vanta: ["key-rotation"],
      drata: ["DCF-37", "DCF-38"],
    });
  });

  it.each([
    ["a Drata id that is not a code", "{ drata: [37] }", /controls\.yaml:\d+:\d+ controls\[0\]\.platforms\.drata\[0\]: expected a Drata control code such as DCF-37/],
    ["an unknown platform", "{ vantaa: [x] }", /controls\.yaml:\d+:\d+ controls\[0\]\.platforms\.vantaa: unknown key "vantaa" \(did you mean "vanta"\?\)/],
    ["a code listed twice", "{ drata: [DCF-1, DCF-1] }", /platforms\.drata\[1\]: "DCF-1" is listed twice/],
    ["a single id instead of a list", "{ vanta: key-rotation }", /platforms\.vanta: expected a list of vanta control ids/],
  ])("rejects a platform mapping with %s, at its line and column", (_name, mapping, message) => {
    const text = VALID.replace("    title:", `    platforms: ${mapping}\n    title:`);
    expect(problemsOf(text).join("\n")).toMatch(message);
  });

  it("names an unknown collector with a did-you-mean, at its line and column", () => {
    const problems = problemsOf(VALID.replace("use: kms-key-rotation", "use: kms-rotaton"));
    expect(problems).toEqual([
      'controls.yaml:10:14 controls[0].collectors[0].use: unknown collector "kms-rotaton" (did you mean "kms-key-rotation"?)',
    ]);
  });

  it("reports every problem at once, in file order", () => {
    const broken = `version: 1
organization: Acme
scope:
  accounts: [123456789012]
  regions: [us-east-1, mars-1]
colors: red
controls:
  - id: CC6.1
    title: Keys rotate
    collectors:
      - use: kms-key-rotation
        with: { maxRotationPeriodDays: "yearly", rotate: true }
  - id: CC6.1
    collectors: []
exceptions:
  - collector: kms-key-rotation
    resource: "arn:aws:kms:*"
`;
    const problems = problemsOf(broken);
    expect(problems.map((problem) => problem.split(" ")[0])).toEqual([
      "controls.yaml:4:3",
      "controls.yaml:5:24",
      "controls.yaml:6:1",
      "controls.yaml:12:40",
      "controls.yaml:12:50",
      "controls.yaml:13:5",
      "controls.yaml:13:9",
      "controls.yaml:14:17",
      "controls.yaml:16:5",
      "controls.yaml:16:5",
      "controls.yaml:16:5",
    ]);
    const text = problems.join("\n");
    expect(text).toContain('scope.assumeRole: "assumeRole" is required');
    expect(text).toContain('"mars-1" is not an AWS region name');
    expect(text).toContain('unknown key "colors"');
    expect(text).toContain("maxRotationPeriodDays: expected a whole number from 90 to 2560");
    expect(text).toContain('unknown key "rotate"');
    expect(text).toContain('duplicate control id "CC6.1"');
    expect(text).toContain('controls[1].title: "title" is required');
    expect(text).toContain("list at least one collector");
    expect(text).toContain('exceptions[0].reason: "reason" is required');
    expect(text).toContain('exceptions[0].approvedBy: "approvedBy" is required');
    expect(text).toContain('"expires" is required');
  });

  it.each([
    ["a number where a string belongs", VALID.replace("organization: Acme Inc.", "organization: 42"), /organization: expected a non-empty string/],
    ["an unquoted account id that lost its leading zero", VALID.replace("[current]", "[012345678901]").replace("regions:", "assumeRole: r\n  regions:"), /quote it: '012345678901'/],
    ["a missing version", VALID.replace("version: 1\n", ""), /"version: 1" is required/],
    ["an invalid cron", VALID + 'schedule: "61 * * * *"\n', /invalid cron expression/],
    ["malformed YAML", "version: 1\ncontrols: [\n", /controls\.yaml:\d+:\d+/],
    ["a typo in a top-level key", VALID.replace("controls:", "control:"), /unknown key "control" \(did you mean "controls"\?\)/],
    ["a bucket name that S3 refuses", VALID + "store: { bucket: Bad_Bucket }\n", /not a valid S3 bucket name/],
    ["a document that is a list", "- a\n- b\n", /expected a mapping/],
  ])("rejects %s", (_name, text, message) => {
    expect(problemsOf(text).join("\n")).toMatch(message);
  });

  it("warns about an expired exception but accepts the file", () => {
    const text = `${VALID}exceptions:
  - collector: kms-key-rotation
    resource: "arn:aws:kms:*:*:key/legacy-*"
    reason: Legacy HSM keys
    approvedBy: ciso@acme.example
    expires: 2026-01-31
`;
    const loaded = parseConfig("controls.yaml", text, NOW);
    expect(loaded.warnings.join("\n")).toMatch(/controls\.yaml:17:14 exceptions\[0\]\.expires: exception expired on 2026-01-31/);
    expect(loaded.config.exceptions[0]?.expires).toBe("2026-01-31");
  });

  it("rejects bytes that are not UTF-8 with the position", () => {
    const bytes = Buffer.concat([Buffer.from("version: 1\norganization: Ac"), Buffer.from([0xff, 0xfe]), Buffer.from("me\n")]);
    expect(() => parseConfig("controls.yaml", bytes, NOW)).toThrow(/controls\.yaml:2:17 the file is not valid UTF-8 \(byte 0xff/);
  });

  it("rejects a file over the size limit without parsing it", () => {
    expect(() => parseConfig("controls.yaml", "#".repeat(2 * 1024 * 1024), NOW)).toThrow(/larger than the 1048576-byte limit/);
  });
});
