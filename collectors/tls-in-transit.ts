// Passes a bucket whose policy denies non-TLS requests to it and its objects, and an AWS endpoint that holds the TLS floor.
// Minimum calls for B buckets in an account: ListBuckets pages, one GetBucketPolicy per bucket (no list carries
// policies), and GetBucketLocation only for a bucket ListBuckets gives no BucketRegion for (AWS gives it; moto does not).
// The endpoint probes are TLS handshakes, not API calls.
import type { Bucket, S3Client } from "@aws-sdk/client-s3";
import { CallTrace } from "../src/core/trace.js";
import { defineCollector, type CollectContext } from "../src/core/collector.js";
import { mapConcurrent } from "../src/core/concurrency.js";
import { errorItem } from "../src/core/evidence.js";
import type { ItemDraft } from "../src/core/model.js";
import type { ProbeOptions } from "../src/core/tls.js";
import { judgeBucket, TLS_VERSIONS } from "./tls-in-transit.judge.js";
import { probeEndpoint, probeTargets } from "./tls-endpoints.js";
import { sdk } from "../src/core/sdk.js";

const { GetBucketLocationCommand, GetBucketPolicyCommand, paginateListBuckets } = sdk("@aws-sdk/client-s3");

export { probeTargets } from "./tls-endpoints.js";

const PER_BUCKET_CONCURRENCY = 8;
const PROBE_CONCURRENCY = 4;

const params = {
  minTlsVersion: {
    type: "string",
    default: "TLSv1.2",
    enum: TLS_VERSIONS,
    description:
      "Oldest TLS version allowed: bucket policies must deny below it and endpoints must refuse below it.",
  },
} as const;

export default defineCollector({
  id: "tls-in-transit",
  title: "S3 bucket policies deny non-TLS requests; AWS endpoints negotiate TLS >= minimum",
  docsUrl: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingEncryptionInTransit.html",
  criteria: ["CC6.7"],
  service: "s3",
  // ListBuckets is global: one run per account covers every bucket, wherever it lives.
  scope: "account",
  permissions: ["s3:ListAllMyBuckets", "s3:GetBucketLocation", "s3:GetBucketPolicy"],
  params,
  async *collect(ctx, { minTlsVersion }) {
    const expected = { minTlsVersion };
    const listing = new CallTrace("s3", ctx.now);
    const client = ctx.clients.s3(ctx.account, ctx.region);
    const buckets = async function* () {
      // A page size keeps the request paginated, which AWS requires above the default bucket quota.
      for await (const page of paginateListBuckets({ client, pageSize: 10_000 }, {})) {
        listing.record("ListBuckets", page);
        yield* page.Buckets ?? [];
      }
    };
    yield* mapConcurrent(buckets(), PER_BUCKET_CONCURRENCY, async (bucket): Promise<ItemDraft> => {
      const name = String(bucket.Name);
      const arn = `arn:${ctx.partition}:s3:::${name}`;
      const resource = { arn, type: "AWS::S3::Bucket", name };
      const trace = listing.fork();
      try {
        const region = await bucketRegion(ctx, client, bucket, trace);
        const policy = await bucketPolicy(ctx.clients.s3(ctx.account, region), name, trace);
        const facts = { bucket: name, arn, region, evidenceBucket: name === ctx.evidenceBucket, policy };
        const { analysis, ...verdict } = judgeBucket(facts, expected);
        const { bucketCovered: _bucket, objectsCovered: _objects, ...observed } = analysis;
        return {
          resource,
          region,
          ...verdict,
          observed: {
            bucket: name,
            region,
            evidenceBucket: facts.evidenceBucket,
            hasPolicy: policy !== undefined,
            ...observed,
          },
          expected,
          source: trace.source(),
        };
      } catch (error) {
        return errorItem(resource, error, trace, expected);
      }
    });
    const minVersion = minTlsVersion as ProbeOptions["minVersion"];
    yield* mapConcurrent(probeTargets(ctx), PROBE_CONCURRENCY, (endpoint) =>
      probeEndpoint(ctx, endpoint, minVersion),
    );
  },
});

async function bucketRegion(
  ctx: CollectContext,
  client: S3Client,
  bucket: Bucket,
  trace: CallTrace,
): Promise<string> {
  if (bucket.BucketRegion) return bucket.BucketRegion;
  const location = await client.send(new GetBucketLocationCommand({ Bucket: bucket.Name }));
  trace.record("GetBucketLocation", location);
  const constraint = location.LocationConstraint as string | undefined;
  // us-east-1 reports no constraint; "EU" is the legacy name of eu-west-1.
  if (!constraint) return ctx.partition === "aws" ? "us-east-1" : ctx.region;
  return constraint === "EU" ? "eu-west-1" : constraint;
}

async function bucketPolicy(client: S3Client, bucket: string, trace: CallTrace): Promise<string | undefined> {
  try {
    const response = await client.send(new GetBucketPolicyCommand({ Bucket: bucket }));
    trace.record("GetBucketPolicy", response);
    return response.Policy ?? undefined;
  } catch (error) {
    if ((error as Error).name !== "NoSuchBucketPolicy") throw error;
    trace.record("GetBucketPolicy", error);
    return undefined;
  }
}
