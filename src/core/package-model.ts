// The package for a period: what evidence.json holds and every renderer reads (schemas/evidence.schema.json).
import type { CallerIdentity, CallTally, ControlStatus, EvidenceItem, ItemStatus, Period, PeriodVerdict, Population, StoredFile } from "./model.js";
import type { TOOL } from "./version.js";

export type StatusCounts = Record<ItemStatus, number>;

export interface PackageItem extends EvidenceItem {
  /** The verdict of the newest snapshot that observed the resource. */
  snapshot: { runId: string; status: ItemStatus; reason: string; collectedAt: string };
  period?: PeriodVerdict;
  seen: { first: string; last: string; days: number };
}

/** Values that can be walked more than once, with their number known without walking them. */
export interface Sequence<T> extends Iterable<T> {
  readonly length: number;
}

export type ItemSequence = Sequence<PackageItem>;

/** Which items a renderer wants: every field given must match (src/core/package-items.ts). */
export interface ItemFilter {
  controlId?: string;
  collector?: string;
  statuses?: readonly ItemStatus[];
}

/**
 * What a control's tables in report.pdf show of an item (reports/pdf-control-section.ts): not what was observed or
 * expected, nor the request ids, which make up most of an item (an access review item of the bench is 100 KB on
 * average, its head 0.9 KB).
 */
export type ItemHead = Pick<PackageItem, "collector" | "controlIds" | "account" | "region" | "resource" | "status" | "reason" | "exception" | "period"> & {
  source: Pick<PackageItem["source"], "collectedAt">;
};

/** Heads of the items a filter chose, in package order. */
export type HeadSequence = Sequence<ItemHead>;

/**
 * The package's items in package order (collector, account, region, ARN). An array satisfies it; at scale packaging
 * spools them to a file and reads them back one at a time (src/package/item-spool.ts), which also answers `select`
 * from an index without parsing the items it skips, and `lines` without parsing at all.
 */
export interface PackageItems extends ItemSequence {
  select?(filter: ItemFilter): ItemSequence;
  /** The heads of the items `select` would give, read without parsing the rest of each item. */
  heads?(filter: ItemFilter): HeadSequence;
  /** Each item as JSON.stringify writes it, one per entry. */
  lines?(): Iterable<string>;
}

/** evidence.json as parsed: the package with its items as one array. */
export type EvidenceDocument = Omit<EvidencePackage, "items"> & { items: PackageItem[] };

export interface ControlResult {
  id: string;
  title: string;
  description?: string;
  status: ControlStatus;
  /** Every status that holds, worst first: a control with failures and unread days is deficient and incomplete. */
  statuses: ControlStatus[];
  reason: string;
  collectors: { id: string; title: string; params: Record<string, unknown>; permissions: string[] }[];
  counts: StatusCounts & { population: number };
  coverage: { covered: number; days: number; missing: string[] };
  /** controls.yaml `platforms` at packaging time: the platforms' own controls this evidence belongs to. */
  platforms?: PlatformControls;
}

/** The platforms' own controls a control's evidence is linked to by `publish`: Vanta control ids, Drata codes. */
export interface PlatformControls {
  vanta?: string[];
  drata?: string[];
}

export interface ExceptionUse {
  collector: string;
  resource: string;
  reason: string;
  approvedBy: string;
  ticket?: string;
  expires: string;
  state: "active" | "expired";
  /** Items of this package the exception applies to (or would, if it had not expired). */
  matched: number;
}

export interface CoverageDay {
  day: string;
  covered: boolean;
  runIds: string[];
}

export interface SnapshotRef {
  runId: string;
  day: string;
  startedAt: string;
  finishedAt: string;
  files: StoredFile[];
}

export interface EvidencePackage {
  schemaVersion: 1;
  tool: { name: string; version: string };
  organization: string;
  runId: string;
  generatedAt: string;
  period: Period & { through: string; days: number };
  scope: {
    accounts: string[];
    regions: string[];
    skippedAccounts: { account: string; reason: string }[];
    caller: CallerIdentity;
  };
  store: StoreFacts;
  summary: { status: ControlStatus; controls: Record<ControlStatus, number>; items: StatusCounts };
  coverage: { days: CoverageDay[]; covered: number; missing: string[] };
  controls: ControlResult[];
  items: PackageItems;
  populations: Population[];
  exceptions: ExceptionUse[];
  snapshots: SnapshotRef[];
  calls: CallTally[];
  notes: string[];
}

export interface StoreFacts {
  kind: "local" | "s3";
  location: string;
  bucket?: string;
  region?: string;
  versioning?: string;
  objectLock?: { enabled: boolean; mode?: string; days?: number; years?: number };
  encryption?: { algorithm: string; kmsKeyId?: string; bucketKeyEnabled?: boolean };
  publicAccessBlock?: Record<string, boolean>;
  /** The S3 bucket policy as read (null: the bucket has none); absent when it could not be read or for a folder. */
  bucketPolicy?: string | null;
  tlsEnforced?: boolean;
  warnings: string[];
}

/** One process's slice of a run collected by several (`--shard i/n`). */
export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** snapshot.json: written last in a snapshot's folder, so its presence marks the snapshot complete. */
export interface SnapshotRecord {
  runId: string;
  day: string;
  startedAt: string;
  finishedAt: string;
  complete: true;
  /** Set on one shard's part of a run collected by several processes (`--shard i/n`). */
  shard?: Shard;
  tool: typeof TOOL;
  caller: CallerIdentity;
  scope: { accounts: string[]; regions: string[]; skippedAccounts: { account: string; reason: string }[] };
  collectors: { id: string; params: Record<string, unknown>; controlIds: string[]; file: string }[];
  populations: Population[];
  counts: Record<ItemStatus, number>;
  calls: CallTally[];
  files: StoredFile[];
}
