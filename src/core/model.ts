// The evidence vocabulary shared by collectors, the store, packaging and renderers (SPEC sections 5 and 7).

export const ITEM_STATUSES = ["pass", "fail", "excepted", "not_applicable", "error"] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

export type ControlStatus = "effective" | "deficient" | "incomplete";

export interface ResourceRef {
  arn: string;
  type: string;
  name: string;
}

export interface ExceptionRecord {
  reason: string;
  approvedBy: string;
  ticket?: string;
  expires: string;
}

export interface SourceRecord {
  service: string;
  operations: string[];
  requestIds: string[];
  collectedAt: string;
}

/** A verdict on facts: what a pure judging function returns. */
export interface Verdict {
  status: ItemStatus;
  reason: string;
}

/** What a collector emits for one resource; the runner adds collector, controls, account and region. */
export interface ItemDraft extends Verdict {
  resource: ResourceRef;
  observed: Record<string, unknown>;
  expected: Record<string, unknown>;
  source: SourceRecord;
  /** Region the resource lives in when the collector runs account-wide. */
  region?: string;
}

export interface EvidenceItem extends ItemDraft {
  collector: string;
  controlIds: string[];
  account: string;
  region: string;
  exception?: ExceptionRecord;
  /** Verdict over the whole period, when the collector judges history (rotation gaps, days observed). */
  period?: PeriodVerdict;
}

export interface PeriodVerdict extends Verdict {
  observed: Record<string, unknown>;
}

/** Completeness of one collector x account x region: the auditor's population evidence. */
export interface Population {
  collector: string;
  /** The controls this run of the collector served (one collector may serve several uses). */
  controlIds?: string[];
  account: string;
  region: string;
  enumerated: number;
  paginationComplete: boolean;
  errors: number;
  durationMs: number;
}

export interface Period {
  label: string;
  /** First day, inclusive, YYYY-MM-DD (UTC). */
  start: string;
  /** Last day, inclusive, YYYY-MM-DD (UTC). */
  end: string;
}

export interface StoredFile {
  key: string;
  size: number;
  sha256: string;
  versionId?: string;
}

/** Calls by operation in a run: what the tool sent, for the package's record. */
export interface CallTally {
  operation: string;
  calls: number;
  failures: number;
  throttles: number;
}

/** Who ran the tool (STS GetCallerIdentity). */
export interface CallerIdentity {
  account: string;
  arn: string;
  userId: string;
  partition: string;
}
