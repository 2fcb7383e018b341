// Passes when one multi-Region, logging, validated, KMS-encrypted trail logs management and the required data events.
// Minimum calls for T trails in an account over G regions: G DescribeTrails (shadow trails included, so a
// multi-Region trail is seen from every region), then per trail, in its home region only, one GetTrailStatus (logging,
// last delivery) and one GetEventSelectors (what it logs): DescribeTrails carries neither. For a period, per region
// ceil(E / 50) LookupEvents pages for each of GetSecretValue, RotationSucceeded and RotateSecret (one event name a
// request), each the region's shared read (event-records.ts) made once in a run: GetSecretValue's (the period's part of
// the 90 days) with secrets-access-review, RotationSucceeded's (all 90 days, E counted over them) with secrets-rotation.
import type { Trail } from "@aws-sdk/client-cloudtrail";
import { awsErrorCode, CallTrace } from "../src/core/trace.js";
import { defineCollector, type CollectContext } from "../src/core/collector.js";
import { mapConcurrent, runConcurrent } from "../src/core/concurrency.js";
import { errorItem } from "../src/core/evidence.js";
import type { ItemDraft } from "../src/core/model.js";
import * as judge from "./cloudtrail-data-events.judge.js";
import { secretActivity } from "./cloudtrail-secret-activity.js";
import { sdk } from "../src/core/sdk.js";

const { DescribeTrailsCommand, GetEventSelectorsCommand, GetTrailStatusCommand } = sdk("@aws-sdk/client-cloudtrail");

const CONCURRENCY = 4;

const params = {
  dataResourceTypes: {
    type: "string[]",
    default: ["AWS::S3::Object"],
    description: "Data event resource types a trail must log, read and write.",
  },
  dataResourceArns: {
    type: "string[]",
    default: [],
    description:
      "ARNs whose data events must be logged (S3: arn:aws:s3:::bucket/); empty: the evidence bucket.",
  },
  maxDeliveryAgeHours: {
    type: "integer",
    default: 24,
    min: 1,
    max: 720,
    description: "Hours since a trail's last log delivery before it fails as not delivering.",
  },
} as const;

export default defineCollector({
  id: "cloudtrail-data-events",
  title: "A multi-Region CloudTrail trail logs management and data events, validated and encrypted",
  docsUrl:
    "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html",
  criteria: ["CC7.2"],
  service: "cloudtrail",
  scope: "account",
  permissions: [
    "cloudtrail:DescribeTrails",
    "cloudtrail:GetTrailStatus",
    "cloudtrail:GetEventSelectors",
    "cloudtrail:LookupEvents",
  ],
  params,
  async *collect(ctx, configured) {
    // Data events on the evidence bucket are required of the account that owns it, not of every member account.
    const ownsBucket = !ctx.evidenceBucketAccount || ctx.evidenceBucketAccount === ctx.account;
    const requirement = judge.requirementOf(configured, ownsBucket ? ctx.evidenceBucket : undefined, ctx.partition);
    const expected = { ...configured, ...requirement };
    const account = new CallTrace("cloudtrail", ctx.now);
    const found = await listTrails(ctx, account);
    for (const [region, error] of found.failures) {
      const name = `trails in ${region}`;
      const arn = `arn:${ctx.partition}:cloudtrail:${region}:${ctx.account}:trail/*`;
      yield {
        ...errorItem({ arn, type: "AWS::CloudTrail::Trail", name }, error, account.fork(), expected),
        region,
      };
    }
    const outcomes: judge.TrailOutcome[] = [];
    yield* mapConcurrent(found.trails, CONCURRENCY, async (trail) => {
      const item = await trailItem(ctx, trail, requirement, expected, account);
      const missing = (item.observed.missing as string[] | undefined) ?? [];
      outcomes.push({ arn: item.resource.arn, name: item.resource.name, status: item.status, missing });
      return item;
    });
    const verdict = judge.judgeAccount(outcomes, found.regionsScanned);
    const activity = ctx.period ? await secretActivity(ctx, ctx.period, account) : {};
    yield {
      resource: {
        arn: `arn:${ctx.partition}:cloudtrail:${ctx.region}:${ctx.account}:logging-requirement`,
        type: "AWS::::Account",
        name: "logging requirement",
      },
      region: ctx.region,
      ...verdict,
      observed: {
        regionsScanned: found.regionsScanned,
        ...(found.failures.size
          ? { regionsFailed: Object.fromEntries([...found.failures].map(([r, e]) => [r, awsErrorCode(e)])) }
          : {}),
        trailsFound: found.trails.length,
        shadowTrailsSkipped: found.shadowTrailsSkipped,
        trails: outcomes.map(({ arn, status, missing }) => ({ arn, status, missing })),
        ...activity,
      },
      expected,
      source: account.source(),
    };
  },
});

/** DescribeTrails in every scope region; a region that cannot be listed is kept with its error. */
async function listTrails(ctx: CollectContext, account: CallTrace) {
  const listings: Trail[][] = [];
  const failures = new Map<string, unknown>();
  const regionsScanned: string[] = [];
  await runConcurrent(ctx.regions, CONCURRENCY, async (region) => {
    try {
      const command = new DescribeTrailsCommand({ includeShadowTrails: true });
      const response = await ctx.clients.cloudTrail(ctx.account, region).send(command);
      account.record("DescribeTrails", response);
      regionsScanned.push(region);
      listings.push(response.trailList ?? []);
    } catch (error) {
      account.record(undefined, error);
      failures.set(region, error);
    }
  });
  return { ...judge.uniqueTrails(listings), failures, regionsScanned: regionsScanned.sort() };
}

async function trailItem(
  ctx: CollectContext,
  trail: Trail,
  requirement: judge.Requirement,
  expected: Record<string, unknown>,
  account: CallTrace,
): Promise<ItemDraft> {
  const arn = String(trail.TrailARN);
  const homeRegion = trail.HomeRegion ?? ctx.region;
  const resource = { arn, type: "AWS::CloudTrail::Trail", name: trail.Name ?? arn };
  const trace = account.fork();
  const record = (operation: string | undefined, response: unknown) => {
    trace.record(operation, response);
    account.record(operation, response);
  };
  // Status and selectors are answered by the trail's home region; elsewhere it is a shadow.
  const client = ctx.clients.cloudTrail(ctx.account, homeRegion);
  try {
    const status = await client.send(new GetTrailStatusCommand({ Name: arn }));
    record("GetTrailStatus", status);
    const selectors = await client.send(new GetEventSelectorsCommand({ TrailName: arn }));
    record("GetEventSelectors", selectors);
    const facts = judge.trailFacts(trail, status, selectors, homeRegion);
    const verdict = judge.judgeTrail(facts, requirement, ctx.now());
    const observed = judge.observedTrail(facts, verdict);
    const { status: verdictStatus, reason } = verdict;
    return {
      resource,
      region: homeRegion,
      status: verdictStatus,
      reason,
      observed,
      expected,
      source: trace.source(),
    };
  } catch (error) {
    account.record(undefined, error);
    return { ...errorItem(resource, error, trace, expected), region: homeRegion };
  }
}
