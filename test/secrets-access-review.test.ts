import type { Event } from "@aws-sdk/client-cloudtrail";
import { describe, expect, it } from "vitest";
import type { IamPrincipal, KeyEntry, SecretAccessEntry } from "../collectors/secrets-access-facts.js";
import type { ReadTally } from "../src/core/access-review.js";
import { indexPrincipals, judgeReview, reviewSecret, type ReviewInputs } from "../collectors/secrets-access-review.judge.js";
import { secretReadOf, tallySecretRead } from "../collectors/secret-reads.js";
import { accessReviewEstate } from "../bench/access-review-estate.js";

const A = "111111111111";
const KEY = `arn:aws:kms:us-east-1:${A}:key/k1`;
const SECRET: SecretAccessEntry = { arn: `arn:aws:secretsmanager:us-east-1:${A}:secret:prod/db-AbCdEf`, name: "prod/db", region: "us-east-1", keyArn: KEY, tags: {} };
const doc = (...Statement: object[]) => ({ Version: "2012-10-17", Statement });
const KEY_POLICY = doc({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: "kms:*", Resource: "*" });
const READ_PROD = doc({ Sid: "ReadProd", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: `arn:aws:secretsmanager:us-east-1:${A}:secret:prod/*` }, { Sid: "Decrypt", Effect: "Allow", Action: "kms:Decrypt", Resource: KEY, Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } } });
const role = (name: string, policies: string[]): IamPrincipal => ({ arn: `arn:aws:iam::${A}:role/${name}`, type: "role", name, policies, groups: [], tags: {} });
const PRINCIPALS: IamPrincipal[] = [
  role("idle", ["arn:aws:iam::111111111111:policy/read-prod"]),
  role("api", ["arn:aws:iam::111111111111:policy/read-prod"]),
  role("unrelated", ["arn:aws:iam::111111111111:policy/s3"]),
  // Users carry their groups' policies (secrets-access-facts resolves GroupList).
  { arn: `arn:aws:iam::${A}:user/alice`, type: "user", name: "alice", policies: [`arn:aws:iam::${A}:group/readers#read`], groups: [`arn:aws:iam::${A}:group/readers`], tags: {} },
];
const DOCUMENTS = new Map<string, unknown>([
  ["arn:aws:iam::111111111111:policy/read-prod", READ_PROD],
  ["arn:aws:iam::111111111111:policy/s3", doc({ Effect: "Allow", Action: "s3:*", Resource: "*" })],
  [`arn:aws:iam::${A}:group/readers#read`, READ_PROD],
]);
const KEYS = new Map<string, KeyEntry>([[KEY, { arn: KEY, region: "us-east-1", policy: KEY_POLICY }]]);
const PARAMS = { expectedRegions: ["us-east-1"], productionEnvironment: "prod", nonProductionAccounts: ["333333333333"] };

const event = (principal: string, region: string, time: string, session = true): Event => ({
  EventName: "GetSecretValue",
  EventTime: new Date(time),
  CloudTrailEvent: JSON.stringify({
    awsRegion: region,
    sourceIPAddress: "10.0.0.1",
    requestParameters: { secretId: SECRET.arn },
    userIdentity: session ? { arn: principal.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/s", sessionContext: { sessionIssuer: { arn: principal } } } : { arn: principal },
  }),
});

function review(events: Event[], overrides: Partial<ReviewInputs> = {}) {
  const reads = new Map<string, Map<string, ReadTally>>();
  for (const one of events) tallySecretRead(reads, secretReadOf(one), one.EventTime?.toISOString() ?? "");
  const inputs: ReviewInputs = { account: A, principals: PRINCIPALS, documents: DOCUMENTS, keys: KEYS, ecsUse: new Map([[`arn:aws:iam::${A}:role/api`, { task: ["api"], execution: [] }]]), reads, scpLevels: [], ...overrides };
  return reviewSecret(SECRET, indexPrincipals(inputs), inputs, PARAMS);
}

const matrix = (rows: ReturnType<typeof review>) => rows.map((row) => [row.principal.split(":").at(-1), row.principalType, row.canRead, row.didRead, row.reads, row.action]);

describe("reviewSecret", () => {
  it("gives exactly the seeded matrix: an idle role, a role that read, a user reading via a group", () => {
    const rows = review([event(`arn:aws:iam::${A}:role/api`, "us-east-1", "2026-11-20T10:00:00Z"), event(`arn:aws:iam::${A}:role/api`, "us-east-1", "2026-11-21T10:00:00Z"), event(`arn:aws:iam::${A}:user/alice`, "us-east-1", "2026-11-22T10:00:00Z", false)]);
    expect(matrix(rows)).toEqual([
      ["role/api", "ecs-task-role", true, true, 2, ""],
      ["role/idle", "role", true, false, 0, "revoke: can read but did not in the period"],
      ["user/alice", "user", true, true, 1, ""],
    ]);
    expect(rows[0]).toMatchObject({ lastRead: "2026-11-21T10:00:00.000Z", taskFamilies: ["api"], sourceRegions: ["us-east-1"], sourceIps: ["10.0.0.1"] });
    expect(rows[2]?.grantedBy).toEqual([`arn:aws:iam::${A}:group/readers#read#ReadProd`, `arn:aws:iam::${A}:group/readers#read#Decrypt`, `${KEY} key policy#1`]);
    expect(judgeReview(rows)).toEqual({ status: "fail", reason: `1 open action, one per review row: revoke: can read but did not in the period (1: arn:aws:iam::${A}:role/idle)` });
  });

  it("names a statement that grants both the read and the decrypt once", () => {
    const admin = "arn:aws:iam::111111111111:policy/admin";
    const rows = review([], {
      principals: [role("admin", [admin])],
      documents: new Map([[admin, doc({ Sid: "All", Effect: "Allow", Action: "*", Resource: "*" })]]),
    });
    expect(rows.map((row) => row.grantedBy)).toEqual([[`${admin}#All`, `${KEY} key policy#1`]]);
  });

  it("names at most three principals per action in the reason, however many rows the review has", () => {
    const idle = Array.from({ length: 200 }, (_, n) => ({ principal: `arn:aws:iam::${A}:role/r${n}`, action: "revoke: can read but did not in the period" }));
    const rows = [...idle, { principal: `arn:aws:iam::${A}:user/x`, action: "investigate: read without a grant the tool can see" }].map((row) => ({ ...row, secret: "s", principalType: "role" as const, canRead: true, didRead: false, reads: 0, grantedBy: [], sourceRegions: [], sourceIps: [] }));
    expect(judgeReview(rows).reason).toBe(
      `201 open actions, one per review row: revoke: can read but did not in the period (200: arn:aws:iam::${A}:role/r0, arn:aws:iam::${A}:role/r1, arn:aws:iam::${A}:role/r2 and 197 more); investigate: read without a grant the tool can see (1: arn:aws:iam::${A}:user/x)`,
    );
  });

  it.each([
    { name: "flags a read without a visible grant", events: [event(`arn:aws:iam::${A}:role/unrelated`, "us-east-1", "2026-11-20T10:00:00Z")], principal: "role/unrelated", action: /^investigate: read without a grant/ },
    { name: "flags a read from an unexpected region", events: [event(`arn:aws:iam::${A}:role/api`, "eu-west-1", "2026-11-20T10:00:00Z")], principal: "role/api", action: /unexpected region eu-west-1/ },
    { name: "flags a production secret read from a non-production account", events: [event("arn:aws:iam::333333333333:role/dev", "us-east-1", "2026-11-20T10:00:00Z")], principal: "role/dev", action: /non-production account 333333333333/ },
  ])("$name", ({ events, principal, action }) => {
    const row = review(events).find((entry) => entry.principal.endsWith(principal));
    expect(row?.action).toMatch(action);
  });

  it("drops a reader whose key policy does not trust the account", () => {
    const keys = new Map<string, KeyEntry>([[KEY, { arn: KEY, region: "us-east-1", policy: doc({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${A}:role/key-admin` }, Action: "kms:*", Resource: "*" }) }]]);
    expect(review([], { keys }).filter((row) => row.canRead)).toEqual([]);
  });

  it("names another account in the resource policy, its identity side not evaluated", () => {
    const inputs = { ...SECRET, resourcePolicy: doc({ Effect: "Allow", Principal: { AWS: "arn:aws:iam::222222222222:root" }, Action: "secretsmanager:GetSecretValue", Resource: "*" }) };
    const reads = new Map<string, Map<string, ReadTally>>();
    const all: ReviewInputs = { account: A, principals: [], documents: DOCUMENTS, keys: KEYS, ecsUse: new Map(), reads, scpLevels: [] };
    expect(reviewSecret(inputs, indexPrincipals(all), all, PARAMS)).toMatchObject([{ principal: "arn:aws:iam::222222222222:root", principalType: "external-account", canRead: true, action: "revoke: can read but did not in the period" }]);
  });

  it("passes when every grant was used and every read granted", () => {
    const rows = review([event(`arn:aws:iam::${A}:role/api`, "us-east-1", "2026-11-20T10:00:00Z"), event(`arn:aws:iam::${A}:role/idle`, "us-east-1", "2026-11-20T10:00:00Z"), event(`arn:aws:iam::${A}:user/alice`, "us-east-1", "2026-11-20T10:00:00Z", false)]);
    expect(judgeReview(rows).status).toBe("pass");
  });
});

describe("reviewSecret memoisation", () => {
  it("gives row for row the same review as evaluating every principal, on an estate whose policies split classes", () => {
    const { inputs, secretList } = accessReviewEstate(400, 140, true);
    const reads = new Map<string, Map<string, ReadTally>>();
    // Reads by a granted role, an ungranted one, and one the resource policy's Deny on aws:PrincipalArn stops.
    for (const [s, r] of [[0, 5], [1, 7], [2, 399], [3, 3]] as const) {
      const secret = secretList[s] as SecretAccessEntry;
      reads.set(secret.arn, new Map([[`arn:aws:iam::${inputs.account}:role/r${r}`, { count: 1, last: "2026-11-20T10:00:00.000Z", regions: ["us-east-1"], sourceIps: ["10.0.0.1"] }]]));
    }
    const all = { ...inputs, reads };
    const index = indexPrincipals(all);
    expect(index.classes.length).toBeLessThan(all.principals.length / 3);
    let rows = 0;
    for (const secret of secretList) {
      const memoised = reviewSecret(secret, index, all, PARAMS);
      expect(memoised, secret.arn).toEqual(reviewSecret(secret, index, all, PARAMS, { memoise: false }));
      rows += memoised.length;
    }
    expect(rows).toBeGreaterThan(1000);
  });
});
