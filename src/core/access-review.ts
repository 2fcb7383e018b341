// The quarterly access review's record, defined once: secrets-access-review writes it into `observed.review`, its
// period verdict only the rows the period changes into `period.observed.reviewChanges`; access-review.csv, the PDF
// section, evidence.json and OSCAL read them back through overlayReview.

export const ACCESS_REVIEW_COLLECTOR = "secrets-access-review";

export type PrincipalType = "role" | "user" | "ecs-task-role" | "ecs-execution-role" | "external-account" | "unknown";

/** GetSecretValue events of one principal on one secret. */
export interface ReadTally {
  count: number;
  last: string;
  regions: string[];
  sourceIps: string[];
}

/** One (secret, principal) row of the review. */
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
  /** Days whose reads come from earlier snapshots, CloudTrail no longer holding them (the period review only). */
  snapshotReadDays?: string[];
}

/** One principal's reads of one secret on one day (UTC), as a snapshot's CloudTrail window showed them. */
export interface DayRead extends ReadTally {
  day: string;
  principal: string;
}

/** Where the period review's reads come from: CloudTrail's window in the latest snapshot, earlier snapshots before. */
export interface ReadSources {
  cloudTrail: { from: string; to: string };
  /** Days (YYYY-MM-DD) on which earlier snapshots recorded reads the latest CloudTrail window no longer holds. */
  snapshotDays: string[];
}

export const byPrincipal = (left: ReviewRow, right: ReviewRow): number => left.principal.localeCompare(right.principal);

/** The period's rows: the snapshot's, each replaced by its period change where there is one, new readers added. */
export function overlayReview(snapshot: readonly ReviewRow[], changes: readonly ReviewRow[]): ReviewRow[] {
  if (changes.length === 0) return [...snapshot];
  const changed = new Map(changes.map((row) => [row.principal, row]));
  const rows = snapshot.map((row) => changed.get(row.principal) ?? row);
  const present = new Set(snapshot.map((row) => row.principal));
  return [...rows, ...changes.filter((row) => !present.has(row.principal))].sort(byPrincipal);
}
