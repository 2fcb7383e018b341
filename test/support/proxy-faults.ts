// Faults a test asks for (denied, throttled, failing, dropped or slow calls) and AWS-style token-bucket quotas.
import { setTimeout as sleep } from "node:timers/promises";
import { errorReply, type Reply } from "./aws-protocol.js";
import type { CallInfo } from "./proxy-identify.js";

export type FaultKind = "deny" | "throttle" | "error500" | "drop" | "latency" | "badSignature";

export interface FaultRule {
  /** Each selector left out matches every call. */
  service?: string;
  operation?: string;
  account?: string;
  region?: string;
  kind: FaultKind;
  /** Share of matching calls hit, 0..1 (default 1). */
  rate?: number;
  /** Hit at most this many calls, then let calls through (default: no limit). */
  times?: number;
  /** latency: milliseconds added to every matching call. */
  ms?: number;
  /** latency: up to this many more milliseconds, drawn at random per call. */
  jitterMs?: number;
  /** Error message instead of the AWS-like default. */
  message?: string;
}

/** Selectors of the calls a hold keeps waiting at the proxy (each one left out matches every call). */
export type HoldRule = Pick<FaultRule, "service" | "operation" | "account" | "region"> & {
  /** Only calls whose request path matches (e.g. one S3 key). */
  path?: RegExp;
};

/** Calls held at the proxy until release(): a test decides when they are in flight, with no timing involved. */
export interface Hold {
  /** Resolves once `count` matching calls are waiting. */
  arrived(count?: number): Promise<void>;
  /** How many calls are waiting now. */
  waiting(): number;
  /** Lets every held call, and every later one, through. */
  release(): void;
}

class Gate implements Hold {
  private opened = false;
  private readonly openers: (() => void)[] = [];
  private readonly watchers: { count: number; resolve: () => void }[] = [];

  constructor(readonly rule: HoldRule) {}

  async pass(): Promise<void> {
    if (this.opened) return;
    const passed = new Promise<void>((resolve) => this.openers.push(resolve));
    for (const watcher of this.watchers.filter((w) => this.openers.length >= w.count)) {
      this.watchers.splice(this.watchers.indexOf(watcher), 1);
      watcher.resolve();
    }
    await passed;
  }

  arrived(count = 1): Promise<void> {
    if (this.openers.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.watchers.push({ count, resolve }));
  }

  waiting(): number {
    return this.opened ? 0 : this.openers.length;
  }

  release(): void {
    this.opened = true;
    for (const open of this.openers.splice(0)) open();
  }
}

export interface QuotaRule {
  service: string;
  /** Several operations in one array share one bucket (CloudTrail's Describe/Get/List calls). */
  operation: string | string[];
  perSecond: number;
  /** Bucket size: calls allowed at once after a quiet spell (default perSecond, at least 1). */
  burst?: number;
}

/** What the proxy does instead of forwarding a call. */
export type FaultOutcome =
  { fault: "drop" } | { fault: "deny" | "throttle" | "error500" | "quota" | "badSignature"; reply: Reply };

/** A bucket of `burst` tokens refilled at `perSecond`; each call takes one or is throttled. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

interface ActiveRule extends FaultRule {
  hits: number;
}

interface ActiveQuota {
  service: string;
  operations: Set<string>;
  perSecond: number;
  burst: number;
  /** One bucket per account x region, as AWS meters them. */
  buckets: Map<string, TokenBucket>;
}

export class Faults {
  private rules: ActiveRule[] = [];
  private quotas: ActiveQuota[] = [];
  private holds: Gate[] = [];

  constructor(private readonly random: () => number = Math.random) {}

  inject(rule: FaultRule): void {
    if (rule.rate !== undefined && (rule.rate < 0 || rule.rate > 1))
      throw new RangeError("rate must be in 0..1");
    this.rules.push({ ...rule, hits: 0 });
  }

  quota(rule: QuotaRule): void {
    if (!(rule.perSecond > 0)) throw new RangeError("perSecond must be positive");
    const operations = new Set(Array.isArray(rule.operation) ? rule.operation : [rule.operation]);
    const burst = Math.max(1, rule.burst ?? rule.perSecond);
    this.quotas.push({
      service: rule.service,
      operations,
      perSecond: rule.perSecond,
      burst,
      buckets: new Map(),
    });
  }

  /** Holds matching calls until the returned hold is released (or the faults are cleared). */
  hold(rule: HoldRule): Hold {
    const gate = new Gate(rule);
    this.holds.push(gate);
    return gate;
  }

  clear(): void {
    this.rules = [];
    this.quotas = [];
    for (const gate of this.holds.splice(0)) gate.release();
  }

  /** Waits out any injected latency, then says whether the call is refused, and how. */
  async decide(call: CallInfo): Promise<FaultOutcome | undefined> {
    for (const gate of this.holds) if (selects(gate.rule, call)) await gate.pass();
    let delay = 0;
    for (const rule of this.rules) {
      if (rule.kind === "latency" && this.fires(rule, call)) {
        delay += (rule.ms ?? 0) + this.random() * (rule.jitterMs ?? 0);
      }
    }
    if (delay > 0) await sleep(delay);
    for (const quota of this.quotas) {
      if (quota.service !== call.service || !quota.operations.has(call.operation)) continue;
      const key = `${call.account}|${call.region}`;
      let bucket = quota.buckets.get(key);
      if (!bucket) quota.buckets.set(key, (bucket = new TokenBucket(quota.perSecond, quota.burst)));
      if (!bucket.take()) return { fault: "quota", reply: throttled(call, "Rate exceeded") };
    }
    for (const rule of this.rules) {
      if (rule.kind === "latency" || !this.fires(rule, call)) continue;
      if (rule.kind === "drop") return { fault: "drop" };
      if (rule.kind === "deny") return { fault: "deny", reply: denied(call, rule.message) };
      if (rule.kind === "badSignature") return { fault: "badSignature", reply: badSignature(call) };
      if (rule.kind === "throttle")
        return { fault: "throttle", reply: throttled(call, rule.message ?? "Rate exceeded") };
      return { fault: "error500", reply: internalError(call, rule.message) };
    }
    return undefined;
  }

  private fires(rule: ActiveRule, call: CallInfo): boolean {
    if (!selects(rule, call) || (rule.times !== undefined && rule.hits >= rule.times)) return false;
    if (rule.rate !== undefined && this.random() >= rule.rate) return false;
    rule.hits += 1;
    return true;
  }
}

const selects = (rule: HoldRule, call: CallInfo): boolean =>
  (rule.service === undefined || rule.service === call.service) &&
  (rule.operation === undefined || rule.operation === call.operation) &&
  (rule.account === undefined || rule.account === call.account) &&
  (rule.region === undefined || rule.region === call.region) &&
  (rule.path === undefined || rule.path.test(call.path));

function denied(call: CallInfo, message?: string): Reply {
  const action = `${call.service}:${call.operation}`;
  const text =
    message ??
    (call.protocol === "restXml"
      ? "Access Denied"
      : `User: arn:aws:sts::${call.account}:assumed-role/soc2-evidence-reader/test is not authorized to perform: ` +
        `${action} because no identity-based policy allows the ${action} action`);
  if (call.protocol === "awsJson") return errorReply("awsJson", 400, "AccessDeniedException", text);
  if (call.protocol === "restJson") return errorReply("restJson", 403, "AccessDeniedException", text);
  return errorReply(call.protocol, 403, "AccessDenied", text);
}

/**
 * AWS's answer to a request signed with the wrong secret key: S3 and STS send 403 SignatureDoesNotMatch, JSON
 * services 400 InvalidSignatureException (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html,
 * https://docs.aws.amazon.com/kms/latest/APIReference/CommonErrors.html).
 */
function badSignature(call: CallInfo): Reply {
  const text =
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.";
  if (call.protocol === "awsJson") return errorReply("awsJson", 400, "InvalidSignatureException", text);
  if (call.protocol === "restJson") return errorReply("restJson", 403, "InvalidSignatureException", text);
  return errorReply(call.protocol, 403, "SignatureDoesNotMatch", text);
}

/** Each service's own throttling answer: S3 503 SlowDown, query-protocol `Throttling`, Organizations' modelled code. */
function throttled(call: CallInfo, message: string): Reply {
  if (call.protocol === "restXml")
    return errorReply("restXml", 503, "SlowDown", "Please reduce your request rate.");
  if (call.protocol === "query") return errorReply("query", 400, "Throttling", message);
  if (call.protocol === "restJson") return errorReply("restJson", 429, "ThrottlingException", message);
  const code = call.service === "organizations" ? "TooManyRequestsException" : "ThrottlingException";
  return errorReply("awsJson", 400, code, message);
}

function internalError(
  call: CallInfo,
  message = "We encountered an internal error. Please try again.",
): Reply {
  if (call.protocol === "restXml") return errorReply("restXml", 500, "InternalError", message);
  if (call.protocol === "restJson") return errorReply("restJson", 500, "InternalServerException", message);
  return errorReply(call.protocol, 500, "InternalFailure", message);
}
