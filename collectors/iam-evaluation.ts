// A small, pure IAM evaluator for the two questions the secrets collectors ask: may a principal call
// secretsmanager:GetSecretValue on a secret, and kms:Decrypt on its key (through Secrets Manager)?
//
// Why our own: the maintained evaluator on npm (@cloud-copilot/iam-simulate, with iam-expand and iam-policy) is
// AGPL-3.0-or-later; this project is Apache-2.0 and ships as an npm package and a container, so an AGPL runtime
// dependency is not acceptable. iam-simulate is a devDependency only, the oracle of a differential test
// (test/iam-evaluation.differential.test.ts); eslint forbids importing it outside test/.
//
// Scope: Allow/Deny; Action/NotAction; Resource/NotResource; Principal/NotPrincipal ("*", AWS); String*, Arn*,
// Bool and Null conditions with IfExists and ForAnyValue/ForAllValues; ${aws:...} policy variables; identity
// policies, a permission boundary, SCP levels (each needs an Allow), and a resource or key policy.
// Other condition operators (Numeric*, Date*, IpAddress) are listed in `unsupported` and taken as satisfied:
// where we cannot tell, we over-report access rather than hide it. Likewise a resource-policy grant to
// Principal "*" is not limited by a permission boundary (iam-simulate agrees; AWS documents this only for user and
// role-session ARNs), so the review shows that access rather than dropping it.
// Sources: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html and
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html (a key policy must allow).

export type PolicyType = "identity" | "boundary" | "scp" | "resource";

/** Where a statement comes from: the policy (ARN, or role/user/group ARN + inline name), its Sid and 1-based index. */
export interface StatementRef {
  policyType: PolicyType;
  policyId: string;
  sid?: string;
  index: number;
}

interface PrincipalSpec {
  any: boolean;
  aws: string[];
}

interface Condition {
  operator: string;
  key: string;
  values: string[];
}

export interface CompiledStatement extends StatementRef {
  effect: "Allow" | "Deny";
  actions?: RegExp[];
  notActions?: RegExp[];
  resources?: string[];
  notResources?: string[];
  /** The resource patterns compiled once; a pattern with ${...} variables stays text, resolved per request. */
  resourceMatchers?: (RegExp | string)[];
  notResourceMatchers?: (RegExp | string)[];
  principal?: PrincipalSpec;
  notPrincipal?: PrincipalSpec;
  conditions: Condition[];
}

/** Condition context, keys lower-cased (a Map, or layers of them: only `get` is used). */
export interface RequestContext {
  get(key: string): readonly string[] | undefined;
}

/** Looks a key up in each layer in turn: per-request values over per-principal ones, without copying either. */
export const layered = (...layers: readonly RequestContext[]): RequestContext => ({
  get: (key) => {
    for (const layer of layers) {
      const found = layer.get(key);
      if (found !== undefined) return found;
    }
    return undefined;
  },
});

export interface Principal {
  arn: string;
  account: string;
}

export interface EvaluationRequest {
  principal: Principal;
  action: string;
  resource: string;
  resourceAccount: string;
  context: RequestContext;
}

export interface PolicySet {
  identity: readonly CompiledStatement[];
  boundary?: readonly CompiledStatement[];
  /** Root, each OU, then the account: every level must allow. Empty when SCPs were not read. */
  scpLevels: readonly (readonly CompiledStatement[])[];
  /** The secret's resource policy, or the key policy for kms: actions (required there). */
  resource?: readonly CompiledStatement[];
}

export interface Decision {
  allowed: boolean;
  reason: string;
  /** The statements that grant it (identity, boundary, resource); SCP allows are implied. */
  grants: StatementRef[];
  denies: StatementRef[];
  unsupported: string[];
}

const list = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const strings = (value: unknown): string[] => list(value).map(String);

const globs = new Map<string, RegExp>();
/** An IAM wildcard pattern: `*` any run, `?` one character; actions compare case-insensitively. */
export function glob(pattern: string, ignoreCase: boolean): RegExp {
  const key = `${ignoreCase ? "i" : "s"}:${pattern}`;
  let compiled = globs.get(key);
  if (!compiled) {
    const body = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
    compiled = new RegExp(`^${body}$`, ignoreCase ? "is" : "s");
    globs.set(key, compiled);
  }
  return compiled;
}

/** The literal start of a pattern (up to its first wildcard or variable): a pattern matches only strings with it. */
export const literalPrefix = (pattern: string): string => {
  const at = pattern.search(/[*?]|\$\{/);
  return at < 0 ? pattern : pattern.slice(0, at);
};

const matchers = (value: unknown): (RegExp | string)[] => strings(value).map((pattern) => (pattern.includes("${") ? pattern : glob(pattern, false)));

function principalSpec(principal: unknown): PrincipalSpec {
  if (principal === "*") return { any: true, aws: [] };
  const aws = strings((principal as { AWS?: unknown } | undefined)?.AWS);
  return { any: aws.includes("*"), aws: aws.filter((entry) => entry !== "*") };
}

/** A policy document as IAM returns it: JSON, URL-encoded (RFC 3986) by GetAccountAuthorizationDetails. */
export function parsePolicyDocument(text: string | undefined): unknown {
  if (!text) return { Statement: [] };
  const trimmed = text.trim();
  return JSON.parse(trimmed.startsWith("{") ? trimmed : decodeURIComponent(trimmed));
}

export function compilePolicy(document: unknown, policyType: PolicyType, policyId: string): CompiledStatement[] {
  return list((document as { Statement?: unknown } | undefined)?.Statement).map((raw, at) => {
    const statement = raw as Record<string, unknown>;
    const conditions: Condition[] = [];
    for (const [operator, pairs] of Object.entries((statement.Condition ?? {}) as Record<string, Record<string, unknown>>)) {
      for (const [key, values] of Object.entries(pairs)) conditions.push({ operator, key: key.toLowerCase(), values: strings(values) });
    }
    const defined = <T>(key: string, make: (value: unknown) => T): T | undefined =>
      statement[key] === undefined ? undefined : make(statement[key]);
    return {
      policyType,
      policyId,
      ...(typeof statement.Sid === "string" && statement.Sid ? { sid: statement.Sid } : {}),
      index: at + 1,
      effect: statement.Effect === "Deny" ? "Deny" : "Allow",
      actions: defined("Action", (value) => strings(value).map((action) => glob(action, true))),
      notActions: defined("NotAction", (value) => strings(value).map((action) => glob(action, true))),
      resources: defined("Resource", strings),
      notResources: defined("NotResource", strings),
      resourceMatchers: defined("Resource", matchers),
      notResourceMatchers: defined("NotResource", matchers),
      principal: defined("Principal", principalSpec),
      notPrincipal: defined("NotPrincipal", principalSpec),
      conditions,
    };
  });
}

/** Whether a statement's Action or NotAction covers an action (a statement with neither covers nothing). */
export const coversAction = (statement: CompiledStatement, action: string): boolean =>
  statement.actions
    ? statement.actions.some((pattern) => pattern.test(action))
    : statement.notActions
      ? !statement.notActions.some((pattern) => pattern.test(action))
      : false;

/** Resolves ${...} variables; undefined when one has no single value (then the pattern matches nothing). */
function substitute(value: string, context: RequestContext): string | undefined {
  if (!value.includes("${")) return value;
  let missing = false;
  const out = value.replace(/\$\{([^}]+)\}/g, (_match, key: string) => {
    if (key === "*" || key === "?" || key === "$") return key;
    const found = context.get(key.toLowerCase());
    if (found?.length !== 1) {
      missing = true;
      return "";
    }
    return found[0] as string;
  });
  return missing ? undefined : out;
}

function anyResource(patterns: readonly (RegExp | string)[], resource: string, context: RequestContext): boolean {
  return patterns.some((pattern) => {
    if (typeof pattern !== "string") return pattern.test(resource);
    const resolved = substitute(pattern, context);
    return resolved !== undefined && glob(resolved, false).test(resource);
  });
}

type PrincipalMatch = "direct" | "account" | undefined;

function matchPrincipal(spec: PrincipalSpec, principal: Principal): PrincipalMatch {
  if (spec.any || spec.aws.includes(principal.arn)) return "direct";
  const root = `arn:aws:iam::${principal.account}:root`;
  return spec.aws.some((entry) => entry === principal.account || entry === root) ? "account" : undefined;
}

const NEGATED = new Set(["stringnotequals", "stringnotequalsignorecase", "stringnotlike", "arnnotequals", "arnnotlike"]);

function conditionHolds(condition: Condition, context: RequestContext, unsupported: Set<string>): boolean {
  let operator = condition.operator.toLowerCase();
  let quantifier: "any" | "all" | undefined;
  if (operator.startsWith("foranyvalue:")) [quantifier, operator] = ["any", operator.slice(12)];
  else if (operator.startsWith("forallvalues:")) [quantifier, operator] = ["all", operator.slice(13)];
  const ifExists = operator.endsWith("ifexists");
  if (ifExists) operator = operator.slice(0, -8);
  const present = context.get(condition.key);
  if (operator === "null") return condition.values.some((value) => (value.toLowerCase() === "true") === (present === undefined));
  const values = condition.values.map((value) => substitute(value, context)).filter((value): value is string => value !== undefined);
  let one: (given: string) => boolean;
  switch (operator.replace("not", "")) {
    case "stringequals":
    case "arnequals":
      one = (given) => values.includes(given);
      break;
    case "stringequalsignorecase":
    case "bool":
      one = (given) => values.some((value) => value.toLowerCase() === given.toLowerCase());
      break;
    case "stringlike":
    case "arnlike":
      one = (given) => values.some((value) => glob(value, false).test(given));
      break;
    default:
      // We cannot tell: take it as satisfied, so access is over-reported rather than hidden.
      unsupported.add(condition.operator);
      return true;
  }
  if (present === undefined) return quantifier === "all" || ifExists || NEGATED.has(operator);
  const negated = NEGATED.has(operator);
  if (quantifier === "all") return present.every((given) => one(given) !== negated);
  return present.some(one) !== negated;
}

/** How a statement applies to a request: not at all, or (resource policies) via the principal or its account. */
function applies(statement: CompiledStatement, request: EvaluationRequest, unsupported: Set<string>, resourcePolicy: boolean): PrincipalMatch | "identity" {
  if (!coversAction(statement, request.action)) return undefined;
  const { resource, context } = request;
  if (statement.resourceMatchers) {
    if (!anyResource(statement.resourceMatchers, resource, context)) return undefined;
  } else if (statement.notResourceMatchers) {
    if (anyResource(statement.notResourceMatchers, resource, context)) return undefined;
  } else if (!resourcePolicy) return undefined;
  let match: PrincipalMatch | "identity" = "identity";
  if (resourcePolicy) {
    if (statement.principal) match = matchPrincipal(statement.principal, request.principal);
    else if (statement.notPrincipal) match = matchPrincipal(statement.notPrincipal, request.principal) ? undefined : "direct";
    else match = undefined;
    if (!match) return undefined;
  }
  return statement.conditions.every((condition) => conditionHolds(condition, context, unsupported)) ? match : undefined;
}

export const refOf = ({ policyType, policyId, sid, index }: StatementRef): StatementRef => ({ policyType, policyId, ...(sid ? { sid } : {}), index });

/** A resource-policy grant the boundary does not limit: to "*", or to this user or role session ARN exactly. */
const unbounded = (statement: CompiledStatement, principal: Principal): boolean =>
  !!statement.principal?.any || (!!statement.principal?.aws.includes(principal.arn) && /:user\/|:assumed-role\//.test(principal.arn));

export function evaluate(request: EvaluationRequest, policies: PolicySet): Decision {
  const unsupported = new Set<string>();
  const denies: StatementRef[] = [];
  const identity: CompiledStatement[] = [];
  const boundary: CompiledStatement[] = [];
  const direct: CompiledStatement[] = [];
  const viaAccount: CompiledStatement[] = [];
  const collect = (statements: readonly CompiledStatement[], allows: CompiledStatement[]) => {
    let allowed = false;
    for (const statement of statements) {
      if (!applies(statement, request, unsupported, false)) continue;
      if (statement.effect === "Deny") {
        denies.push(refOf(statement));
      } else {
        allowed = true;
        allows.push(statement);
      }
    }
    return allowed;
  };
  collect(policies.identity, identity);
  collect(policies.boundary ?? [], boundary);
  const scpAllows = policies.scpLevels.map((level) => collect(level, []));
  for (const statement of policies.resource ?? []) {
    const match = applies(statement, request, unsupported, true);
    if (!match) continue;
    if (statement.effect === "Deny") denies.push(refOf(statement));
    else (match === "direct" ? direct : viaAccount).push(statement);
  }
  const decide = (allowed: boolean, reason: string, grants: CompiledStatement[] = []): Decision => ({
    allowed,
    reason,
    grants: allowed ? grants.map(refOf) : [],
    denies,
    unsupported: [...unsupported],
  });
  if (denies.length) return decide(false, "explicit deny");
  if (scpAllows.includes(false)) return decide(false, "no SCP allows it");
  const boundaryAllows = !policies.boundary || boundary.length > 0;
  const limited = policies.boundary ? boundary : [];
  const sameAccount = request.principal.account === request.resourceAccount;
  const isKms = request.action.toLowerCase().startsWith("kms:");
  const free = direct.filter((statement) => unbounded(statement, request.principal));
  if (isKms && !policies.resource) return decide(false, "no key policy");
  if (!sameAccount) {
    if (identity.length && boundaryAllows && (direct.length || viaAccount.length)) {
      return decide(true, "cross-account: identity policy and resource policy", [...identity, ...limited, ...direct, ...viaAccount]);
    }
    return decide(false, "cross-account: needs both an identity and a resource policy grant");
  }
  if (isKms) {
    // A key policy must allow: by naming the principal, or by naming the account so that IAM policies count.
    if (direct.length && boundaryAllows) return decide(true, "key policy", [...direct, ...limited]);
    if (free.length) return decide(true, "key policy (not limited by the boundary)", free);
    if (viaAccount.length && identity.length && boundaryAllows) return decide(true, "key policy trusts the account; identity policy", [...identity, ...limited, ...viaAccount]);
    return decide(false, !boundaryAllows && (direct.length || identity.length) ? "permission boundary" : "not granted");
  }
  if (identity.length && boundaryAllows) return decide(true, "identity policy", [...identity, ...limited, ...direct]);
  if (direct.length && boundaryAllows) return decide(true, "resource policy", [...direct, ...limited]);
  if (free.length) return decide(true, "resource policy (not limited by the boundary)", free);
  return decide(false, !boundaryAllows && (identity.length || direct.length) ? "permission boundary" : "not granted");
}

/** The text form of a statement reference, as the review and the CSV show it. */
export const describeRef = (ref: StatementRef): string => `${ref.policyId}#${ref.sid ?? ref.index}`;
