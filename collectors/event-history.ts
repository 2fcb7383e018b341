// CloudTrail event history (LookupEvents): one event name at a time, paged at 50, within the 90 days it keeps.
import { paginateLookupEvents, type CloudTrailClient, type Event, type LookupEventsCommandOutput } from "@aws-sdk/client-cloudtrail";

/** LookupEvents reaches back 90 days and no further. */
export const EVENT_HISTORY_DAYS = 90;

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
