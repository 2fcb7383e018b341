// The access review, pure: per secret, who can read it (GetSecretValue and kms:Decrypt both allowed) against
// who did (CloudTrail), one row per (secret, principal), with the action a reviewer takes.
import type { Verdict } from "../src/core/model.js";
import { compilePolicy, coversAction, describeRef, evaluate, layered, literalPrefix, type CompiledStatement, type Principal } from "./iam-evaluation.js";
import type { IamPrincipal, KeyEntry, SecretAccessEntry } from "./secrets-access-facts.js";
import { DECRYPT, GET_SECRET_VALUE } from "./secrets-access-policy.judge.js";

export type PrincipalType = "role" | "user" | "ecs-task-role" | "ecs-execution-role" | "external-account" | "unknown";

/** GetSecretValue events of one principal on one secret in the CloudTrail window. */
export interface ReadTally {
  count: number;
  last: string;
  regions: string[];
  sourceIps: string[];
}

export interface ReviewRow {
  secret: string;
  principal: string;
  principalType: PrincipalType;
  /** ECS task definition families that use the role, when it is a task or execution role. */
  taskFamilies?: string[];
  canRead: boolean;
  didRead: boolean;
  reads: number;
  lastRead?: string;
  grantedBy: string[];
  sourceRegions: string[];
  sourceIps: string[];
  action: string;
  /** A note on what could not be evaluated for this row. */
  note?: string;
}

export interface ReviewInputs {
  account: string;
  organizationId?: string;
  principals: readonly IamPrincipal[];
  documents: ReadonlyMap<string, unknown>;
  /** Undefined when SCPs could not be read: then they are not applied (access over-reported) and the item says so. */
  scpLevels?: readonly (readonly CompiledStatement[])[];
  keys: ReadonlyMap<string, KeyEntry>;
  /** Role ARN -> how ECS uses it. */
  ecsUse: ReadonlyMap<string, { task: string[]; execution: string[] }>;
  /** Secret key (ARN, ARN without suffix, or name) -> principal ARN -> reads. */
  reads: ReadonlyMap<string, ReadonlyMap<string, ReadTally>>;
}

export interface ReviewParams {
  expectedRegions: readonly string[];
  /** Secrets whose name starts with this environment segment, or whose `environment` tag equals it, are production. */
  productionEnvironment: string;
  nonProductionAccounts: readonly string[];
}

/** Per principal, once: its statements that can matter for each action, and its request context. */
export interface PrincipalIndex {
  principal: IamPrincipal;
  identity: { [GET_SECRET_VALUE]: CompiledStatement[]; [DECRYPT]: CompiledStatement[] };
  boundary?: { [GET_SECRET_VALUE]: CompiledStatement[]; [DECRYPT]: CompiledStatement[] };
  /** Literal prefixes of the resources its GetSecretValue allows reach ("" = any). */
  prefixes: string[];
  context: Map<string, string[]>;
}

const ACTIONS = [GET_SECRET_VALUE, DECRYPT] as const;

export function indexPrincipals(inputs: Pick<ReviewInputs, "principals" | "documents" | "account" | "organizationId">): PrincipalIndex[] {
  const compiled = new Map<string, CompiledStatement[]>();
  const statementsOf = (id: string, type: "identity" | "boundary") => {
    const key = `${type}|${id}`;
    let found = compiled.get(key);
    if (!found) compiled.set(key, (found = compilePolicy(inputs.documents.get(id), type, id)));
    return found;
  };
  const byAction = (statements: CompiledStatement[]) =>
    Object.fromEntries(ACTIONS.map((action) => [action, statements.filter((statement) => coversAction(statement, action))])) as PrincipalIndex["identity"];
  return inputs.principals.map((principal) => {
    const identity = byAction(principal.policies.flatMap((id) => statementsOf(id, "identity")));
    const allows = identity[GET_SECRET_VALUE].filter((statement) => statement.effect === "Allow");
    const prefixes = allows.flatMap((statement) => (statement.notResources ? [""] : (statement.resources ?? []).map(literalPrefix)));
    return {
      principal,
      identity,
      ...(principal.boundary ? { boundary: byAction(statementsOf(principal.boundary, "boundary")) } : {}),
      prefixes,
      context: new Map<string, string[]>([
        ["aws:principalarn", [principal.arn]],
        ["aws:principalaccount", [inputs.account]],
        ["aws:principaltype", [principal.type === "role" ? "AssumedRole" : "User"]],
        ...(inputs.organizationId ? ([["aws:principalorgid", [inputs.organizationId]]] as [string, string[]][]) : []),
        ...Object.entries(principal.tags).map(([key, value]): [string, string[]] => [`aws:principaltag/${key.toLowerCase()}`, [value]]),
      ]),
    };
  });
}

/** Names a resource policy gives (ARNs, accounts); "*" when it reaches everyone. */
function namedPrincipals(statements: CompiledStatement[]): { any: boolean; named: Set<string> } {
  const named = new Set<string>();
  let any = false;
  for (const statement of statements) {
    if (statement.effect !== "Allow") continue;
    if (statement.principal?.any || statement.notPrincipal) any = true;
    for (const entry of statement.principal?.aws ?? []) named.add(/^\d{12}$/.test(entry) ? `arn:aws:iam::${entry}:root` : entry);
  }
  return { any, named };
}

/** Keys a secret may be named by in an event: full ARN, ARN without the random suffix, or name. */
export const secretKeys = (secret: Pick<SecretAccessEntry, "arn" | "name">): string[] => [secret.arn, secret.arn.replace(/-[A-Za-z0-9]{6}$/, ""), secret.name];

function readsOf(secret: SecretAccessEntry, reads: ReviewInputs["reads"]): Map<string, ReadTally> {
  const merged = new Map<string, ReadTally>();
  for (const key of new Set(secretKeys(secret))) {
    for (const [principal, tally] of reads.get(key) ?? []) {
      const before = merged.get(principal);
      merged.set(
        principal,
        before
          ? { count: before.count + tally.count, last: [before.last, tally.last].sort().at(-1) as string, regions: [...new Set([...before.regions, ...tally.regions])].sort(), sourceIps: [...new Set([...before.sourceIps, ...tally.sourceIps])].sort() }
          : tally,
      );
    }
  }
  return merged;
}

const isProduction = (secret: SecretAccessEntry, environment: string): boolean =>
  secret.name.split("/")[0] === environment || secret.tags.environment === environment || secret.tags.Environment === environment;

/** Rows for one secret, sorted by principal: candidates come from the prefix index and the resource policy. */
export function reviewSecret(secret: SecretAccessEntry, index: readonly PrincipalIndex[], inputs: ReviewInputs, params: ReviewParams): ReviewRow[] {
  const key = inputs.keys.get(secret.keyArn);
  const resource = secret.resourcePolicy === undefined ? undefined : compilePolicy(secret.resourcePolicy, "resource", `${secret.arn} resource policy`);
  const keyPolicy = key?.policy === undefined ? undefined : compilePolicy(key.policy, "resource", `${secret.keyArn} key policy`);
  const named = namedPrincipals(resource ?? []);
  const scpLevels = inputs.scpLevels ?? [];
  const secretContext = new Map<string, string[]>([
    ["aws:resourceaccount", [inputs.account]],
    ["secretsmanager:secretid", [secret.arn]],
    ...Object.entries(secret.tags).map(([tag, value]): [string, string[]] => [`aws:resourcetag/${tag.toLowerCase()}`, [value]]),
  ]);
  const keyContext = new Map<string, string[]>([
    ["aws:resourceaccount", [inputs.account]],
    ["kms:viaservice", [`secretsmanager.${secret.region}.amazonaws.com`]],
    ["kms:calleraccount", [inputs.account]],
    ["kms:encryptioncontext:secretarn", [secret.arn]],
  ]);
  const scpFor = Object.fromEntries(ACTIONS.map((action) => [action, scpLevels.map((level) => level.filter((statement) => coversAction(statement, action)))]));
  const reads = readsOf(secret, inputs.reads);
  const rows: ReviewRow[] = [];
  const seen = new Set<string>();
  for (const entry of index) {
    const arn = entry.principal.arn;
    const candidate = named.any || named.named.has(arn) || entry.prefixes.some((prefix) => secret.arn.startsWith(prefix)) || reads.has(arn);
    if (!candidate) continue;
    const who: Principal = { arn, account: inputs.account };
    const ask = (action: typeof GET_SECRET_VALUE | typeof DECRYPT, target: string, context: Map<string, string[]>, policy?: CompiledStatement[]) =>
      evaluate(
        { principal: who, action, resource: target, resourceAccount: inputs.account, context: layered(context, entry.context) },
        { identity: entry.identity[action], ...(entry.boundary ? { boundary: entry.boundary[action] } : {}), scpLevels: scpFor[action] ?? [], ...(policy ? { resource: policy } : {}) },
      );
    const read = ask(GET_SECRET_VALUE, secret.arn, secretContext, resource);
    const decrypt = read.allowed ? ask(DECRYPT, secret.keyArn, keyContext, keyPolicy) : undefined;
    const canRead = read.allowed && !!decrypt?.allowed;
    const tally = reads.get(arn);
    if (!canRead && !tally) continue;
    seen.add(arn);
    const grantedBy = canRead ? [...read.grants, ...(decrypt?.grants ?? [])].map(describeRef) : [];
    const unsupported = [...read.unsupported, ...(decrypt?.unsupported ?? [])];
    rows.push(row(secret, arn, principalType(entry.principal, inputs.ecsUse), canRead, tally, grantedBy, params, inputs, unsupported.length ? `conditions not evaluated (taken as met): ${[...new Set(unsupported)].join(", ")}` : undefined));
  }
  // Other accounts named by the resource policy: their identity side is not in this account's evidence.
  for (const external of named.named) {
    if (seen.has(external) || external.split(":")[4] === inputs.account) continue;
    seen.add(external);
    rows.push(row(secret, external, "external-account", true, reads.get(external), [`${secret.arn} resource policy`], params, inputs, "named by the resource policy; that account's identity policies and the key policy were not evaluated here"));
  }
  // Readers CloudTrail saw that no collected identity explains (deleted roles, other accounts, federated users).
  for (const [principal, tally] of reads) {
    if (seen.has(principal)) continue;
    rows.push(row(secret, principal, "unknown", false, tally, [], params, inputs));
  }
  return rows.sort((left, right) => left.principal.localeCompare(right.principal));
}

function principalType(principal: IamPrincipal, ecsUse: ReviewInputs["ecsUse"]): PrincipalType {
  const ecs = ecsUse.get(principal.arn);
  if (ecs?.task.length) return "ecs-task-role";
  if (ecs?.execution.length) return "ecs-execution-role";
  return principal.type;
}

function row(secret: SecretAccessEntry, principal: string, principalType: PrincipalType, canRead: boolean, tally: ReadTally | undefined, grantedBy: string[], params: ReviewParams, inputs: ReviewInputs, note?: string): ReviewRow {
  const ecs = inputs.ecsUse.get(principal);
  const families = ecs ? [...new Set([...ecs.task, ...ecs.execution])].sort() : [];
  const actions: string[] = [];
  if (canRead && !tally) actions.push("revoke: can read but did not in the period");
  if (tally && !canRead) actions.push("investigate: read without a grant the tool can see");
  const unexpected = (tally?.regions ?? []).filter((region) => !params.expectedRegions.includes(region));
  if (unexpected.length) actions.push(`investigate: read from unexpected region ${unexpected.join(", ")}`);
  const readerAccount = principal.split(":")[4] ?? "";
  if (tally && isProduction(secret, params.productionEnvironment) && params.nonProductionAccounts.includes(readerAccount)) {
    actions.push(`investigate: production secret read from non-production account ${readerAccount}`);
  }
  return {
    secret: secret.arn,
    principal,
    principalType,
    ...(families.length ? { taskFamilies: families } : {}),
    canRead,
    didRead: !!tally,
    reads: tally?.count ?? 0,
    ...(tally ? { lastRead: tally.last } : {}),
    grantedBy,
    sourceRegions: tally?.regions ?? [],
    sourceIps: tally?.sourceIps ?? [],
    action: actions.join("; "),
    ...(note ? { note } : {}),
  };
}

/** A secret passes the review when no row needs an action; exceptions (approver, expiry) cover the rest. */
export function judgeReview(rows: readonly ReviewRow[]): Verdict {
  const open = rows.filter((entry) => entry.action);
  if (!open.length) return { status: "pass", reason: `${rows.length} principals can or did read it; no action open` };
  return { status: "fail", reason: `${open.length} open actions: ${open.map((entry) => `${entry.principal}: ${entry.action}`).join("; ")}` };
}
