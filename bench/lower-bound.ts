// The benchmark's bound, pure. The minimum calls come from the estate and each collector's documented minimum (the
// "Minimum calls" comment at the top of each collector), never from the tool's own call log: a tool that makes
// extra calls is measured against the calls it need not have made. The quota bound then asks how fast any client
// could answer those calls at 100% of the published quotas (src/aws/quotas.ts), plus the latency of a round trip.
//
// Per bucket (account x region, or account for a global quota): max((calls - burst) / rate, chain x latency), where
// burst is what an AWS token bucket holds after a quiet spell (one second's refill, as the proxy's buckets) and
// chain the calls that must follow one another (pages). Account-regions run in parallel, so the regional part is the
// slowest bucket; STS comes first (credentials), and the last answer needs one more round trip.
import type { Quota } from "../src/aws/quotas.js";

export interface CallCount {
  service: string;
  operation: string;
  account: string;
  region: string;
  calls: number;
}

/** A minimum call count, with the collector whose documented minimum it is and how many must be sequential. */
export interface MinimumCall extends CallCount {
  collector: string;
  /** Calls that depend on the previous one's answer (page after page); 0 when they may all be in flight at once. */
  chain: number;
}

export type QuotaTable = Record<string, Record<string, Quota>>;

/** What the estate holds in one account-region, as the collectors' minimums read it. */
export interface CellEstate {
  account: string;
  region: string;
  /** Every key ListKeys returns (customer and AWS managed). */
  keys: number;
  /** Customer-managed symmetric keys: the ones kms-key-rotation asks about rotation. */
  rotatableKeys: number;
  aliases: number;
  secrets: number;
  /** Distinct customer-managed keys the secrets name (none: the default aws/secretsmanager key). */
  secretKeys: number;
  /**
   * CloudTrail event history: RotationSucceeded events in the 90 days; DeleteSecret and GetSecretValue events in the
   * period's part of them (collectors/event-records.ts: each name is read once a run, over what its readers need).
   */
  rotationEvents: number;
  deleteEvents: number;
  readEvents: number;
  /** Trails whose home region this is (each is described once, in its home region). */
  trails: number;
  analyzers: number;
  /** Findings ListFindings returns for the external-access analyzer (every status). */
  findings: number;
}

export interface AccountEstate {
  account: string;
  /** Buckets ListBuckets returns for the account. */
  buckets: number;
  /** True when ListBuckets omits BucketRegion (moto does; AWS gives it), so GetBucketLocation is needed per bucket. */
  bucketLocation: boolean;
  /** Pages of GetAccountAuthorizationDetails (1,000 items each) for the account's IAM. */
  iamPages: number;
  /** Whether the account is in an organization (else DescribeOrganization answers AWSOrganizationsNotInUse). */
  organization: boolean;
  /** True when the account is reached through AssumeRole (every account but the caller's). */
  assumed: boolean;
}

export interface MinimumEstate {
  cells: CellEstate[];
  accounts: AccountEstate[];
}

const pages = (items: number, size: number) => Math.max(1, Math.ceil(items / size));

/**
 * The fewest calls each collector of controls.yaml needs for the estate, from the collectors' documented minimums.
 * Collectors read on their own, so ListSecrets is counted once per collector that lists secrets; the two
 * secrets-access collectors share their reads (src/core/shared-reads.ts), so their IAM pages, ListSecrets pages,
 * GetResourcePolicy per secret and key reads count once, and so do the LookupEvents pages of each event name in an
 * account-region, whichever collectors read it.
 */
export function minimumCalls(estate: MinimumEstate): MinimumCall[] {
  const out: MinimumCall[] = [];
  const add = (collector: string, service: string, operation: string, account: string, region: string, calls: number, chain = 0) => {
    if (calls > 0) out.push({ collector, service, operation, account, region, calls, chain });
  };
  const home = new Map<string, string>();
  for (const cell of estate.cells) {
    const { account, region } = cell;
    if (!home.has(account)) home.set(account, region);
    const listSecrets = pages(cell.secrets, 100);
    // kms-key-rotation
    add("kms-key-rotation", "kms", "ListAliases", account, region, pages(cell.aliases, 100), pages(cell.aliases, 100));
    add("kms-key-rotation", "kms", "ListKeys", account, region, pages(cell.keys, 1000), pages(cell.keys, 1000));
    add("kms-key-rotation", "kms", "DescribeKey", account, region, cell.keys);
    add("kms-key-rotation", "kms", "GetKeyRotationStatus", account, region, cell.rotatableKeys);
    add("kms-key-rotation", "kms", "ListKeyRotations", account, region, cell.rotatableKeys);
    // secrets-rotation
    add("secrets-rotation", "secretsmanager", "ListSecrets", account, region, listSecrets, listSecrets);
    // secrets-encryption
    add("secrets-encryption", "secretsmanager", "ListSecrets", account, region, listSecrets, listSecrets);
    add("secrets-encryption", "kms", "DescribeKey", account, region, cell.secretKeys);
    add("secrets-encryption", "kms", "GetKeyRotationStatus", account, region, cell.secretKeys);
    // secrets-hygiene
    add("secrets-hygiene", "secretsmanager", "ListSecrets", account, region, listSecrets, listSecrets);
    // ecs-task-secrets (an estate without clusters, rules or task definitions: one empty page each; no revision injects a
    // Secrets Manager secret, so it reads no IAM: with one, it shares the account's GetAccountAuthorizationDetails pages)
    add("ecs-task-secrets", "ecs", "ListClusters", account, region, 1, 1);
    add("ecs-task-secrets", "events", "ListRules", account, region, 1, 1);
    add("ecs-task-secrets", "ecs", "ListTaskDefinitionFamilies", account, region, 1, 1);
    // elb-listener-tls (no load balancers: one page)
    add("elb-listener-tls", "elasticloadbalancing", "DescribeLoadBalancers", account, region, 1, 1);
    // secrets-monitoring (the default bus only, no rules: one page each)
    add("secrets-monitoring", "events", "ListEventBuses", account, region, 1, 1);
    add("secrets-monitoring", "events", "ListRules", account, region, 1, 1);
    // access-analyzer-findings
    add("access-analyzer-findings", "access-analyzer", "ListAnalyzers", account, region, 1, 1);
    add("access-analyzer-findings", "access-analyzer", "ListArchiveRules", account, region, cell.analyzers, cell.analyzers);
    const findingPages = cell.analyzers * pages(cell.findings, 100);
    add("access-analyzer-findings", "access-analyzer", "ListFindings", account, region, findingPages, findingPages);
    // cloudtrail-data-events (account scope: DescribeTrails in every region, then each trail in its home region)
    add("cloudtrail-data-events", "cloudtrail", "DescribeTrails", account, region, 1, 1);
    add("cloudtrail-data-events", "cloudtrail", "GetTrailStatus", account, region, cell.trails);
    add("cloudtrail-data-events", "cloudtrail", "GetEventSelectors", account, region, cell.trails);
    // CloudTrail event history, one read per event name and account-region for every collector that reads the name
    // (collectors/event-records.ts), named by its readers: GetSecretValue (cloudtrail-data-events' activity and the
    // access review), RotationSucceeded (secrets-rotation over 90 days, and the activity), RotateSecret (the
    // activity), DeleteSecret (secrets-hygiene).
    const history: [string, number][] = [
      ["cloudtrail-data-events+secrets-access-review", cell.readEvents],
      ["cloudtrail-data-events+secrets-rotation", cell.rotationEvents],
      ["cloudtrail-data-events", 0],
      ["secrets-hygiene", cell.deleteEvents],
    ];
    for (const [readers, events] of history) add(readers, "cloudtrail", "LookupEvents", account, region, pages(events, 50), pages(events, 50));
    // secrets-access-policy and secrets-access-review (account scope, every region): the same facts, read once
    const shared = "secrets-access-policy+review";
    add(shared, "secretsmanager", "ListSecrets", account, region, listSecrets, listSecrets);
    add(shared, "secretsmanager", "GetResourcePolicy", account, region, cell.secrets);
    // the keys the secrets name, the default key included (its policy is what grants kms:Decrypt)
    add(shared, "kms", "DescribeKey", account, region, cell.secretKeys + (cell.secrets > 0 ? 1 : 0));
    add(shared, "kms", "GetKeyPolicy", account, region, cell.secretKeys + (cell.secrets > 0 ? 1 : 0));
    add("secrets-access-review", "ecs", "ListTaskDefinitionFamilies", account, region, 1, 1);
  }
  for (const account of estate.accounts) {
    const region = home.get(account.account) ?? "us-east-1";
    const a = account.account;
    if (account.assumed) add("scope", "sts", "AssumeRole", a, region, 1, 1);
    // tls-in-transit
    add("tls-in-transit", "s3", "ListBuckets", a, region, 1, 1);
    if (account.bucketLocation) add("tls-in-transit", "s3", "GetBucketLocation", a, region, account.buckets);
    add("tls-in-transit", "s3", "GetBucketPolicy", a, region, account.buckets);
    add("secrets-access-policy+review", "iam", "GetAccountAuthorizationDetails", a, region, account.iamPages, account.iamPages);
    for (const collector of ["secrets-access-policy", "secrets-access-review"]) {
      add(collector, "organizations", "DescribeOrganization", a, "us-east-1", 1, 1);
      // In an organization the policy collector lists its accounts and the review reads SCPs: not in this estate.
    }
  }
  const caller = estate.accounts.find((account) => !account.assumed);
  if (caller) add("scope", "sts", "GetCallerIdentity", caller.account, home.get(caller.account) ?? "us-east-1", 1, 1);
  return out;
}

/** Sums minimum calls by service:operation (what the tables print next to the tool's calls). */
export function byOperation(calls: readonly CallCount[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const call of calls) {
    const key = `${call.service}:${call.operation}`;
    totals.set(key, (totals.get(key) ?? 0) + call.calls);
  }
  return totals;
}

export interface BucketTime {
  /** "account|region", or the account for a quota per account across regions. */
  scope: string;
  service: string;
  bucket: string;
  operations: string[];
  calls: number;
  chain: number;
  perSecond: number;
  seconds: number;
}

export interface BoundOptions {
  /** Mean latency of one round trip, in seconds. */
  latencyS: number;
  /** Each bucket's burst, as seconds of its rate (AWS-like buckets hold about one second; 0 for none). */
  burstSeconds: number;
  /** The share of the published quota the server allows (1: AWS defaults). */
  factor?: number;
}

export interface LowerBound {
  /** prelude + regional + one round trip for the last answer. */
  seconds: number;
  /** STS: credentials before any collector runs. */
  prelude: number;
  /** The slowest bucket of any account-region. */
  regional: number;
  critical?: BucketTime;
  buckets: BucketTime[];
  /** service:operation with calls but no quota in the table (S3, whose per-prefix quota is far away). */
  unmetered: string[];
}

const PRELUDE = new Set(["sts"]);

export function lowerBound(calls: readonly (CallCount & { chain?: number })[], quotas: QuotaTable, options: BoundOptions): LowerBound {
  const factor = options.factor ?? 1;
  if (!(factor > 0)) throw new RangeError("factor must be positive");
  if (!(options.latencyS >= 0) || !(options.burstSeconds >= 0)) throw new RangeError("latency and burst must be >= 0");
  const buckets = new Map<string, BucketTime>();
  const unmetered = new Set<string>();
  let longestChain = 0;
  for (const count of calls) {
    longestChain = Math.max(longestChain, count.chain ?? 0);
    const quota = quotas[count.service]?.[count.operation];
    if (!quota) {
      if (count.calls > 0) unmetered.add(`${count.service}:${count.operation}`);
      continue;
    }
    const scope = quota.global ? count.account : `${count.account}|${count.region}`;
    const key = `${scope}|${count.service}|${quota.bucket}`;
    const perSecond = quota.perSecond * factor;
    const entry = buckets.get(key) ?? { scope, service: count.service, bucket: quota.bucket, operations: [], calls: 0, chain: 0, perSecond, seconds: 0 };
    if (!entry.operations.includes(count.operation)) entry.operations.push(count.operation);
    entry.calls += count.calls;
    entry.chain += count.chain ?? 0;
    const burst = options.burstSeconds > 0 ? Math.max(1, perSecond * options.burstSeconds) : 0;
    entry.seconds = Math.max(Math.max(0, entry.calls - burst) / perSecond, entry.chain * options.latencyS);
    buckets.set(key, entry);
  }
  const all = [...buckets.values()].sort((a, b) => b.seconds - a.seconds);
  const prelude = all.filter((bucket) => PRELUDE.has(bucket.service)).reduce((total, bucket) => total + bucket.seconds, 0);
  const critical = all.find((bucket) => !PRELUDE.has(bucket.service));
  // An unmetered chain (S3 pages) still takes its round trips.
  const regional = Math.max(critical?.seconds ?? 0, longestChain * options.latencyS);
  return {
    seconds: prelude + regional + options.latencyS,
    prelude,
    regional,
    ...(critical ? { critical } : {}),
    buckets: all,
    unmetered: [...unmetered].sort(),
  };
}

/** Counts recorded calls by service, operation, account and region. */
export function countCalls(
  recorded: Iterable<{ service: string; operation: string; account: string; region: string }>,
): CallCount[] {
  const counts = new Map<string, CallCount>();
  for (const { service, operation, account, region } of recorded) {
    const key = `${service}|${operation}|${account}|${region}`;
    const entry = counts.get(key) ?? { service, operation, account, region, calls: 0 };
    entry.calls += 1;
    counts.set(key, entry);
  }
  return [...counts.values()];
}
