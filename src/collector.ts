// The collector contract (STYLE "Collectors"): metadata first, behaviour second.
import type { AwsClients } from "./aws/clients.js";
import type { Logger } from "./log.js";
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
  clients: AwsClients;
  now(): Date;
  /** The evidence bucket when the store is S3: collectors hold it to a stricter standard. */
  evidenceBucket?: string;
  /** The account that owns the evidence bucket: the one the tool runs in, as deploy/ sets it up. */
  evidenceBucketAccount?: string;
  /** The period being packaged, when known, for period-level queries (CloudTrail LookupEvents). */
  period?: Period;
  log: Logger;
}

/** History of one resource across the period's snapshots, for collectors that judge the period. */
export interface ResourceHistory {
  /** The newest item seen for the resource in the period. */
  latest: EvidenceItem;
  /** Event dates (rotations) gathered from every snapshot, sorted, unique, ISO 8601. */
  dates: string[];
  /** Days of the period on which a complete snapshot observed the resource. */
  daysObserved: string[];
  /** Days of the period covered by a complete snapshot of this collector, observed or not. */
  daysCovered: string[];
  /** Every day of the period up to the package's through date. */
  periodDays: string[];
}

export interface PeriodJudge<P> {
  /** Event dates this item shows (for example every rotation it lists). */
  dates(item: EvidenceItem): string[];
  judge(history: ResourceHistory, period: Period, through: string, params: P): PeriodVerdict;
}

export interface Collector<S extends ParamSchema = ParamSchema> {
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
  params: S;
  collect(ctx: CollectContext, params: ParamsOf<S>): AsyncIterable<ItemDraft>;
  period?: PeriodJudge<ParamsOf<S>>;
}

export function defineCollector<S extends ParamSchema>(collector: Collector<S>): Collector<S> {
  return collector;
}

export function defaultsOf<S extends ParamSchema>(schema: S): ParamsOf<S> {
  return Object.fromEntries(Object.entries(schema).map(([key, spec]) => [key, spec.default])) as ParamsOf<S>;
}
