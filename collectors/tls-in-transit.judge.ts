// Verdicts on transport security, pure: does a bucket policy deny non-TLS requests, and does an endpoint hold its TLS floor.
import type { Verdict } from "../src/core/model.js";
import type { TlsProbeResult } from "../src/core/tls.js";

export const TLS_VERSIONS = ["TLSv1.2", "TLSv1.3"] as const;

export interface TlsParams {
  minTlsVersion: string;
}

export interface BucketFacts {
  bucket: string;
  /** `arn:<partition>:s3:::<bucket>`. */
  arn: string;
  region: string;
  evidenceBucket: boolean;
  /** The policy document as S3 returns it; absent when the bucket has none (NoSuchBucketPolicy). */
  policy?: string;
}

export interface PolicyAnalysis {
  /** Statements whose Deny counts towards the rule. */
  statementIds: string[];
  /** The s3:TlsVersion floor denied on both the bucket and its objects ("1.2"), or null when none. */
  tlsVersionEnforced: string | null;
  bucketCovered: boolean;
  objectsCovered: boolean;
  gaps: string[];
}

interface Statement {
  Sid?: unknown;
  Effect?: unknown;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: unknown;
}

/** What one statement's condition denies: plain HTTP (SecureTransport false) or TLS below a floor. */
type Enforcement = { kind: "secure-transport" } | { kind: "tls-version"; floor: number } | { gap: string };

/** "TLSv1" -> 1, "TLSv1.2" -> 1.2: how s3:TlsVersion spells them. */
const versionNumber = (version: string): number => Number(version.replace(/^TLSv/, ""));
const KNOWN_TLS = [1.0, 1.1, 1.2, 1.3];
const list = (value: unknown): unknown[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
const strings = (value: unknown): string[] =>
  list(value).filter((entry): entry is string => typeof entry === "string");

/** Pattern positions reachable after `text`, IAM wildcard rules: `*` any run (including `/`), `?` one character. */
function reachable(pattern: string, text: string): Set<number> {
  const close = (states: Set<number>) => {
    for (const state of states) if (pattern[state] === "*") states.add(state + 1);
    return states;
  };
  let states = close(new Set([0]));
  for (const char of text) {
    const next = new Set<number>();
    for (const state of states) {
      if (pattern[state] === "*") next.add(state);
      else if (pattern[state] === "?" || pattern[state] === char) next.add(state + 1);
    }
    states = close(next);
  }
  return states;
}

export const wildcardMatches = (pattern: string, text: string): boolean =>
  reachable(pattern, text).has(pattern.length);

/** True when the pattern matches `prefix` followed by anything at all. */
export const wildcardCoversPrefix = (pattern: string, prefix: string): boolean =>
  [...reachable(pattern, prefix)].some(
    (state) => state < pattern.length && /^\*+$/.test(pattern.slice(state)),
  );

/** True when the pattern matches at least one string beginning with `prefix`. */
const wildcardMeetsPrefix = (pattern: string, prefix: string): boolean => reachable(pattern, prefix).size > 0;

function allPrincipals(statement: Statement): boolean {
  const principal = statement.Principal;
  if (strings(principal).includes("*")) return true;
  return (
    typeof principal === "object" &&
    principal !== null &&
    strings((principal as { AWS?: unknown }).AWS).includes("*")
  );
}

function enforcement(condition: unknown, minimum: number): Enforcement | undefined {
  const pairs = Object.entries((condition ?? {}) as Record<string, unknown>).flatMap(([operator, keys]) =>
    Object.entries((keys ?? {}) as Record<string, unknown>).map(([key, value]) => ({
      operator: operator.toLowerCase(),
      key: key.toLowerCase(),
      values: list(value).map((entry) => String(entry).toLowerCase()),
    })),
  );
  const tls = pairs.filter((pair) => pair.key === "aws:securetransport" || pair.key === "s3:tlsversion");
  const [pair] = tls;
  if (!pair) return undefined;
  const others = pairs.filter((entry) => entry !== pair).map((entry) => `${entry.operator} ${entry.key}`);
  if (others.length > 0)
    return { gap: `the Deny also requires ${others.join(", ")}, so it does not cover every request` };
  if (pair.key === "aws:securetransport") {
    if (["bool", "boolifexists"].includes(pair.operator) && pair.values.includes("false"))
      return { kind: "secure-transport" };
    return {
      gap: `condition ${pair.operator} aws:SecureTransport ${pair.values.join("|")} does not match plain HTTP`,
    };
  }
  // AWS documents a NumericLessThan s3:TlsVersion Deny as enforcing HTTPS too (s3-enforce-modern-tls), so it counts.
  const value = Math.max(...pair.values.map(Number).filter((entry) => !Number.isNaN(entry)));
  const floor = pair.operator.startsWith("numericlessthanequals")
    ? KNOWN_TLS.find((version) => version > value + 1e-9)
    : pair.operator.startsWith("numericlessthan")
      ? value
      : undefined;
  if (floor === undefined || !Number.isFinite(floor)) {
    return { gap: `condition ${pair.operator} s3:TlsVersion does not set a TLS floor` };
  }
  if (floor < minimum - 1e-9)
    return { gap: `denies TLS below ${floor.toFixed(1)} only, minimum is ${minimum.toFixed(1)}` };
  return { kind: "tls-version", floor };
}

function actionGap(statement: Statement): string | undefined {
  if (statement.NotAction !== undefined) {
    const exempt = strings(statement.NotAction).filter((action) => {
      const service = action.toLowerCase().split(":")[0] ?? "";
      return !action.includes(":") || service === "s3" || /[*?]/.test(service);
    });
    return exempt.length > 0 ? `NotAction exempts ${exempt.join(", ")}` : undefined;
  }
  const actions = strings(statement.Action);
  if (actions.some((action) => wildcardCoversPrefix(action.toLowerCase(), "s3:"))) return undefined;
  return `denies only ${actions.join(", ") || "no actions"}, not s3:*`;
}

/** Which of the bucket and its objects a statement's Resource (or NotResource) reaches in full, and what it leaves out. */
function coverage(
  statement: Statement,
  arn: string,
): { bucket: boolean; objects: boolean; shortfall?: string } {
  if (statement.NotResource !== undefined) {
    const excluded = strings(statement.NotResource).filter((pattern) => wildcardMeetsPrefix(pattern, arn));
    return {
      bucket: !excluded.some((pattern) => wildcardMatches(pattern, arn)),
      objects: !excluded.some((pattern) => wildcardMeetsPrefix(pattern, `${arn}/`)),
      ...(excluded.length > 0 ? { shortfall: `NotResource exempts ${excluded.join(", ")}` } : {}),
    };
  }
  const resources = strings(statement.Resource);
  const objects = resources.some((pattern) => wildcardCoversPrefix(pattern, `${arn}/`));
  const some = objects ? [] : resources.filter((pattern) => wildcardMeetsPrefix(pattern, `${arn}/`));
  return {
    bucket: resources.some((pattern) => wildcardMatches(pattern, arn)),
    objects,
    ...(some.length > 0 ? { shortfall: `reaches only objects matching ${some.join(", ")}` } : {}),
  };
}

export function parseStatements(policy: string): Statement[] {
  const document = JSON.parse(policy) as { Statement?: unknown };
  return list(document.Statement).filter(
    (entry): entry is Statement => typeof entry === "object" && entry !== null,
  );
}

/** Reads a bucket policy for Deny statements that refuse non-TLS (or below-minimum TLS) requests to the bucket and its objects. */
export function analysePolicy(statements: Statement[], arn: string, minTlsVersion: string): PolicyAnalysis {
  const minimum = versionNumber(minTlsVersion);
  const gaps: string[] = [];
  const counted: { sid: string; floor?: number; bucket: boolean; objects: boolean }[] = [];
  statements.forEach((statement, index) => {
    const sid =
      typeof statement.Sid === "string" && statement.Sid ? statement.Sid : `statement #${index + 1}`;
    const enforced = enforcement(statement.Condition, minimum);
    if (!enforced) return;
    const reach = coverage(statement, arn);
    if (!reach.bucket && !reach.objects && !reach.shortfall) return; // about another bucket
    if (statement.Effect !== "Deny") {
      gaps.push(
        `${sid}: an ${String(statement.Effect)} with a TLS condition enforces nothing, only a Deny does`,
      );
      return;
    }
    const problems = [
      statement.NotPrincipal !== undefined ? "NotPrincipal exempts principals from the Deny" : undefined,
      statement.NotPrincipal === undefined && !allPrincipals(statement)
        ? 'Principal is narrower than "*"'
        : undefined,
      "gap" in enforced ? enforced.gap : undefined,
      actionGap(statement),
    ].filter((problem): problem is string => problem !== undefined);
    if (problems.length > 0 || "gap" in enforced) {
      gaps.push(`${sid}: ${problems.join("; ")}`);
      return;
    }
    // S3 endpoints still accept TLS 1.2, so only an s3:TlsVersion Deny holds a bucket to 1.3.
    if (enforced.kind === "secure-transport" && minimum > 1.2) {
      gaps.push(
        `${sid}: denies plain HTTP but TLS 1.2 is still accepted; ${minTlsVersion} needs an s3:TlsVersion Deny`,
      );
      return;
    }
    if (reach.shortfall) gaps.push(`${sid}: ${reach.shortfall}`);
    counted.push({
      sid,
      bucket: reach.bucket,
      objects: reach.objects,
      ...(enforced.kind === "tls-version" ? { floor: enforced.floor } : {}),
    });
  });
  const bucketCovered = counted.some((entry) => entry.bucket);
  const objectsCovered = counted.some((entry) => entry.objects);
  if (!bucketCovered) gaps.push(`no enforcing Deny covers the bucket itself (${arn})`);
  if (!objectsCovered) gaps.push(`no enforcing Deny covers its objects (${arn}/*)`);
  const floorOf = (target: "bucket" | "objects") =>
    Math.max(
      ...counted
        .filter((entry) => entry[target] && entry.floor !== undefined)
        .map((entry) => entry.floor as number),
    );
  const floor = Math.min(floorOf("bucket"), floorOf("objects"));
  return {
    statementIds: counted.filter((entry) => entry.bucket || entry.objects).map((entry) => entry.sid),
    tlsVersionEnforced: Number.isFinite(floor) && floor > 0 ? floor.toFixed(1) : null,
    bucketCovered,
    objectsCovered,
    gaps,
  };
}

/** Passes a bucket whose policy denies non-TLS requests to the bucket and every object; the evidence bucket says so. */
export function judgeBucket(facts: BucketFacts, params: TlsParams): Verdict & { analysis: PolicyAnalysis } {
  const subject = facts.evidenceBucket ? "evidence bucket: " : "";
  const unread = (gap: string): PolicyAnalysis => ({
    statementIds: [],
    tlsVersionEnforced: null,
    bucketCovered: false,
    objectsCovered: false,
    gaps: [gap],
  });
  if (facts.policy === undefined) {
    const analysis = unread("no bucket policy");
    return { status: "fail", reason: `${subject}no bucket policy: HTTP requests are not denied`, analysis };
  }
  let statements: ReturnType<typeof parseStatements>;
  try {
    statements = parseStatements(facts.policy);
  } catch {
    const analysis = unread("bucket policy is not valid JSON");
    return { status: "fail", reason: `${subject}bucket policy could not be read as JSON`, analysis };
  }
  const analysis = analysePolicy(statements, facts.arn, params.minTlsVersion);
  if (analysis.bucketCovered && analysis.objectsCovered) {
    const what = analysis.tlsVersionEnforced
      ? `TLS below ${analysis.tlsVersionEnforced}`
      : "requests without TLS";
    return {
      status: "pass",
      reason: `${subject}bucket policy denies ${what} to the bucket and its objects (${analysis.statementIds.join(", ")})`,
      analysis,
    };
  }
  return {
    status: "fail",
    reason: `${subject}bucket policy does not deny non-TLS requests: ${analysis.gaps.join("; ")}`,
    analysis,
  };
}

export interface EndpointFacts {
  /** The endpoint URL the tool's SDK clients call. */
  url: string;
  probe?: TlsProbeResult;
  /** errno-style code when the endpoint could not be reached at all. */
  errorCode?: string;
}

/** Passes an endpoint that negotiates at least the minimum with a trusted certificate and refuses an older handshake. */
export function judgeEndpoint(facts: EndpointFacts, params: TlsParams): Verdict {
  if (facts.url.startsWith("http://")) {
    return { status: "not_applicable", reason: "endpoint is plain HTTP (emulator); no TLS to probe" };
  }
  const probe = facts.probe;
  if (!probe)
    return { status: "error", reason: `could not reach ${facts.url}: ${facts.errorCode ?? "unknown error"}` };
  const problems: string[] = [];
  if (!probe.protocol)
    problems.push(`no handshake at TLSv1.2 or later (${probe.handshakeError ?? "refused"})`);
  else if (versionNumber(probe.protocol) < versionNumber(params.minTlsVersion) - 1e-9) {
    problems.push(`negotiated ${probe.protocol}, minimum is ${params.minTlsVersion}`);
  }
  if (probe.protocol && !probe.authorized)
    problems.push(`certificate not trusted (${probe.authorizationError ?? "unknown"})`);
  if (!probe.downgradeRefused) {
    problems.push(
      `accepted a handshake capped at ${probe.downgradeMaxVersion} (negotiated ${probe.downgradeProtocol ?? "?"})`,
    );
  }
  if (problems.length > 0) return { status: "fail", reason: problems.join("; ") };
  return {
    status: "pass",
    reason: `negotiated ${probe.protocol} (${probe.cipher ?? "?"}), certificate trusted until ${probe.certificate?.validTo ?? "?"}; a ${probe.downgradeMaxVersion} handshake was refused`,
  };
}
