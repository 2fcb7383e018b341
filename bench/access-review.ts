// Access review at scale: 5,000 roles x 1,000 secrets, evaluated per secret against the principal index.
// Run: npx tsx bench/access-review.ts [roles] [secrets]   (prints wall time, rows and peak RSS; not a test)
import type { IamPrincipal, KeyEntry, SecretAccessEntry } from "../collectors/secrets-access-facts.js";
import { indexPrincipals, reviewSecret, type ReviewInputs } from "../collectors/secrets-access-review.judge.js";

const [roles = 5000, secrets = 1000] = process.argv.slice(2).map(Number);
const A = "111111111111";
const REGION = "us-east-1";
const doc = (...Statement: object[]) => ({ Version: "2012-10-17", Statement });
const VIA = { StringEquals: { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` } };
const keyArn = (k: number) => `arn:aws:kms:${REGION}:${A}:key/k${k}`;
const secretArn = (s: number) => `arn:aws:secretsmanager:${REGION}:${A}:secret:app${s % 100}/s${s}-AbCdEf`;

const documents = new Map<string, unknown>();
documents.set("admin", doc({ Effect: "Allow", Action: "*", Resource: "*" }));
documents.set("poweruser", doc({ Effect: "Allow", NotAction: ["iam:*", "organizations:*"], Resource: "*" }));
documents.set("read-all", doc({ Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "kms:Decrypt"], Resource: "*", Condition: undefined }));
documents.set("read-all-but-app1", doc({ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "*" }, { Effect: "Deny", Action: "secretsmanager:*", Resource: `arn:aws:secretsmanager:*:*:secret:app1*` }, { Effect: "Allow", Action: "kms:Decrypt", Resource: "*", Condition: VIA }));
documents.set("team", doc({ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "arn:aws:secretsmanager:*:*:secret:${aws:PrincipalTag/team}/*" }, { Effect: "Allow", Action: "kms:Decrypt", Resource: "*", Condition: VIA }));
documents.set("boundary-no-secrets", doc({ Effect: "Allow", Action: ["s3:*", "dynamodb:*"], Resource: "*" }));
for (let app = 0; app < 100; app += 1) {
  documents.set(`app${app}`, doc({ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: `arn:aws:secretsmanager:${REGION}:${A}:secret:app${app}/*` }, { Effect: "Allow", Action: "kms:Decrypt", Resource: keyArn(app % 20), Condition: VIA }));
}
for (let other = 0; other < 300; other += 1) documents.set(`other${other}`, doc({ Effect: "Allow", Action: ["s3:GetObject", "dynamodb:Query"], Resource: `arn:aws:s3:::bucket-${other}/*` }));

const principals: IamPrincipal[] = [];
for (let r = 0; r < roles; r += 1) {
  const pick = r % 200;
  const policies = [`other${r % 300}`, pick < 2 ? "admin" : pick < 4 ? "poweruser" : pick < 5 ? "read-all" : pick < 7 ? "read-all-but-app1" : pick < 10 ? "team" : `app${r % 100}`];
  principals.push({ arn: `arn:aws:iam::${A}:role/r${r}`, type: "role", name: `r${r}`, policies, ...(r % 10 === 0 ? { boundary: "boundary-no-secrets" } : {}), groups: [], tags: { team: `app${r % 10}` } });
}
const keys = new Map<string, KeyEntry>();
for (let k = 0; k < 20; k += 1) keys.set(keyArn(k), { arn: keyArn(k), region: REGION, policy: doc({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: "kms:*", Resource: "*" }) });
const secretList: SecretAccessEntry[] = [];
for (let s = 0; s < secrets; s += 1) {
  secretList.push({
    arn: secretArn(s),
    name: `app${s % 100}/s${s}`,
    region: REGION,
    keyArn: keyArn(s % 20),
    tags: {},
    ...(s % 10 === 0 ? { resourcePolicy: doc({ Effect: "Allow", Principal: "*", Action: "secretsmanager:GetSecretValue", Resource: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc" } } }) } : {}),
  });
}

let peak = 0;
const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
const started = performance.now();
const inputs: ReviewInputs = { account: A, organizationId: "o-abc", principals, documents, keys, ecsUse: new Map(), reads: new Map(), scpLevels: [] };
const index = indexPrincipals(inputs);
const indexed = performance.now();
let rows = 0;
let widest = 0;
for (const secret of secretList) {
  const review = reviewSecret(secret, index, inputs, { expectedRegions: [REGION], productionEnvironment: "prod", nonProductionAccounts: [] });
  rows += review.length;
  widest = Math.max(widest, review.length);
  sample();
}
const done = performance.now();
console.log(JSON.stringify({ roles, secrets, indexMs: Math.round(indexed - started), totalMs: Math.round(done - started), rows, widestSecret: widest, peakRssMb: Math.round(peak / 2 ** 20) }));
