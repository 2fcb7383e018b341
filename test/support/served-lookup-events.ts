// CloudTrail LookupEvents (awsJson1_1), which moto lacks, served from seeded events the way AWS answers it.
import type { Event } from "@aws-sdk/client-cloudtrail";
import { randomUUID } from "node:crypto";
import { errorReply, jsonReply, toDate, withWireDates, type Reply } from "./aws-protocol.js";
import { paginate } from "./served-paging.js";

/** An event as a fixture writes it: SDK `Event` fields, with dates as Date or ISO strings. */
export type SeedEvent = Omit<Event, "EventTime" | "CloudTrailEvent"> & {
  EventTime: Date | string;
  /** The full record; built from the other fields when left out. An object is serialized. */
  CloudTrailEvent?: string | Record<string, unknown>;
};

type StoredEvent = Event & { EventTime: Date; CloudTrailEvent: string };

interface LookupEventsRequest {
  LookupAttributes?: Array<{ AttributeKey?: string; AttributeValue?: string }>;
  StartTime?: number | string;
  EndTime?: number | string;
  EventCategory?: string;
  MaxResults?: number;
  NextToken?: string;
}

/** CloudTrail keeps management events for 90 days; older ones are never returned. */
const RETENTION_MS = 90 * 86_400_000;
const ATTRIBUTE_KEYS = new Set([
  "EventId",
  "EventName",
  "ReadOnly",
  "Username",
  "ResourceType",
  "ResourceName",
  "EventSource",
  "AccessKeyId",
]);

export class LookupEventsService {
  private readonly events = new Map<string, StoredEvent[]>();

  seed(account: string, region: string, events: SeedEvent[]): void {
    const key = `${account}|${region}`;
    const stored = this.events.get(key) ?? [];
    for (const event of events) stored.push(normalize(event, account, region));
    this.events.set(key, stored);
  }

  reset(): void {
    this.events.clear();
  }

  handle(account: string, region: string, request: LookupEventsRequest, now = new Date()): Reply {
    const attributes = request.LookupAttributes ?? [];
    if (attributes.length > 1)
      return invalid("InvalidLookupAttributesException", "Only one lookup attribute is allowed.");
    const [attribute] = attributes;
    if (
      attribute &&
      (!ATTRIBUTE_KEYS.has(attribute.AttributeKey ?? "") || attribute.AttributeValue === undefined)
    ) {
      return invalid(
        "InvalidLookupAttributesException",
        `Invalid lookup attribute ${attribute.AttributeKey}.`,
      );
    }
    const maxResults = request.MaxResults ?? 50;
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 50) {
      return invalid("InvalidMaxResultsException", "MaxResults must be between 1 and 50.");
    }
    const start = request.StartTime === undefined ? undefined : toDate(request.StartTime);
    const end = request.EndTime === undefined ? undefined : toDate(request.EndTime);
    if (start && end && start > end) {
      return invalid("InvalidTimeRangeException", "Start time must be earlier than end time.");
    }
    if (request.EventCategory !== undefined && request.EventCategory !== "insight") {
      return invalid("InvalidEventCategoryException", `Invalid EventCategory ${request.EventCategory}.`);
    }
    const oldest = now.getTime() - RETENTION_MS;
    const matching =
      request.EventCategory === "insight"
        ? []
        : (this.events.get(`${account}|${region}`) ?? [])
            .filter((event) => event.EventTime.getTime() >= oldest)
            .filter((event) => (!start || event.EventTime >= start) && (!end || event.EventTime <= end))
            .filter(
              (event) =>
                !attribute || matches(event, attribute.AttributeKey ?? "", attribute.AttributeValue ?? ""),
            )
            .sort((a, b) => b.EventTime.getTime() - a.EventTime.getTime());
    const query = {
      attribute,
      start: start?.getTime(),
      end: end?.getTime(),
      category: request.EventCategory,
    };
    const page = paginate(matching, maxResults, request.NextToken, query);
    if (!page) return invalid("InvalidNextTokenException", "Invalid NextToken.");
    const body = withWireDates({ Events: page.items, NextToken: page.nextToken }, "epoch-seconds");
    return jsonReply(200, body, "application/x-amz-json-1.1");
  }
}

function matches(event: StoredEvent, key: string, value: string): boolean {
  if (key === "ResourceName")
    return (event.Resources ?? []).some((resource) => resource.ResourceName === value);
  if (key === "ResourceType")
    return (event.Resources ?? []).some((resource) => resource.ResourceType === value);
  return (event as unknown as Record<string, unknown>)[key] === value;
}

function normalize(event: SeedEvent, account: string, region: string): StoredEvent {
  const eventTime = toDate(event.EventTime);
  const eventId = event.EventId ?? randomUUID();
  const record =
    typeof event.CloudTrailEvent === "string"
      ? (JSON.parse(event.CloudTrailEvent) as Record<string, unknown>)
      : (event.CloudTrailEvent ?? {
          eventVersion: "1.09",
          eventID: eventId,
          eventTime: eventTime.toISOString().replace(/\.\d{3}Z$/, "Z"),
          eventSource: event.EventSource,
          eventName: event.EventName,
          awsRegion: region,
          recipientAccountId: account,
          userIdentity: { type: "AssumedRole", accountId: account, userName: event.Username },
          readOnly: event.ReadOnly === undefined ? undefined : event.ReadOnly === "true",
          resources: event.Resources?.map((r) => ({ ARN: r.ResourceName, type: r.ResourceType })),
        });
  const readOnly =
    event.ReadOnly ?? (typeof record.readOnly === "boolean" ? String(record.readOnly) : undefined);
  return {
    ...event,
    EventId: eventId,
    EventTime: eventTime,
    ReadOnly: readOnly,
    CloudTrailEvent:
      typeof event.CloudTrailEvent === "string" ? event.CloudTrailEvent : JSON.stringify(record),
  };
}

const invalid = (code: string, message: string): Reply => errorReply("awsJson", 400, code, message);
