// What every end-to-end benchmark sets at the proxy and reads back from moto: the latency, the quota buckets of
// src/aws/quotas.ts, and how many pages of GetAccountAuthorizationDetails the seeded IAM takes. Shared by bench/run.ts
// and bench/access-review-run.ts so both measure against the same proxy.
import { GetAccountAuthorizationDetailsCommand, IAMClient } from "@aws-sdk/client-iam";
import { QUOTAS } from "../src/aws/quotas.js";
import { clientConfig, type Emulator } from "../test/support/emulator.js";
import type { TestProxy } from "../test/support/proxy.js";

/** 25 +/- 10 ms a call: 15 ms plus 0-20 ms drawn per call. */
export const LATENCY = { ms: 15, jitterMs: 20 };
export const MEAN_LATENCY_S = (LATENCY.ms + LATENCY.jitterMs / 2) / 1000;
/**
 * The proxy's buckets hold one second of their rate (QuotaRule's default burst), and the bound lets that second go at
 * once. AWS publishes bucket sizes for only some APIs, and those hold 1.5 to 5 seconds of their refill rate: EC2
 * DescribeHosts 100 at 20/s (ec2/latest/devguide/ec2-api-throttling.html), ECS task definition reads 50 at 20/s,
 * Organizations ListAccounts 12 at 8/s. KMS and Secrets Manager publish rates only, so one second is the smallest
 * size AWS's published buckets hold, not a measurement of theirs. The tool's own buckets (src/aws/rate-limiter.ts)
 * hold a second for the same published reason, not because the proxy's do.
 */
export const BURST_SECONDS = 1;

/** Latency on every call, and each quota bucket of src/aws/quotas.ts as a token bucket at `factor` x its rate. */
export function configureProxy(proxy: TestProxy, factor: number | undefined): void {
  proxy.clearFaults();
  proxy.inject({ kind: "latency", ...LATENCY });
  if (factor === undefined) return;
  for (const [service, operations] of Object.entries(QUOTAS)) {
    const buckets = new Map<string, { operations: string[]; perSecond: number }>();
    for (const [operation, quota] of Object.entries(operations)) {
      const bucket = buckets.get(quota.bucket) ?? { operations: [], perSecond: quota.perSecond };
      bucket.operations.push(operation);
      buckets.set(quota.bucket, bucket);
    }
    for (const { operations: names, perSecond } of buckets.values()) {
      proxy.quota({ service, operation: names, perSecond: perSecond * factor });
    }
  }
}

/** Pages of GetAccountAuthorizationDetails (MaxItems 1,000, every entity type) moto returns for the account. */
export async function iamPages(emulator: Emulator, region: string, account?: string): Promise<number> {
  const iam = new IAMClient(clientConfig(emulator, region, account));
  let pages = 0;
  let marker: string | undefined;
  try {
    do {
      const page: { IsTruncated?: boolean; Marker?: string } = await iam.send(new GetAccountAuthorizationDetailsCommand({ MaxItems: 1000, Marker: marker, Filter: ["Role", "User", "Group", "LocalManagedPolicy", "AWSManagedPolicy"] }));
      pages += 1;
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
  } finally {
    iam.destroy();
  }
  return pages;
}
