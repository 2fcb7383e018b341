// The collector contract (STYLE "Collectors"): metadata first, behaviour second.
import type { Clients } from "./clients.js";
import type { SharedRead } from "./shared-reads.js";
import type { Logger } from "./log.js";
import type { TlsProbe } from "./tls.js";
import type { EvidenceItem, ItemDraft, Period, PeriodVerdict } from "./model.js";

export type ParamSpec =
  | { type: "integer"; default: number; min?: number; max?: number; description: string }
  | { type: "string"; default: string; enum?: readonly string[]; description: string }
  | { type: "boolean"; default: boolean; description: string }
  | { type: "string[]"; default: readonly string[]; description: string };

export type ParamSchema = Record<string, ParamSpec>;

type ValueOf<S extends ParamSpec> = S extends { type: "integer" }
  ? number
  : S extends { type: "string" }
    ? string
    : S extends { type: "boolean" }
      ? boolean
      : readonly string[];

export type ParamsOf<S extends ParamSchema> = { readonly [K in keyof S]: ValueOf<S[K]> };

export interface CollectContext {
  account: string;
  /** The region this invocation covers; for account-scoped collectors, the first scope region. */
  region: string;
  /** Every region in scope, for account-scoped collectors that walk them themselves. */
  regions: readonly string[];
  partition: string;
  clients: Clients;
  now(): Date;
  /** The evidence bucket when the store is S3: collectors hold it to a stricter standard. */
  evidenceBucket?: string;
  /** The account that owns the evidence bucket: the one the tool runs in, as deploy/ sets it up. */
  evidenceBucketAccount?: string;
  /** The period being packaged, when known, for period-level queries (CloudTrail LookupEvents). */
  period?: Period;
  log: Logger;
  /** The one endpoint every client is pointed at (AWS_ENDPOINT_URL: an emulator or a VPC endpoint), when set. */
  endpoint?: string;
  /** A live TLS handshake, for collectors that judge transport security by trying it. */
  probeTls: TlsProbe;
  /** Reads shared by the run's collectors (see shared-reads.ts); absent in a context built by hand. */
  shared?: SharedRead;
}

/** History of one resource across the period's snapshots, for collectors that judge the period. */
export interface ResourceHistory {
  /** The newest item seen for the resource in the period. */
  latest: EvidenceItem;
  /**
   * The oldest item seen for the resource in the period: what the first snapshot could see, from which a judge tells
   * per source from when its history is visible (see RotationRule.visibleFrom).
   */
  first: EvidenceItem;
  /** Event dates (rotations) gathered from every snapshot, sorted, unique, ISO 8601. */
  dates: string[];
  /** Days of the period on which a complete snapshot observed the resource. */
  daysObserved: string[];
  /** Days of the period covered by a complete snapshot of this collector, observed or not. */
  daysCovered: string[];
  /** Every day of the period up to the package's through date. */
  periodDays: string[];
  /** Days of the period on which a complete snapshot judged the resource `fail`. */
  failDays: string[];
}

export interface PeriodJudge<P> {
  /**
   * Event dates this item shows (for example every rotation it lists); `previous` is the same resource in the
   * snapshot before, so a change between two snapshots can date an event no API lists any more.
   */
  dates(item: EvidenceItem, previous?: EvidenceItem): string[];
  judge(history: ResourceHistory, period: Period, through: string, params: P): PeriodVerdict;
}

/** What the tool knows of a collector without running it: the README table, the IAM policy, the package. */
export interface CollectorInfo {
  id: string;
  title: string;
  docsUrl: string;
  /** Trust Services Criteria this collector is usually mapped to (documentation only; controls.yaml decides). */
  criteria: readonly string[];
  /** AWS service prefix of the calls, for source records and the IAM policy. */
  service: string;
  /** "region": invoked once per account x region; "account": once per account, walks the regions itself. */
  scope: "region" | "account";
  /** Every IAM action `collect` may call. */
  permissions: readonly string[];
  params: ParamSchema;
}

export interface Collector<S extends ParamSchema = ParamSchema> extends CollectorInfo {
  params: S;
  collect(ctx: CollectContext, params: ParamsOf<S>): AsyncIterable<ItemDraft>;
  period?: PeriodJudge<ParamsOf<S>>;
}

/** A collector bound to checked parameters: the only form in which the application runs or judges one. */
export interface BoundCollector {
  readonly collector: CollectorInfo;
  /** The parameters as checked, defaults filled in: what snapshot.json records and the package prints. */
  readonly params: Readonly<Record<string, unknown>>;
  collect(ctx: CollectContext): AsyncIterable<ItemDraft>;
  readonly period?: {
    dates(item: EvidenceItem, previous?: EvidenceItem): string[];
    judge(history: ResourceHistory, period: Period, through: string): PeriodVerdict;
  };
}

/** A registered collector: its declaration, and `bind` to pair it with parameters read from config or a snapshot. */
export interface RegisteredCollector extends CollectorInfo {
  /** Throws ParamsError when a value does not fit the schema; a missing value takes its default. */
  bind(values: Readonly<Record<string, unknown>>): BoundCollector;
}

export function defineCollector<S extends ParamSchema>(collector: Collector<S>): Collector<S> & RegisteredCollector {
  const bind = (values: Readonly<Record<string, unknown>>): BoundCollector => {
    const params = checkedParams(collector.id, collector.params, values);
    const judge = collector.period;
    return {
      collector,
      params,
      collect: (ctx) => collector.collect(ctx, params),
      ...(judge
        ? { period: { dates: (item, previous) => judge.dates(item, previous), judge: (history, period, through) => judge.judge(history, period, through, params) } }
        : {}),
    };
  };
  return { ...collector, bind };
}

/** A parameter value that does not fit its collector's schema (a snapshot written by another version, or edited). */
export class ParamsError extends Error {
  constructor(
    readonly collector: string,
    readonly param: string,
    readonly value: unknown,
  ) {
    super(`collector ${collector}: parameter ${param} = ${JSON.stringify(value)} does not fit its schema`);
    this.name = "ParamsError";
  }
}

function fits(spec: ParamSpec, value: unknown): boolean {
  switch (spec.type) {
    case "integer":
      return typeof value === "number" && Number.isInteger(value) && value >= (spec.min ?? -Infinity) && value <= (spec.max ?? Infinity);
    case "string":
      return typeof value === "string" && (!spec.enum || spec.enum.includes(value));
    case "boolean":
      return typeof value === "boolean";
    case "string[]":
      return Array.isArray(value) && value.every((entry) => typeof entry === "string");
  }
}

function checkedParams<S extends ParamSchema>(id: string, schema: S, values: Readonly<Record<string, unknown>>): ParamsOf<S> {
  const checked = defaultsOf(schema) as Record<string, unknown>;
  for (const [key, spec] of Object.entries(schema)) {
    if (!(key in values) || values[key] === undefined) continue;
    if (!fits(spec, values[key])) throw new ParamsError(id, key, values[key]);
    checked[key] = values[key];
  }
  return checked as ParamsOf<S>;
}

export function defaultsOf<S extends ParamSchema>(schema: S): ParamsOf<S> {
  return Object.fromEntries(Object.entries(schema).map(([key, spec]) => [key, spec.default])) as ParamsOf<S>;
}
