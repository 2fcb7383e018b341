// Verdicts on ECS task definitions, pure: credentials arrive through `secrets`, read by the execution role, never in plaintext.
import type { ContainerDefinition, TaskDefinition } from "@aws-sdk/client-ecs";
import type { ResourceHistory } from "../src/core/collector.js";
import type { EvidenceItem, Period, PeriodVerdict, Verdict } from "../src/core/model.js";
import { inPeriod } from "./rotation-history.js";
import { credentialFinding, type CredentialFinding, type PatternSet } from "./credential-patterns.js";
import type { RoleAccess, RoleGrants, SecretGrant } from "./ecs-task-roles.js";
import { describeRef } from "./iam-evaluation.js";

/** Findings kept per container; a definition with thousands of variables records the count beyond it. */
const MAX_FINDINGS_RECORDED = 50;

export interface ContainerFacts {
  name: string;
  environmentCount: number;
  /** Names, rules and a hash prefix: never a value. */
  plaintextCredentials: CredentialFinding[];
  plaintextCredentialsNotRecorded: number;
  secrets: { name: string; store: "secretsmanager" | "ssm" | "unknown"; valueFrom: string }[];
  /** S3 objects ECS loads variables from: listed, not read (they may hold values). */
  environmentFiles: { type: string; value: string }[];
}

export interface TaskDefinitionFacts {
  arn: string;
  family: string;
  revision: number;
  status: string;
  /** Why the revision is in scope: `service:<arn>`, `rule:<arn>` or `latest-active`. */
  usedBy: string[];
  executionRoleArn?: string;
  taskRoleArn?: string;
  containers: ContainerFacts[];
}

/** Secrets Manager or SSM Parameter Store, from the valueFrom ARN (or a bare parameter name, which is SSM). */
function storeOf(valueFrom: string): ContainerFacts["secrets"][number]["store"] {
  if (/^arn:aws[\w-]*:secretsmanager:/.test(valueFrom)) return "secretsmanager";
  if (/^arn:aws[\w-]*:ssm:/.test(valueFrom) || /^[\w./-]+$/.test(valueFrom)) return "ssm";
  return "unknown";
}

function containerFacts(container: ContainerDefinition, patterns: PatternSet): ContainerFacts {
  const findings: CredentialFinding[] = [];
  let found = 0;
  for (const entry of container.environment ?? []) {
    const finding = credentialFinding(String(entry.name ?? ""), String(entry.value ?? ""), patterns);
    if (!finding) continue;
    found += 1;
    if (findings.length < MAX_FINDINGS_RECORDED) findings.push(finding);
  }
  return {
    name: String(container.name),
    environmentCount: container.environment?.length ?? 0,
    plaintextCredentials: findings,
    plaintextCredentialsNotRecorded: found - findings.length,
    secrets: (container.secrets ?? []).map((secret) => ({
      name: String(secret.name),
      store: storeOf(String(secret.valueFrom)),
      valueFrom: String(secret.valueFrom),
    })),
    environmentFiles: (container.environmentFiles ?? []).map((file) => ({ type: String(file.type), value: String(file.value) })),
  };
}

/** The facts of one revision. Values are read here, judged, and dropped: only names and hash prefixes remain. */
export function taskDefinitionFacts(definition: TaskDefinition, usedBy: string[], patterns: PatternSet): TaskDefinitionFacts {
  return {
    arn: String(definition.taskDefinitionArn),
    family: String(definition.family),
    revision: definition.revision ?? 0,
    status: String(definition.status),
    usedBy: [...usedBy].sort(),
    ...(definition.executionRoleArn ? { executionRoleArn: definition.executionRoleArn } : {}),
    ...(definition.taskRoleArn ? { taskRoleArn: definition.taskRoleArn } : {}),
    containers: (definition.containerDefinitions ?? []).map((container) => containerFacts(container, patterns)),
  };
}

const plaintextCount = (facts: Pick<TaskDefinitionFacts, "containers">): number =>
  facts.containers.reduce((sum, c) => sum + c.plaintextCredentials.length + c.plaintextCredentialsNotRecorded, 0);

/** The verdict on what the revision itself says: plaintext credentials, secret stores, an execution role at all. */
function judgeStructure(facts: TaskDefinitionFacts): Verdict {
  const plaintext = facts.containers.flatMap((container) =>
    container.plaintextCredentials.map((finding) => `${container.name}/${finding.name} (${finding.rules.join(", ")})`),
  );
  if (plaintext.length > 0) {
    const more = plaintextCount(facts) - plaintext.length;
    return {
      status: "fail",
      reason: `plaintext credential in environment: ${plaintext.slice(0, 5).join("; ")}${plaintext.length > 5 || more > 0 ? `; ${plaintextCount(facts) - Math.min(5, plaintext.length)} more` : ""}`,
    };
  }
  const secrets = facts.containers.flatMap((container) => container.secrets);
  const unknown = secrets.filter((secret) => secret.store === "unknown");
  if (unknown.length > 0) {
    return { status: "fail", reason: `secrets valueFrom is neither Secrets Manager nor SSM: ${unknown.map((s) => s.name).join(", ")}` };
  }
  if (secrets.length > 0 && !facts.executionRoleArn) {
    return { status: "fail", reason: `${secrets.length} secret(s) injected but no execution role: the task role cannot inject them` };
  }
  const files = facts.containers.flatMap((container) => container.environmentFiles);
  const filesNote = files.length ? `; ${files.length} environment file(s) listed, not read` : "";
  return {
    status: "pass",
    reason: secrets.length
      ? `${secrets.length} credential(s) injected through secrets with an execution role; none in plaintext${filesNote}`
      : `no credential in plaintext environment${filesNote}`,
  };
}

/**
 * The structural verdict, then (when IAM was read) which role may read each Secrets Manager secret: the execution
 * role must, since ECS injects secrets at launch with it. Where IAM could not be read, nothing is claimed about roles.
 */
export function judgeTaskDefinition(facts: TaskDefinitionFacts, grants?: RoleGrants): Verdict {
  const structure = judgeStructure(facts);
  if (!grants) return structure;
  if ("notEvaluated" in grants) return { status: structure.status, reason: `${structure.reason}; roles not evaluated: ${grants.notEvaluated}` };
  const roles = judgeRoles(grants);
  if (!roles) return structure;
  if (structure.status === "fail") return roles.status === "fail" ? { status: "fail", reason: `${structure.reason}; ${roles.reason}` } : structure;
  return roles.status === "fail" ? roles : { status: "pass", reason: `${structure.reason}; ${roles.reason}` };
}

const refs = (access: RoleAccess | undefined): string => (access && "grants" in access ? access.grants.map(describeRef).join(", ") : "");
const allowed = (access: RoleAccess | undefined): boolean => !!access && "allowed" in access && access.allowed;
const denied = (access: RoleAccess | undefined): boolean => !!access && "allowed" in access && !access.allowed;

/** Undefined when no secret was evaluated for the execution role (then nothing is claimed about roles). */
export function judgeRoles(grants: { secrets: SecretGrant[] }): Verdict | undefined {
  const unseen = grants.secrets.filter((secret) => "notEvaluated" in secret.executionRole);
  const unseenNote = unseen.length
    ? `; not evaluated for ${unseen.length} secret(s): ${unseen.slice(0, 3).map((secret) => `${secret.name} (${(secret.executionRole as { notEvaluated: string }).notEvaluated})`).join("; ")}`
    : "";
  const failures = grants.secrets.filter((secret) => denied(secret.executionRole)).map((secret) => {
    const task = secret.taskRole;
    const why = allowed(task)
      ? `the task role is (${refs(task)}): wrong role, ECS reads secrets at launch with the execution role`
      : task && "notEvaluated" in task
        ? `task role not evaluated (${task.notEvaluated}): the task cannot launch`
        : `${task ? "nor is the task role" : "there is no task role"}: the task cannot launch`;
    return `the execution role is not allowed secretsmanager:GetSecretValue on ${secret.secretArn} (${secret.container}/${secret.name}); ${why}`;
  });
  if (failures.length) return { status: "fail", reason: `${failures.slice(0, 3).join("; ")}${failures.length > 3 ? `; ${failures.length - 3} more` : ""}${unseenNote}` };
  const readable = grants.secrets.filter((secret) => allowed(secret.executionRole));
  if (!readable.length) return unseen.length ? { status: "pass", reason: `roles${unseenNote.slice(1)}` } : undefined;
  const alsoTask = readable.filter((secret) => allowed(secret.taskRole));
  const conditions = [...new Set(readable.flatMap((secret) => ("unsupportedConditions" in secret.executionRole ? (secret.executionRole.unsupportedConditions ?? []) : [])))];
  return {
    status: "pass",
    reason:
      `the execution role is allowed secretsmanager:GetSecretValue on each of ${readable.length} secret(s) (${[...new Set(readable.map((secret) => refs(secret.executionRole)))].join(", ")})` +
      (alsoTask.length ? `; the task role may read ${alsoTask.length} too (needed only if the application reads them itself)` : "") +
      (conditions.length ? `; conditions taken as met: ${conditions.join(", ")}` : "") +
      unseenNote,
  };
}

/** What evidence records: the facts, with the count of plaintext findings for the period rule. */
export function observedTaskDefinition(facts: TaskDefinitionFacts, grants?: RoleGrants): Record<string, unknown> {
  const roleGrants = grants === undefined ? {} : { roleGrants: "notEvaluated" in grants ? `not evaluated: ${grants.notEvaluated}` : grants };
  return { ...facts, plaintextCredentialCount: plaintextCount(facts), ...roleGrants };
}

/** A snapshot that saw a plaintext credential contributes its day. */
export function plaintextDates(item: EvidenceItem): string[] {
  const count = item.observed.plaintextCredentialCount;
  return typeof count === "number" && count > 0 ? [item.source.collectedAt] : [];
}

/** A revision that carried a plaintext credential on any day of the period fails the period. */
export function judgeTaskDefinitionPeriod(history: ResourceHistory, period: Period, through: string): PeriodVerdict {
  const days = [...new Set(inPeriod(history.dates, period.start, through).map((date) => date.slice(0, 10)))];
  const observed = { daysWithPlaintextCredential: days, daysObserved: history.daysObserved.length };
  if (days.length > 0) {
    return { status: "fail", reason: `plaintext credential in environment on ${days.length} day(s) of the period, first ${days[0]}`, observed };
  }
  if (history.latest.status !== "pass") return { status: history.latest.status, reason: history.latest.reason, observed };
  return { status: "pass", reason: `no plaintext credential on any of ${history.daysObserved.length} day(s) observed`, observed };
}
