import type { Rule, Target } from "@aws-sdk/client-eventbridge";
import { describe, expect, it } from "vitest";
import { matchEvent, parsePattern, PatternParseError } from "../collectors/event-pattern.js";
import { accessObserved, judgeAccessAlerting, judgeRotationRedeploy, ruleCandidate, rotationSucceededEvent, secretReadEvent } from "../collectors/secrets-monitoring.judge.js";
import secretsMonitoring from "../collectors/secrets-monitoring.js";
import { defaultsOf } from "../src/core/collector.js";

const REGION = "us-east-1";
const PARAMS = { ...defaultsOf(secretsMonitoring.params), expectedRegions: ["us-east-1", "us-east-2"] };
const SNS = "arn:aws:sns:us-east-1:123456789012:security-alerts";
const LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:force-new-deployment";
const CENTRAL_BUS = "arn:aws:events:us-east-1:999999999999:event-bus/security-central";
const LOGS = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/events/secrets";
const READ = { source: ["aws.secretsmanager"], "detail-type": ["AWS API Call via CloudTrail"], detail: { eventSource: ["secretsmanager.amazonaws.com"], eventName: ["GetSecretValue"] } };
const ROTATED = { source: ["aws.secretsmanager"], "detail-type": ["AWS Service Event via CloudTrail"], detail: { eventName: ["RotationSucceeded"] } };
const ALL_EVENTS = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS";

const candidate = (pattern: unknown, targets: string[], state = ALL_EVENTS, name = "r") =>
  ruleCandidate({ Name: name, Arn: `arn:aws:events:us-east-1:123456789012:rule/${name}`, State: state, EventPattern: typeof pattern === "string" ? pattern : JSON.stringify(pattern) } as Rule, targets.map((Arn) => ({ Id: "t", Arn }) as Target));

describe("event pattern matching", () => {
  it.each([
    { case: "exact values", pattern: READ, event: secretReadEvent(REGION), matches: true },
    { case: "another event name", pattern: READ, event: rotationSucceededEvent(REGION), matches: false },
    { case: "anything-but the expected regions, from elsewhere", pattern: { ...READ, detail: { ...READ.detail, awsRegion: [{ "anything-but": ["us-east-1"] }] } }, event: secretReadEvent("ap-south-1"), matches: true },
    { case: "anything-but the expected regions, from one of them", pattern: { ...READ, detail: { ...READ.detail, awsRegion: [{ "anything-but": ["us-east-1"] }] } }, event: secretReadEvent("us-east-1"), matches: false },
    { case: "a prefix", pattern: { source: [{ prefix: "aws.secrets" }] }, event: secretReadEvent(REGION), matches: true },
  ])("$case: $matches", ({ pattern, event, matches }) => {
    expect(matchEvent(pattern, event).matches).toBe(matches);
  });

  it.each(["{not json", "[1,2]", undefined])("rejects %s with the reason", (text) => {
    expect(() => parsePattern(text)).toThrow(PatternParseError);
  });
});

describe("GetSecretValue alerting", () => {
  const outside = { ...READ, detail: { ...READ.detail, awsRegion: [{ "anything-but": ["us-east-1", "us-east-2"] }] } };
  it.each([
    { case: "reads outside the expected regions to SNS", rules: [candidate(outside, [SNS])], status: "pass", reason: "alerts" },
    { case: "an anomaly field filter to SNS", rules: [candidate({ ...READ, detail: { ...READ.detail, sourceIPAddress: [{ "anything-but": { prefix: "10." } }] } }, [SNS])], status: "pass", reason: "alerts" },
    { case: "every read, no filter", rules: [candidate(READ, [SNS])], status: "fail", reason: "matches every GetSecretValue" },
    { case: "state ENABLED never sees read-only events", rules: [candidate(outside, [SNS], "ENABLED")], status: "fail", reason: "read-only events reach it only in" },
    { case: "a target that does not alert", rules: [candidate(outside, [LOGS])], status: "fail", reason: "targets no alerting service" },
    { case: "named for alerts but matching something else", rules: [candidate(ROTATED, [SNS], ALL_EVENTS, "secret-read-alerts")], status: "fail", reason: "no rule matches" },
    { case: "an unparseable pattern", rules: [candidate("{oops", [SNS], ALL_EVENTS, "broken")], status: "fail", reason: "broken (event pattern is not JSON" },
    { case: "$or is reported, not guessed", rules: [candidate({ $or: [READ] }, [SNS], ALL_EVENTS, "either")], status: "fail", reason: "$or is not judged" },
  ])("$case: $status", ({ rules, status, reason }) => {
    const { verdict } = judgeAccessAlerting(rules, PARAMS, REGION);
    expect(verdict.status).toBe(status);
    expect(verdict.reason).toContain(reason);
  });

  it.each([
    { case: "forwarded to another account's bus: counts, and says its rules are not seen", rules: [candidate(outside, [CENTRAL_BUS])], reason: `alerts ${CENTRAL_BUS} on GetSecretValue outside us-east-1, us-east-2; forwarded to ${CENTRAL_BUS}: its rules are outside this account's view`, forwardedTo: [CENTRAL_BUS] },
    { case: "a rule alerting SNS here wins over one that only forwards", rules: [candidate(outside, [CENTRAL_BUS], ALL_EVENTS, "forward"), candidate(outside, [SNS], ALL_EVENTS, "local")], reason: `rule local alerts ${SNS}`, forwardedTo: undefined },
    { case: "SNS and a forward on one rule: both said", rules: [candidate(outside, [SNS, CENTRAL_BUS])], reason: `forwarded to ${CENTRAL_BUS}: its rules are outside this account's view`, forwardedTo: [CENTRAL_BUS] },
  ])("$case", ({ rules, reason, forwardedTo }) => {
    const alerting = judgeAccessAlerting(rules, PARAMS, REGION);
    expect(alerting.verdict.status).toBe("pass");
    expect(alerting.verdict.reason).toContain(reason);
    if (!forwardedTo) expect(alerting.verdict.reason).not.toContain("forwarded");
    const observed = accessObserved(alerting);
    expect(observed.forwardedTo).toEqual(forwardedTo);
    if (forwardedTo) expect(observed.forwarded).toBe(`forwarded to ${forwardedTo.join(", ")}: its rules are outside this account's view`);
  });
  it("does not count a forward to a bus of the account's own: that bus's rules are read and judged themselves", () => {
    const ownBus = "arn:aws:events:us-east-1:123456789012:event-bus/security";
    const alerting = judgeAccessAlerting([candidate(outside, [ownBus])], PARAMS, REGION);
    expect(alerting.verdict).toMatchObject({ status: "fail", reason: expect.stringContaining("targets no alerting service") });
    expect(accessObserved(alerting).forwardedTo).toBeUndefined();
    // The alert on that bus is a rule of its own, and passes.
    const onOwnBus = ruleCandidate({ Name: "alert", Arn: "arn:aws:events:us-east-1:123456789012:rule/security/alert", EventBusName: "security", State: ALL_EVENTS, EventPattern: JSON.stringify(outside) } as Rule, [{ Id: "t", Arn: SNS } as Target]);
    expect(judgeAccessAlerting([candidate(outside, [ownBus]), onOwnBus], PARAMS, REGION).verdict).toMatchObject({ status: "pass", reason: expect.stringContaining(`rule alert alerts ${SNS}`) });
  });
});

describe("rotation redeploy", () => {
  it.each([
    { case: "RotationSucceeded to a redeploy Lambda", rules: [candidate(ROTATED, [LAMBDA], "ENABLED")], status: "pass" },
    { case: "scoped to one secret, to Step Functions", rules: [candidate({ ...ROTATED, detail: { ...ROTATED.detail, additionalEventData: { SecretId: ["arn:aws:secretsmanager:us-east-1:1:secret:x"] } } }, ["arn:aws:states:us-east-1:1:stateMachine:redeploy"], "ENABLED")], status: "pass" },
    { case: "the API Call detail-type never sees a service event", rules: [candidate({ ...ROTATED, "detail-type": ["AWS API Call via CloudTrail"] }, [LAMBDA], "ENABLED")], status: "fail" },
    { case: "only SNS: nobody redeploys", rules: [candidate(ROTATED, [SNS], "ENABLED")], status: "fail" },
    { case: "disabled", rules: [candidate(ROTATED, [LAMBDA], "DISABLED")], status: "fail" },
    { case: "no rules", rules: [], status: "fail" },
  ])("$case: $status", ({ rules, status }) => {
    expect(judgeRotationRedeploy(rules, PARAMS, REGION).verdict.status).toBe(status);
  });
});
