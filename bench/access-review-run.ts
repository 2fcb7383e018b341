// The access review end to end (issue 20): `soc2-evidence collect` as a process against moto behind the proxy, for
// one account and region seeded with bench/access-review-estate.ts (default 5,000 roles x 1,000 secrets, 20 KMS keys,
// a resource policy on every 10th secret) and about 1,000 GetSecretValue events. The proxy has the latency and quota
// buckets of bench/run.ts (bench/profile.ts). Measures the run (wall, phases, peak RSS, CPU, calls, rows, package
// sizes), the quota bound of the two access collectors' minimum calls (bench/lower-bound.ts) and the emulator's floor
// (those calls one at a time straight to moto), and writes bench/RESULTS-access-review.md. Not a test.
// Run: npm run build && npx tsx bench/access-review-run.ts [--roles N] [--secrets M] [--keep]
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { ECSClient, ListTaskDefinitionFamiliesCommand } from "@aws-sdk/client-ecs";
import { AttachRolePolicyCommand, CreatePolicyCommand, CreateRoleCommand, GetAccountAuthorizationDetailsCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateKeyCommand, DescribeKeyCommand, GetKeyPolicyCommand, KMSClient } from "@aws-sdk/client-kms";
import { DescribeOrganizationCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import { CreateSecretCommand, GetResourcePolicyCommand, ListSecretsCommand, PutResourcePolicyCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { QUOTAS } from "../src/aws/quotas.js";
import { runConcurrent } from "../src/core/concurrency.js";
import type { EvidenceDocument } from "../src/core/package-model.js";
import { clientConfig, DEFAULT_ACCOUNT, startEmulator, type Emulator } from "../test/support/emulator.js";
import { ECS_TASK_TRUST, secretRead } from "../test/fixtures/secret-reads.js";
import type { SeedEvent } from "../test/support/served-lookup-events.js";
import { accessReviewEstate, ESTATE_KEYS } from "./access-review-estate.js";
import { byOperation, lowerBound, minimumCalls, type LowerBound, type MinimumCall } from "./lower-bound.js";
import * as measure from "./measure.js";
import { BURST_SECONDS, configureProxy, iamPages, LATENCY, MEAN_LATENCY_S } from "./profile.js";
import { cpuRow, mark, n, operationTable, s, type OperationRow } from "./report.js";

const ACCOUNT = DEFAULT_ACCOUNT;
const REGION = "us-east-1";
const SEED_CONCURRENCY = 16;
/** The collectors whose minimum calls bound this run (the rest of controls.yaml is not configured). */
// The GetSecretValue read is one per run for the review and cloudtrail-data-events (bench/lower-bound.ts): here the review alone.
const COLLECTORS = new Set(["secrets-access-policy", "secrets-access-review", "secrets-access-policy+review", "cloudtrail-data-events+secrets-access-review", "scope"]);
/** Reads by principals the estate grants nothing (for "investigate" rows), beside the granted reads. */
const UNGRANTED_READS = 10;
const DAY_MS = 86_400_000;
/** SPEC section 3. The estate's unread grants fail the review by design, so 1 is the expected exit here. */
const EXIT_MEANING: Record<string, string> = {
  "0": "every control effective",
  "1": "package written, a control deficient or incomplete",
  "2": "bad usage or config, nothing written",
  "3": "the run could not complete",
};

const say = (text: string) => console.error(`[ar-bench ${new Date().toISOString().slice(11, 19)}] ${text}`);

interface SeedTiming {
  kind: string;
  resources: number;
  ms: number;
}

/** Seeds the estate's policies, roles, keys and secrets into moto (fixture traffic: neither recorded, delayed nor throttled). */
async function seed(emulator: Emulator, roles: number, secrets: number) {
  const timings: SeedTiming[] = [];
  const timed = async <T>(kind: string, resources: number, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await work();
    timings.push({ kind, resources, ms: performance.now() - started });
    say(`seeded ${n(resources)} ${kind} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return result;
  };
  const config = clientConfig(emulator, REGION, ACCOUNT);
  const kms = new KMSClient(config);
  // moto's IAM backend is not thread-safe: under 16 CreateRole calls at once, a role lookup that walks every role
  // meets another being added ("RuntimeError: dictionary changed size during iteration", an HTTP 500 from moto's own
  // log), more often as the roles grow. The lookup runs before anything is added, so the SDK's retry is safe; 3
  // attempts all failed in four runs in a row, so the seeding client has 10.
  const iam = new IAMClient({ ...config, maxAttempts: 10 });
  const sm = new SecretsManagerClient(config);
  try {
    const keyIds = await timed("KMS keys (CreateKey)", ESTATE_KEYS, async () => {
      const arns: string[] = new Array<string>(ESTATE_KEYS);
      await runConcurrent([...Array(ESTATE_KEYS).keys()], SEED_CONCURRENCY, async (k) => {
        const created = await kms.send(new CreateKeyCommand({ Description: `access review key k${k}` }));
        arns[k] = String(created.KeyMetadata?.Arn);
      });
      return arns;
    });
    const { inputs, secretList } = accessReviewEstate(roles, secrets, false, { account: ACCOUNT, keyArn: (k) => keyIds[k] as string });
    const policyArns = new Map<string, string>();
    await timed("managed policies (CreatePolicy)", inputs.documents.size, () =>
      runConcurrent([...inputs.documents], SEED_CONCURRENCY, async ([name, document]) => {
        const created = await iam.send(new CreatePolicyCommand({ PolicyName: name, PolicyDocument: JSON.stringify(document) }));
        policyArns.set(name, String(created.Policy?.Arn));
      }),
    );
    const arnOf = (name: string) => {
      const arn = policyArns.get(name);
      if (!arn) throw new Error(`no managed policy ${name}`);
      return arn;
    };
    await timed("roles (CreateRole: trust policy, team tag, boundary on every 10th)", inputs.principals.length, () =>
      runConcurrent(inputs.principals, SEED_CONCURRENCY, async (principal) => {
        await iam.send(
          new CreateRoleCommand({
            RoleName: principal.name,
            AssumeRolePolicyDocument: ECS_TASK_TRUST,
            Tags: Object.entries(principal.tags).map(([Key, Value]) => ({ Key, Value })),
            ...(principal.boundary ? { PermissionsBoundary: arnOf(principal.boundary) } : {}),
          }),
        );
      }),
    );
    const attachments = inputs.principals.flatMap((principal) => principal.policies.map((policy) => ({ role: principal.name, policy })));
    await timed("role policy attachments (AttachRolePolicy)", attachments.length, () =>
      runConcurrent(attachments, SEED_CONCURRENCY, async ({ role, policy }) => {
        await iam.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: arnOf(policy) }));
      }),
    );
    const secretArns = new Map<string, string>();
    await timed("secrets (CreateSecret with KmsKeyId)", secretList.length, () =>
      runConcurrent(secretList, SEED_CONCURRENCY, async (secret) => {
        const created = await sm.send(new CreateSecretCommand({ Name: secret.name, KmsKeyId: secret.keyArn, SecretString: `{"password":"${secret.name}"}` }));
        secretArns.set(secret.name, String(created.ARN));
      }),
    );
    const withPolicy = secretList.filter((secret) => secret.resourcePolicy);
    await timed("resource policies (PutResourcePolicy, every 10th secret)", withPolicy.length, () =>
      runConcurrent(withPolicy, SEED_CONCURRENCY, async (secret) => {
        await sm.send(new PutResourcePolicyCommand({ SecretId: secretArns.get(secret.name), ResourcePolicy: JSON.stringify(secret.resourcePolicy) }));
      }),
    );
    return { timings, keyIds, secretArns, documents: inputs.documents.size, attachments: attachments.length, resourcePolicies: withPolicy.length };
  } finally {
    kms.destroy();
    iam.destroy();
    sm.destroy();
  }
}

/**
 * About 1,000 GetSecretValue events in the last 3 days: app roles (policy app<a>, no boundary) reading secrets of their
 * app, which the estate grants; and UNGRANTED_READS by principals it does not (a role whose boundary allows no
 * secrets, a role reading another app's secret, a user IAM does not know), none on a secret with a resource policy.
 */
function readEvents(roles: number, secretArns: Map<string, string>, secrets: number, now: Date, total: number) {
  const arnOf = (index: number) => secretArns.get(`app${index % 100}/s${index}`) as string;
  const roleArn = (r: number) => `arn:aws:iam::${ACCOUNT}:role/r${r}`;
  // Roles whose only secret grant is app<r % 100> (estate: r % 200 >= 10), without the boundary (r % 10 !== 0).
  const appRoles = [...Array(roles).keys()].filter((r) => r % 200 >= 10 && r % 10 !== 0 && r % 100 < secrets);
  const secretsOfApp = (app: number) => [...Array(Math.max(0, Math.ceil((secrets - app) / 100))).keys()].map((k) => app + 100 * k);
  const when = (i: number) => new Date(now.getTime() - 60_000 - ((i * 7_919) % (3 * DAY_MS / 60_000)) * 60_000);
  const events: SeedEvent[] = [];
  const granted = total - UNGRANTED_READS;
  for (let i = 0; i < granted && appRoles.length; i += 1) {
    const r = appRoles[(i * 7_919) % appRoles.length] as number;
    const own = secretsOfApp(r % 100);
    events.push(secretRead(REGION, roleArn(r), arnOf(own[i % own.length] as number), when(i)));
  }
  const ungranted: { principal: string; secret: number }[] = [];
  const boundaryRoles = [...Array(roles).keys()].filter((r) => r % 200 >= 10 && r % 10 === 0 && r % 100 < secrets && r % 100 !== 0);
  for (const r of boundaryRoles.slice(0, 4)) {
    const secret = secretsOfApp(r % 100).find((one) => one % 10 !== 0);
    if (secret !== undefined) ungranted.push({ principal: roleArn(r), secret });
  }
  for (const r of appRoles) {
    if (ungranted.length >= UNGRANTED_READS - 2) break;
    const other = secretsOfApp((r + 1) % 100).find((one) => one % 10 !== 0);
    if (other !== undefined) ungranted.push({ principal: roleArn(r), secret: other });
  }
  const someSecret = [...Array(secrets).keys()].find((one) => one % 10 !== 0) ?? 0;
  for (const user of ["departed-admin", "contractor"]) ungranted.push({ principal: `arn:aws:iam::${ACCOUNT}:user/${user}`, secret: someSecret });
  ungranted.forEach((read, i) => events.push(secretRead(REGION, read.principal, arnOf(read.secret), when(granted + i), "203.0.113.9")));
  return { events, granted: events.length - ungranted.length, ungranted: ungranted.length };
}

function controlsYaml(): string {
  return [
    "version: 1",
    "organization: Access review bench",
    "scope:",
    "  accounts: [current]",
    `  regions: [${REGION}]`,
    "store:",
    "  prefix: soc2/",
    "controls:",
    "  - id: CC6.2",
    "    title: Credentials are issued, used, reviewed and retired in an orderly way",
    "    collectors:",
    "      - use: secrets-access-review",
    "  - id: CC6.3",
    "    title: Access is least-privilege and reviewed",
    "    collectors:",
    "      - use: secrets-access-policy",
    "      - use: secrets-access-review",
    "",
  ].join("\n");
}

const cliArgs = (config: string, out: string) => [
  process.execPath, ...measure.toolNodeArgs, "dist/src/cli.js", "collect", "--period", "current", "--config", config,
  "--accounts", ACCOUNT, "--regions", REGION, "--out", out, "--format", "json,pdf", "--json",
];

/** RFC 4180 records (quoted fields may hold commas, quotes and line breaks). */
function csvRecords(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      record.push(field);
      field = "";
    } else if (c === "\n") {
      record.push(field.replace(/\r$/, ""));
      records.push(record);
      record = [];
      field = "";
    } else field += c;
  }
  if (field || record.length) records.push([...record, field]);
  return records;
}

function pdfPages(file: string): number | undefined {
  try {
    const match = /Pages:\s+(\d+)/.exec(execFileSync("pdfinfo", [file], { encoding: "utf8" }));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function toolRun(emulator: Emulator, config: string, out: string, seededSecrets: number, keep: boolean) {
  const { code, wallS, time, sampled, whileCollecting, motoCpuS, calls, stdout, stderr, events } = await measure.timedCli(
    emulator,
    cliArgs(config, out),
    keep ? `${out}-calls.jsonl` : undefined,
  );
  const operations: OperationRow[] = measure.operationRows(calls);
  const outside = {
    exit: code,
    wallS,
    ...(time.peakRssMb === undefined ? {} : { peakRssMb: time.peakRssMb }),
    ...(sampled ? { sampledRssMb: sampled } : {}),
    cpuS: { ...(time.cpuS === undefined ? {} : { tool: time.cpuS }), moto: motoCpuS },
    ...(whileCollecting ? { whileCollecting } : {}),
    operations,
    attempts: calls.length,
    throttled: operations.reduce((total, row) => total + row.throttled, 0),
    failed: operations.reduce((total, row) => total + row.failed, 0),
  };
  const line = stdout.split("\n").find((one) => one.includes('"package"'));
  if (!line) return { ...outside, failure: `collect wrote no package (exit ${code}); stderr tail:\n${stderr.slice(-4000)}` };
  const packageDir = (JSON.parse(line) as { package: string }).package;
  const evidenceFile = join(packageDir, "evidence.json");
  const evidenceMb = (await stat(evidenceFile)).size / 2 ** 20;
  const pkg = JSON.parse(await readFile(evidenceFile, "utf8")) as EvidenceDocument;
  const { collectS, packageS } = measure.phases(events, pkg.populations);
  const errors = pkg.items.filter((item) => item.status === "error");
  const reviewed = new Set(pkg.items.filter((item) => item.collector === "secrets-access-review" && item.resource.type === "AWS::SecretsManager::Secret").map((item) => item.resource.arn)).size;
  const policyItems = new Set(pkg.items.filter((item) => item.collector === "secrets-access-policy" && item.resource.type === "AWS::SecretsManager::Secret").map((item) => item.resource.arn)).size;
  const csv = csvRecords(await readFile(join(packageDir, "access-review.csv"), "utf8"));
  const header = csv[0] ?? [];
  const rows = csv.slice(1).filter((record) => record.length > 1);
  const column = (name: string) => header.indexOf(name);
  const tally = (name: string) => {
    const counts: Record<string, number> = {};
    for (const row of rows) {
      const value = row[column(name)] || "(none)";
      counts[value] = (counts[value] ?? 0) + 1;
    }
    return counts;
  };
  const pdf = join(packageDir, "report.pdf");
  const pdfExists = existsSync(pdf);
  return {
    ...outside,
    packageDir,
    ...(collectS === undefined ? {} : { collectS }),
    ...(packageS === undefined ? {} : { packageS }),
    evidenceMb,
    items: { ...pkg.summary.items },
    errorItems: errors.length,
    errorReasons: [...new Set(errors.map((item) => item.reason))].slice(0, 5),
    reviewRows: rows.length,
    rowsByAction: tally("action"),
    rowsByRead: { canReadDidRead: rows.filter((row) => row[column("can_read")] === "yes" && row[column("did_read")] === "yes").length, canReadNotRead: rows.filter((row) => row[column("can_read")] === "yes" && row[column("did_read")] === "no").length, readWithoutGrant: rows.filter((row) => row[column("can_read")] === "no" && row[column("did_read")] === "yes").length },
    presence: { reviewed, policyItems, seeded: seededSecrets },
    ...(pdfExists ? { pdfMb: (await stat(pdf)).size / 2 ** 20 } : {}),
    ...(pdfExists ? { pdfPages: pdfPages(pdf) } : {}),
  };
}

type Send = { send(command: unknown): Promise<unknown>; destroy(): void; middlewareStack: { add: (m: unknown, o: unknown) => void } };

/**
 * The emulator's floor: the two collectors' minimum calls one at a time straight to moto (LookupEvents, which the
 * proxy serves, as fixture traffic to the proxy). Returns the calls made and how many ended in an error.
 */
async function floorCalls(emulator: Emulator, keyArns: string[], now: Date) {
  const made: Send[] = [];
  const direct = <T extends Send>(Type: new (config: object) => T, region = REGION): T => {
    const client = new Type({ ...clientConfig(emulator, region, ACCOUNT), endpoint: emulator.moto.url, maxAttempts: 1 });
    client.middlewareStack.add(
      (next: (args: { request: { headers: Record<string, string> } }) => Promise<unknown>) => (args: { request: { headers: Record<string, string> } }) => {
        args.request.headers["x-moto-account-id"] = ACCOUNT;
        return next(args);
      },
      { step: "build", name: "motoAccount" },
    );
    made.push(client);
    return client;
  };
  const sts = direct(STSClient as never) as Send;
  const sm = direct(SecretsManagerClient as never) as Send;
  const kms = direct(KMSClient as never) as Send;
  const ecs = direct(ECSClient as never) as Send;
  const iam = direct(IAMClient as never) as Send;
  const org = direct(OrganizationsClient as never) as Send;
  const trail = new CloudTrailClient(clientConfig(emulator, REGION, ACCOUNT));
  let calls = 0;
  const errors: string[] = [];
  const call = async <T>(client: { send(command: unknown): Promise<unknown> }, command: { constructor: { name: string } }, answers: string[] = []): Promise<T | undefined> => {
    calls += 1;
    try {
      return (await client.send(command)) as T;
    } catch (error) {
      if (!answers.includes((error as Error).name)) errors.push(`${command.constructor.name}: ${(error as Error).name}`);
      return undefined;
    }
  };
  try {
    await call(sts, new GetCallerIdentityCommand({}));
    let token: string | undefined;
    const secretArns: string[] = [];
    do {
      const page = await call<{ SecretList?: { ARN?: string }[]; NextToken?: string }>(sm, new ListSecretsCommand({ MaxResults: 100, NextToken: token }));
      secretArns.push(...(page?.SecretList ?? []).map((one) => String(one.ARN)));
      token = page?.NextToken;
    } while (token);
    for (const arn of secretArns) await call(sm, new GetResourcePolicyCommand({ SecretId: arn }));
    for (const key of [...keyArns, "alias/aws/secretsmanager"]) {
      const described = await call<{ KeyMetadata?: { Arn?: string } }>(kms, new DescribeKeyCommand({ KeyId: key }));
      await call(kms, new GetKeyPolicyCommand({ KeyId: described?.KeyMetadata?.Arn ?? key, PolicyName: "default" }));
    }
    await call(ecs, new ListTaskDefinitionFamiliesCommand({ status: "ACTIVE" }));
    const history = new Date(now.getTime() - 90 * DAY_MS);
    token = undefined;
    do {
      const page: { NextToken?: string } | undefined = await call<{ NextToken?: string }>(trail, new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "GetSecretValue" }], StartTime: history, EndTime: now, MaxResults: 50, NextToken: token }));
      token = page?.NextToken;
    } while (token);
    let marker: string | undefined;
    do {
      const page = await call<{ IsTruncated?: boolean; Marker?: string }>(iam, new GetAccountAuthorizationDetailsCommand({ MaxItems: 1000, Marker: marker, Filter: ["Role", "User", "Group", "LocalManagedPolicy", "AWSManagedPolicy"] }));
      marker = page?.IsTruncated ? page.Marker : undefined;
    } while (marker);
    for (let i = 0; i < 2; i += 1) await call(org, new DescribeOrganizationCommand({}), ["AWSOrganizationsNotInUseException"]);
  } finally {
    for (const client of made) client.destroy();
    trail.destroy();
  }
  return { calls, errors };
}

interface Result {
  date: string;
  command: string;
  toolCommand: string;
  machine: ReturnType<typeof measure.machineInfo> & { loadAtSeed: number };
  estate: { roles: number; secrets: number; keys: number; documents: number; attachments: number; resourcePolicies: number; readEvents: number; grantedReads: number; ungrantedReads: number; iamPages: number };
  seeding: SeedTiming[];
  minimum: { operation: string; calls: number }[];
  bound: LowerBound;
  floor: { motoCpuS: number; wallS: number; calls: number; errors: string[]; load: { before: number; after: number } };
  load: { before: number; after: number };
  tool: Awaited<ReturnType<typeof toolRun>>;
}

function render(result: Result): string {
  const { tool, bound, floor, machine, estate } = result;
  const achievable = Math.max(bound.seconds, floor.motoCpuS);
  const critical = bound.critical
    ? `${bound.critical.service}:${bound.critical.operations.join("+")}, ${n(bound.critical.calls)} calls at ${+bound.critical.perSecond.toFixed(2)}/s`
    : "none";
  const full = "failure" in tool ? undefined : tool;
  const lines = [
    "# Access review benchmark: end to end",
    "",
    `Run ${result.date} with \`${result.command}\`. The tool runs as \`${result.toolCommand}\`, with CC6.2 and CC6.3 mapped to secrets-access-review and secrets-access-policy only.`,
    "",
    "| Setting | Value |",
    "|---|---|",
    `| Machine | ${machine.cpus} x ${machine.cpuModel}, ${n(Math.round(machine.memoryMb))} MB RAM, node ${machine.node}, moto ${machine.moto}; shared with other work; 1-min load ${machine.loadAtSeed.toFixed(2)} when seeding began |`,
    `| Estate | 1 account (${ACCOUNT}) x 1 region (${REGION}), bench/access-review-estate.ts: ${n(estate.roles)} roles (ECS task trust policy, \`team\` tag, permission boundary on every 10th), ${n(estate.documents)} managed policies, ${n(estate.attachments)} attachments, ${n(estate.keys)} KMS keys, ${n(estate.secrets)} secrets (customer keys), ${n(estate.resourcePolicies)} resource policies; ${n(estate.readEvents)} GetSecretValue events in the last 3 days (${n(estate.grantedReads)} by granted roles, ${n(estate.ungrantedReads)} by principals without a grant); GetAccountAuthorizationDetails takes ${estate.iamPages} page(s) of 1,000 in moto |`,
    `| Proxy | ${LATENCY.ms}-${LATENCY.ms + LATENCY.jitterMs} ms latency per call; every quota of src/aws/quotas.ts as a token bucket holding one second of its rate (bench/profile.ts configureProxy, factor 1) |`,
    `| Seeding | ${result.seeding.map((one) => `${one.kind} ${n(one.resources)} in ${s(one.ms / 1000)}`).join("; ")} (${SEED_CONCURRENCY} requests at once) |`,
    `| Emulator floor | moto's CPU for the ${n(floor.calls)} minimum calls sent one at a time straight to moto: ${s(floor.motoCpuS)} (wall ${s(floor.wallS)}, ${floor.errors.length} errors${floor.errors.length ? `: ${[...new Set(floor.errors)].slice(0, 3).join(", ")}` : ""}; 1-min load ${floor.load.before.toFixed(2)} to ${floor.load.after.toFixed(2)}). LookupEvents is served by the proxy and adds nothing to it. |`,
    "",
    "## AWS default quotas",
    "",
    "| Measure | Result |",
    "|---|---|",
    `| 1-min load | ${result.load.before.toFixed(2)} at start, ${result.load.after.toFixed(2)} at end${Math.max(result.load.before, result.load.after) > machine.cpus ? " (**high**: more runnable work than cores)" : ""} |`,
    `| Quota bound | ${s(bound.seconds, 2)} (critical bucket ${critical}; STS prelude ${s(bound.prelude, 2)}) |`,
    `| Emulator floor | ${s(floor.motoCpuS)} |`,
    `| Achievable = max(bound, floor) | ${s(achievable)} (${floor.motoCpuS > bound.seconds ? "the floor" : "the quota bound"}) |`,
    `| soc2-evidence wall | ${s(tool.wallS)} whole command, exit ${tool.exit}${EXIT_MEANING[String(tool.exit)] ? ` (${EXIT_MEANING[String(tool.exit)]})` : ""}${full ? ` (collection ${s(full.collectS)}, packaging and PDF ${s(full.packageS)})` : ""} |`,
    `| Wall / achievable | ${(tool.wallS / achievable).toFixed(2)} whole command${full?.collectS === undefined ? "" : `, ${(full.collectS / achievable).toFixed(2)} collection only`} |`,
    `| Peak RSS | ${tool.peakRssMb === undefined ? "not measured" : `${tool.peakRssMb.toFixed(0)} MB (bar < 300 MB: ${mark(tool.peakRssMb < 300)})`}${tool.sampledRssMb ? `; sampled every 250 ms: ${tool.sampledRssMb.collecting.toFixed(0)} MB at most while collecting, ${tool.sampledRssMb.packaging.toFixed(0)} MB while packaging and rendering the PDF` : ""} |`,
    cpuRow(tool.cpuS, tool.whileCollecting),
    `| Calls | ${n(tool.attempts)} attempts seen by the proxy (minimum ${n(result.minimum.reduce((total, one) => total + one.calls, 0))}) |`,
    `| Throttled responses | ${n(tool.throttled)} |`,
    `| Failed calls | ${n(tool.failed)} non-throttling errors (DescribeOrganization's AWSOrganizationsNotInUse is an answer, not counted) |`,
  ];
  if (full) {
    const actions = Object.entries(full.rowsByAction).map(([action, count]) => `${action} ${n(count)}`).join(", ");
    lines.push(
      `| Evidence items | ${Object.entries(full.items).map(([status, count]) => `${status} ${n(count)}`).join(", ")} |`,
      `| Error items | ${n(full.errorItems)}${full.errorReasons.length ? `; reasons: ${full.errorReasons.map((reason) => `"${reason.slice(0, 160)}"`).join("; ")}` : ""} |`,
      `| Secrets in the package | secrets-access-review ${n(full.presence.reviewed)}/${n(full.presence.seeded)}, secrets-access-policy ${n(full.presence.policyItems)}/${n(full.presence.seeded)} (${mark(full.presence.reviewed === full.presence.seeded && full.presence.policyItems === full.presence.seeded)}) |`,
      `| Review rows (access-review.csv) | ${n(full.reviewRows)}: can read and did ${n(full.rowsByRead.canReadDidRead)}, can read and did not ${n(full.rowsByRead.canReadNotRead)}, read without a grant ${n(full.rowsByRead.readWithoutGrant)}; by action: ${actions} |`,
      `| evidence.json | ${full.evidenceMb.toFixed(1)} MB |`,
      `| report.pdf | ${full.pdfMb === undefined ? "not written" : `${full.pdfMb.toFixed(1)} MB, ${full.pdfPages === undefined ? "pages not counted (no pdfinfo)" : `${n(full.pdfPages)} pages`}`} |`,
    );
  } else if ("failure" in tool) {
    lines.push(`| Package | **none**: ${tool.failure.split("\n")[0]} |`, "", "```", tool.failure.split("\n").slice(1).join("\n").slice(-3000), "```");
  }
  lines.push("", "### Calls by operation", "", ...operationTable(result.minimum, tool.operations), "");
  return lines.join("\n");
}

async function main(roles: number, secrets: number, keep: boolean) {
  const now = new Date();
  const work = await mkdtemp(join(tmpdir(), "ar-bench-"));
  const config = join(work, "controls.yaml");
  await writeFile(config, controlsYaml());
  const emulator = await startEmulator();
  try {
    const loadAtSeed = measure.load1();
    say(`seeding ${n(roles)} roles x ${n(secrets)} secrets (1-min load ${loadAtSeed.toFixed(2)})`);
    const seeded = await seed(emulator, roles, secrets);
    const reads = readEvents(roles, seeded.secretArns, secrets, now, 1000);
    emulator.proxy.seed.cloudTrailEvents(ACCOUNT, REGION, reads.events);
    say(`seeded ${reads.events.length} GetSecretValue events (${reads.ungranted} without a grant)`);
    // moto 5.2.1 answers GetAccountAuthorizationDetails with every entity and IsTruncated false whatever MaxItems
    // says, so this is 1 page at any size here, where AWS would need about (roles + policies) / 1,000 pages.
    const pages = await iamPages(emulator, REGION, ACCOUNT);
    say(`GetAccountAuthorizationDetails: ${pages} page(s) of 1,000`);
    const minimum: MinimumCall[] = minimumCalls({
      cells: [{ account: ACCOUNT, region: REGION, keys: ESTATE_KEYS, rotatableKeys: ESTATE_KEYS, aliases: 0, secrets, secretKeys: Math.min(ESTATE_KEYS, secrets), rotationEvents: 0, deleteEvents: 0, readEvents: reads.events.length, trails: 0, analyzers: 0, findings: 0 }],
      accounts: [{ account: ACCOUNT, buckets: 0, bucketLocation: false, iamPages: pages, organization: false, assumed: false }],
    }).filter((call) => COLLECTORS.has(call.collector));
    const total = minimum.reduce((sum, call) => sum + call.calls, 0);

    say("floor: the minimum calls one at a time straight to moto");
    configureProxy(emulator.proxy, undefined);
    const floorLoad = measure.load1();
    const cpuBefore = measure.cpuSecondsOf(emulator.moto.pid);
    const floorStarted = performance.now();
    const scan = await floorCalls(emulator, seeded.keyIds, now);
    const floor = { motoCpuS: measure.cpuSecondsOf(emulator.moto.pid) - cpuBefore, wallS: (performance.now() - floorStarted) / 1000, calls: scan.calls, errors: scan.errors, load: { before: floorLoad, after: measure.load1() } };
    say(`floor: moto CPU ${floor.motoCpuS.toFixed(1)} s for ${scan.calls} calls (wall ${floor.wallS.toFixed(1)} s, ${scan.errors.length} errors)`);
    if (scan.calls !== total) throw new Error(`the floor made ${scan.calls} calls where lower-bound.ts counts ${total}: bring floorCalls in line with minimumCalls`);

    configureProxy(emulator.proxy, 1);
    const loadBefore = measure.load1();
    say(`collect (1-min load ${loadBefore.toFixed(2)})`);
    const tool = await toolRun(emulator, config, join(work, "out"), secrets, keep);
    const loadAfter = measure.load1();
    say(`collect: ${tool.wallS.toFixed(1)} s, exit ${tool.exit}, peak RSS ${tool.peakRssMb?.toFixed(0) ?? "?"} MB, ${tool.throttled} throttled (1-min load ${loadAfter.toFixed(2)})`);
    const bound = lowerBound(minimum, QUOTAS, { latencyS: MEAN_LATENCY_S, burstSeconds: BURST_SECONDS, factor: 1 });
    const result: Result = {
      date: now.toISOString(),
      command: `npx tsx bench/access-review-run.ts --roles ${roles} --secrets ${secrets}`,
      toolCommand: `soc2-evidence ${cliArgs("$TMP/controls.yaml", "$TMP/out").slice(2 + measure.toolNodeArgs.length).join(" ")}`,
      machine: { ...measure.machineInfo(), loadAtSeed },
      estate: { roles, secrets, keys: ESTATE_KEYS, documents: seeded.documents, attachments: seeded.attachments, resourcePolicies: seeded.resourcePolicies, readEvents: reads.events.length, grantedReads: reads.granted, ungrantedReads: reads.ungranted, iamPages: pages },
      seeding: seeded.timings,
      minimum: [...byOperation(minimum)].map(([operation, calls]) => ({ operation, calls })),
      bound,
      floor,
      load: { before: loadBefore, after: loadAfter },
      tool,
    };
    const markdown = render(result);
    await writeFile(join("bench", "RESULTS-access-review.md"), markdown);
    const raw = join(tmpdir(), `soc2-ar-bench-${Date.now()}.json`);
    await writeFile(raw, JSON.stringify({ ...result, tool: { ...tool, operations: tool.operations } }, null, 2));
    console.log(markdown);
    say(`raw measurements: ${raw}`);
  } finally {
    await emulator.stop();
    if (keep) say(`package, controls.yaml and call log kept in ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
}

// --keep leaves the temporary controls.yaml, the package and the proxy's call log (out-calls.jsonl).
const { values } = parseArgs({ options: { roles: { type: "string", default: "5000" }, secrets: { type: "string", default: "1000" }, keep: { type: "boolean", default: false } } });
const roles = Number(values.roles);
const secrets = Number(values.secrets);
if (!(Number.isInteger(roles) && roles > 0 && Number.isInteger(secrets) && secrets > 0)) throw new Error("--roles and --secrets take positive whole numbers");
await main(roles, secrets, values.keep);
