// Generates docs/RELIABILITY.md: what the tool promises, then every fault, bad input, property and security check the
// hardening suites ran, with its outcome. The suites record each case after its assertions pass
// (test/support/reliability.ts) and fail when this page no longer matches them, so the page cannot drift.
//
//   npx tsx scripts/reliability-table.ts           run the suites, then write the page from what they recorded
//   npx tsx scripts/reliability-table.ts --no-run  write it from the rows the last run left in .tmp/reliability/
//   npx tsx scripts/reliability-table.ts --audit   also run `npm audit --omit=dev --audit-level=high` (needs the
//                                                  npm registry) and record its result; otherwise the last one stays
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { cell, RELIABILITY_DIR, RELIABILITY_DOC, type Area, type ReliabilityRow, type SuiteRows } from "../test/support/reliability.js";

export const SUITES: Record<string, string> = {
  faults: "test/faults.integration.test.ts",
  "faults-run": "test/faults-run.integration.test.ts",
  "bad-input": "test/bad-input.test.ts",
  properties: "test/properties.test.ts",
  security: "test/security.integration.test.ts",
  concurrency: "test/concurrency.process.test.ts",
};

const SECTIONS: Record<Area, string> = {
  fault: "Faults during a run",
  input: "Bad input",
  property: "Properties (fast-check)",
  security: "Security",
  concurrency: "Concurrency and idempotency",
};

const AUDIT_START = "<!-- audit:start -->";
const AUDIT_END = "<!-- audit:end -->";

const PROMISES = `## What the tool promises

1. **It never calls a control effective that it could not fully read.** A control is \`effective\` only when every
   item is pass, excepted or not applicable *and* every day of the period has a complete snapshot. A resource whose
   call failed is an \`error\` item carrying the AWS error code; an enumeration that stopped part-way is an \`error\`
   item for the whole collector x account x region, with \`paginationComplete: false\` in the population. Either makes
   the control \`incomplete\`. An empty account, region or control list is refused before anything runs, and a day
   counts as covered for a collector only when every one of its populations in that day's snapshot was listed whole.
2. **It never overwrites evidence.** Every object is written once (the local store links the file into place and
   refuses an existing key; the S3 store sends \`If-None-Match: *\`); only \`latest.json\` is replaced. A snapshot's
   \`snapshot.json\` and a package's \`manifest.json\` are written last, and \`latest.json\` only after the manifest, so
   a run that dies (SIGTERM, a full disk, a store error) leaves no manifest and nobody mistakes it for a package.
   Earlier packages keep verifying: every fault case below re-checks their SHA-256 against their manifests.
3. **It never reads a secret.** No \`GetSecretValue\`, \`BatchGetSecretValue\` or \`Decrypt\` is ever sent (the generated
   IAM policy cannot grant them), logs mask credentials, and no evidence file holds a secret value: the security
   suite checks all three on a full run of every collector.
4. **Exit codes say what happened.** 0 every control effective; 1 package written, some control deficient or
   incomplete; 2 bad usage or config, nothing written and no AWS call; 3 the run could not complete, no package marked
   complete.`;

const METHOD = `## How this page is made

Each suite (${Object.values(SUITES)
  .map((file) => `\`${file}\``)
  .join(", ")}) records a row for every case once its
assertions have passed, and checks after its last test that this page holds the same cases with the same outcome
text. A change in behaviour therefore fails the suite until the page is regenerated with
\`npx tsx scripts/reliability-table.ts\`, which runs the suites and writes the page from what they recorded. The
"Figures" column comes from the run that generated the page (calls, throttles, seconds on a 2-core machine) and is not
compared. Fault cases run against moto through the test proxy with a small estate (2 KMS keys and 2 secrets in each
of 2 regions), period \`today..today\` so a clean run is \`effective\`; each faulted run is preceded by a clean run and
followed by one, and every package in the store is verified after it. The security cases run the CLI on the acme
estate (test/fixtures/acme.ts).`;

const NOTES = `## Limits of these tests, and knobs

- **Request timeouts.** The SDK clients use a fixed \`requestTimeout\` of 30 s (src/aws/clients.ts) that cannot be set
  from outside, so a call slower than that is not simulated (it would cost 30 s per call). Tested instead: slow calls
  that complete, and dropped connections, which the SDK reports as \`TimeoutError\` just as it would a timeout (the
  socket's own code, \`ECONNRESET\`, is not kept). A knob such as \`SOC2_EVIDENCE_REQUEST_TIMEOUT_MS\` read by
  \`AwsClients\` would let a test drive a real timeout in a second.
- **The throttling storm** lasts the whole faulted run (a few seconds) rather than the literal minute; STS is left out
  of it, because a storm that stops GetCallerIdentity (6 attempts) ends the run with exit 3 before any item exists.
- **Config size.** A config is refused above 1 MiB; below that, duplicate keys are found with a set, so rejection time
  grows with the number of keys, not its square.
- **SIGTERM.** The abort is checked before each task, at each item a collector yields, and before each AWS call is
  sent (src/aws/clients.ts), so a run stops within the time of the calls already in flight; SIGKILL still leaves no
  manifest.
- **Midnight.** A run that starts before 00:00 UTC and packages after it files its snapshot under the day it started,
  and packages the period through that day; exceptions are judged on that day too, so items and the exception list
  agree.
- **Supplementary evidence.** When CloudTrail LookupEvents is throttled or denied, secrets-rotation still judges each
  secret from ListSecrets and records \`rotationEventsUnavailable\` with the code; it does not make the item \`error\`.`;

function rowsOf(suite: string): ReliabilityRow[] {
  const file = join(RELIABILITY_DIR, `${suite}.json`);
  if (!existsSync(file)) throw new Error(`${file} is missing: run the suites first (without --no-run)`);
  return (JSON.parse(readFileSync(file, "utf8")) as SuiteRows).rows;
}

function table(rows: Array<ReliabilityRow & { suite: string }>): string {
  const lines = [
    "| Case | Area | What was done | Outcome (checked by the suite) | Figures |",
    "|---|---|---|---|---|",
    ...rows.map(
      (row) =>
        `| \`${row.suite}/${row.id}\` | ${row.area} | ${cell(row.case)} | ${cell(row.outcome)} | ${cell(row.measured ?? "")} |`,
    ),
  ];
  return lines.join("\n");
}

function audit(): string {
  const run = spawnSync("npm", ["audit", "--omit=dev", "--audit-level=high", "--json"], {
    encoding: "utf8",
    timeout: 120_000,
  });
  const day = new Date().toISOString().slice(0, 10);
  type AuditReport = {
    metadata?: { vulnerabilities?: Record<string, number>; dependencies?: { prod?: number } };
    message?: string;
  };
  let report: AuditReport;
  try {
    report = JSON.parse(run.stdout) as AuditReport;
  } catch {
    report = { message: (run.stderr || run.stdout).trim().split("\n")[0] ?? "no output" };
  }
  const counts = report.metadata?.vulnerabilities;
  if (!counts) {
    return `\`npm audit --omit=dev --audit-level=high\` on ${day} could not run: ${report.message ?? "no report"} (exit ${run.status}). Run it where the npm registry's audit endpoint is reachable, then regenerate with \`--audit\`.`;
  }
  const found = Object.entries(counts)
    .filter(([, count]) => count > 0)
    .map(([level, count]) => `${count} ${level}`);
  const verdict =
    run.status === 0 ? "passed (no high or critical advisory)" : "FAILED (high or critical advisories)";
  return `\`npm audit --omit=dev --audit-level=high\` on ${day}: ${verdict}; ${found.length > 0 ? found.join(", ") : "no advisories"} across ${report.metadata?.dependencies?.prod ?? "?"} production dependencies.`;
}

function main(args: string[]): void {
  if (!args.includes("--no-run")) {
    // The process suites run dist/src/cli.js: build it from the sources under test (type errors are printed, not fatal).
    spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
    for (const suite of Object.keys(SUITES)) rmSync(join(RELIABILITY_DIR, `${suite}.json`), { force: true });
    const vitest = spawnSync("npx", ["vitest", "run", ...Object.values(SUITES)], {
      stdio: "inherit",
      env: { ...process.env, RELIABILITY_UPDATE: "1" },
    });
    if (vitest.status !== 0) throw new Error("the suites failed: the page is written only from a green run");
  }
  const rows = Object.keys(SUITES).flatMap((suite) => rowsOf(suite).map((row) => ({ ...row, suite })));
  const previous = existsSync(RELIABILITY_DOC) ? readFileSync(RELIABILITY_DOC, "utf8") : "";
  const kept = previous.includes(AUDIT_START)
    ? previous.slice(previous.indexOf(AUDIT_START) + AUDIT_START.length, previous.indexOf(AUDIT_END)).trim()
    : "";
  const auditText = args.includes("--audit")
    ? audit()
    : kept || "Not run yet: regenerate with `--audit` where the npm registry is reachable.";
  const known = rows.filter((row) => row.outcome.startsWith("KNOWN ISSUE"));
  const page = [
    "# Reliability and security",
    "",
    "<!-- Generated by scripts/reliability-table.ts from the hardening suites; edit the suites or the script, not this page. -->",
    "",
    `What soc2-evidence promises, and every fault, bad input and security check its hardening suites ran (${rows.length} cases), with the outcome of each.`,
    "",
    PROMISES,
    "",
    METHOD,
    "",
    ...(Object.entries(SECTIONS) as Array<[Area, string]>).flatMap(([area, title]) => {
      const mine = rows.filter((row) => row.area === area);
      return mine.length > 0 ? [`## ${title}`, "", table(mine), ""] : [];
    }),
    ...(known.length > 0
      ? [
          "## Known issues",
          "",
          "Each is a test written for the behaviour the tool should have, marked `it.fails` while the code does not have it yet:",
          "",
          ...known.map((row) => `- \`${row.suite}/${row.id}\`: ${row.case}: ${row.outcome.replace(/^KNOWN ISSUE: /, "")}.`),
          "",
        ]
      : []),
    NOTES,
    "",
    "## Dependency audit",
    "",
    AUDIT_START,
    auditText,
    AUDIT_END,
    "",
  ].join("\n");
  mkdirSync(dirname(RELIABILITY_DOC), { recursive: true });
  writeFileSync(RELIABILITY_DOC, page);
  console.log(`${RELIABILITY_DOC}: ${rows.length} cases from ${Object.keys(SUITES).length} suites`);
}

main(process.argv.slice(2));
