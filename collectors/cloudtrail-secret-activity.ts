// Period evidence from CloudTrail event history: who read secret values, and how often secrets rotated, per region.
import { coveredSpan, eventsWithin, recordPages, type EventHistory } from "./event-history.js";
import { sharedEvents } from "./event-records.js";
import type { SecretRead } from "./secret-reads.js";
import { awsErrorCode, type CallTrace } from "../src/core/trace.js";
import type { CollectContext } from "../src/core/collector.js";
import { runConcurrent } from "../src/core/concurrency.js";
import type { Period } from "../src/core/model.js";
import * as judge from "./cloudtrail-data-events.judge.js";

const CONCURRENCY = 4;
const ROTATION_EVENTS = ["RotationSucceeded", "RotateSecret"] as const;

/**
 * Period evidence from CloudTrail event history, per region: who read secrets, and how often secrets rotated. The
 * events are the run's shared reads of each name over 90 days (event-records.ts), counted inside the lookup window.
 */
export async function secretActivity(ctx: CollectContext, period: Period, account: CallTrace) {
  const { window, note } = judge.lookupWindow(period, ctx.now());
  const evidence: Record<string, unknown> = { lookupWindow: window, ...(note ? { lookupNote: note } : {}) };
  if (!window) return evidence;
  const read = new Map<string, { reads: EventHistory<SecretRead>; rotations: EventHistory<unknown>[] }>();
  const lookupEventsError: Record<string, string> = {};
  await runConcurrent(ctx.regions, CONCURRENCY, async (region) => {
    // The region's pages go into the trace; its first failed lookup is its error, and no later name is looked up.
    const failed = (history: EventHistory<unknown>) => {
      recordPages(account, history);
      if (history.error === undefined) return false;
      account.record(undefined, history.error);
      lookupEventsError[region] = awsErrorCode(history.error);
      return true;
    };
    const reads = await sharedEvents(ctx, region, "GetSecretValue");
    if (failed(reads)) return;
    const rotations: EventHistory<unknown>[] = [];
    for (const name of ROTATION_EVENTS) {
      const history = await sharedEvents(ctx, region, name);
      if (failed(history)) return;
      rotations.push(history);
    }
    read.set(region, { reads, rotations });
  });
  // Counted over what every region's read covers, and that span is the window reported.
  const wanted = { start: Date.parse(window.start), end: Date.parse(window.end) };
  const span = coveredSpan(wanted, ...[...read.values()].flatMap(({ reads, rotations }) => [reads, ...rotations]));
  const secretReadsByPrincipal: Record<string, Record<string, number>> = {};
  const rotationEvents: Record<string, Record<string, number>> = {};
  for (const region of ctx.regions) {
    const histories = read.get(region);
    if (!histories) continue;
    const byPrincipal: Record<string, number> = {};
    for (const { principal } of eventsWithin(histories.reads, span)) byPrincipal[principal] = (byPrincipal[principal] ?? 0) + 1;
    secretReadsByPrincipal[region] = byPrincipal;
    rotationEvents[region] = Object.fromEntries(histories.rotations.map((history) => [history.eventName, eventsWithin(history, span).length]));
  }
  const covered = { start: new Date(span.start).toISOString(), end: new Date(span.end).toISOString() };
  const failed = Object.keys(lookupEventsError).length > 0;
  return { ...evidence, lookupWindow: covered, secretReadsByPrincipal, rotationEvents, ...(failed ? { lookupEventsError } : {}) };
}
