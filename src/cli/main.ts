// The command line (SPEC section 3). Exit codes: 0 effective, 1 deficient/incomplete, 2 usage/config, 3 run failed.
import { ConfigError, exitCodeOf } from "../core/errors.js";
import { redact, terminalLogger } from "./log.js";
import type { Logger } from "../core/log.js";
import { TOOL } from "../core/version.js";

type Command = (args: string[], now: () => Date, signal?: AbortSignal) => Promise<number>;

// Each command's modules load when it runs: `collect` does not pay for publish's or verify's (about 0.1 s).
const COMMANDS: Record<string, { load: () => Promise<Command>; summary: string }> = {
  collect: { load: async () => (await import("./collect.js")).collectCommand, summary: "snapshot now, then render the package for --period P" },
  snapshot: { load: async () => (await import("./collect.js")).snapshotCommand, summary: "snapshot now (what a daily schedule runs)" },
  controls: { load: async () => (await import("./controls.js")).controlsCommand, summary: "list controls -> collectors -> parameters; --validate checks the config" },
  publish: { load: async () => (await import("./publish.js")).publishCommand, summary: "upload a rendered package: --to vanta|drata, --package DIR or --period P" },
  schedule: { load: async () => (await import("./schedule.js")).scheduleCommand, summary: "stay up and collect --period current on the cron (--once: one run, for ECS)" },
  "iam-policy": { load: async () => (await import("./iam-policy.js")).iamPolicyCommand, summary: "print the least-privilege IAM policy (--auditor: read-only auditor role)" },
  verify: { load: async () => (await import("./verify.js")).verifyCommand, summary: "check a package (folder or s3://...): every SHA-256, VersionId and the signature" },
};

const HELP = `${TOOL.name} ${TOOL.version}: SOC 2 evidence from AWS, with read-only calls

usage: soc2-evidence <command> [options]

commands:
${Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(12)} ${command.summary}`).join("\n")}

options:
  --config FILE        controls.yaml (default ./controls.yaml)
  --period P           Q1..Q4, 2026-Q3, 2026-H1, 2026, 2026-07-01..2026-09-30, current
  --out DIR            local evidence store (default ./evidence)
  --bucket NAME        S3 evidence store (versioned bucket); --prefix P inside it
  --accounts A,B       account IDs to collect (default: scope.accounts)
  --regions R,S        regions to collect (default: scope.regions)
  --controls C,D       only these controls
  --format F,G         pdf,json,oscal,vanta,drata (default: all)
  --json               machine-readable summary on stdout
  --quiet              errors only
  --version, --help

command options:
  collect      --run-id R --shards N    package a sharded run once its N parts are in
  snapshot     --shard i/n --run-id R   collect one deterministic slice of accounts x regions
  schedule     --cron EXPR --once --grace-seconds S (default 60)
  verify       LOCATION --json --require-signature --public-key FILE --offline
  iam-policy   --auditor | --reader, --bucket-kms-key ARN --signing-key ARN --store-region R --partition P
  publish      --to vanta|drata, --package DIR | --period P, --dry-run, --list-controls, --create-connection (drata), --evidence-base-url URL, --secret-owner-tag NAME

exit codes: 0 every control effective; 1 package written but a control is deficient or incomplete;
            2 bad usage or config (nothing written); 3 the run could not complete (no package marked complete)
`;

export async function main(argv: string[], now: () => Date = () => new Date(), signal?: AbortSignal): Promise<number> {
  const [name, ...args] = argv;
  if (name === "--version" || name === "-v") {
    process.stdout.write(`${TOOL.version}\n`);
    return 0;
  }
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(HELP);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`soc2-evidence: unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(", ")}\n`);
    return 2;
  }
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(HELP);
    return 0;
  }
  try {
    const run = await command.load();
    return await run(args, now, signal);
  } catch (error) {
    return reportFailure(error);
  }
}

function reportFailure(error: unknown): number {
  const code = exitCodeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  const lines = [`soc2-evidence: ${redact(message) as string}`];
  if (error instanceof ConfigError) lines.push(...error.problems);
  if (code === 3 && !(error instanceof Error && "exitCode" in error)) lines.push("the run did not complete: no package was marked complete");
  process.stderr.write(lines.join("\n") + "\n");
  return code;
}

/** A process warning as one event: the SDK puts its own name first in the text ("NodeVersionSupportWarning: ..."). */
export function warningEvent(warning: Error & { code?: string }): Record<string, unknown> {
  const named = /^(\w+Warning):\s*([\s\S]*)$/.exec(warning.message);
  const name = named?.[1] ?? warning.name;
  const text = (named?.[2] ?? warning.message).replace(/\s+/g, " ").trim();
  return { name, message: text, ...(warning.code ? { code: warning.code } : {}) };
}

/**
 * Replaces Node's printer of process warnings (raw text on stderr, which breaks the JSON lines) with one warn event
 * per distinct warning: the AWS SDK's NodeVersionSupportWarning, emitted by each copy of @aws-sdk/core, is logged once.
 */
export function captureWarnings(log: Logger = terminalLogger(false)): void {
  const seen = new Set<string>();
  process.removeAllListeners("warning");
  process.on("warning", (warning) => {
    const fields = warningEvent(warning);
    const key = `${fields.name}|${fields.message}`;
    if (seen.has(key)) return;
    seen.add(key);
    log.warn("node.warning", fields);
  });
}
