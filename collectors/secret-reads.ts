// One CloudTrail GetSecretValue record: what its readers keep of it, and its tally of reads per secret id and principal (pure).
import type { Event } from "@aws-sdk/client-cloudtrail";
import type { ReadTally } from "../src/core/access-review.js";

interface ReadRecord {
  awsRegion?: string;
  sourceIPAddress?: string;
  requestParameters?: { secretId?: string };
  userIdentity?: { arn?: string; sessionContext?: { sessionIssuer?: { arn?: string } } };
}

/** What the readers of GetSecretValue events take from one: cloudtrail-data-events its principal, the review the rest. */
export interface SecretRead {
  /** The role behind a session, else the identity ARN, else the user name, else "unknown". */
  principal: string;
  /** The secret id as called; absent when the review does not count the read (no secret or no principal named). */
  secretId?: string;
  region?: string;
  sourceIp?: string;
}

const same = (text: string) => text;

/** Reads the record once; `intern` lets a long read keep one copy of each repeated string. */
export function secretReadOf(event: Event, intern: (text: string) => string = same): SecretRead {
  let record: ReadRecord = {};
  try {
    record = (JSON.parse(event.CloudTrailEvent ?? "{}") as ReadRecord | null) ?? {};
  } catch {
    // a malformed record still names its resource and user
  }
  const secret = record.requestParameters?.secretId ?? event.Resources?.find((resource) => resource.ResourceType === "AWS::SecretsManager::Secret")?.ResourceName;
  const named = record.userIdentity?.sessionContext?.sessionIssuer?.arn ?? record.userIdentity?.arn;
  // The review counts a read only when it names a secret and a principal: an empty ARN names none.
  const counted = Boolean(secret) && Boolean(named ?? event.Username);
  // One literal, every field present: the shape a long read keeps 100,000 of (event-records.ts).
  return {
    principal: intern(named ? named : (event.Username ?? "unknown")),
    secretId: counted ? intern(secret as string) : undefined,
    region: record.awsRegion ? intern(record.awsRegion) : undefined,
    sourceIp: record.sourceIPAddress ? intern(record.sourceIPAddress) : undefined,
  };
}

/** Adds one read, made at `when` (ISO 8601, or "" when the record gives no time). */
export function tallySecretRead(reads: Map<string, Map<string, ReadTally>>, read: SecretRead, when: string): void {
  const { secretId: secret, principal } = read;
  if (!secret) return;
  const bySecret = reads.get(secret) ?? new Map<string, ReadTally>();
  const tally = bySecret.get(principal) ?? { count: 0, last: "", regions: [], sourceIps: [] };
  tally.count += 1;
  if (when > tally.last) tally.last = when;
  if (read.region && !tally.regions.includes(read.region)) tally.regions.push(read.region);
  if (read.sourceIp && !tally.sourceIps.includes(read.sourceIp)) tally.sourceIps.push(read.sourceIp);
  bySecret.set(principal, tally);
  reads.set(secret, bySecret);
}
