// The benchmark estate: KMS keys, secrets, trails, buckets, Access Analyzer findings and rotation events, spread
// evenly over accounts x regions. Seeded through the proxy as fixture traffic (neither recorded, delayed nor
// throttled): the proxy's moto fixes (EnableKeyRotation, RotateSecret schedules) must see the seeding calls, so moto
// cannot be seeded around it; keys and secrets are seeded at once with bounded concurrency.
import { CloudTrailClient, CreateTrailCommand, StartLoggingCommand } from "@aws-sdk/client-cloudtrail";
import { CreateKeyCommand, EnableKeyRotationCommand, KMSClient } from "@aws-sdk/client-kms";
import { CreateBucketCommand, PutBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateSecretCommand, RotateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { runConcurrent } from "../src/core/concurrency.js";
import { clientConfig, DEFAULT_ACCOUNT, type Emulator } from "../test/support/emulator.js";
import type { AccountEstate, CellEstate, MinimumEstate } from "./lower-bound.js";
import type { SeedFinding } from "../test/support/served-access-analyzer.js";
import type { SeedEvent } from "../test/support/served-lookup-events.js";

export interface EstateSpec {
  accounts: string[];
  regions: string[];
  /** Totals over every account x region, spread evenly. */
  keys: number;
  secrets: number;
  trails: number;
  findings: number;
  /** S3 buckets over the accounts (each account's trail-log bucket among them), in the first region. */
  buckets: number;
}

/** The medium estate of issue 14: what `npm run bench` measures, and `npm run bench:daily` packages day after day. */
export const MEDIUM: EstateSpec = {
  accounts: [DEFAULT_ACCOUNT, "210987654321"],
  regions: ["us-east-1", "us-east-2"],
  keys: 1005,
  secrets: 1000,
  trails: 20,
  findings: 400,
  buckets: 45,
};

export interface Cell {
  account: string;
  region: string;
  keys: number;
  secrets: number;
  trails: number;
  findings: number;
}

export interface SeedTiming {
  kind: string;
  resources: number;
  /** Requests moto answered (including the proxy's own DescribeKey before EnableKeyRotation). */
  motoRequests: number;
  ms: number;
}

const DAY_MS = 86_400_000;
const PARTNER = "111122223333";

/** Splits each total over the cells; the first cells take the remainder. */
export function cellsOf(spec: EstateSpec): Cell[] {
  const places = spec.accounts.flatMap((account) => spec.regions.map((region) => ({ account, region })));
  const share = (total: number, index: number) =>
    Math.floor(total / places.length) + (index < total % places.length ? 1 : 0);
  return places.map((place, index) => ({
    ...place,
    keys: share(spec.keys, index),
    secrets: share(spec.secrets, index),
    trails: share(spec.trails, index),
    findings: share(spec.findings, index),
  }));
}

/** Seeds every kind in turn; `concurrency` requests in flight in total, split over the cells. */
export async function seedEstate(emulator: Emulator, spec: EstateSpec, now: Date, concurrency = 16): Promise<SeedTiming[]> {
  const cells = cellsOf(spec);
  const home = spec.regions[0] ?? "us-east-1";
  const perCell = Math.max(1, Math.floor(concurrency / cells.length));
  const timed = async (kind: string, seed: (cell: Cell) => Promise<{ resources: number; motoRequests: number }>) => {
    const started = performance.now();
    const done = await Promise.all(cells.map(seed));
    const sum = (pick: (one: { resources: number; motoRequests: number }) => number) =>
      done.reduce((total, one) => total + pick(one), 0);
    return { kind, resources: sum((one) => one.resources), motoRequests: sum((one) => one.motoRequests), ms: performance.now() - started };
  };
  const started = performance.now();
  const buckets = await createBuckets(emulator, spec.accounts, home, spec.buckets, concurrency);
  const bucketTiming = { kind: "buckets", resources: spec.buckets, motoRequests: buckets, ms: performance.now() - started };
  // Keys and secrets at once: moto answers both, and neither waits for the other.
  const [keys, secrets] = await Promise.all([
    timed("KMS keys", (cell) => seedKeys(emulator, cell, perCell)),
    timed("secrets", (cell) => seedSecrets(emulator, cell, perCell, now)),
  ]);
  return [
    bucketTiming,
    keys as SeedTiming,
    secrets as SeedTiming,
    await timed("trails", async (cell) => seedTrails(emulator, cell, home)),
    await timed("findings", async (cell) => seedFindings(emulator, cell, now)),
  ];
}

/** The estate as the collectors' minimums read it (bench/lower-bound.ts), from the spec and what seeding made. */
export function minimumEstate(spec: EstateSpec, probed: { aliases: number; iamPages: number; bucketLocation: boolean; awsManagedKeys: number }): MinimumEstate {
  const cells: CellEstate[] = cellsOf(spec).map((cell) => {
    const rotated = indices(cell.secrets).filter((index) => index % 2 === 0);
    return {
      account: cell.account,
      region: cell.region,
      // moto creates the aws/secretsmanager key where secrets use the default: ListKeys returns it too
      keys: cell.keys + probed.awsManagedKeys,
      // every key but the ECC signing ones (index % 20 === 19) is customer-managed symmetric
      rotatableKeys: indices(cell.keys).filter((index) => index % 20 !== 19).length,
      aliases: probed.aliases,
      secrets: cell.secrets,
      secretKeys: 0,
      rotationEvents: rotated.length,
      deleteEvents: 0,
      readEvents: 0,
      trails: cell.trails,
      analyzers: 1,
      findings: cell.findings,
    };
  });
  const accounts: AccountEstate[] = spec.accounts.map((account, index) => ({
    account,
    buckets: bucketsOf(spec.accounts, spec.buckets)[index] ?? 0,
    bucketLocation: probed.bucketLocation,
    iamPages: probed.iamPages,
    organization: false,
    assumed: index > 0,
  }));
  return { cells, accounts };
}

/** Buckets per account: the total split evenly, at least the trail-log bucket each. */
const bucketsOf = (accounts: string[], total: number) =>
  accounts.map((_, index) => Math.max(1, Math.floor(total / accounts.length) + (index < total % accounts.length ? 1 : 0)));

const indices = (count: number) => Array.from({ length: count }, (_, index) => index);

/** 90% symmetric with rotation on, 5% symmetric with rotation off, 5% ECC signing keys (not applicable). */
async function seedKeys(emulator: Emulator, cell: Cell, concurrency: number) {
  const kms = new KMSClient(clientConfig(emulator, cell.region, cell.account));
  let motoRequests = 0;
  await runConcurrent(indices(cell.keys), concurrency, async (index) => {
    const signing = index % 20 === 19;
    const created = await kms.send(
      new CreateKeyCommand({
        Description: `bench key ${index}`,
        ...(signing ? { KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" } : {}),
      }),
    );
    motoRequests += 1;
    if (signing || index % 20 === 18) return;
    await kms.send(new EnableKeyRotationCommand({ KeyId: created.KeyMetadata?.KeyId }));
    motoRequests += 2;
  });
  kms.destroy();
  return { resources: cell.keys, motoRequests };
}

/** Half the secrets rotate every 30 days (rotated once at seeding, with a RotationSucceeded event); half never do. */
async function seedSecrets(emulator: Emulator, cell: Cell, concurrency: number, now: Date) {
  const client = new SecretsManagerClient(clientConfig(emulator, cell.region, cell.account));
  const events: SeedEvent[] = [];
  let motoRequests = 0;
  await runConcurrent(indices(cell.secrets), concurrency, async (index) => {
    const created = await client.send(
      new CreateSecretCommand({ Name: `bench/app-${index}`, SecretString: `{"password":"bench-${index}"}` }),
    );
    motoRequests += 1;
    if (index % 2 === 1) return;
    const lambda = `arn:aws:lambda:${cell.region}:${cell.account}:function:rotate-secret`;
    await client.send(
      new RotateSecretCommand({ SecretId: created.ARN, RotationLambdaARN: lambda, RotationRules: { AutomaticallyAfterDays: 30 } }),
    );
    motoRequests += 1;
    events.push(rotationSucceeded(String(created.ARN), new Date(now.getTime() - (index % 29) * DAY_MS), cell));
  });
  client.destroy();
  emulator.proxy.seed.cloudTrailEvents(cell.account, cell.region, events);
  return { resources: cell.secrets, motoRequests };
}

function rotationSucceeded(secretArn: string, at: Date, cell: Cell): SeedEvent {
  return {
    EventName: "RotationSucceeded",
    EventSource: "secretsmanager.amazonaws.com",
    EventTime: at,
    Username: "secretsmanager.amazonaws.com",
    CloudTrailEvent: {
      eventName: "RotationSucceeded",
      eventSource: "secretsmanager.amazonaws.com",
      eventTime: at.toISOString(),
      awsRegion: cell.region,
      additionalEventData: { SecretId: secretArn },
      eventType: "AwsServiceEvent",
      recipientAccountId: cell.account,
    },
  };
}

/** Trails log to one bucket per account (created first, in the first region); each account's first trail is multi-Region. */
async function seedTrails(emulator: Emulator, cell: Cell, homeRegion: string) {
  const bucket = `bench-trail-logs-${cell.account}`;
  const client = new CloudTrailClient(clientConfig(emulator, cell.region, cell.account));
  for (const index of indices(cell.trails)) {
    const name = `bench-${cell.region}-${index}`;
    const multiRegion = index === 0 && cell.region === homeRegion;
    const validation = index % 2 === 0;
    await client.send(new CreateTrailCommand({ Name: name, S3BucketName: bucket, IsMultiRegionTrail: multiRegion, EnableLogFileValidation: validation }));
    await client.send(new StartLoggingCommand({ Name: name }));
  }
  client.destroy();
  return { resources: cell.trails, motoRequests: 2 * cell.trails };
}

/** Each account's trail-log bucket and the rest of its share; every other bucket denies requests without TLS. */
async function createBuckets(emulator: Emulator, accounts: string[], region: string, total: number, concurrency: number): Promise<number> {
  let requests = 0;
  const counts = bucketsOf(accounts, total);
  await Promise.all(accounts.map(async (account, index) => {
    const s3 = new S3Client(clientConfig(emulator, region, account));
    const names = [`bench-trail-logs-${account}`, ...indices((counts[index] ?? 1) - 1).map((n) => `bench-data-${account}-${n}`)];
    await runConcurrent(names.map((bucket, at) => ({ bucket, at })), concurrency, async ({ bucket, at }) => {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      requests += 1;
      if (at % 2 === 1) {
        await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(tlsOnly(bucket)) }));
        requests += 1;
      }
    });
    s3.destroy();
  }));
  return requests;
}

const tlsOnly = (bucket: string) => ({
  Version: "2012-10-17",
  Statement: [{ Sid: "TlsOnly", Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`], Condition: { Bool: { "aws:SecureTransport": "false" } } }],
});

/** One external-access analyzer with a trusted-partner archive rule; 80% active, 10% archived, 10% resolved. */
function seedFindings(emulator: Emulator, cell: Cell, now: Date) {
  const daysAgo = (days: number) => new Date(now.getTime() - days * DAY_MS);
  const findings: SeedFinding[] = indices(cell.findings).map((index) => {
    const status = index % 10 === 8 ? "ARCHIVED" : index % 10 === 9 ? "RESOLVED" : "ACTIVE";
    const isPublic = index % 50 === 0;
    const opened = 1 + (index % 60);
    return {
      id: `bench-${cell.region}-${index}`,
      status,
      resource: `arn:aws:s3:::bench-${cell.account}-${cell.region}-${index}`,
      resourceType: "AWS::S3::Bucket",
      resourceOwnerAccount: cell.account,
      isPublic,
      principal: { AWS: isPublic ? "*" : status === "ARCHIVED" ? PARTNER : "444455556666" },
      action: ["s3:GetObject"],
      condition: {},
      createdAt: daysAgo(opened),
      updatedAt: daysAgo(status === "ACTIVE" ? opened : Math.max(0, opened - 5)),
    };
  });
  emulator.proxy.seed.accessAnalyzer(cell.account, cell.region, {
    analyzers: [{ name: "external", type: "ACCOUNT", status: "ACTIVE", createdAt: daysAgo(400) }],
    archiveRules: [{ analyzerName: "external", ruleName: "trusted-partner", filter: { "principal.AWS": { eq: [PARTNER] } }, createdAt: daysAgo(300) }],
    findings,
  });
  return { resources: cell.findings, motoRequests: 0 };
}

/** Findings that are evidence for the period: all but RESOLVED ones resolved before it began (isEvidence). */
export function evidenceFindings(spec: EstateSpec, now: Date, periodStart: Date): number {
  return cellsOf(spec).reduce((total, cell) => {
    const kept = indices(cell.findings).filter((index) => {
      if (index % 10 !== 9) return true;
      const resolvedAt = now.getTime() - Math.max(0, 1 + (index % 60) - 5) * DAY_MS;
      return resolvedAt >= periodStart.getTime();
    });
    return total + kept.length;
  }, 0);
}
