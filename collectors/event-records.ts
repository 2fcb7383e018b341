// The CloudTrail event names several collectors read, each read once per run and account-region over the whole 90 days
// (LookupEvents: 2 requests a second per account-region, 50 events a page), kept as the few fields their readers use.
import type { Event } from "@aws-sdk/client-cloudtrail";
import type { CollectContext } from "../src/core/collector.js";
import { sharedRead } from "../src/core/shared-reads.js";
import { CallTrace } from "../src/core/trace.js";
import { EVENT_HISTORY_MS, readHistory, type EventHistory } from "./event-history.js";
import { deletionFacts, type DeletionFacts } from "./secrets-hygiene.judge.js";
import { rotatedSecretId } from "./secrets-rotation.judge.js";
import { secretReadOf } from "./secret-reads.js";

const SECRETS_MANAGER = "secretsmanager.amazonaws.com";

/**
 * What is kept of one event, per event name, for every collector that reads the name: the compaction must serve all of
 * them, so it lives here and not in any one of them. Each record also gets its time (a double) and page index (a small
 * integer). Measured with Node 22 (heapUsed over 100,000 GetSecretValue records of 1,000 secrets x 50 principals, the
 * strings of a read interned): about 100 bytes an event, so 100,000 events in 90 days hold about 10 MB, where the
 * CloudTrail events themselves (CloudTrailEvent is a 1-3 KB JSON string) would hold 150-300 MB.
 *
 * `since` is where the read starts: "history", CloudTrail's 90 days, when a reader needs them all; "period", the
 * period's part of them, when every reader counts the period only (a read of 90 days would page through events
 * nobody counts: at the start of a quarter, several times the pages two readers of the period made).
 */
const SHARED = {
  // cloudtrail-data-events counts reads by principal; secrets-access-review tallies secret, principal, region, source
  // IP. Both count the period's reads.
  GetSecretValue: { since: "period", compact: (event: Event, intern: (text: string) => string) => secretReadOf(event, intern) },
  // secrets-rotation dates each secret's rotations (Secrets Manager's events only) over 90 days; cloudtrail-data-events
  // counts the period's.
  RotationSucceeded: {
    since: "history",
    compact: (event: Event, intern: (text: string) => string): { secretId?: string } => {
      const secret = event.EventSource === SECRETS_MANAGER ? rotatedSecretId(event) : undefined;
      return secret === undefined ? {} : { secretId: intern(secret) };
    },
  },
  // cloudtrail-data-events counts the period's.
  RotateSecret: { since: "period", compact: (): Record<never, never> => ({}) },
  // secrets-hygiene judges each deletion of Secrets Manager's in the period (another source's names no secret of it).
  DeleteSecret: {
    since: "period",
    compact: (event: Event): { deletion?: DeletionFacts } =>
      event.EventSource && event.EventSource !== SECRETS_MANAGER ? {} : { deletion: deletionFacts(event) },
  },
} as const;

export type SharedEventName = keyof typeof SHARED;
export type SharedEventRecord<N extends SharedEventName> = ReturnType<(typeof SHARED)[N]["compact"]>;

/**
 * One event name's events in one region up to the first asker's clock, from 90 days before it (or the run's period
 * start when later and every reader counts the period only), read once per run (src/core/shared-reads.ts) whichever
 * collector asks first; each reader filters by its own window (eventsWithin over coveredSpan). A failed read is in
 * the answer (`error`), the same for every asker, with the pages and events read before it.
 */
export function sharedEvents<N extends SharedEventName>(ctx: CollectContext, region: string, eventName: N): Promise<EventHistory<SharedEventRecord<N>>> {
  const { since, compact } = SHARED[eventName];
  const periodStart = since === "period" && ctx.period ? Date.parse(`${ctx.period.start}T00:00:00Z`) : undefined;
  // The pages are in the answer, so each reader names the ones its items depend on: no trace to absorb.
  const key = `cloudtrail:event-history|${region}|${eventName}|${periodStart === undefined ? "90d" : ctx.period?.start}`;
  return sharedRead(ctx, key, new CallTrace("cloudtrail", ctx.now), () => {
    const end = ctx.now();
    const start = Math.max(end.getTime() - EVENT_HISTORY_MS, periodStart ?? Number.NEGATIVE_INFINITY);
    const span = { start: new Date(start), end };
    return readHistory(ctx.clients.cloudTrail(ctx.account, region), eventName, span, compact as (event: Event, intern: (text: string) => string) => SharedEventRecord<N>);
  });
}
