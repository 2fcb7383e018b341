// Period evidence from CloudTrail event history: who read secret values, and how often secrets rotated, per region.
import type { CloudTrailClient, Event } from "@aws-sdk/client-cloudtrail";
import { eventsNamed } from "./event-history.js";
import { awsErrorCode, type CallTrace } from "../src/core/trace.js";
import type { CollectContext } from "../src/core/collector.js";
import { runConcurrent } from "../src/core/concurrency.js";
import type { Period } from "../src/core/model.js";
import * as judge from "./cloudtrail-data-events.judge.js";

const CONCURRENCY = 4;
const ROTATION_EVENTS = ["RotationSucceeded", "RotateSecret"];

/** Period evidence from CloudTrail event history, per region: who read secrets, and how often secrets rotated. */
export async function secretActivity(ctx: CollectContext, period: Period, account: CallTrace) {
  const { window, note } = judge.lookupWindow(period, ctx.now());
  const evidence: Record<string, unknown> = { lookupWindow: window, ...(note ? { lookupNote: note } : {}) };
  if (!window) return evidence;
  const secretReadsByPrincipal: Record<string, Record<string, number>> = {};
  const rotationEvents: Record<string, Record<string, number>> = {};
  const lookupEventsError: Record<string, string> = {};
  await runConcurrent(ctx.regions, CONCURRENCY, async (region) => {
    const client = ctx.clients.cloudTrail(ctx.account, region);
    const count = (eventName: string, key: (event: Event) => string) =>
      countEvents(client, eventName, window, key, account);
    try {
      const reads = await count("GetSecretValue", judge.principalOf);
      const rotations = Object.fromEntries(ROTATION_EVENTS.map((name) => [name, 0]));
      for (const name of ROTATION_EVENTS) Object.assign(rotations, await count(name, () => name));
      secretReadsByPrincipal[region] = reads;
      rotationEvents[region] = rotations;
    } catch (error) {
      account.record(undefined, error);
      lookupEventsError[region] = awsErrorCode(error);
    }
  });
  const failed = Object.keys(lookupEventsError).length > 0;
  return { ...evidence, secretReadsByPrincipal, rotationEvents, ...(failed ? { lookupEventsError } : {}) };
}

/** Counts one event name's events in the window by `key` (LookupEvents takes one attribute per request). */
async function countEvents(
  client: CloudTrailClient,
  eventName: string,
  window: { start: string; end: string },
  key: (event: Event) => string,
  account: CallTrace,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const span = { start: new Date(window.start), end: new Date(window.end) };
  for await (const { event } of eventsNamed(client, eventName, span, (page) => account.record("LookupEvents", page))) {
    counts[key(event)] = (counts[key(event)] ?? 0) + 1;
  }
  return counts;
}
