// The quarterly access review's record, defined once: secrets-access-review writes it into `observed.review`,
// access-review.csv, the PDF section, evidence.json and OSCAL read it back.

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
}
