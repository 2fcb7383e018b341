// Verdicts on secret access policies, pure: no account-wide secret reads, Decrypt only via Secrets Manager,
// no secret shared outside the organization. Each failure names the statement (policy id and Sid or index).
import type { Verdict } from "../src/core/model.js";
import { compilePolicy, coversAction, describeRef, glob, literalPrefix, refOf, type CompiledStatement, type StatementRef } from "./iam-evaluation.js";

export const GET_SECRET_VALUE = "secretsmanager:GetSecretValue";
export const DECRYPT = "kms:Decrypt";

export interface Finding extends StatementRef {
  problem: string;
}

export interface PolicyVerdict extends Verdict {
  findings: Finding[];
}

const verdict = (findings: Finding[], passReason: string): PolicyVerdict =>
  findings.length
    ? { status: "fail", reason: findings.map((finding) => `${describeRef(finding)}: ${finding.problem}`).join("; "), findings }
    : { status: "pass", reason: passReason, findings };

const valuesOf = (statement: CompiledStatement, key: string): string[] =>
  statement.conditions.filter((condition) => condition.key === key && /^string(equals|like)(ifexists)?$/i.test(condition.operator)).flatMap((condition) => condition.values);

/** Whether a resource pattern covers every secret of the account in a region (a whole-account wildcard). */
export function coversAllSecrets(pattern: string, account: string, region: string): boolean {
  const base = `arn:aws:secretsmanager:${region}:${account}:secret:`;
  const prefix = literalPrefix(pattern);
  if (!base.startsWith(prefix)) return false;
  // The pattern must also match an arbitrary secret name, not only names the prefix happens to share.
  return pattern.includes("${") || glob(pattern, false).test(`${base}zz9/unlikely-name-QqQqQq`);
}

/** An identity policy fails when an Allow of GetSecretValue reaches every secret in the account. */
export function judgeIdentityPolicy(policyId: string, document: unknown, account: string, regions: readonly string[]): PolicyVerdict {
  const findings: Finding[] = [];
  for (const statement of compilePolicy(document, "identity", policyId)) {
    if (statement.effect !== "Allow" || !coversAction(statement, GET_SECRET_VALUE)) continue;
    const wide = statement.notResources
      ? "NotResource"
      : (statement.resources ?? []).find((pattern) => regions.some((region) => coversAllSecrets(pattern, account, region)));
    if (wide) findings.push({ ...refOf(statement), problem: `allows ${GET_SECRET_VALUE} on ${wide === "*" ? 'Resource "*"' : wide}` });
  }
  return verdict(findings, `no statement allows ${GET_SECRET_VALUE} on every secret`);
}

const viaSecretsManager = (statement: CompiledStatement, region: string): boolean =>
  valuesOf(statement, "kms:viaservice").some((value) => glob(value, true).test(`secretsmanager.${region}.amazonaws.com`) && /^secretsmanager\./i.test(value));

const isAccountRoot = (statement: CompiledStatement, account: string): boolean =>
  !statement.principal?.any && (statement.principal?.aws ?? []).every((entry) => entry === account || entry === `arn:aws:iam::${account}:root`) && (statement.principal?.aws.length ?? 0) > 0;

export interface KeyFacts {
  arn: string;
  region: string;
  account: string;
  policy?: unknown;
  policyError?: string;
  /** Identity statements (policy id -> document) that may name the key. */
  identityDocuments: ReadonlyMap<string, unknown>;
}

/**
 * Every kms:Decrypt grant on a key that encrypts secrets must carry kms:ViaService = secretsmanager.<region>.
 * The key policy's statement trusting the account root delegates to IAM: the identity grants are judged instead.
 */
export function judgeKey(key: KeyFacts): PolicyVerdict {
  if (key.policyError) return { status: "error", reason: `key policy could not be read: ${key.policyError}`, findings: [] };
  const findings: Finding[] = [];
  for (const statement of compilePolicy(key.policy, "resource", key.arn)) {
    if (statement.effect !== "Allow" || !coversAction(statement, DECRYPT) || isAccountRoot(statement, key.account)) continue;
    if (!viaSecretsManager(statement, key.region)) findings.push({ ...refOf(statement), problem: `key policy allows ${DECRYPT} without kms:ViaService secretsmanager.${key.region}.amazonaws.com` });
  }
  for (const [policyId, document] of key.identityDocuments) {
    for (const statement of compilePolicy(document, "identity", policyId)) {
      if (statement.effect !== "Allow" || !coversAction(statement, DECRYPT)) continue;
      const onKey = statement.notResources ? true : (statement.resources ?? []).some((pattern) => pattern.includes("${") || glob(pattern, false).test(key.arn));
      if (onKey && !viaSecretsManager(statement, key.region)) findings.push({ ...refOf(statement), problem: `allows ${DECRYPT} on ${key.arn} without kms:ViaService` });
    }
  }
  return verdict(findings, `every ${DECRYPT} grant is conditioned on kms:ViaService secretsmanager.${key.region}.amazonaws.com`);
}

const CONFINING_KEYS = ["aws:principalorgid", "aws:principalaccount", "aws:sourceaccount", "aws:principalorgpaths"];

export interface Trust {
  /** Accounts of the organization (or, when Organizations could not be read, the configured trusted accounts). */
  accounts: ReadonlySet<string>;
  organizationId?: string;
}

const accountOf = (principal: string): string => (/^\d{12}$/.test(principal) ? principal : (principal.split(":")[4] ?? ""));

/** A secret's resource policy fails when an Allow reaches "*" or a principal outside the organization. */
export function judgeSecretPolicy(secretArn: string, policy: unknown, policyError: string | undefined, trust: Trust): PolicyVerdict {
  if (policyError) return { status: "error", reason: `resource policy could not be read: ${policyError}`, findings: [] };
  if (policy === undefined) return { status: "pass", reason: "no resource policy", findings: [] };
  const findings: Finding[] = [];
  for (const statement of compilePolicy(policy, "resource", secretArn)) {
    if (statement.effect !== "Allow") continue;
    if (statement.notPrincipal) {
      findings.push({ ...refOf(statement), problem: "Allow with NotPrincipal reaches everyone else" });
      continue;
    }
    if (statement.principal?.any) {
      const confined = CONFINING_KEYS.some((key) => {
        const values = valuesOf(statement, key);
        return values.length > 0 && values.every((value) => (key === "aws:principalorgid" ? value === trust.organizationId : key === "aws:principalorgpaths" ? !!trust.organizationId && value.startsWith(`${trust.organizationId}/`) : trust.accounts.has(value)));
      });
      if (!confined) findings.push({ ...refOf(statement), problem: 'allows Principal "*" without confining it to the organization' });
    }
    const outside = (statement.principal?.aws ?? []).filter((principal) => !trust.accounts.has(accountOf(principal)));
    if (outside.length) findings.push({ ...refOf(statement), problem: `allows principals outside the organization: ${outside.join(", ")}` });
  }
  return verdict(findings, "the resource policy reaches only principals in the organization");
}
