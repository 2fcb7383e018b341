import { describe, expect, it } from "vitest";
import { describeRef } from "../collectors/iam-evaluation.js";
import { judgeIdentityPolicy, judgeKey, judgeSecretPolicy } from "../collectors/secrets-access-policy.judge.js";

const A = "111111111111";
const B = "222222222222";
const OUTSIDE = "999999999999";
const REGIONS = ["us-east-1"];
const SECRET = `arn:aws:secretsmanager:us-east-1:${A}:secret:prod/db-AbCdEf`;
const KEY = `arn:aws:kms:us-east-1:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const VIA = { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } };
const doc = (...Statement: object[]) => ({ Version: "2012-10-17", Statement });
const GET = "secretsmanager:GetSecretValue";

describe("judgeIdentityPolicy", () => {
  it.each([
    { name: "fails GetSecretValue on Resource *", document: doc({ Sid: "All", Effect: "Allow", Action: GET, Resource: "*" }), status: "fail", failing: ["p#All"] },
    { name: "fails secretsmanager:* on a whole-account wildcard", document: doc({ Effect: "Allow", Action: "secretsmanager:*", Resource: `arn:aws:secretsmanager:*:${A}:secret:*` }), status: "fail", failing: ["p#1"] },
    { name: "fails Action * Resource * (administrator)", document: doc({ Effect: "Allow", Action: "*", Resource: "*" }), status: "fail", failing: ["p#1"] },
    { name: "fails NotAction that leaves secrets readable", document: doc({ Effect: "Allow", NotAction: "iam:*", Resource: "*" }), status: "fail", failing: ["p#1"] },
    { name: "fails an Allow with NotResource", document: doc({ Effect: "Allow", Action: GET, NotResource: SECRET }), status: "fail", failing: ["p#1"] },
    { name: "names the second statement by index", document: doc({ Effect: "Allow", Action: "s3:*", Resource: "*" }, { Effect: "Allow", Action: GET, Resource: "arn:aws:secretsmanager:*" }), status: "fail", failing: ["p#2"] },
    { name: "passes a read scoped to a name prefix", document: doc({ Effect: "Allow", Action: GET, Resource: `arn:aws:secretsmanager:us-east-1:${A}:secret:prod/api/*` }), status: "pass", failing: [] },
    { name: "passes a Deny on every secret", document: doc({ Effect: "Deny", Action: GET, Resource: "*" }), status: "pass", failing: [] },
    { name: "passes a wildcard Resource for other actions", document: doc({ Effect: "Allow", Action: "secretsmanager:ListSecrets", Resource: "*" }), status: "pass", failing: [] },
  ])("$name", ({ document, status, failing }) => {
    const judged = judgeIdentityPolicy("p", document, A, REGIONS);
    expect(judged.status).toBe(status);
    expect(judged.findings.map(describeRef)).toEqual(failing);
  });
});

describe("judgeKey", () => {
  const rootStatement = { Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: "kms:*", Resource: "*" };
  it.each([
    { name: "passes the default key policy and a ViaService identity grant", policy: doc(rootStatement), identity: { id: doc({ Effect: "Allow", Action: "kms:Decrypt", Resource: KEY, Condition: VIA }) }, status: "pass", failing: [] },
    { name: "fails a key policy Decrypt grant to a role without ViaService", policy: doc(rootStatement, { Sid: "App", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${A}:role/app` }, Action: "kms:Decrypt", Resource: "*" }), identity: {}, status: "fail", failing: [`${KEY}#App`] },
    { name: "fails an identity Decrypt on every key without ViaService", policy: doc(rootStatement), identity: { wide: doc({ Effect: "Allow", Action: "kms:*", Resource: "*" }) }, status: "fail", failing: ["wide#1"] },
    { name: "fails ViaService naming another service", policy: doc(rootStatement), identity: { s3: doc({ Effect: "Allow", Action: "kms:Decrypt", Resource: KEY, Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } } }) }, status: "fail", failing: ["s3#1"] },
    { name: "ignores a Decrypt grant on another key", policy: doc(rootStatement), identity: { other: doc({ Effect: "Allow", Action: "kms:Decrypt", Resource: `arn:aws:kms:us-east-1:${A}:key/other` }) }, status: "pass", failing: [] },
  ])("$name", ({ policy, identity, status, failing }) => {
    const judged = judgeKey({ arn: KEY, region: "us-east-1", account: A, policy, identityDocuments: new Map(Object.entries(identity)) });
    expect(judged.status).toBe(status);
    expect(judged.findings.map(describeRef)).toEqual(failing);
  });

  it("is an error when the key policy could not be read", () => {
    expect(judgeKey({ arn: KEY, region: "us-east-1", account: A, policyError: "AccessDeniedException", identityDocuments: new Map() }).status).toBe("error");
  });
});

describe("judgeSecretPolicy", () => {
  const trust = { accounts: new Set([A, B]), organizationId: "o-abc" };
  const allow = (extra: object) => doc({ Sid: "S", Effect: "Allow", Action: GET, Resource: "*", ...extra });
  it.each([
    { name: "passes a secret without a resource policy", policy: undefined, status: "pass" },
    { name: "passes an org member account", policy: allow({ Principal: { AWS: `arn:aws:iam::${B}:root` } }), status: "pass" },
    { name: "passes Principal * confined by aws:PrincipalOrgID", policy: allow({ Principal: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc" } } }), status: "pass" },
    { name: "fails Principal * without a condition", policy: allow({ Principal: "*" }), status: "fail" },
    { name: "fails Principal * confined to another organization", policy: allow({ Principal: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": "o-zzz" } } }), status: "fail" },
    { name: "fails an account outside the organization", policy: allow({ Principal: { AWS: OUTSIDE } }), status: "fail" },
    { name: "fails a role outside the organization", policy: allow({ Principal: { AWS: `arn:aws:iam::${OUTSIDE}:role/x` } }), status: "fail" },
    { name: "passes a Deny to everyone", policy: doc({ Effect: "Deny", Principal: "*", Action: GET, Resource: "*" }), status: "pass" },
  ])("$name", ({ policy, status }) => {
    const judged = judgeSecretPolicy(SECRET, policy, undefined, trust);
    expect(judged.status).toBe(status);
    if (status === "fail") expect(judged.findings.map(describeRef)).toEqual([`${SECRET}#S`]);
  });
});
