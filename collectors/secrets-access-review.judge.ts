// The access review, pure: per secret, who can read it (GetSecretValue and kms:Decrypt both allowed) against
// who did (CloudTrail), one row per (secret, principal), with the action a reviewer takes.
import type { PrincipalType, ReadTally, ReviewRow } from "../src/core/access-review.js";
import type { Verdict } from "../src/core/model.js";
import { compilePolicy, coversAction, describeRef, evaluate, layered, literalPrefix, type CompiledStatement, type Principal } from "./iam-evaluation.js";
import type { IamPrincipal, KeyEntry, SecretAccessEntry } from "./secrets-access-facts.js";
import { DECRYPT, GET_SECRET_VALUE } from "./secrets-access-policy.judge.js";

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

/** Per principal, once: its request context (the statements are its class's). */
export interface PrincipalIndex {
  principal: IamPrincipal;
  context: Map<string, string[]>;
}

type ByAction = { [GET_SECRET_VALUE]: CompiledStatement[]; [DECRYPT]: CompiledStatement[] };

/**
 * Principals that evaluate alike: the same action-relevant identity and boundary statements (the same compiled
 * objects, so the same policy ids in `grantedBy`), the same principal type, and the same values of every
 * principal context key those statements reference. A decision for one member holds for every member unless the
 * secret's resource policy, the key policy or an SCP looks at the principal: reviewSecret adds those to the memo key.
 */
export interface PrincipalClass {
  id: number;
  identity: ByAction;
  boundary?: ByAction;
  /** Literal prefixes of the resources its GetSecretValue allows reach ("" = any). */
  prefixes: string[];
  members: PrincipalIndex[];
}

export interface ReviewIndex {
  classes: PrincipalClass[];
  byArn: Map<string, { entry: PrincipalIndex; principalClass: PrincipalClass }>;
}

const ACTIONS = [GET_SECRET_VALUE, DECRYPT] as const;

/** Keys whose value comes from the principal, not the request: these split a class. */
const principalKey = (key: string): boolean => key.startsWith("aws:principal") || key === "aws:username" || key === "aws:userid";

/** The condition context keys statements read: condition keys and ${...} variables in resources and values. */
function contextKeysOf(statements: Iterable<CompiledStatement>): string[] {
  const keys = new Set<string>();
  const variables = (text: string) => {
    for (const found of text.matchAll(/\$\{([^}]+)\}/g)) keys.add((found[1] as string).toLowerCase());
  };
  for (const statement of statements) {
    for (const condition of statement.conditions) {
      keys.add(condition.key);
      condition.values.forEach(variables);
    }
    [...(statement.resources ?? []), ...(statement.notResources ?? [])].forEach(variables);
  }
  return [...keys].filter(principalKey).sort();
}

const statementIds = new WeakMap<CompiledStatement, number>();
let nextStatementId = 0;
const idOf = (statement: CompiledStatement): number => {
  let id = statementIds.get(statement);
  if (id === undefined) {
    id = nextStatementId++;
    statementIds.set(statement, id);
  }
  return id;
};

const valuesKey = (keys: readonly string[], context: ReadonlyMap<string, string[]>): string => JSON.stringify(keys.map((key) => context.get(key) ?? null));

export function indexPrincipals(inputs: Pick<ReviewInputs, "principals" | "documents" | "account" | "organizationId">): ReviewIndex {
  const compiled = new Map<string, CompiledStatement[]>();
  const statementsOf = (id: string, type: "identity" | "boundary") => {
    const key = `${type}|${id}`;
    let found = compiled.get(key);
    if (!found) compiled.set(key, (found = compilePolicy(inputs.documents.get(id), type, id)));
    return found;
  };
  const byAction = (statements: CompiledStatement[]) =>
    Object.fromEntries(ACTIONS.map((action) => [action, statements.filter((statement) => coversAction(statement, action))])) as ByAction;
  const classes = new Map<string, PrincipalClass>();
  const byArn: ReviewIndex["byArn"] = new Map();
  for (const principal of inputs.principals) {
    const identity = byAction(principal.policies.flatMap((id) => statementsOf(id, "identity")));
    const boundary = principal.boundary ? byAction(statementsOf(principal.boundary, "boundary")) : undefined;
    const context = new Map<string, string[]>([
      ["aws:principalarn", [principal.arn]],
      ["aws:principalaccount", [inputs.account]],
      ["aws:principaltype", [principal.type === "role" ? "AssumedRole" : "User"]],
      ...(inputs.organizationId ? ([["aws:principalorgid", [inputs.organizationId]]] as [string, string[]][]) : []),
      ...Object.entries(principal.tags).map(([key, value]): [string, string[]] => [`aws:principaltag/${key.toLowerCase()}`, [value]]),
    ]);
    const relevant = [...ACTIONS.flatMap((action) => identity[action]), ...(boundary ? ACTIONS.flatMap((action) => boundary[action]) : [])];
    const ids = ACTIONS.map((action) => identity[action].map(idOf).join(",")).join("/");
    const boundaryIds = boundary ? ACTIONS.map((action) => boundary[action].map(idOf).join(",")).join("/") : "none";
    const key = `${principal.type}|${ids}|${boundaryIds}|${valuesKey(contextKeysOf(relevant), context)}`;
    let principalClass = classes.get(key);
    if (!principalClass) {
      const prefixes = identity[GET_SECRET_VALUE].filter((statement) => statement.effect === "Allow").flatMap((statement) => (statement.notResources ? [""] : (statement.resources ?? []).map(literalPrefix)));
      principalClass = { id: classes.size, identity, ...(boundary ? { boundary } : {}), prefixes, members: [] };
      classes.set(key, principalClass);
    }
    const entry = { principal, context };
    principalClass.members.push(entry);
    byArn.set(principal.arn, { entry, principalClass });
  }
  return { classes: [...classes.values()], byArn };
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

export function readsOf(secret: Pick<SecretAccessEntry, "arn" | "name">, reads: ReviewInputs["reads"]): Map<string, ReadTally> {
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

export const isProduction = (secret: Pick<SecretAccessEntry, "name" | "tags">, environment: string): boolean =>
  secret.name.split("/")[0] === environment || secret.tags.environment === environment || secret.tags.Environment === environment;

const keyPolicies = new WeakMap<KeyEntry, CompiledStatement[]>();
function compiledKeyPolicy(key: KeyEntry | undefined, keyArn: string): CompiledStatement[] | undefined {
  if (key?.policy === undefined) return undefined;
  let found = keyPolicies.get(key);
  if (!found) keyPolicies.set(key, (found = compilePolicy(key.policy, "resource", `${keyArn} key policy`)));
  return found;
}

/** Every ARN a resource or key policy names, in Principal or NotPrincipal, Allow or Deny. */
const mentionedArns = (statements: readonly CompiledStatement[]): Set<string> =>
  new Set(statements.flatMap((statement) => [...(statement.principal?.aws ?? []), ...(statement.notPrincipal?.aws ?? [])]));

interface Outcome {
  canRead: boolean;
  grantedBy: string[];
  note?: string;
}

export interface ReviewOptions {
  /** Reuse a decision across the members of a principal class (default); false evaluates every principal. */
  memoise?: boolean;
}

/**
 * Rows for one secret, sorted by principal. Candidates come from the classes' resource prefixes and the resource
 * policy; each decision is evaluated once per (principal class, what this secret's resource policy, key policy
 * and SCPs can tell apart within it: the principal ARN when they name it, the principal keys they read).
 */
export function reviewSecret(secret: SecretAccessEntry, index: ReviewIndex, inputs: ReviewInputs, params: ReviewParams, options: ReviewOptions = {}): ReviewRow[] {
  const memoise = options.memoise ?? true;
  const resource = secret.resourcePolicy === undefined ? undefined : compilePolicy(secret.resourcePolicy, "resource", `${secret.arn} resource policy`);
  const keyPolicy = compiledKeyPolicy(inputs.keys.get(secret.keyArn), secret.keyArn);
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
  const outside = [...(resource ?? []), ...(keyPolicy ?? []), ...scpLevels.flat()];
  const splitKeys = contextKeysOf(outside);
  const mentioned = mentionedArns([...(resource ?? []), ...(keyPolicy ?? [])]);
  const reads = readsOf(secret, inputs.reads);
  const rows: ReviewRow[] = [];
  const seen = new Set<string>();
  const memo = new Map<string, Outcome>();
  const decide = (entry: PrincipalIndex, principalClass: PrincipalClass): Outcome => {
    const arn = entry.principal.arn;
    const memoKey = memoise ? `${principalClass.id}|${mentioned.has(arn) ? arn : ""}|${valuesKey(splitKeys, entry.context)}` : "";
    const known = memoise ? memo.get(memoKey) : undefined;
    if (known) return known;
    const who: Principal = { arn, account: inputs.account };
    const ask = (action: typeof GET_SECRET_VALUE | typeof DECRYPT, target: string, context: Map<string, string[]>, policy?: CompiledStatement[]) =>
      evaluate(
        { principal: who, action, resource: target, resourceAccount: inputs.account, context: layered(context, entry.context) },
        { identity: principalClass.identity[action], ...(principalClass.boundary ? { boundary: principalClass.boundary[action] } : {}), scpLevels: scpFor[action] ?? [], ...(policy ? { resource: policy } : {}) },
      );
    const read = ask(GET_SECRET_VALUE, secret.arn, secretContext, resource);
    const decrypt = read.allowed ? ask(DECRYPT, secret.keyArn, keyContext, keyPolicy) : undefined;
    const canRead = read.allowed && !!decrypt?.allowed;
    const unsupported = [...new Set([...read.unsupported, ...(decrypt?.unsupported ?? [])])];
    const outcome: Outcome = {
      canRead,
      // Each statement once: one that allows both actions (Action "*") grants the read and the decrypt.
      grantedBy: canRead ? [...new Set([...read.grants, ...(decrypt?.grants ?? [])].map(describeRef))] : [],
      ...(unsupported.length ? { note: `conditions not evaluated (taken as met): ${unsupported.join(", ")}` } : {}),
    };
    if (memoise) memo.set(memoKey, outcome);
    return outcome;
  };
  const consider = (entry: PrincipalIndex, principalClass: PrincipalClass) => {
    const arn = entry.principal.arn;
    if (seen.has(arn)) return;
    const outcome = decide(entry, principalClass);
    const tally = reads.get(arn);
    if (!outcome.canRead && !tally) return;
    seen.add(arn);
    rows.push(row(secret, arn, principalType(entry.principal, inputs.ecsUse), outcome.canRead, tally, outcome.grantedBy, params, inputs, outcome.note));
  };
  // Whole classes whose identity statements can reach this secret (or every class, when the policy names "*").
  const whole = new Set<PrincipalClass>();
  for (const principalClass of index.classes) {
    if (!named.any && !principalClass.prefixes.some((prefix) => secret.arn.startsWith(prefix))) continue;
    whole.add(principalClass);
    for (const entry of principalClass.members) consider(entry, principalClass);
  }
  // Single principals the resource policy names, or that CloudTrail saw reading.
  for (const arn of [...named.named, ...reads.keys()]) {
    const found = index.byArn.get(arn);
    if (found && !whole.has(found.principalClass)) consider(found.entry, found.principalClass);
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
  const action = reviewAction(principal, canRead, tally, isProduction(secret, params.productionEnvironment), params);
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
    action,
    ...(note ? { note } : {}),
  };
}

/** What the reviewer does about one row ("" when nothing): revoke an unused grant, investigate an odd read. */
export function reviewAction(principal: string, canRead: boolean, tally: Pick<ReadTally, "regions"> | undefined, production: boolean, params: ReviewParams): string {
  const actions: string[] = [];
  if (canRead && !tally) actions.push("revoke: can read but did not in the period");
  if (tally && !canRead) actions.push("investigate: read without a grant the tool can see");
  const unexpected = (tally?.regions ?? []).filter((region) => !params.expectedRegions.includes(region));
  if (unexpected.length) actions.push(`investigate: read from unexpected region ${unexpected.join(", ")}`);
  const readerAccount = principal.split(":")[4] ?? "";
  if (tally && production && params.nonProductionAccounts.includes(readerAccount)) {
    actions.push(`investigate: production secret read from non-production account ${readerAccount}`);
  }
  return actions.join("; ");
}

/** A secret passes the review when no row needs an action; exceptions (approver, expiry) cover the rest. */
/** Principals a reason names per action, at most: the rows hold every one, and a reason is read, not scanned. */
const REASON_EXAMPLES = 3;

export function judgeReview(rows: readonly ReviewRow[]): Verdict {
  const open = rows.filter((entry) => entry.action);
  if (!open.length) return { status: "pass", reason: `${rows.length} principals can or did read it; no action open` };
  const byAction = new Map<string, string[]>();
  for (const entry of open) byAction.set(entry.action, [...(byAction.get(entry.action) ?? []), entry.principal]);
  const parts = [...byAction].map(([action, principals]) => {
    const named = principals.slice(0, REASON_EXAMPLES).join(", ");
    const more = principals.length - REASON_EXAMPLES;
    return `${action} (${principals.length}: ${named}${more > 0 ? ` and ${more} more` : ""})`;
  });
  return { status: "fail", reason: `${open.length} open action${open.length === 1 ? "" : "s"}, one per review row: ${parts.join("; ")}` };
}
