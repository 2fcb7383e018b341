// Which role of a task definition may read each Secrets Manager secret it injects, pure: the execution role's and the
// task role's identity policies (and permission boundary) from GetAccountAuthorizationDetails, evaluated for
// secretsmanager:GetSecretValue on the secret's ARN. ECS resolves `secrets` at launch with the execution role; the task
// role needs access only when the application calls GetSecretValue itself (AWS: "Retrieve Secrets Manager secrets
// through environment variables", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html,
// and the practitioner's guide, "IAM: Execution Role vs. Task Role").
// Not evaluated here, and said so in the evidence: the secret's resource policy and SCPs (not read by this collector),
// and kms:Decrypt on the secret's key (secrets-access-policy judges those grants). So a pass means "the execution role's
// own policies allow it", and a denial means "cannot be shown to read it", never "cannot read it".
import { compilePolicy, evaluate, layered, refOf, type CompiledStatement, type StatementRef } from "./iam-evaluation.js";
import type { AuthorizationDetails, IamPrincipal } from "./iam-authorization-details.js";
import type { TaskDefinitionFacts } from "./ecs-task-secrets.judge.js";

const GET_SECRET_VALUE = "secretsmanager:GetSecretValue";

export const EVALUATED =
  "secretsmanager:GetSecretValue on each Secrets Manager secret, by the roles' identity policies and permission boundary (GetAccountAuthorizationDetails); not evaluated here: the secret's resource policy, SCPs, kms:Decrypt, SSM parameters";

/** A role's answer for one secret: allowed, by which statements; or why it was not evaluated. */
export type RoleAccess = { allowed: boolean; grants: StatementRef[]; unsupportedConditions?: string[] } | { notEvaluated: string };

export interface SecretGrant {
  container: string;
  name: string;
  valueFrom: string;
  /** The ARN IAM authorizes: valueFrom without its `:json-key:version-stage:version-id` suffix. */
  secretArn: string;
  executionRole: RoleAccess;
  taskRole?: RoleAccess;
}

/** The roles' grants for a revision's Secrets Manager secrets, or why none could be evaluated. */
export type RoleGrants = { notEvaluated: string } | { evaluated: string; secrets: SecretGrant[] };

/**
 * The secret ARN in a valueFrom: `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>` is its first seven
 * colon-separated fields; what follows is json-key, version-stage and version-id (ECS developer guide, above).
 */
export function secretArnOf(valueFrom: string): { arn: string; region: string; account: string } | undefined {
  const fields = valueFrom.split(":");
  if (fields.length < 7 || fields[2] !== "secretsmanager" || fields[5] !== "secret" || !fields[6]) return undefined;
  return { arn: fields.slice(0, 7).join(":"), region: String(fields[3]), account: String(fields[4]) };
}

/** The IAM facts of the account, compiled once per role: a role's statements, or why it cannot be evaluated. */
export interface RoleIndex {
  account: string;
  role(reference: string): { principal: IamPrincipal; identity: CompiledStatement[]; boundary?: CompiledStatement[] } | { notEvaluated: string };
}

export function roleIndex(details: Pick<AuthorizationDetails, "principals" | "documents">, account: string): RoleIndex {
  const roles = details.principals.filter((principal) => principal.type === "role");
  const byArn = new Map(roles.map((role) => [role.arn, role]));
  const byName = new Map(roles.map((role) => [role.name, role]));
  const compiled = new Map<string, ReturnType<RoleIndex["role"]>>();
  const compile = (principal: IamPrincipal) => ({
    principal,
    identity: principal.policies.flatMap((id) => compilePolicy(details.documents.get(id), "identity", id)),
    ...(principal.boundary ? { boundary: compilePolicy(details.documents.get(principal.boundary), "boundary", principal.boundary) } : {}),
  });
  return {
    account,
    role(reference) {
      let found = compiled.get(reference);
      if (found) return found;
      // ECS accepts a role's short name or its ARN (RegisterTaskDefinition API reference).
      const inAccount = reference.startsWith("arn:") ? reference.split(":")[4] : account;
      const principal = reference.startsWith("arn:") ? byArn.get(reference) : byName.get(reference);
      found =
        inAccount !== account
          ? { notEvaluated: `role in account ${inAccount}, outside this account's IAM` }
          : principal
            ? compile(principal)
            : { notEvaluated: "role not in this account's IAM authorization details" };
      compiled.set(reference, found);
      return found;
    },
  };
}

function access(index: RoleIndex, reference: string, secret: { arn: string; account: string }): RoleAccess {
  const role = index.role(reference);
  if ("notEvaluated" in role) return role;
  if (secret.account !== index.account) return { notEvaluated: `secret in account ${secret.account}: its resource policy decides, and is outside this account's view` };
  const { principal } = role;
  const context = new Map<string, string[]>([
    ["aws:principalarn", [principal.arn]],
    ["aws:principalaccount", [index.account]],
    ["aws:principaltype", ["AssumedRole"]],
    ["aws:resourceaccount", [index.account]],
    ["secretsmanager:secretid", [secret.arn]],
    ...Object.entries(principal.tags).map(([key, value]): [string, string[]] => [`aws:principaltag/${key.toLowerCase()}`, [value]]),
  ]);
  const decision = evaluate(
    { principal: { arn: principal.arn, account: index.account }, action: GET_SECRET_VALUE, resource: secret.arn, resourceAccount: index.account, context: layered(context) },
    { identity: role.identity, ...(role.boundary ? { boundary: role.boundary } : {}), scpLevels: [] },
  );
  return {
    allowed: decision.allowed,
    grants: decision.grants.filter((ref) => ref.policyType === "identity").map(refOf),
    ...(decision.unsupported.length ? { unsupportedConditions: decision.unsupported } : {}),
  };
}

/** Per Secrets Manager secret of the revision, what the execution role and the task role may do. */
export function roleGrantsOf(facts: Pick<TaskDefinitionFacts, "containers" | "executionRoleArn" | "taskRoleArn">, index: RoleIndex): RoleGrants {
  const secrets: SecretGrant[] = [];
  for (const container of facts.containers) {
    for (const secret of container.secrets) {
      if (secret.store !== "secretsmanager") continue;
      const parsed = secretArnOf(secret.valueFrom);
      if (!parsed) continue;
      const base = { container: container.name, name: secret.name, valueFrom: secret.valueFrom, secretArn: parsed.arn };
      secrets.push({
        ...base,
        executionRole: facts.executionRoleArn ? access(index, facts.executionRoleArn, parsed) : { notEvaluated: "no execution role" },
        ...(facts.taskRoleArn ? { taskRole: access(index, facts.taskRoleArn, parsed) } : {}),
      });
    }
  }
  return { evaluated: EVALUATED, secrets };
}

/** Whether a revision has anything for roleGrantsOf to evaluate (then the collector reads IAM). */
export const needsRoles = (facts: Pick<TaskDefinitionFacts, "containers" | "executionRoleArn" | "taskRoleArn">): boolean =>
  !!(facts.executionRoleArn || facts.taskRoleArn) && facts.containers.some((container) => container.secrets.some((secret) => secret.store === "secretsmanager"));
