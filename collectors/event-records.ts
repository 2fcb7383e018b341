// The CloudTrail event names several collectors read, each read once per run and account-region over the whole 90 days
// (LookupEvents: 2 requests a second per account-region, 50 events a page), kept as the few fields their readers use.
import type { CollectContext } from "../src/core/collector.js";
import { sharedRead } from "../src/core/shared-reads.js";
import { CallTrace } from "../src/core/trace.js";
import { EVENT_HISTORY_MS, readHistory, type Compact, type EventHistory } from "./event-history.js";
import { deletionFacts, type DeletionFacts } from "./secrets-hygiene.judge.js";
import { rotatedSecretId } from "./secrets-rotation.judge.js";
import { secretReadOf, type SecretRead } from "./secret-reads.js";

const SECRETS_MANAGER = "secretsmanager.amazonaws.com";

/**
 * What is kept of one event, per event name, for every collector that reads the name: the compaction must serve all of
 * them, so it lives here and not in any one of them. Each record is one literal of one shape (event-history.ts
 * Compact) with its time (a double) and page index. Measured on Node 20 (heapUsed after gc, 100,000 GetSecretValue
 * events of 1,000 secrets x 50 principals, each CloudTrailEvent 1.4 KB, read through sharedEvents with the read's
 * strings interned): about 100 bytes an event, so 100,000 events in 90 days hold about 10 MB; the SDK's events kept
 * whole measured about 2,200 bytes an event (208 MB).
 *
 * `since` is where the read starts: "history", CloudTrail's 90 days, when a reader needs them all; "period", the
 * period's part of them, when every reader counts the period only (a read of 90 days would page through events
 * nobody counts: at the start of a quarter, several times the pages two readers of the period made).
 */
interface SharedRecords {
  GetSecretValue: SecretRead;
  RotationSucceeded: { secretId: string | undefined };
  RotateSecret: Record<never, never>;
  DeleteSecret: { deletion: DeletionFacts | undefined };
}

const SHARED: { [N in keyof SharedRecords]: { since: "history" | "period"; compact: Compact<SharedRecords[N]> } } = {
  // cloudtrail-data-events counts reads by principal; secrets-access-review tallies secret, principal, region, source
  // IP. Both count the period's reads.
  GetSecretValue: {
    since: "period",
    compact: (event, { time, page }, intern) => {
      const { principal, secretId, region, sourceIp } = secretReadOf(event, intern);
      return { time, page, principal, secretId, region, sourceIp };
    },
  },
  // secrets-rotation dates each secret's rotations (Secrets Manager's events only) over 90 days; cloudtrail-data-events
  // counts the period's.
  RotationSucceeded: {
    since: "history",
    compact: (event, { time, page }, intern) => {
      const secret = event.EventSource === SECRETS_MANAGER ? rotatedSecretId(event) : undefined;
      return { time, page, secretId: secret === undefined ? undefined : intern(secret) };
    },
  },
  // cloudtrail-data-events counts the period's.
  RotateSecret: { since: "period", compact: (_event, { time, page }) => ({ time, page }) },
  // secrets-hygiene judges each deletion of Secrets Manager's in the period (another source's names no secret of it).
  DeleteSecret: {
    since: "period",
    compact: (event, { time, page }) => ({
      time,
      page,
      deletion: event.EventSource && event.EventSource !== SECRETS_MANAGER ? undefined : deletionFacts(event),
    }),
  },
};

export type SharedEventName = keyof SharedRecords;

/**
 * One event name's events in one region up to the first asker's clock, from 90 days before it (or the run's period
 * start when later and every reader counts the period only), read once per run (src/core/shared-reads.ts) whichever
 * collector asks first; each reader filters by its own window (eventsWithin over coveredSpan). A failed read is in
 * the answer (`error`), the same for every asker, with the pages and events read before it.
 */
export function sharedEvents<N extends SharedEventName>(ctx: CollectContext, region: string, eventName: N): Promise<EventHistory<SharedRecords[N]>> {
  const { since, compact } = SHARED[eventName];
  const periodStart = since === "period" && ctx.period ? Date.parse(`${ctx.period.start}T00:00:00Z`) : undefined;
  // The pages are in the answer, so each reader names the ones its items depend on: no trace to absorb.
  const key = `cloudtrail:event-history|${region}|${eventName}|${periodStart === undefined ? "90d" : ctx.period?.start}`;
  return sharedRead(ctx, key, new CallTrace("cloudtrail", ctx.now), () => {
    const end = ctx.now();
    const start = Math.max(end.getTime() - EVENT_HISTORY_MS, periodStart ?? Number.NEGATIVE_INFINITY);
    const span = { start: new Date(start), end };
    return readHistory(ctx.clients.cloudTrail(ctx.account, region), eventName, span, compact as Compact<SharedRecords[N]>);
  });
}
