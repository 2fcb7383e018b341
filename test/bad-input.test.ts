// Bad input is refused whole, each problem at its line:column, and nothing is written or called when it is.
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { spawn } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { compileGlob, ExceptionBook, isBlanketGlob, MAX_GLOB_LENGTH } from "../src/config/exceptions.js";
import type { EvidenceItem } from "../src/core/model.js";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseCron, worstScheduleGap } from "../collectors/aws-cron.js";
import { MAX_CONFIG_BYTES, parseConfig } from "../src/config/load.js";
import { ConfigError } from "../src/core/errors.js";
import { parsePeriod } from "../src/core/period.js";
import { callFailureHint, awsErrorCode } from "../src/core/trace.js";
import { LocalStore } from "../src/store/local.js";
import { CLI, runCli, type CliResult } from "./support/cli.js";
import { useEmulator } from "./support/emulator.js";
import { useReliabilityLog } from "./support/reliability.js";
import { VALID_CONFIG } from "./fixtures/controls.js";

const emulator = useEmulator();
const record = useReliabilityLog("bad-input");
const NOW = new Date("2026-11-25T12:00:00Z");

const VALID = VALID_CONFIG;
const exception = (fields: string) =>
  `${VALID}exceptions:\n  - collector: kms-key-rotation\n    resource: "arn:aws:kms:*"\n    reason: r\n    approvedBy: a@b.c\n${fields}`;

/** Every problem's first line, or the error message when the file was refused before parsing. */
function rejection(text: string | Buffer): string[] {
  try {
    parseConfig("controls.yaml", text, NOW);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    return problems.length > 0 ? problems.map((problem) => problem.split("\n")[0] as string) : [message];
  }
  throw new Error("expected the config to be rejected");
}

describe("controls.yaml that is wrong is rejected whole, every problem located", () => {
  const manyKeys = "version: 1\n" + Array.from({ length: 5_000 }, (_, index) => `k${index}: 1`).join("\n");
  it.each([
    {
      id: "malformed-yaml",
      case: "an unclosed flow list",
      text: VALID.replace("regions: [us-east-1]", "regions: [us-east-1"),
      first: "controls.yaml:6:1 Flow sequence",
    },
    {
      id: "tab-indent",
      case: "a tab used for indentation",
      text: VALID.replace("  regions:", "\tregions:"),
      first: "controls.yaml:5:1 Tabs are not allowed",
    },
    {
      id: "duplicate-key",
      case: "a key given twice",
      text: VALID + "organization: Other\n",
      first: 'controls.yaml:12:1 organization: "organization" is given twice in this mapping',
    },
    {
      id: "two-documents",
      case: "a second YAML document",
      text: VALID + "---\nversion: 2\n",
      first: "controls.yaml:12:1 Source contains multiple documents",
    },
    {
      id: "wrong-type-string",
      case: "a number where a string belongs",
      text: VALID.replace("Acme Inc.", "42"),
      first: "controls.yaml:2:15 organization: expected a non-empty string",
    },
    {
      id: "wrong-type-list",
      case: "a scalar where a list belongs",
      text: VALID.replace("[us-east-1]", "us-east-1"),
      first: "controls.yaml:5:12 scope.regions: expected a list",
    },
    {
      id: "wrong-type-param",
      case: "a string for an integer parameter",
      text: VALID.replace("180", '"yearly"'),
      first:
        "controls.yaml:11:40 controls[0].collectors[0].with.maxRotationPeriodDays: expected a whole number from 90 to 2560",
    },
    {
      id: "param-out-of-range",
      case: "a parameter outside what AWS allows",
      text: VALID.replace("180", "5000"),
      first:
        "controls.yaml:11:40 controls[0].collectors[0].with.maxRotationPeriodDays: expected a whole number from 90 to 2560, got 5000",
    },
    {
      id: "unknown-collector",
      case: "a misspelt collector",
      text: VALID.replace("use: kms-key-rotation", "use: kms-rotaton"),
      first:
        'controls.yaml:10:14 controls[0].collectors[0].use: unknown collector "kms-rotaton" (did you mean "kms-key-rotation"?)',
    },
    {
      id: "unknown-key",
      case: "an unknown top-level key",
      text: VALID + "colour: blue\n",
      first: 'controls.yaml:12:1 colour: unknown key "colour"',
    },
    {
      id: "unknown-param",
      case: "an unknown collector parameter",
      text: VALID.replace("180 }", "180, rotate: true }"),
      first: 'controls.yaml:11:45 controls[0].collectors[0].with.rotate: unknown key "rotate"',
    },
    {
      id: "invalid-region",
      case: "regions mars-1, US-EAST-2, us-east-1a",
      text: VALID.replace("[us-east-1]", "[us-east-1, mars-1, US-EAST-2, us-east-1a]"),
      first: 'controls.yaml:5:24 scope.regions[1]: "mars-1" is not an AWS region name',
      count: 3,
    },
    {
      id: "invalid-account",
      case: "account ids '12345', unquoted 012345678901, '1234567890123'",
      text: VALID.replace("[current]", "['12345', 012345678901, '1234567890123']\n  assumeRole: reader"),
      first: 'controls.yaml:4:14 scope.accounts[0]: "12345" is not a 12-digit account ID',
      count: 3,
    },
    {
      id: "invalid-cron",
      case: 'schedule "61 * * * *"',
      text: VALID + 'schedule: "61 * * * *"\n',
      first: 'controls.yaml:12:11 schedule: invalid cron expression "61 * * * *"',
    },
    {
      id: "impossible-expiry",
      case: "an exception expiring 2026-02-30",
      text: exception("    expires: 2026-02-30\n"),
      first: 'controls.yaml:17:14 exceptions[0].expires: "2026-02-30" is not a date',
    },
    {
      id: "exception-unknown-collector",
      case: "an exception for an unknown collector",
      text: exception("    expires: 2099-12-31\n").replace(
        "collector: kms-key-rotation\n    resource",
        "collector: kms-rotation\n    resource",
      ),
      first: 'controls.yaml:13:16 exceptions[0].collector: unknown collector "kms-rotation"',
    },
    {
      id: "alias-bomb",
      case: "nested YAML aliases (billion laughs)",
      text: "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nversion: 1\norganization: *c\n",
      first: 'controls.yaml:1:1 a: unknown key "a"',
      count: 6,
    },
    { id: "empty-file", case: "an empty file", text: "", first: "controls.yaml:1:1 expected a mapping" },
    {
      id: "non-utf8",
      case: "bytes 0xff 0xfe in the organization name",
      text: Buffer.concat([
        Buffer.from("version: 1\norganization: Ac"),
        Buffer.from([0xff, 0xfe]),
        Buffer.from("me\n"),
      ]),
      first: "controls.yaml:2:17 the file is not valid UTF-8 (byte 0xff at offset 27)",
    },
    {
      id: "huge-file",
      case: `a file one byte over ${MAX_CONFIG_BYTES} bytes`,
      text: "#".repeat(MAX_CONFIG_BYTES + 1),
      first: `controls.yaml: ${MAX_CONFIG_BYTES + 1} bytes is larger than the ${MAX_CONFIG_BYTES}-byte limit`,
      unlocated: true,
    },
    // Rejection time grows with the square of the keys (yaml's uniqueKeys check): 20,000 keys took 34 s on a busy 2-core machine.
    {
      id: "many-problems",
      case: `5,000 unknown keys (${Math.round(manyKeys.length / 1024)} KiB)`,
      text: manyKeys,
      first: 'controls.yaml:2:1 k0: unknown key "k0"',
      count: 5_003,
    },
  ])("rejects $case", ({ id, case: what, text, first, count, unlocated }) => {
    const started = performance.now();
    const problems = rejection(text);
    const ms = performance.now() - started;
    expect(
      problems.filter((problem) => problem.startsWith(first)),
      problems[0],
    ).toHaveLength(1);
    expect(problems.length).toBe(count ?? 1);
    // Located at line:column, except a file refused for its size before it is read as YAML.
    expect(problems.filter((problem) => !/^controls\.yaml:\d+:\d+ /.test(problem))).toEqual(
      unlocated ? problems : [],
    );
    record({
      id,
      area: "input",
      case: what,
      outcome: `rejected: ${first}…${count ? ` (${count} problems)` : ""}`,
      measured: `${ms.toFixed(0)} ms`,
    });
  });

  // Overlong forms and surrogates are not UTF-8: a lenient decoder would turn them into U+FFFD silently.
  it.each([
    { id: "utf8-overlong", what: "an overlong NUL (0xc0 0x80)", bytes: [0xc0, 0x80] },
    { id: "utf8-surrogate", what: "a UTF-16 surrogate (0xed 0xa0 0x80)", bytes: [0xed, 0xa0, 0x80] },
  ])("rejects $what as not UTF-8", ({ id, what, bytes }) => {
    const text = Buffer.from(VALID.replace("Acme Inc.", "Ac\u0000me"));
    const at = text.indexOf(0);
    const input = Buffer.concat([text.subarray(0, at), Buffer.from(bytes), text.subarray(at + 1)]);
    let outcome: string;
    try {
      outcome = `KNOWN ISSUE: accepted, organization read as ${JSON.stringify(parseConfig("controls.yaml", input, NOW).config.organization)}`;
    } catch (error) {
      outcome = `rejected: ${(error as Error).message}`;
    }
    record({ id, area: "input", case: `${what} in the organization name`, outcome });
    expect(outcome).toMatch(/^rejected: controls\.yaml:2:17 the file is not valid UTF-8/);
  });
});

describe("periods and schedules that cannot be", () => {
  it.each([
    { id: "period-impossible-day", text: "2026-02-30..2026-03-31", error: /unknown period/ },
    { id: "period-reversed", text: "2026-09-30..2026-07-01", error: /ends \(2026-07-01\) before it starts/ },
    { id: "period-not-started", text: "2099-Q1", error: /has not started/ },
    { id: "period-unknown-quarter", text: "Q5", error: /unknown period/ },
    { id: "period-unknown-half", text: "2026-H3", error: /unknown period/ },
    { id: "period-word", text: "last quarter", error: /unknown period/ },
  ])("refuses period $text", ({ id, text, error }) => {
    expect(() => parsePeriod(text, NOW)).toThrow(
      expect.objectContaining({ name: "PeriodError", message: expect.stringMatching(error) }),
    );
    record({
      id,
      area: "input",
      case: `--period ${text}`,
      outcome: `PeriodError (exit 2): ${error.source.replace(/\\/g, "")}`,
    });
  });

  // Date.UTC reads years 0-99 as 1900-1999, and a fiscal year 0000 would start in year -1: audit periods are
  // limited to the years 1970-9999.
  it.each([
    { id: "period-year-0099", text: "0099", options: {}, start: "refused" },
    { id: "period-fiscal-year-0000", text: "0000", options: { fiscalYearStartMonth: 2 }, start: "refused" },
  ])("refuses year $text or keeps it as written", ({ id, text, options, start }) => {
    let parsed = "refused";
    let outcome = "PeriodError (exit 2)";
    try {
      const period = parsePeriod(text, NOW, options);
      parsed = period.start;
      outcome = `KNOWN ISSUE: read as ${period.start}..${period.end}`;
    } catch (error) {
      expect((error as Error).name).toBe("PeriodError");
    }
    record({
      id,
      area: "input",
      case: `--period ${text}${options.fiscalYearStartMonth ? " with fiscalYearStartMonth 2" : ""}`,
      outcome,
    });
    expect(parsed).toBe(start);
  });

  it.each([
    {
      id: "aws-cron-both-days",
      text: "cron(0 0 * * * *)",
      error: /exactly one of day-of-month and day-of-week must be \?/,
    },
    { id: "aws-cron-range", text: "cron(60 0 ? * MON *)", error: /minutes value "60" is outside 0-59/ },
    { id: "aws-cron-never", text: "cron(0 0 30 2 ? *)", error: /never fires/ },
    { id: "aws-rate-zero", text: "rate(0 days)", error: /at least 1/ },
  ])("refuses rotation schedule $text", ({ id, text, error }) => {
    expect(() => worstScheduleGap(text, NOW)).toThrow(
      expect.objectContaining({ name: "ScheduleError", message: expect.stringMatching(error) }),
    );
    record({
      id,
      area: "input",
      case: `secret rotation schedule ${text}`,
      outcome: `ScheduleError; the secret's item names the invalid schedule: ${error.source.replace(/\\/g, "")}`,
    });
  });

  it("accepts what AWS accepts at the edges of the cron grammar", () => {
    expect(parseCron("0 0 ? * 6#5 *").days).toMatchObject({ field: "day-of-week", nth: [[6, 5]] });
    expect(worstScheduleGap("cron(0 0 1W 1 ? 1970-2199)", NOW).kind).toBe("cron");
  });
});

describe("the CLI refuses bad input before it writes or calls anything", () => {
  let folder: string;
  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), "bad-input-"));
  });
  afterEach(() => rm(folder, { recursive: true, force: true }));
  // The real date: these runs collect now, and a period that excludes today would be incomplete for that reason alone.
  const today = new Date().toISOString().slice(0, 10);

  it.each([
    {
      id: "cli-malformed-yaml",
      case: "malformed YAML",
      config: VALID.replace("[us-east-1]", "[us-east-1") as string | Buffer,
      args: [] as string[],
    },
    {
      id: "cli-unknown-collector",
      case: "an unknown collector",
      config: VALID.replace("kms-key-rotation", "kms-rotaton"),
      args: [],
    },
    {
      id: "cli-non-utf8",
      case: "non-UTF-8 bytes",
      config: Buffer.concat([Buffer.from(VALID), Buffer.from([0xff])]),
      args: [],
    },
    {
      id: "cli-huge-file",
      case: "a 2 MiB config",
      config: VALID + "#".repeat(2 * MAX_CONFIG_BYTES),
      args: [],
    },
    { id: "cli-config-is-folder", case: "--config naming a folder", config: "folder", args: [] },
    {
      id: "cli-impossible-period",
      case: "--period 2026-02-30..2026-03-31",
      config: VALID,
      args: ["--period", "2026-02-30..2026-03-31"],
    },
    { id: "cli-invalid-region-flag", case: "--regions mars-1", config: VALID, args: ["--regions", "mars-1"] },
  ])("exits 2 on $case with the out folder untouched", async ({ id, case: what, config, args }) => {
    const file = join(folder, "controls.yaml");
    if (config === "folder") await mkdir(file);
    else await writeFile(file, config);
    const out = join(folder, "evidence");
    const period = args.includes("--period") ? [] : ["--period", `${today}..${today}`];
    const result = await runCli(
      ["collect", ...period, ...args, "--config", file, "--out", out],
      emulator().env,
    );
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/^soc2-evidence: /);
    expect(existsSync(out)).toBe(false);
    expect(emulator().proxy.calls).toEqual([]);
    record({
      id,
      area: "input",
      case: `collect with ${what}`,
      outcome: "exit 2 with the problem on stderr; no AWS call; the out folder is not created",
    });
  });

  it("warns when an exception matches nothing, and still collects", async () => {
    const file = join(folder, "controls.yaml");
    await writeFile(
      file,
      exception("    expires: 2099-12-31\n").replace('"arn:aws:kms:*"', '"arn:aws:kms:*:*:key/legacy-*"'),
    );
    const result = await runCli(
      [
        "collect",
        "--period",
        `${today}..${today}`,
        "--config",
        file,
        "--out",
        join(folder, "evidence"),
        "--format",
        "json",
      ],
      emulator().env,
    );
    expect(result.code, result.stderr).toBe(0);
    const unused = result.stderr
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line))
      .find((event) => event.event === "exception.unused");
    expect(unused).toMatchObject({
      level: "warn",
      exception: "exceptions[0]",
      resource: "arn:aws:kms:*:*:key/legacy-*",
    });
    record({
      id: "exception-unused",
      area: "input",
      case: "an exception whose ARN glob matches no resource",
      outcome: "collected; warn event exception.unused names exceptions[0] and its glob",
    });
  });

  // An empty account or control list would run nothing and could call a control effective over a population of
  // zero: both are refused before anything runs (and a day counts as covered only with a complete population).
  it.each([
    {
      id: "empty-accounts-config",
      case: "scope.accounts: []",
      config: VALID.replace("[current]", "[]"),
      args: [] as string[],
    },
    { id: "empty-accounts-flag", case: '--accounts ""', config: VALID, args: ["--accounts", ""] },
    {
      id: "empty-controls",
      case: "controls: []",
      config: VALID.replace(/controls:[\s\S]*$/, "controls: []\n"),
      args: [],
    },
  ])("refuses $case instead of packaging nothing as effective", async ({ id, case: what, config, args }) => {
    const file = join(folder, "controls.yaml");
    await writeFile(file, config);
    const result = await runCli(
      [
        "collect",
        "--period",
        `${today}..${today}`,
        ...args,
        "--config",
        file,
        "--out",
        join(folder, "evidence"),
        "--format",
        "json",
        "--json",
      ],
      emulator().env,
    );
    const summary = result.code === 2 ? undefined : JSON.parse(result.stdout);
    record({
      id,
      area: "input",
      case: `collect with ${what}`,
      outcome: summary
        ? `KNOWN ISSUE: accepted; exit ${result.code}, package ${summary.status} with ${summary.controls.length} control(s) and ${Object.values(summary.items as Record<string, number>).reduce((sum, count) => sum + count, 0)} resources`
        : "exit 2",
    });
    expect(result.code).toBe(2);
  });
});

describe("red-team findings: evidence nobody can fake, a tool nobody can turn against its host", () => {
  let folder: string;
  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), "red-team-"));
  });
  afterEach(() => rm(folder, { recursive: true, force: true }));
  const today = new Date().toISOString().slice(0, 10);

  /** A package collected now from VALID into folder/evidence, as JSON only: its folder. */
  async function collectedPackage(): Promise<string> {
    const file = join(folder, "controls.yaml");
    await writeFile(file, VALID);
    const made = await runCli(["collect", "--period", `${today}..${today}`, "--config", file, "--out", join(folder, "evidence"), "--format", "json", "--json"], emulator().env);
    return JSON.parse(made.stdout).package as string;
  }
  const blanket = (resource: string, extra = "") =>
    `${VALID}exceptions:\n  - collector: kms-key-rotation\n    resource: "${resource}"\n    reason: r\n    approvedBy: a@b.c\n    expires: 2099-12-31\n${extra}`;

  it.each([
    { resource: "*", refused: true },
    { resource: "**", refused: true },
    { resource: "arn:*", refused: true },
    { resource: "arn:aws:*", refused: true },
    { resource: "?*", refused: true },
    { resource: "arn:aws:kms:us-east-1:123456789012:key/legacy-*", refused: false },
  ])("judges $resource as a blanket exception: $refused", ({ resource, refused }) => {
    expect(isBlanketGlob(resource)).toBe(refused);
  });

  it("refuses a `*` exception in controls --validate (exit 2) unless it says scope: all", async () => {
    const file = join(folder, "controls.yaml");
    await writeFile(file, blanket("*"));
    const refused = await runCli(["controls", "--validate", "--config", file], emulator().env);
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain('exceptions[0].resource: "*" matches every resource of kms-key-rotation');
    await writeFile(file, blanket("*", "    scope: all\n"));
    const allowed = await runCli(["controls", "--validate", "--config", file], emulator().env);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(emulator().proxy.calls).toEqual([]);
    record({
      id: "exception-blanket",
      area: "input",
      case: 'an exception with resource "*" (every resource of the collector)',
      outcome: 'controls --validate exits 2 naming exceptions[0].resource; accepted only with "scope: all"',
    });
  });

  it.each([
    { case: "one wildcard exception over every failing key", matched: 3, total: 3, scope: undefined, refused: true },
    { case: "one wildcard exception over 3 of 4 items (above the 50% default)", matched: 3, total: 4, scope: undefined, refused: true },
    { case: "one wildcard exception over 1 of 4 items", matched: 1, total: 4, scope: undefined, refused: false },
    { case: "every item, with scope: all", matched: 3, total: 3, scope: "all" as const, refused: false },
  ])("refuses at run time $case: $refused", ({ matched, total, scope, refused }) => {
    const book = new ExceptionBook(
      [{ collector: "kms-key-rotation", resource: "arn:aws:kms:*:key/x*", reason: "r", approvedBy: "a", expires: "2099-12-31", location: "exceptions[0]", ...(scope ? { scope } : {}) }],
      "2026-11-25",
    );
    for (let index = 0; index < total; index += 1) {
      book.apply({ collector: "kms-key-rotation", status: "fail", resource: { arn: index < matched ? `arn:aws:kms:us-east-1:1:key/x${index}` : `arn:aws:kms:us-east-1:1:key/y${index}` } } as unknown as EvidenceItem);
    }
    if (refused) {
      expect(() => book.assertShares()).toThrow(ConfigError);
      expect(((): string => { try { book.assertShares(); } catch (error) { return (error as ConfigError).problems.join(); } return ""; })()).toMatch(/exceptions\[0\].*matched \d of \d items/);
    }
    else expect(() => book.assertShares()).not.toThrow();
  });

  it("matches the pathological glob `*?*?...z` (x25) in steps bounded by text x pattern, not exponentially", () => {
    const glob = `${"*?".repeat(25)}z`;
    // It starts with a wildcard, so validation refuses it as a blanket exception, at once.
    expect(rejectionOrNone(blanket(glob)).join()).toContain("matches every resource");
    const matcher = compileGlob(glob);
    for (const text of ["a".repeat(60), "a".repeat(2048), `${"ab".repeat(1000)}z`]) {
      const expected = text.length >= 50 && text.endsWith("z");
      expect(matcher.test(text)).toBe(expected);
      expect(matcher.steps).toBeLessThanOrEqual((text.length + 1) * (glob.length + 1));
    }
    expect(() => compileGlob("*".repeat(MAX_GLOB_LENGTH + 1))).toThrow(/at most/);
    record({
      id: "exception-glob-redos",
      area: "input",
      case: "an exception glob `*?*?*?...z` (25 repetitions) matched against 2,048-character ARNs",
      outcome: "refused by validation as a blanket glob; matched without a regex in at most text x pattern steps (counted, not timed)",
    });
  });

  it.each([
    { id: "yaml-unknown-tag", case: "an unknown YAML tag (!!js/function)", text: VALID.replace("organization: Acme", 'organization: !!js/function "x"'), first: "Unresolved tag" },
    { id: "too-many-controls", case: "1,001 controls", text: VALID.replace(/controls:[\s\S]*$/, `controls:\n${Array.from({ length: 1001 }, (_, index) => `  - {id: C${index}, title: t, collectors: [{use: kms-key-rotation}]}`).join("\n")}\n`), first: "more than the limit of 1000" },
    { id: "organization-too-long", case: "a 900 KB organization name", text: VALID.replace(/organization: .*/, `organization: ${"x".repeat(900_000)}`), first: "longer than the 256-character limit" },
  ])("refuses $case with its location", ({ id, case: what, text, first }) => {
    const problems = rejectionOrNone(text);
    expect(problems.join("\n")).toContain(first);
    expect(problems[0]).toMatch(/^controls\.yaml:\d+:\d+ /);
    record({ id, area: "input", case: `controls.yaml with ${what}`, outcome: "rejected at its line:column; nothing collected" });
  });

  it.each([
    { id: "period-too-long", case: "--period 1970-01-01..9999-12-31", args: ["collect", "--period", "1970-01-01..9999-12-31"], message: "--allow-long-period" },
    { id: "run-id-without-shards", case: "--run-id without --shards", args: ["collect", "--period", `${today}..${today}`, "--run-id", "x"], message: "give --shards N too" },
    { id: "format-empty", case: '--format ""', args: ["collect", "--period", `${today}..${today}`, "--format", ""], message: "--format is empty" },
    { id: "prefix-escapes", case: "--prefix ../../x", args: ["collect", "--period", `${today}..${today}`, "--prefix", "../../x"], message: "must stay inside --out" },
  ])("exits 2 on $case before any AWS call, nothing written", async ({ id, case: what, args, message }) => {
    const file = join(folder, "controls.yaml");
    await writeFile(file, VALID);
    const out = join(folder, "evidence");
    const result = await runCli([...args, "--config", file, "--out", out], emulator().env);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(message);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(folder, "x"))).toBe(false);
    expect(emulator().proxy.calls).toEqual([]);
    record({ id, area: "input", case: `collect with ${what}`, outcome: "exit 2 with the reason; no AWS call; nothing written" });
  });

  it("files a snapshot with a backdated --run-id under the day it was taken, so it adds no covered day", async () => {
    const file = join(folder, "controls.yaml");
    await writeFile(file, VALID);
    const out = join(folder, "evidence");
    const snap = await runCli(["snapshot", "--shard", "1/1", "--run-id", "20261001T060000Z-x", "--config", file, "--out", out, "--json"], emulator().env);
    expect(snap.code, snap.stderr).toBe(0);
    expect(JSON.parse(snap.stdout).day).toBe(today);
    expect(existsSync(join(out, "snapshots", "2026", "10", "01"))).toBe(today === "2026-10-01");
    const assembled = await runCli(["collect", "--period", "2026-10-01..2026-10-01", "--run-id", "20261001T060000Z-x", "--shards", "1", "--config", file, "--out", out, "--json", "--format", "json"], emulator().env);
    if (today !== "2026-10-01") expect(JSON.parse(assembled.stdout).coverage).toMatchObject({ covered: 0, missing: ["2026-10-01"] });
    record({
      id: "backdated-run-id",
      area: "security",
      case: "snapshot --shard 1/1 --run-id 20261001T060000Z-x taken on another day",
      outcome: "filed under the UTC day it was taken; 2026-10-01 stays uncovered",
    });
  });

  it("refuses to package a snapshot whose stored day does not match its own startedAt", async () => {
    const file = join(folder, "controls.yaml");
    await writeFile(file, VALID);
    const out = join(folder, "evidence");
    const snap = await runCli(["snapshot", "--config", file, "--out", out, "--json"], emulator().env);
    expect(snap.code, snap.stderr).toBe(0);
    const { runId } = JSON.parse(snap.stdout) as { runId: string };
    const [year, month, date] = today.split("-");
    const record_ = join(out, "snapshots", year as string, month as string, date as string, runId, "snapshot.json");
    const stored = JSON.parse(await readFile(record_, "utf8"));
    await rm(record_);
    await writeFile(record_, JSON.stringify({ ...stored, startedAt: "1999-01-01T00:00:00.000Z" }));
    const packaged = await runCli(["collect", "--period", `${today}..${today}`, "--config", file, "--out", out, "--format", "json"], emulator().env);
    expect(packaged.code).toBe(3);
    expect(packaged.stderr).toContain("a snapshot counts only for the day it was taken");
    record({
      id: "misdated-snapshot",
      area: "security",
      case: "a stored snapshot.json whose startedAt is not its day",
      outcome: "packaging exits 3 naming the snapshot; no package written",
    });
  });

  it("verify of a manifest with ../ paths, an absolute path and /dev/zero fails fast, naming each entry, reading nothing", async () => {
    const pkg = join(folder, "packages", "2026-Q4", "run");
    await mkdir(pkg, { recursive: true });
    const outside = join(folder, "secret.txt");
    await writeFile(outside, "secret");
    const sha = "0".repeat(64);
    await writeFile(
      join(pkg, "manifest.json"),
      JSON.stringify({
        schemaVersion: 1, period: "2026-Q4", runId: "run", generatedAt: "x", location: pkg,
        files: [
          { path: "../../../secret.txt", key: "../../../secret.txt", size: 6, sha256: sha },
          { path: outside, key: outside, size: 6, sha256: sha },
          { path: "../../../../../../../../dev/zero", key: "x", size: 1, sha256: sha },
        ],
        snapshots: [{ key: "/dev/zero", size: 1, sha256: sha }],
      }),
    );
    const result = await runCli(["verify", pkg], emulator().env);
    expect(result.code).toBe(1);
    for (const name of ["../../../secret.txt", outside, "../../../../../../../../dev/zero", "/dev/zero"]) {
      expect(result.stdout).toContain(`  ${name}: unsafe: `);
    }
    expect(result.stdout).not.toContain("the manifest lists");
    record({
      id: "verify-outside-paths",
      area: "security",
      case: "verify of a manifest listing ../ paths, an absolute path and /dev/zero",
      outcome: "NOT INTACT at once, each entry named unsafe; no file outside the package is read or hashed",
    });
  });

  it("verify of an emptied manifest, every other file deleted, is not intact and warns first that it is unsigned", async () => {
    const pkg = await collectedPackage();
    const manifest = JSON.parse(await readFile(join(pkg, "manifest.json"), "utf8"));
    await rm(pkg, { recursive: true });
    await mkdir(pkg, { recursive: true });
    await writeFile(join(pkg, "manifest.json"), JSON.stringify({ ...manifest, files: [], snapshots: [] }));
    const result = await runCli(["verify", pkg], emulator().env);
    expect(result.code).toBe(1);
    expect(result.stdout.split("\n")[0]).toMatch(/^WARNING: unsigned package: .*rewrite a file and its hash/);
    expect(result.stdout).toContain("NOT INTACT");
    expect(result.stdout).toContain("evidence.json: missing: the manifest does not list evidence.json");
    record({
      id: "verify-empty-manifest",
      area: "security",
      case: "an unsigned package rewritten to a manifest with files: [] and snapshots: [], every other file deleted",
      outcome: "NOT INTACT (evidence.json missing); the first line warns an unsigned package cannot show a rewrite",
    });
  });

  it("keeps a package store's reads inside it: a sibling folder with the same prefix is refused", async () => {
    await mkdir(join(folder, "pkg"));
    await mkdir(join(folder, "pkg-secret"));
    await writeFile(join(folder, "pkg-secret", "evidence.json"), "secret");
    const store = new LocalStore(join(folder, "pkg"));
    await expect(store.get("../pkg-secret/evidence.json")).rejects.toThrow("key escapes the store");
    await expect(store.getFile(join(folder, "pkg-secret", "evidence.json"))).rejects.toThrow("key escapes the store");
    record({
      id: "store-sibling-folder",
      area: "security",
      case: "a package key reaching a sibling folder (pkg/ and pkg-secret/: a prefix check without the separator)",
      outcome: "refused, \"key escapes the store\"; nothing outside the package folder is read (publish --package reads through it)",
    });
  });

  it("moves latest.json only forward when an older package's write holds the pointer while a newer one arrives", async () => {
    const store = new LocalStore(join(folder, "evidence"));
    await store.preflight();
    const key = "packages/P/latest.json";
    const pointer = (generatedAt: string) => JSON.stringify({ generatedAt });
    const notNewer = (generatedAt: string) => (current: Buffer | undefined) => !current || (JSON.parse(current.toString()) as { generatedAt: string }).generatedAt < generatedAt;
    let arrived!: () => void;
    let release!: () => void;
    const holding = new Promise<void>((resolvePromise) => (arrived = resolvePromise));
    const gate = new Promise<void>((resolvePromise) => (release = resolvePromise));
    // The older package has read the pointer (none yet) and is held before it writes; the newer one then tries.
    const older = store.putPointer(key, pointer("2026-12-01T06:00:00Z"), async (current) => {
      arrived();
      await gate;
      return notNewer("2026-12-01T06:00:00Z")(current);
    });
    await holding;
    const newer = store.putPointer(key, pointer("2026-12-01T07:00:00Z"), notNewer("2026-12-01T07:00:00Z"));
    release();
    await Promise.all([older, newer]);
    expect(JSON.parse(await readFile(join(folder, "evidence", key), "utf8")).generatedAt).toBe("2026-12-01T07:00:00Z");
    record({
      id: "latest-race",
      area: "concurrency",
      case: "two packages publishing latest.json at once, the older one held between reading the pointer and writing it",
      outcome: "latest.json names the newer package: the read, compare and rename happen under one lock",
    });
  });

  it("verify refuses a symlink to a file outside and a device, and counts hidden files as unlisted", async () => {
    const pkg = await collectedPackage();
    await writeFile(join(pkg, ".hidden"), "x");
    const evidence = join(pkg, "evidence.json");
    const size = (await readFile(evidence)).length;
    await writeFile(join(folder, "outside.json"), "x".repeat(size));
    await rm(evidence);
    await symlink(join(folder, "outside.json"), evidence);
    const result = await runCli(["verify", pkg], emulator().env);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("evidence.json: unsafe: ");
    expect(result.stdout).toContain("is a symbolic link");
    expect(result.stdout).toContain(".hidden: unlisted");
    record({
      id: "verify-symlink-hidden",
      area: "security",
      case: "a package file swapped for a symlink out of the package, and a dotfile added",
      outcome: "NOT INTACT: the link is refused unread (unsafe), the dotfile is unlisted",
    });
  });

  it("refuses a symlinked day folder in the store instead of writing where it points", async () => {
    const file = join(folder, "controls.yaml");
    await writeFile(file, VALID);
    const out = join(folder, "evidence");
    const [year, month] = today.split("-");
    await mkdir(join(out, "snapshots", year as string), { recursive: true });
    await mkdir(join(folder, "elsewhere"));
    await symlink(join(folder, "elsewhere"), join(out, "snapshots", year as string, month as string));
    const result = await runCli(["snapshot", "--config", file, "--out", out], emulator().env);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("is a symbolic link");
    expect(await readdir(join(folder, "elsewhere"))).toEqual([]);
    record({
      id: "store-symlink",
      area: "security",
      case: "a store day folder replaced by a symlink to another folder",
      outcome: "snapshot exits 3; nothing is written where the link points",
    });
  });

  it("finds an evidence folder it cannot write before any AWS call, not after the whole collection", async () => {
    const file = join(folder, "controls.yaml");
    await writeFile(file, VALID);
    // root writes through a folder's mode bits, so as root the folder is /proc, where nothing can be created.
    let out = join(folder, "read-only");
    if (process.getuid?.() === 0) out = "/proc";
    else await mkdir(out, { mode: 0o555 });
    const result = await runCli(["snapshot", "--config", file, "--out", out], emulator().env);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain(`cannot write to the evidence folder ${out}`);
    expect(result.stderr).toContain("nothing was collected");
    expect(emulator().proxy.calls).toEqual([]);
    record({
      id: "store-read-only",
      area: "input",
      case: "--out naming a folder nothing can be written to",
      outcome: "exit 3 \"cannot write to the evidence folder\" before any AWS call; nothing collected",
    });
  });

  it("reports a wrong endpoint by its network code, naming the endpoint, not as (Error)", async () => {
    const file = join(folder, "controls.yaml");
    await writeFile(file, VALID);
    const port = await closedPort();
    const result = await runCli(["snapshot", "--config", file, "--out", join(folder, "evidence")], { ...emulator().env, AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` });
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain(`ECONNREFUSED connecting to 127.0.0.1:${port}`);
    expect(result.stderr).toContain("check AWS_ENDPOINT_URL");
    expect(result.stderr).not.toContain("(Error)");
    record({
      id: "endpoint-wrong",
      area: "input",
      case: "AWS_ENDPOINT_URL pointing at a closed port",
      outcome: "exit 3 naming ECONNREFUSED and the address:port, with the fix (check AWS_ENDPOINT_URL); never \"(Error)\"",
    });
  });

  it.each([
    { where: "STS", args: [] as string[], rule: { service: "sts" } },
    { where: "the S3 store", args: ["--bucket", "acme-evidence"], rule: { service: "s3" } },
  ])("shows a refused signature from $where as a bad signature with the fix, not access denied", async ({ args, rule }) => {
    const file = join(folder, "controls.yaml");
    await writeFile(file, VALID);
    emulator().proxy.inject({ ...rule, kind: "badSignature" });
    const result = await runCli(["snapshot", "--config", file, ...(args.length > 0 ? args : ["--out", join(folder, "evidence")])], emulator().env);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain("bad signature (SignatureDoesNotMatch)");
    expect(result.stderr).toMatch(/check the clock .* and the credentials/);
    expect(result.stderr).not.toMatch(/access denied|Unknown/);
    record({
      id: `signature-bad-${rule.service}`,
      area: "input",
      case: `${rule.service === "s3" ? "the S3 evidence store" : "STS"} refuses the request signature (SignatureDoesNotMatch: wrong secret key or clock)`,
      outcome: "exit 3 \"bad signature (SignatureDoesNotMatch)\" with the fix (check the clock and the credentials); never \"access denied (Unknown)\"",
    });
  });

  it.each(["snapshot.writing", "package.writing", "package.manifest", "verify.checking"])(
    "SIGTERM held at %s exits 3 with nothing marked complete, or finishes a package already writing its manifest",
    async (phase) => {
      const file = join(folder, "controls.yaml");
      await writeFile(file, VALID);
      const out = join(folder, "evidence");
      let pkg = "";
      if (phase === "verify.checking") {
        const made = await runCli(["collect", "--period", `${today}..${today}`, "--config", file, "--out", out, "--format", "json", "--json"], emulator().env);
        pkg = JSON.parse(made.stdout).package as string;
      }
      const args = phase === "verify.checking" ? ["verify", pkg] : ["collect", "--period", `${today}..${today}`, "--config", file, "--out", out, "--format", "json"];
      // Its own temporary folder: the staging folder and the spools of the history and the package items go there.
      const scratch = join(folder, "tmp");
      await mkdir(scratch);
      const result = await heldThenSignalled(args, { ...emulator().env, SOC2_EVIDENCE_TEST_HOLD: phase, TMPDIR: scratch });
      expect(result.stderr).not.toMatch(/ERR_STREAM|Unhandled|at .*\.js:\d+/);
      expect(await readdir(scratch)).toEqual([]);
      if (phase === "package.manifest") {
        expect(result.code, result.stderr).toBe(0);
        expect(result.stderr).toContain("package.finishing");
        const manifests = (await readdir(join(out, "packages", `${today}..${today}`), { recursive: true })).filter((name) => String(name).endsWith("manifest.json"));
        expect(manifests).toHaveLength(1);
      } else {
        expect(result.code, result.stderr).toBe(3);
        expect(result.stderr).toContain("stopped by SIGTERM");
        if (phase !== "verify.checking") {
          expect(existsSync(join(out, "packages"))).toBe(false);
          const records = existsSync(join(out, "snapshots")) ? (await readdir(join(out, "snapshots"), { recursive: true })).filter((name) => String(name).endsWith("snapshot.json")) : [];
          expect(records).toHaveLength(phase === "snapshot.writing" ? 0 : 1);
        }
      }
      record({
        id: `sigterm-${phase.replace(".", "-")}`,
        area: "fault",
        case: `SIGTERM while ${phase === "verify.checking" ? "verify checks files" : phase === "snapshot.writing" ? "the snapshot is being written" : phase === "package.writing" ? "the package files are written" : "the manifest is being written"} (held at the phase, then signalled)`,
        outcome: phase === "package.manifest" ? "the package is finished and package.finishing says so; exit by its status" : "exit 3 \"stopped by SIGTERM\"; nothing marked complete; no unhandled error",
      });
    },
  );
});

describe("a call that never reached AWS, or was refused its signature, says so with the fix", () => {
  const socketError = (code: string, fields: Record<string, unknown>) => Object.assign(new Error(`connect ${code}`), { code, ...fields });
  const awsError = (name: string, status: number) => Object.assign(new Error("refused"), { name, $metadata: { httpStatusCode: status } });
  it.each([
    { name: "a refused connection names the address and port", error: socketError("ECONNREFUSED", { address: "127.0.0.1", port: 9 }), hint: "ECONNREFUSED connecting to 127.0.0.1:9" },
    { name: "an unknown host names the host", error: socketError("ENOTFOUND", { hostname: "kms.nowhere.invalid" }), hint: "ENOTFOUND connecting to kms.nowhere.invalid" },
    {
      name: "every address refused (AggregateError) names the first",
      error: Object.assign(new AggregateError([socketError("ECONNREFUSED", { address: "::1", port: 4566 })], ""), { code: "ECONNREFUSED" }),
      hint: "ECONNREFUSED connecting to ::1:4566",
    },
    { name: "S3 and STS SignatureDoesNotMatch is a bad signature", error: awsError("SignatureDoesNotMatch", 403), hint: "bad signature (SignatureDoesNotMatch)" },
    { name: "a JSON service's InvalidSignatureException is a bad signature", error: awsError("InvalidSignatureException", 400), hint: "bad signature (InvalidSignatureException)" },
    { name: "IncompleteSignature is a bad signature", error: awsError("IncompleteSignature", 400), hint: "bad signature (IncompleteSignature)" },
    { name: "access denied is not", error: awsError("AccessDenied", 403), hint: undefined },
    { name: "a throttle is not", error: awsError("ThrottlingException", 400), hint: undefined },
  ])("$name", ({ error, hint }) => {
    const found = callFailureHint(error);
    if (hint === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(hint);
    if (hint?.startsWith("bad signature")) expect(found).toMatch(/check the clock .* and the credentials/);
    if (hint && !hint.startsWith("bad")) expect(awsErrorCode(error)).toBe(hint.split(" ")[0]);
  });
});

function rejectionOrNone(text: string): string[] {
  try {
    parseConfig("controls.yaml", text, NOW);
    return [];
  } catch (error) {
    const { problems, message } = error as ConfigError;
    return problems.length > 0 ? problems.map((problem) => problem.split("\n")[0] as string) : [message];
  }
}

/** A local port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolvePromise) => server.listen(0, "127.0.0.1", resolvePromise));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolvePromise) => server.close(resolvePromise));
  return port;
}

/** Runs the CLI, waits for its `test.hold` event (the run parked at the phase), then sends SIGTERM. */
function heldThenSignalled(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let signalled = false;
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!signalled && stderr.includes('"event":"test.hold"')) {
        signalled = true;
        child.kill("SIGTERM");
      }
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}
