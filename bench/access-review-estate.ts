// A synthetic account for the access review: the benchmark's 5,000 roles x 1,000 secrets, and (with `variety`) the
// shapes that split a principal class (a resource policy naming one role, a Deny on aws:PrincipalArn, a tag-based
// SCP, users in groups) for the memoisation equivalence test. Pure data, deterministic.
import type { CompiledStatement } from "../collectors/iam-evaluation.js";
import { compilePolicy } from "../collectors/iam-evaluation.js";
import type { IamPrincipal, KeyEntry, SecretAccessEntry } from "../collectors/secrets-access-facts.js";
import type { ReviewInputs } from "../collectors/secrets-access-review.judge.js";

export const REGION = "us-east-1";

/** Where the estate lives: the account its ARNs name, and the ARN of key k (0-19) the secrets and policies name. */
export interface EstatePlace {
  account?: string;
  keyArn?: (k: number) => string;
}

export const ESTATE_KEYS = 20;

export function accessReviewEstate(roles: number, secrets: number, variety = false, place: EstatePlace = {}): { inputs: ReviewInputs; secretList: SecretAccessEntry[] } {
  const A = place.account ?? "111111111111";
  const REGION = "us-east-1";
  const doc = (...Statement: object[]) => ({ Version: "2012-10-17", Statement });
  const VIA = { StringEquals: { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` } };
  const keyArn = place.keyArn ?? ((k: number) => `arn:aws:kms:${REGION}:${A}:key/k${k}`);
  const secretArn = (s: number) => `arn:aws:secretsmanager:${REGION}:${A}:secret:app${s % 100}/s${s}-AbCdEf`;

  const documents = new Map<string, unknown>();
  documents.set("admin", doc({ Effect: "Allow", Action: "*", Resource: "*" }));
  documents.set("poweruser", doc({ Effect: "Allow", NotAction: ["iam:*", "organizations:*"], Resource: "*" }));
  documents.set("read-all", doc({ Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "kms:Decrypt"], Resource: "*", Condition: undefined }));
  documents.set("read-all-but-app1", doc({ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "*" }, { Effect: "Deny", Action: "secretsmanager:*", Resource: `arn:aws:secretsmanager:*:*:secret:app1*` }, { Effect: "Allow", Action: "kms:Decrypt", Resource: "*", Condition: VIA }));
  documents.set("team", doc({ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "arn:aws:secretsmanager:*:*:secret:${aws:PrincipalTag/team}/*" }, { Effect: "Allow", Action: "kms:Decrypt", Resource: "*", Condition: VIA }));
  documents.set("boundary-no-secrets", doc({ Effect: "Allow", Action: ["s3:*", "dynamodb:*"], Resource: "*" }));
  for (let app = 0; app < 100; app += 1) {
    documents.set(`app${app}`, doc({ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: `arn:aws:secretsmanager:${REGION}:${A}:secret:app${app}/*` }, { Effect: "Allow", Action: "kms:Decrypt", Resource: keyArn(app % ESTATE_KEYS), Condition: VIA }));
  }
  for (let other = 0; other < 300; other += 1) documents.set(`other${other}`, doc({ Effect: "Allow", Action: ["s3:GetObject", "dynamodb:Query"], Resource: `arn:aws:s3:::bucket-${other}/*` }));

  const principals: IamPrincipal[] = [];
  for (let r = 0; r < roles; r += 1) {
    const pick = r % 200;
    const policies = [`other${r % 300}`, pick < 2 ? "admin" : pick < 4 ? "poweruser" : pick < 5 ? "read-all" : pick < 7 ? "read-all-but-app1" : pick < 10 ? "team" : `app${r % 100}`];
    principals.push({ arn: `arn:aws:iam::${A}:role/r${r}`, type: "role", name: `r${r}`, policies, ...(r % 10 === 0 ? { boundary: "boundary-no-secrets" } : {}), groups: [], tags: { team: `app${r % 10}` } });
  }
  const keys = new Map<string, KeyEntry>();
  for (let k = 0; k < ESTATE_KEYS; k += 1) keys.set(keyArn(k), { arn: keyArn(k), region: REGION, policy: doc({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: "kms:*", Resource: "*" }) });
  const secretList: SecretAccessEntry[] = [];
  for (let s = 0; s < secrets; s += 1) {
    secretList.push({
      arn: secretArn(s),
      name: `app${s % 100}/s${s}`,
      region: REGION,
      keyArn: keyArn(s % ESTATE_KEYS),
      tags: {},
      ...(s % 10 === 0 ? { resourcePolicy: doc({ Effect: "Allow", Principal: "*", Action: "secretsmanager:GetSecretValue", Resource: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc" } } }) } : {}),
    });
  }
  if (variety) {
    for (let u = 0; u < roles / 10; u += 1) principals.push({ arn: `arn:aws:iam::${A}:user/u${u}`, type: "user", name: `u${u}`, policies: [u % 3 ? `app${u % 100}` : "other1", ...(u % 4 ? [] : ["team"])], groups: [], tags: u % 2 ? { team: `app${u % 10}` } : {} });
    secretList.forEach((secret, s) => {
      if (s % 7 === 1) secret.resourcePolicy = doc({ Sid: "One", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${A}:role/r${s % roles}` }, Action: "secretsmanager:GetSecretValue", Resource: "*" });
      if (s % 7 === 2) secret.resourcePolicy = doc({ Sid: "OnlyApp", Effect: "Deny", Principal: "*", Action: "secretsmanager:GetSecretValue", Resource: "*", Condition: { StringNotLike: { "aws:PrincipalArn": `arn:aws:iam::${A}:role/r${s % 50}*` } } });
      if (s % 7 === 3) secret.tags = { environment: "prod" };
    });
  }
  const scpLevels: CompiledStatement[][] = variety
    ? [compilePolicy(doc({ Effect: "Allow", Action: "*", Resource: "*" }, { Sid: "Team3NoApp9", Effect: "Deny", Action: "secretsmanager:GetSecretValue", Resource: "arn:aws:secretsmanager:*:*:secret:app9*", Condition: { StringEquals: { "aws:PrincipalTag/team": "app3" } } }), "scp", "p-root")]
    : [];
  const inputs: ReviewInputs = { account: A, organizationId: "o-abc", principals, documents, keys, ecsUse: new Map(), reads: new Map(), scpLevels };
  return { inputs, secretList };
}
