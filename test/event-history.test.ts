// A shared CloudTrail read serves readers of different windows: each counts only the span the read covers, and one
// compact GetSecretValue record answers both of its readers as each read the whole event.
import type { Event } from "@aws-sdk/client-cloudtrail";
import { describe, expect, it } from "vitest";
import { coveredSpan, eventsWithin, type EventHistory } from "../collectors/event-history.js";
import { principalOf } from "../collectors/cloudtrail-data-events.judge.js";
import { secretReadOf } from "../collectors/secret-reads.js";

const history = (start: number, end: number, times: number[]): EventHistory<{ n: number }> => ({
  eventName: "GetSecretValue",
  start,
  end,
  pages: [{ $metadata: { requestId: "r-1" } }],
  events: times.map((time, n) => ({ time, page: 0, n })),
});

describe("coveredSpan and eventsWithin", () => {
  it.each([
    { name: "a window inside the read", wanted: { start: 20, end: 80 }, reads: [[0, 100]], span: { start: 20, end: 80 } },
    { name: "a window ending after the read ended (asked later)", wanted: { start: 20, end: 120 }, reads: [[0, 100]], span: { start: 20, end: 100 } },
    { name: "a window starting before the read started (clock read earlier)", wanted: { start: -5, end: 80 }, reads: [[0, 100]], span: { start: 0, end: 80 } },
    { name: "every region's read", wanted: { start: 0, end: 100 }, reads: [[0, 90], [10, 100]], span: { start: 10, end: 90 } },
  ])("covers only what was read: $name", ({ wanted, reads, span }) => {
    expect(coveredSpan(wanted, ...reads.map(([start, end]) => ({ start: start as number, end: end as number })))).toEqual(span);
  });

  it("keeps events inside the span, ends included, and an event the answer gave no time", () => {
    const read = history(0, 100, [100, 80, 50, 20, 19, Number.NaN]);
    expect(eventsWithin(read, { start: 20, end: 80 }).map((event) => event.n)).toEqual([1, 2, 3, 5]);
  });
});

describe("secretReadOf", () => {
  const record = (userIdentity: unknown, secretId?: string) => JSON.stringify({ awsRegion: "us-east-1", sourceIPAddress: "10.0.0.1", requestParameters: secretId ? { secretId } : {}, userIdentity });
  it.each([
    { name: "a role session", event: { Username: "s", CloudTrailEvent: record({ arn: "arn:aws:sts::1:assumed-role/app/s", sessionContext: { sessionIssuer: { arn: "arn:aws:iam::1:role/app" } } }, "prod/db") }, principal: "arn:aws:iam::1:role/app", secretId: "prod/db" },
    { name: "an empty ARN: the activity names the user, the review counts nothing", event: { Username: "bob", CloudTrailEvent: record({ arn: "" }, "prod/db") }, principal: "bob", secretId: undefined },
    { name: "no identity and no user", event: { CloudTrailEvent: record({}, "prod/db") }, principal: "unknown", secretId: undefined },
    { name: "no secret named", event: { Username: "bob", CloudTrailEvent: record({ arn: "arn:aws:iam::1:user/bob" }) }, principal: "arn:aws:iam::1:user/bob", secretId: undefined },
    { name: "a record that is not JSON, with a resource", event: { Username: "carol", CloudTrailEvent: "{", Resources: [{ ResourceType: "AWS::SecretsManager::Secret", ResourceName: "prod/db" }] }, principal: "carol", secretId: "prod/db" },
  ])("$name", ({ event, principal, secretId }) => {
    const read = secretReadOf(event as Event);
    expect(read).toMatchObject({ principal, secretId });
    expect(principalOf(event as Event)).toBe(principal);
  });
});
