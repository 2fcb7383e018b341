// One CloudTrail GetSecretValue record into the tally of reads per secret id and principal (pure).
import type { Event } from "@aws-sdk/client-cloudtrail";
import type { ReadTally } from "./secrets-access-review.judge.js";

interface ReadRecord {
  awsRegion?: string;
  sourceIPAddress?: string;
  requestParameters?: { secretId?: string };
  userIdentity?: { arn?: string; sessionContext?: { sessionIssuer?: { arn?: string } } };
}

/** Adds the event's read: the role behind a session (or the user), the secret id as called, region and source IP. */
export function tallyRead(reads: Map<string, Map<string, ReadTally>>, event: Event): void {
  let record: ReadRecord = {};
  try {
    record = JSON.parse(event.CloudTrailEvent ?? "{}") as ReadRecord;
  } catch {
    // a malformed record still names its resource and user
  }
  const secret = record.requestParameters?.secretId ?? event.Resources?.find((resource) => resource.ResourceType === "AWS::SecretsManager::Secret")?.ResourceName;
  const principal = record.userIdentity?.sessionContext?.sessionIssuer?.arn ?? record.userIdentity?.arn ?? event.Username;
  if (!secret || !principal) return;
  const when = event.EventTime?.toISOString() ?? "";
  const bySecret = reads.get(secret) ?? new Map<string, ReadTally>();
  const tally = bySecret.get(principal) ?? { count: 0, last: "", regions: [], sourceIps: [] };
  tally.count += 1;
  if (when > tally.last) tally.last = when;
  if (record.awsRegion && !tally.regions.includes(record.awsRegion)) tally.regions.push(record.awsRegion);
  if (record.sourceIPAddress && !tally.sourceIps.includes(record.sourceIPAddress)) tally.sourceIps.push(record.sourceIPAddress);
  bySecret.set(principal, tally);
  reads.set(secret, bySecret);
}
