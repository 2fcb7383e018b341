// Passes a secret whose rotation is on, scheduled at least every maxIntervalDays, and last succeeded on time.
import { coveredSpan, EVENT_HISTORY_MS, eventsWithin } from "./event-history.js";
import { sharedEvents } from "./event-records.js";
import { awsErrorCode, CallTrace } from "../src/core/trace.js";
import { defineCollector, type CollectContext } from "../src/core/collector.js";
import { judgeSecret, judgeSecretPeriod, observedFacts, rotationDates, secretFacts, withEvents, type RotationEvents, type SecretFacts } from "./secrets-rotation.judge.js";
import { sdk } from "../src/core/sdk.js";

const { paginateListSecrets } = sdk("@aws-sdk/client-secrets-manager");

// Minimum calls for M secrets in a region: ceil(M / 100) ListSecrets pages, plus one paged LookupEvents
// (ceil(E / 50) pages for E RotationSucceeded events in CloudTrail's 90 days): the region's shared read
// (event-records.ts), made once in a run for this collector and cloudtrail-data-events. No call per secret:
// SecretListEntry carries every field a verdict uses (RotationEnabled, RotationRules, LastRotatedDate,
// NextRotationDate, OwningService, PrimaryRegion, DeletedDate). DescribeSecret would add only ReplicationStatus,
// the regions a primary replicates to; no verdict reads it, and each replica is listed by ListSecrets in its own
// region with PrimaryRegion set and judged there as a replica, so the fact is in the evidence without the call.
// Source: https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_SecretListEntry.html
const SECRET = "AWS::SecretsManager::Secret";

const params = {
  maxIntervalDays: {
    type: "integer",
    default: 90,
    min: 1,
    max: 1000,
    description: "Longest time allowed between two rotations of a secret, in days.",
  },
  graceDays: {
    type: "integer",
    default: 3,
    min: 0,
    max: 90,
    description: "Days a scheduled rotation may be late before the secret fails as not rotating.",
  },
} as const;

export default defineCollector({
  id: "secrets-rotation",
  title: "Secrets Manager secrets rotate automatically and on time",
  docsUrl: "https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets.html",
  criteria: ["CC6.1"],
  service: "secretsmanager",
  scope: "region",
  permissions: ["secretsmanager:ListSecrets", "cloudtrail:LookupEvents"],
  params,
  async *collect(ctx, { maxIntervalDays, graceDays }) {
    const now = ctx.now();
    const client = ctx.clients.secretsManager(ctx.account, ctx.region);
    const listing = new CallTrace("secretsmanager", ctx.now);
    const expected = { maxIntervalDays, graceDays };
    const eventsReady = rotationEvents(ctx, now);
    // Secrets are listed while CloudTrail pages in (2 TPS); verdicts wait for both. Only facts are kept, not pages.
    const gathered: { facts: SecretFacts; trace: CallTrace }[] = [];
    let listingError: unknown;
    try {
      for await (const page of paginateListSecrets({ client, pageSize: 100 }, {})) {
        listing.record("ListSecrets", page);
        for (const entry of page.SecretList ?? []) gathered.push({ facts: secretFacts(entry, ctx.region), trace: listing.fork() });
      }
    } catch (error) {
      listingError = error;
    }
    const events = await eventsReady;
    for (const { facts, trace } of gathered) {
      const resource = { arn: facts.arn, type: SECRET, name: facts.name };
      withEvents(facts, trace, events);
      const verdict = judgeSecret(facts, expected, now);
      yield { resource, ...verdict, observed: observedFacts(facts, now), expected, source: trace.source() };
    }
    // Items already read stay evidence; the runner records the unfinished enumeration.
    if (listingError) throw listingError;
  },
  period: { dates: rotationDates, judge: judgeSecretPeriod },
});

/** RotationSucceeded over CloudTrail's 90 days, keyed by the secret named: the region's shared read (event-records.ts). */
async function rotationEvents(ctx: CollectContext, now: Date): Promise<RotationEvents> {
  const history = await sharedEvents(ctx, ctx.region, "RotationSucceeded");
  const span = coveredSpan({ start: now.getTime() - EVENT_HISTORY_MS, end: now.getTime() }, history);
  const found: RotationEvents = { since: new Date(span.start).toISOString(), bySecret: new Map() };
  if (history.error !== undefined) {
    // Rotation is still judged from ListSecrets; the item says which extra evidence is missing and why.
    found.unavailable = { code: awsErrorCode(history.error), error: history.error };
    ctx.log.warn("secrets-rotation.lookup-events-unavailable", {
      region: ctx.region,
      code: found.unavailable.code,
    });
    return found;
  }
  for (const { secretId, time, page } of eventsWithin(history, span)) {
    if (!secretId || Number.isNaN(time)) continue;
    const entry = found.bySecret.get(secretId) ?? { dates: [], pages: [] };
    entry.dates.push(new Date(time).toISOString());
    const named = history.pages[page];
    if (named && !entry.pages.includes(named)) entry.pages.push(named);
    found.bySecret.set(secretId, entry);
  }
  return found;
}
