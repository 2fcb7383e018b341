// Passes a secret whose rotation is on, scheduled at least every maxIntervalDays, and last succeeded on time.
import { DescribeSecretCommand, paginateListSecrets, type SecretListEntry } from "@aws-sdk/client-secrets-manager";
import { EVENT_HISTORY_DAYS, eventsNamed } from "./event-history.js";
import { awsErrorCode, CallTrace } from "../src/core/trace.js";
import { defineCollector, type CollectContext } from "../src/core/collector.js";
import { mapConcurrent } from "../src/core/concurrency.js";
import { errorItem } from "../src/core/evidence.js";
import { judgeSecret, judgeSecretPeriod, observedFacts, rotatedSecretId, rotationDates, secretFacts, withEvents, type RotationEvents, type SecretFacts } from "./secrets-rotation.judge.js";

const PER_SECRET_CONCURRENCY = 16;
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

type Gathered = { facts: SecretFacts; trace: CallTrace; error?: unknown };

export default defineCollector({
  id: "secrets-rotation",
  title: "Secrets Manager secrets rotate automatically and on time",
  docsUrl: "https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets.html",
  criteria: ["CC6.1"],
  service: "secretsmanager",
  scope: "region",
  permissions: ["secretsmanager:ListSecrets", "secretsmanager:DescribeSecret", "cloudtrail:LookupEvents"],
  params,
  async *collect(ctx, { maxIntervalDays, graceDays }) {
    const now = ctx.now();
    const client = ctx.clients.secretsManager(ctx.account, ctx.region);
    const listing = new CallTrace("secretsmanager", ctx.now);
    const expected = { maxIntervalDays, graceDays };
    const eventsReady = rotationEvents(ctx, now);
    const secrets = async function* () {
      for await (const page of paginateListSecrets({ client, pageSize: 100 }, {})) {
        listing.record("ListSecrets", page);
        yield* page.SecretList ?? [];
      }
    };
    // Secrets are read while CloudTrail pages in (2 TPS); verdicts wait for both.
    const gathered: Gathered[] = [];
    let listingError: unknown;
    try {
      for await (const one of mapConcurrent(secrets(), PER_SECRET_CONCURRENCY, (entry) =>
        gather(ctx, entry, listing),
      )) {
        gathered.push(one);
      }
    } catch (error) {
      listingError = error;
    }
    const events = await eventsReady;
    for (const { facts, trace, error } of gathered) {
      const resource = { arn: facts.arn, type: SECRET, name: facts.name };
      if (error) {
        yield errorItem(resource, error, trace, expected);
        continue;
      }
      withEvents(facts, trace, events);
      const verdict = judgeSecret(facts, expected, now);
      yield { resource, ...verdict, observed: observedFacts(facts, now), expected, source: trace.source() };
    }
    // Items already read stay evidence; the runner records the unfinished enumeration.
    if (listingError) throw listingError;
  },
  period: { dates: rotationDates, judge: judgeSecretPeriod },
});

/** ListSecrets has every rotation field; only the replica list needs DescribeSecret, and only on primaries. */
async function gather(ctx: CollectContext, entry: SecretListEntry, listing: CallTrace): Promise<Gathered> {
  const trace = listing.fork();
  const facts = secretFacts(entry, ctx.region);
  if (facts.primaryArn) return { facts, trace };
  try {
    const client = ctx.clients.secretsManager(ctx.account, ctx.region);
    const described = await client.send(new DescribeSecretCommand({ SecretId: facts.arn }));
    trace.record("DescribeSecret", described);
    facts.replicaRegions = (described.ReplicationStatus ?? []).map((replica) => String(replica.Region));
    return { facts, trace };
  } catch (error) {
    return { facts, trace, error };
  }
}

/** One paged LookupEvents per region: RotationSucceeded over CloudTrail's 90 days, keyed by the secret named. */
async function rotationEvents(ctx: CollectContext, now: Date): Promise<RotationEvents> {
  const start = new Date(now.getTime() - EVENT_HISTORY_DAYS * 86_400_000);
  const found: RotationEvents = { since: start.toISOString(), bySecret: new Map() };
  const client = ctx.clients.cloudTrail(ctx.account, ctx.region);
  try {
    for await (const { event, page } of eventsNamed(client, "RotationSucceeded", { start, end: now })) {
      const secret = rotatedSecretId(event);
      if (!secret || !event.EventTime || event.EventSource !== "secretsmanager.amazonaws.com") continue;
      const entry = found.bySecret.get(secret) ?? { dates: [], pages: [] };
      entry.dates.push(event.EventTime.toISOString());
      if (!entry.pages.includes(page)) entry.pages.push(page);
      found.bySecret.set(secret, entry);
    }
  } catch (error) {
    // Rotation is still judged from ListSecrets; the item says which extra evidence is missing and why.
    found.unavailable = { code: awsErrorCode(error), error };
    ctx.log.warn("secrets-rotation.lookup-events-unavailable", {
      region: ctx.region,
      code: found.unavailable.code,
    });
  }
  return found;
}
