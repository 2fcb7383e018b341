// CloudTrail event history (LookupEvents): one event name at a time, paged at 50, within the 90 days it keeps.
import type { CloudTrailClient, Event, LookupEventsCommandOutput } from "@aws-sdk/client-cloudtrail";
import type { CallTrace } from "../src/core/trace.js";
import { sdk } from "../src/core/sdk.js";

const { paginateLookupEvents } = sdk("@aws-sdk/client-cloudtrail");

/** LookupEvents reaches back 90 days and no further. */
export const EVENT_HISTORY_DAYS = 90;
export const EVENT_HISTORY_MS = EVENT_HISTORY_DAYS * 86_400_000;

/** Every event of `eventName` between start and end, newest first; `onPage` sees each page for the evidence trace. */
export async function* eventsNamed(
  client: CloudTrailClient,
  eventName: string,
  window: { start: Date; end: Date },
  onPage: (page: LookupEventsCommandOutput) => void = () => undefined,
): AsyncGenerator<{ event: Event; page: LookupEventsCommandOutput }> {
  const request = {
    LookupAttributes: [{ AttributeKey: "EventName" as const, AttributeValue: eventName }],
    StartTime: window.start,
    EndTime: window.end,
  };
  for await (const page of paginateLookupEvents({ client, pageSize: 50 }, request)) {
    onPage(page);
    for (const event of page.Events ?? []) yield { event, page };
  }
}

/** A page of a read as a trace records it: its request id, nothing of its events. */
export interface PageRef {
  $metadata: { requestId?: string };
}

/** One event of a read: what its consumers take from it, when it happened (ms; NaN when unsaid) and its page. */
export type HistoryEvent<T> = T & { time: number; page: number };

/** One event name's events over a span, compacted as they arrived; the whole CloudTrail events are not kept. */
export interface EventHistory<T> {
  eventName: string;
  /** The span asked of LookupEvents, in ms since the epoch. */
  start: number;
  end: number;
  pages: PageRef[];
  /** Newest first, as LookupEvents answers. */
  events: HistoryEvent<T>[];
  /** The call that failed; the events and pages before it are kept, as a reader alone would have seen them. */
  error?: unknown;
}

/**
 * How a read keeps one event: a literal holding `at` (its time and page) and the reader's fields, every field always
 * present (undefined when unsaid). One shape for all records keeps each at about 100 bytes; a record built by spreading
 * objects measured 360 (event-records.ts).
 */
export type Compact<T> = (event: Event, at: { time: number; page: number }, intern: (text: string) => string) => HistoryEvent<T>;

/** Pages through one event name, keeping `compact(event)` per event; a failed page ends the read and is kept. */
export async function readHistory<T>(
  client: CloudTrailClient,
  eventName: string,
  span: { start: Date; end: Date },
  compact: Compact<T>,
): Promise<EventHistory<T>> {
  const history: EventHistory<T> = { eventName, start: span.start.getTime(), end: span.end.getTime(), pages: [], events: [] };
  // Principals, regions, addresses and secret ids repeat from event to event: one copy of each for the read.
  const strings = new Map<string, string>();
  const intern = (text: string) => {
    const known = strings.get(text);
    if (known !== undefined) return known;
    strings.set(text, text);
    return text;
  };
  try {
    for await (const { event } of eventsNamed(client, eventName, span, (page) => {
      history.pages.push({ $metadata: { requestId: page.$metadata.requestId } });
    })) {
      history.events.push(compact(event, { time: event.EventTime?.getTime() ?? Number.NaN, page: history.pages.length - 1 }, intern));
    }
  } catch (error) {
    history.error = error;
  }
  return history;
}

/** The part of `wanted` a read covers: a consumer counts and reports only that span. */
export function coveredSpan(wanted: { start: number; end: number }, ...reads: { start: number; end: number }[]): { start: number; end: number } {
  return {
    start: Math.max(wanted.start, ...reads.map((read) => read.start)),
    end: Math.min(wanted.end, ...reads.map((read) => read.end)),
  };
}

/** The events of a read inside [start, end]; an event without a time was answered for the span, so it is kept. */
export function eventsWithin<T>(history: EventHistory<T>, span: { start: number; end: number }): HistoryEvent<T>[] {
  return history.events.filter((event) => Number.isNaN(event.time) || (event.time >= span.start && event.time <= span.end));
}

/** Puts a read's pages `from` to `through` (all of them by default) into a trace; a reader records a failed call itself. */
export function recordPages(trace: CallTrace, history: EventHistory<unknown>, through = history.pages.length - 1, from = 0): void {
  for (const page of history.pages.slice(from, through + 1)) trace.record("LookupEvents", page);
}
