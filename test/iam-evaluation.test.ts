import { describe, expect, it } from "vitest";
import { compilePolicy, describeRef, evaluate, parsePolicyDocument, type PolicySet } from "../collectors/iam-evaluation.js";

const A = "111111111111";
const B = "222222222222";
const ROLE = `arn:aws:iam::${A}:role/app`;
const OTHER_ROLE = `arn:aws:iam::${B}:role/reader`;
const SECRET = `arn:aws:secretsmanager:us-east-1:${A}:secret:prod/db-AbCdEf`;
const KEY = `arn:aws:kms:us-east-1:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const VIA = "secretsmanager.us-east-1.amazonaws.com";
const GET = "secretsmanager:GetSecretValue";

const allow = (extra: Record<string, unknown>) => ({ Statement: [{ Effect: "Allow", ...extra }] });
const identity = (...docs: object[]) => docs.flatMap((doc, at) => compilePolicy(doc, "identity", `policy-${at}`));
const resource = (doc: object) => compilePolicy(doc, "resource", "resource-policy");
const ROOT_KEY_POLICY = resource(allow({ Sid: "Enable IAM User Permissions", Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: "kms:*", Resource: "*" }));

const context = (pairs: Record<string, string>) => new Map(Object.entries(pairs).map(([key, value]) => [key.toLowerCase(), [value]]));

interface Case {
  name: string;
  principal?: string;
  action?: string;
  resourceArn?: string;
  policies: PolicySet;
  ctx?: Record<string, string>;
  allowed: boolean;
  grants?: string[];
}

const cases: Case[] = [
  { name: "allows an identity grant on the secret", policies: { identity: identity(allow({ Sid: "Read", Action: GET, Resource: SECRET })), scpLevels: [] }, allowed: true, grants: ["policy-0#Read"] },
  { name: "denies when nothing grants it", policies: { identity: identity(allow({ Action: "s3:GetObject", Resource: "*" })), scpLevels: [] }, allowed: false },
  {
    name: "an explicit deny wins over an allow",
    policies: { identity: identity(allow({ Action: "*", Resource: "*" }), { Statement: [{ Sid: "NoProd", Effect: "Deny", Action: "secretsmanager:*", Resource: "arn:aws:secretsmanager:*:*:secret:prod/*" }] }), scpLevels: [] },
    allowed: false,
  },
  { name: "a wildcard resource covers the secret", policies: { identity: identity(allow({ Action: "secretsmanager:Get*", Resource: `arn:aws:secretsmanager:*:${A}:secret:*` })), scpLevels: [] }, allowed: true },
  { name: "a wildcard resource for another prefix does not", policies: { identity: identity(allow({ Action: GET, Resource: `arn:aws:secretsmanager:*:${A}:secret:dev/*` })), scpLevels: [] }, allowed: false },
  { name: "NotAction covers every action it does not name", policies: { identity: identity(allow({ NotAction: ["iam:*", "organizations:*"], Resource: "*" })), scpLevels: [] }, allowed: true },
  { name: "NotAction naming secretsmanager:* does not", policies: { identity: identity(allow({ NotAction: "secretsmanager:*", Resource: "*" })), scpLevels: [] }, allowed: false },
  {
    name: "a Deny with NotResource denies every other secret",
    policies: { identity: identity(allow({ Action: "*", Resource: "*" }), { Statement: [{ Effect: "Deny", Action: "secretsmanager:*", NotResource: "arn:aws:secretsmanager:*:*:secret:dev/*" }] }), scpLevels: [] },
    allowed: false,
  },
  { name: "an Allow with NotResource covers what it does not name", policies: { identity: identity(allow({ Action: GET, NotResource: "arn:aws:secretsmanager:*:*:secret:dev/*" })), scpLevels: [] }, allowed: true },
  {
    name: "a permission boundary without secretsmanager blocks an identity grant",
    policies: { identity: identity(allow({ Action: GET, Resource: "*" })), boundary: compilePolicy(allow({ Action: "s3:*", Resource: "*" }), "boundary", "pb"), scpLevels: [] },
    allowed: false,
  },
  {
    name: "an SCP level without an allow blocks it",
    policies: { identity: identity(allow({ Action: GET, Resource: "*" })), scpLevels: [compilePolicy(allow({ Action: "*", Resource: "*" }), "scp", "root"), compilePolicy(allow({ Action: "s3:*", Resource: "*" }), "scp", "ou")] },
    allowed: false,
  },
  { name: "a same-account resource policy naming the role grants it alone", policies: { identity: [], scpLevels: [], resource: resource(allow({ Sid: "App", Principal: { AWS: ROLE }, Action: GET, Resource: "*" })) }, allowed: true, grants: ["resource-policy#App"] },
  {
    name: "cross-account needs the resource policy: identity alone is not enough",
    principal: OTHER_ROLE,
    policies: { identity: identity(allow({ Action: "*", Resource: "*" })), scpLevels: [] },
    allowed: false,
  },
  {
    name: "cross-account with a resource policy naming the other account",
    principal: OTHER_ROLE,
    policies: { identity: identity(allow({ Action: GET, Resource: "*" })), scpLevels: [], resource: resource(allow({ Sid: "AllowB", Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: GET, Resource: "*" })) },
    allowed: true,
    grants: ["policy-0#1", "resource-policy#AllowB"],
  },
  {
    name: "cross-account resource policy without the identity side",
    principal: OTHER_ROLE,
    policies: { identity: [], scpLevels: [], resource: resource(allow({ Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: GET, Resource: "*" })) },
    allowed: false,
  },
  {
    name: "Principal * limited to the organization grants an org member",
    principal: OTHER_ROLE,
    ctx: { "aws:PrincipalOrgID": "o-abc" },
    policies: { identity: identity(allow({ Action: GET, Resource: "*" })), scpLevels: [], resource: resource(allow({ Principal: "*", Action: GET, Resource: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc" } } })) },
    allowed: true,
  },
  {
    name: "Principal * limited to the organization refuses another org",
    principal: OTHER_ROLE,
    ctx: { "aws:PrincipalOrgID": "o-other" },
    policies: { identity: identity(allow({ Action: GET, Resource: "*" })), scpLevels: [], resource: resource(allow({ Principal: "*", Action: GET, Resource: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc" } } })) },
    allowed: false,
  },
  {
    name: "kms:Decrypt via a root key policy and an identity grant conditioned on kms:ViaService",
    action: "kms:Decrypt",
    resourceArn: KEY,
    ctx: { "kms:ViaService": VIA },
    policies: { identity: identity(allow({ Sid: "Via", Action: "kms:Decrypt", Resource: KEY, Condition: { StringEquals: { "kms:ViaService": VIA } } })), scpLevels: [], resource: ROOT_KEY_POLICY },
    allowed: true,
    grants: ["policy-0#Via", "resource-policy#Enable IAM User Permissions"],
  },
  {
    name: "the kms:ViaService condition refuses a direct Decrypt",
    action: "kms:Decrypt",
    resourceArn: KEY,
    policies: { identity: identity(allow({ Action: "kms:Decrypt", Resource: KEY, Condition: { StringEquals: { "kms:ViaService": VIA } } })), scpLevels: [], resource: ROOT_KEY_POLICY },
    allowed: false,
  },
  {
    name: "a key policy missing the principal and the account refuses even with an identity grant",
    action: "kms:Decrypt",
    resourceArn: KEY,
    ctx: { "kms:ViaService": VIA },
    policies: { identity: identity(allow({ Action: "kms:Decrypt", Resource: "*" })), scpLevels: [], resource: resource(allow({ Principal: { AWS: `arn:aws:iam::${A}:role/key-admin` }, Action: "kms:*", Resource: "*" })) },
    allowed: false,
  },
  {
    name: "a key policy naming the role grants without an identity policy",
    action: "kms:Decrypt",
    resourceArn: KEY,
    policies: { identity: [], scpLevels: [], resource: resource(allow({ Sid: "App", Principal: { AWS: ROLE }, Action: "kms:Decrypt", Resource: "*" })) },
    allowed: true,
  },
  {
    name: "a policy variable resolves from the principal's tags",
    ctx: { "aws:PrincipalTag/team": "prod" },
    policies: { identity: identity(allow({ Action: GET, Resource: "arn:aws:secretsmanager:*:*:secret:${aws:PrincipalTag/team}/*" })), scpLevels: [] },
    allowed: true,
  },
  {
    name: "a policy variable without a value matches nothing",
    policies: { identity: identity(allow({ Action: GET, Resource: "arn:aws:secretsmanager:*:*:secret:${aws:PrincipalTag/team}/*" })), scpLevels: [] },
    allowed: false,
  },
];

describe("evaluate", () => {
  it.each(cases)("$name", ({ principal = ROLE, action = GET, resourceArn = SECRET, policies, ctx = {}, allowed, grants }) => {
    const account = principal.split(":")[4] as string;
    const decision = evaluate({ principal: { arn: principal, account }, action, resource: resourceArn, resourceAccount: A, context: context(ctx) }, policies);
    expect(decision.allowed).toBe(allowed);
    if (grants) expect(decision.grants.map(describeRef)).toEqual(grants);
  });

  it("takes an unsupported operator as satisfied and says so", () => {
    const policies = { identity: identity(allow({ Action: GET, Resource: "*", Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } } })), scpLevels: [] };
    const decision = evaluate({ principal: { arn: ROLE, account: A }, action: GET, resource: SECRET, resourceAccount: A, context: new Map() }, policies);
    expect(decision).toMatchObject({ allowed: true, unsupported: ["IpAddress"] });
  });
});

describe("parsePolicyDocument", () => {
  it.each([
    { name: "reads plain JSON", text: '{"Statement":[]}' },
    { name: "reads the URL-encoded form IAM returns", text: encodeURIComponent('{"Statement":[]}') },
  ])("$name", ({ text }) => {
    expect(parsePolicyDocument(text)).toEqual({ Statement: [] });
  });
});
