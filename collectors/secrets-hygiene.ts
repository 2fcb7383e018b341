// Passes each hygiene rule on its own: named by convention, used recently, deleted recoverably, database credentials rotating monthly.
// Minimum calls for M secrets in a region: ceil(M / 100) ListSecrets pages (name, LastAccessedDate, DeletedDate,
// rotation and tags are listed) and ceil(D / 50) LookupEvents pages for D DeleteSecret events in the period's part of
// the 90 days: the region's shared read (event-records.ts), made once in a run. No call per secret.
import type { SecretListEntry } from "@aws-sdk/client-secrets-manager";
import { defineCollector, type CollectContext } from "../src/core/collector.js";
import type { ItemDraft } from "../src/core/model.js";
import { awsErrorCode, CallTrace } from "../src/core/trace.js";
import { coveredSpan, EVENT_HISTORY_DAYS, EVENT_HISTORY_MS, eventsWithin, recordPages } from "./event-history.js";
import { sharedEvents } from "./event-records.js";
import { compilePattern, judgeDatabaseRotation, judgeDeletion, judgeName, judgeUnused, ruleArn, type HygieneParams } from "./secrets-hygiene.judge.js";
import { sdk } from "../src/core/sdk.js";

const { paginateListSecrets } = sdk("@aws-sdk/client-secrets-manager");

const SECRET = "AWS::SecretsManager::Secret";

const params = {
  namePattern: {
    type: "string",
    default: "^[a-z0-9-]+/[a-z0-9-]+/[A-Za-z0-9_.+=@-]+$",
    description: "Regular expression every secret name must match (default <env>/<service>/<purpose>).",
  },
  maxUnusedDays: { type: "integer", default: 90, min: 1, max: 3650, description: "Longest time a secret may go unread (LastAccessedDate), in days." },
  minRecoveryWindowDays: { type: "integer", default: 30, min: 7, max: 30, description: "Shortest recovery window a deletion may use, in days (AWS allows 7-30)." },
  databaseTags: { type: "string[]", default: ["secret-type=database", "database"], description: "Tags (key or key=value) that mark a database credential." },
  databaseNamePattern: {
    type: "string",
    default: "(^|/)(db|database|rds|aurora|postgres(ql)?|mysql|mariadb|redshift|documentdb)([-_/]|$)",
    description: "Regular expression on the name that marks a database credential.",
  },
  maxDatabaseRotationDays: { type: "integer", default: 30, min: 1, max: 365, description: "Longest time between rotations of a database credential, in days." },
} as const;

export default defineCollector({
  id: "secrets-hygiene",
  title: "Secrets follow the naming convention, are in use, are deleted recoverably, and database credentials rotate",
  docsUrl: "https://docs.aws.amazon.com/secretsmanager/latest/userguide/best-practices.html",
  criteria: ["CC6.1", "CC6.2"],
  service: "secretsmanager",
  scope: "region",
  permissions: ["secretsmanager:ListSecrets", "cloudtrail:LookupEvents"],
  params,
  async *collect(ctx, values) {
    const now = ctx.now();
    const client = ctx.clients.secretsManager(ctx.account, ctx.region);
    const listing = new CallTrace("secretsmanager", ctx.now);
    const name = compilePattern(values.namePattern);
    const database = compilePattern(values.databaseNamePattern);
    for await (const page of paginateListSecrets({ client, pageSize: 100 }, {})) {
      listing.record("ListSecrets", page);
      for (const entry of page.SecretList ?? []) yield* secretItems(entry, values, name, database, listing, now);
    }
    yield* deletionItems(ctx, values, now);
  },
});

function* secretItems(
  entry: SecretListEntry,
  values: HygieneParams,
  name: RegExp | { invalid: string },
  database: RegExp | { invalid: string },
  listing: CallTrace,
  now: Date,
): Generator<ItemDraft> {
  const arn = String(entry.ARN);
  const item = (rule: Parameters<typeof ruleArn>[1], verdict: { status: ItemDraft["status"]; reason: string }, observed: Record<string, unknown>, expected: Record<string, unknown>): ItemDraft => ({
    resource: { arn: ruleArn(arn, rule), type: SECRET, name: String(entry.Name) },
    ...verdict,
    observed: { rule, secretArn: arn, ...observed },
    expected,
    source: listing.source(),
  });
  yield item("naming", judgeName(String(entry.Name), name), { name: entry.Name }, { namePattern: values.namePattern });
  yield item(
    "unused",
    judgeUnused(entry, values.maxUnusedDays, now),
    { lastAccessedDate: entry.LastAccessedDate?.toISOString() ?? null, createdDate: entry.CreatedDate?.toISOString() },
    { maxUnusedDays: values.maxUnusedDays },
  );
  yield item(
    "database-rotation",
    judgeDatabaseRotation(entry, values, database, now),
    {
      tags: (entry.Tags ?? []).map((tag) => tag.Key),
      rotationEnabled: entry.RotationEnabled ?? false,
      rotationRules: entry.RotationRules ?? null,
      lastRotatedDate: entry.LastRotatedDate?.toISOString() ?? null,
    },
    { databaseTags: values.databaseTags, databaseNamePattern: values.databaseNamePattern, maxDatabaseRotationDays: values.maxDatabaseRotationDays },
  );
}

/**
 * DeleteSecret events of the region: one item per deletion, and one for the lookup itself, which says how much of
 * the period CloudTrail's 90 days of event history could cover.
 */
async function* deletionItems(ctx: CollectContext, values: HygieneParams, now: Date): AsyncGenerator<ItemDraft> {
  const trace = new CallTrace("cloudtrail", ctx.now);
  const retentionStart = new Date(now.getTime() - EVENT_HISTORY_MS);
  const periodStart = ctx.period ? new Date(`${ctx.period.start}T00:00:00.000Z`) : retentionStart;
  const history = await sharedEvents(ctx, ctx.region, "DeleteSecret");
  const span = coveredSpan({ start: Math.max(periodStart.getTime(), retentionStart.getTime()), end: now.getTime() }, history);
  const start = new Date(span.start);
  const expected = { minRecoveryWindowDays: values.minRecoveryWindowDays, forceDeleteWithoutRecovery: false };
  const secretPrefix = `arn:${ctx.partition}:secretsmanager:${ctx.region}:${ctx.account}:secret:`;
  const coverage = {
    lookedUpFrom: start.toISOString(),
    lookedUpTo: new Date(span.end).toISOString(),
    eventHistoryDays: EVENT_HISTORY_DAYS,
    ...(ctx.period ? { periodStart: ctx.period.start } : {}),
    ...(periodStart < retentionStart ? { notCoveredBefore: start.toISOString(), note: "CloudTrail LookupEvents keeps 90 days: earlier deletions are covered by earlier snapshots only" } : {}),
  };
  const summary = { arn: ruleArn(`${secretPrefix}*`, "deletion"), type: SECRET, name: "DeleteSecret events" };
  let failing = 0;
  let seen = 0;
  // Each deletion's source names the pages up to the one that held it, as when the pages were judged on arrival.
  let recorded = -1;
  for (const { deletion: facts, page } of eventsWithin(history, span)) {
    if (!facts) continue;
    recordPages(trace, history, page, recorded + 1);
    recorded = Math.max(recorded, page);
    const verdict = judgeDeletion(facts, values.minRecoveryWindowDays);
    seen += 1;
    if (verdict.status === "fail") failing += 1;
    const arn = facts.secretId.startsWith("arn:") ? facts.secretId : `${secretPrefix}${facts.secretId}`;
    const resource = { arn: ruleArn(arn, "deletion"), type: SECRET, name: `${facts.secretId} deletion ${facts.eventId}` };
    yield { resource, ...verdict, observed: { rule: "deletion", ...facts }, expected, source: trace.fork().source() };
  }
  recordPages(trace, history, history.pages.length - 1, recorded + 1);
  if (history.error !== undefined) {
    trace.record("LookupEvents", history.error);
    const code = awsErrorCode(history.error);
    yield { resource: summary, status: "error", reason: `DeleteSecret events could not be looked up: ${code}`, observed: { rule: "deletion", errorCode: code, ...coverage }, expected, source: trace.source() };
    return;
  }
  const covered = coverage.notCoveredBefore ? `; CloudTrail event history covers only from ${start.toISOString().slice(0, 10)}` : "";
  // The lookup's own item records coverage; each deletion's verdict is its own item, so one can be excepted alone.
  yield {
    resource: summary,
    status: "pass",
    reason: `DeleteSecret events looked up from ${start.toISOString().slice(0, 10)}: ${seen} deletion(s), ${failing} failing on their own items${covered}`,
    observed: { rule: "deletion", deletions: seen, failing, ...coverage },
    expected,
    source: trace.source(),
  };
}
