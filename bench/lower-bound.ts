// The quota lower bound of a run (aws-quotas.md section 5): no client, however clever, finishes a bucket's calls
// faster than calls / (quota x share). Buckets in different account-regions run in parallel, so the regional part
// is the largest of them; Organizations and STS are answered before any collector starts, so they come first.
import type { Quota } from "../src/aws/quotas.js";

export interface CallCount {
  service: string;
  operation: string;
  account: string;
  region: string;
  calls: number;
}

export type QuotaTable = Record<string, Record<string, Quota>>;

export interface BucketTime {
  /** "account|region", or "global" for a quota per account across regions. */
  scope: string;
  service: string;
  bucket: string;
  operations: string[];
  calls: number;
  /** The rate the tool allows itself: quota x share. */
  perSecond: number;
  seconds: number;
}

export interface LowerBound {
  share: number;
  /** prelude + regional. */
  seconds: number;
  /** Organizations and STS: scope and credentials, before any collector runs. */
  prelude: number;
  /** The slowest bucket of any account-region. */
  regional: number;
  /** The bucket that sets the regional part. */
  critical?: BucketTime;
  buckets: BucketTime[];
  /** service:operation with calls but no quota in the table (S3, whose per-prefix quota is far away). */
  unmetered: string[];
}

/** Services the tool calls before collectors start (caller identity, organization accounts, AssumeRole). */
const PRELUDE = new Set(["sts", "organizations"]);

export function lowerBound(calls: readonly CallCount[], quotas: QuotaTable, share: number): LowerBound {
  if (!(share > 0)) throw new RangeError("share must be positive");
  const buckets = new Map<string, BucketTime>();
  const unmetered = new Set<string>();
  for (const count of calls) {
    const quota = quotas[count.service]?.[count.operation];
    if (!quota) {
      if (count.calls > 0) unmetered.add(`${count.service}:${count.operation}`);
      continue;
    }
    const scope = quota.global ? "global" : `${count.account}|${count.region}`;
    const key = `${scope}|${count.service}|${quota.bucket}`;
    const perSecond = quota.perSecond * share;
    const entry = buckets.get(key) ?? { scope, service: count.service, bucket: quota.bucket, operations: [], calls: 0, perSecond, seconds: 0 };
    if (!entry.operations.includes(count.operation)) entry.operations.push(count.operation);
    entry.calls += count.calls;
    entry.seconds = entry.calls / perSecond;
    buckets.set(key, entry);
  }
  const all = [...buckets.values()].sort((a, b) => b.seconds - a.seconds);
  const prelude = all.filter((bucket) => PRELUDE.has(bucket.service)).reduce((total, bucket) => total + bucket.seconds, 0);
  const critical = all.find((bucket) => !PRELUDE.has(bucket.service));
  const regional = critical?.seconds ?? 0;
  return {
    share,
    seconds: prelude + regional,
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
