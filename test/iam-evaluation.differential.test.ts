// Differential test: our evaluator's allow/deny decisions against @cloud-copilot/iam-simulate (AGPL-3.0, a
// devDependency only, never shipped) on generated policies for GetSecretValue and kms:Decrypt.
import { runSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compilePolicy, evaluate } from "../collectors/iam-evaluation.js";

const A = "111111111111";
const B = "222222222222";
const ORG = "o-abcdef1234";
const REGION = "us-east-1";
const SECRET = `arn:aws:secretsmanager:${REGION}:${A}:secret:prod/db-AbCdEf`;
const KEY = `arn:aws:kms:${REGION}:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const ROLES = [`arn:aws:iam::${A}:role/app`, `arn:aws:iam::${B}:role/reader`, `arn:aws:iam::${A}:user/alice`];

const actions = fc.constantFrom("secretsmanager:GetSecretValue", "secretsmanager:*", "secretsmanager:Get*", "*", "kms:Decrypt", "kms:*", "s3:GetObject");
const resources = fc.constantFrom("*", SECRET, `arn:aws:secretsmanager:*:${A}:secret:prod/*`, `arn:aws:secretsmanager:*:${A}:secret:dev/*`, KEY, `arn:aws:kms:*:${A}:key/*`);
const conditions = fc.constantFrom(
  undefined,
  { StringEquals: { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` } },
  { StringEquals: { "aws:PrincipalOrgID": ORG } },
  { StringNotEquals: { "aws:PrincipalOrgID": ORG } },
  { StringLike: { "aws:PrincipalArn": `arn:aws:iam::${A}:*` } },
);
const statement = (withPrincipal: boolean) =>
  fc.record({
    Effect: fc.constantFrom("Allow", "Allow", "Allow", "Deny"),
    action: fc.tuple(fc.boolean(), fc.array(actions, { minLength: 1, maxLength: 2 })),
    resource: fc.tuple(fc.boolean(), fc.array(resources, { minLength: 1, maxLength: 2 })),
    condition: conditions,
    principal: withPrincipal ? fc.constantFrom("*", { AWS: `arn:aws:iam::${A}:root` }, { AWS: `arn:aws:iam::${B}:root` }, { AWS: ROLES[0] }, { AWS: ROLES[2] }) : fc.constant(undefined),
  }).map(({ Effect, action: [not, action], resource: [notResource, resource], condition, principal }) => ({
    Effect,
    // NotAction only on identity statements, NotResource rarely: the shapes AWS accepts.
    [not && !withPrincipal ? "NotAction" : "Action"]: action,
    [notResource && Effect === "Deny" ? "NotResource" : "Resource"]: resource,
    ...(condition ? { Condition: condition } : {}),
    ...(principal ? { Principal: principal } : {}),
  }));
const doc = (withPrincipal: boolean) => fc.array(statement(withPrincipal), { minLength: 1, maxLength: 3 }).map((Statement) => ({ Version: "2012-10-17", Statement }));

const scenario = fc.record({
  principal: fc.constantFrom(...ROLES),
  kms: fc.boolean(),
  viaService: fc.boolean(),
  identity: doc(false),
  boundary: fc.option(doc(false), { nil: undefined }),
  resource: fc.option(doc(true), { nil: undefined }),
});

const FULL_ACCESS = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };

describe("evaluate against iam-simulate", () => {
  it("gives the same allow/deny decision on generated policies", async () => {
    const seen = { compared: 0, allowed: 0 };
    await fc.assert(
      fc.asyncProperty(scenario, async ({ principal, kms, viaService, identity, boundary, resource }) => {
        const account = principal.split(":")[4] as string;
        const action = kms ? "kms:Decrypt" : "secretsmanager:GetSecretValue";
        const target = kms ? KEY : SECRET;
        const keyPolicy = resource ?? { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: "kms:*", Resource: "*" }] };
        const resourcePolicy = kms ? keyPolicy : resource;
        const context: Record<string, string> = { "aws:PrincipalArn": principal, "aws:PrincipalAccount": account, "aws:PrincipalOrgID": ORG, ...(kms && viaService ? { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` } : {}) };
        const simulation: Simulation = {
          request: { principal, action, resource: { resource: target, accountId: A }, contextVariables: context },
          identityPolicies: [{ name: "identity", policy: identity }],
          ...(boundary ? { permissionBoundaryPolicies: [{ name: "boundary", policy: boundary }] } : {}),
          serviceControlPolicies: [{ orgIdentifier: "r-root", policies: [{ name: "FullAWSAccess", policy: FULL_ACCESS }] }],
          resourceControlPolicies: [],
          ...(resourcePolicy ? { resourcePolicy } : {}),
        };
        const oracle = await runSimulation(simulation, {});
        if (oracle.resultType !== "single") return; // a policy iam-simulate rejects as invalid
        seen.compared += 1;
        if (oracle.overallResult === "Allowed") seen.allowed += 1;
        const ours = evaluate(
          { principal: { arn: principal, account }, action, resource: target, resourceAccount: A, context: new Map(Object.entries(context).map(([key, value]) => [key.toLowerCase(), [value]])) },
          {
            identity: compilePolicy(identity, "identity", "identity"),
            ...(boundary ? { boundary: compilePolicy(boundary, "boundary", "boundary") } : {}),
            scpLevels: [compilePolicy(FULL_ACCESS, "scp", "FullAWSAccess")],
            ...(resourcePolicy ? { resource: compilePolicy(resourcePolicy, "resource", "resource") } : {}),
          },
        );
        expect({ allowed: ours.allowed, reason: ours.reason }).toEqual({ allowed: oracle.overallResult === "Allowed", reason: expect.any(String) });
      }),
      { numRuns: 1000, seed: 20261201 },
    );
    // The generator must reach both outcomes often, or the comparison proves little.
    expect(seen.compared).toBeGreaterThan(900);
    expect(seen.allowed).toBeGreaterThan(60);
  });
});
