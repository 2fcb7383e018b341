// Security over a full run of the CLI on the acme estate (every collector, two accounts, two regions, every format):
// no secret value or key material is read, nothing is written to AWS, and no credential or seeded secret value
// appears in the logs, the output or any evidence file (PDFs read back as text).
import { readFile, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACME_CONTROLS, seedAcme, type AcmeEstate } from "./fixtures/acme.js";
import { runCli, type CliResult } from "./support/cli.js";
import { useEmulator } from "./support/emulator.js";
import { pdfText } from "./support/pdf-text.js";
import type { RecordedCall } from "./support/proxy.js";
import { useReliabilityLog } from "./support/reliability.js";

const emulator = useEmulator();
const record = useReliabilityLog("security");

/** Credentials the CLI runs with: shaped like real ones, so a leak of any of them is recognisable. */
const CANARY = {
  AWS_ACCESS_KEY_ID: "AKIAZCANARY7LEAKTEST",
  AWS_SECRET_ACCESS_KEY: "cAnArY/sEcReT+kEy/0123456789abcdefGHIJKL",
  AWS_SESSION_TOKEN: "canary-session-token-IQoJb3JpZ2luX2VjEEXAMPLE",
};

/**
 * moto answers GetCallerIdentity with UserId AKIAIOSFODNN7EXAMPLE (AWS's documentation example key), which the
 * package records as caller.userId. AWS returns the principal's unique id there (AIDA..., AROA...:session), never an
 * access key id, so that one field is set aside before the scan.
 */
const MOTO_CALLER_ID = /"userId":\s*"AKIAIOSFODNN7EXAMPLE"/g;

const SECRET_READS = [
  "GetSecretValue",
  "BatchGetSecretValue",
  "Decrypt",
  "GenerateDataKey",
  "GenerateDataKeyWithoutPlaintext",
  "ReEncrypt",
  "Encrypt",
  "Sign",
];
const WRITE =
  /^(Put|Create|Delete|Update|Enable|Disable|Rotate|Tag|Untag|Schedule|Cancel|Import|Replicate|Restore|Start|Stop|Attach|Detach|Modify|Set|Add|Remove|Upload|Copy|Complete|Abort)/;
const READ = /^(List|Describe|Get|Head|Lookup)|^AssumeRole$/;

/** Anything in `text` that looks like a credential; each finding names its pattern. */
function credentialsIn(text: string): string[] {
  const patterns: Array<[string, RegExp]> = [
    ["access key id", /\b(AKIA|ASIA)[A-Z0-9]{16}\b/g],
    ["aws_secret_access_key=", /aws_secret_access_key\s*[=:]/gi],
    ["PEM block", /-----BEGIN/g],
    [
      "40-character secret near 'secret'",
      /secret.{0,40}?(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*\d)[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/gis,
    ],
  ];
  return patterns.flatMap(([name, pattern]) =>
    [...text.matchAll(pattern)].map((match) => `${name}: ${match[0].slice(0, 80)}`),
  );
}

let folder: string;
let estate: AcmeEstate;
let run: CliResult;
let calls: readonly RecordedCall[];
let seconds: number;
/** Every evidence file as text (PDFs through pdftotext), by path. */
const files = new Map<string, string>();

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "security-"));
  estate = await seedAcme(emulator());
  const started = Date.now();
  run = await runCli(
    [
      "collect",
      "--period",
      "current",
      "--config",
      ACME_CONTROLS,
      "--out",
      join(folder, "evidence"),
      "--json",
    ],
    { ...emulator().env, ...CANARY, SOC2_EVIDENCE_DEBUG: "1" },
  );
  seconds = (Date.now() - started) / 1000;
  calls = [...emulator().proxy.calls];
  const entries = await readdir(join(folder, "evidence"), { recursive: true, withFileTypes: true });
  for (const entry of entries.filter((candidate) => candidate.isFile())) {
    const path = join(entry.parentPath, entry.name);
    const bytes = await readFile(path);
    const text = path.endsWith(".pdf") ? await pdfText(bytes) : bytes.toString("utf8");
    files.set(path.slice(folder.length + 1), text.replace(MOTO_CALLER_ID, '"userId": "(moto caller id)"'));
  }
}, 180_000);
afterAll(() => rm(folder, { recursive: true, force: true }));

describe("a full run reads no secret and writes nothing to AWS", () => {
  it("completes the package the scan looks at", () => {
    expect(run.code, run.stderr.slice(-2000)).toBe(1);
    expect(JSON.parse(run.stdout).status).toBe("deficient");
    expect([...files.keys()].some((path) => path.endsWith(".pdf"))).toBe(true);
    expect([...files.keys()].some((path) => path.endsWith(".jsonl"))).toBe(true);
    expect(calls.length).toBeGreaterThan(50);
  });

  it("never calls GetSecretValue, BatchGetSecretValue, Decrypt or any other key or secret data operation", () => {
    expect(calls.filter((call) => SECRET_READS.includes(call.operation))).toEqual([]);
    record({
      id: "no-secret-reads",
      area: "security",
      case: "the proxy's record of every call in a full acme run (12 collectors, 2 accounts, 2 regions)",
      outcome:
        "no GetSecretValue, BatchGetSecretValue, Decrypt, Encrypt, ReEncrypt, GenerateDataKey* or Sign",
      measured: `${calls.length} calls, ${seconds.toFixed(0)} s`,
    });
  });

  it("makes read calls only: no Put, Create, Delete, Update, Enable, Disable, Rotate, Tag... (local store)", () => {
    const operations = [...new Set(calls.map((call) => `${call.service}:${call.operation}`))].sort();
    expect(operations.filter((operation) => WRITE.test(operation.split(":")[1] ?? ""))).toEqual([]);
    expect(
      operations.filter(
        (operation) => !READ.test(operation.split(":")[1] ?? "") && operation !== "sts:GetCallerIdentity",
      ),
    ).toEqual([]);
    record({
      id: "read-only-calls",
      area: "security",
      case: "the same run's calls, by operation (local folder store, so no S3 PutObject is allowed either)",
      outcome: "only List*, Describe*, Get*, Head*, LookupEvents and AssumeRole: no write call of any kind",
      measured: `${operations.length} distinct operations`,
    });
  });
});

describe("nothing secret reaches the logs, the output or the evidence", () => {
  it.each([
    ["an access key id", "key AKIAIOSFODNN7EXAMPLE here", 1],
    ["a config-file secret", "aws_secret_access_key = x", 1],
    ["a private key", "-----BEGIN RSA PRIVATE KEY-----", 1],
    ["a 40-character secret", '"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"', 1],
    [
      "a SHA-256 next to a secret's name",
      '"key": "secrets-rotation.jsonl", "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"',
      0,
    ],
    ["a masked access key id", "AKIA****************", 0],
  ])("the scan finds %s", (_what, text, count) => {
    expect(credentialsIn(text)).toHaveLength(count);
  });

  it("shows no credential in stderr (JSON log lines, debug on) or stdout", () => {
    expect(run.stderr.split("\n").filter((line) => line.startsWith("{")).length).toBeGreaterThan(10);
    expect(credentialsIn(run.stderr + run.stdout)).toEqual([]);
    for (const value of Object.values(CANARY)) expect(run.stderr + run.stdout).not.toContain(value);
    record({
      id: "logs-no-credentials",
      area: "security",
      case: "stderr and stdout of the run, with canary credentials in the environment and debug logging on",
      outcome: "no access key id, secret key, session token, PEM block or 40-character secret",
      measured: `${run.stderr.split("\n").length} log lines`,
    });
  });

  it("puts no credential and no seeded secret value in any evidence file", () => {
    expect(estate.secretValues.length).toBeGreaterThan(0);
    const leaks = [...files].flatMap(([path, text]) => [
      ...credentialsIn(text).map((finding) => `${path}: ${finding}`),
      ...[...Object.values(CANARY), ...estate.secretValues]
        .filter((value) => text.includes(value))
        .map((value) => `${path}: ${value}`),
    ]);
    expect(leaks).toEqual([]);
    for (const value of estate.secretValues) expect(run.stderr + run.stdout).not.toContain(value);
    record({
      id: "evidence-no-secrets",
      area: "security",
      case: "every file of the snapshot and package (JSON, JSON lines, PDFs as text) and the run's output",
      outcome: "no credential pattern, no canary credential and none of the seeded secret values",
      measured: `${files.size} files, ${estate.secretValues.length} seeded secret values`,
    });
  });
});
