// Passes when no identity policy reads every secret, every Decrypt of a secrets key goes via Secrets Manager,
// and no secret's resource policy reaches "*" or a principal outside the organization.
// Minimum calls for an account with M secrets over its regions: ceil(N / 1000) GetAccountAuthorizationDetails
// pages (N roles, users, groups and policies), per region ceil(M / 100) ListSecrets pages and one GetResourcePolicy per
// secret (ListSecrets does not say whether a secret has a policy, so each needs its own call), one DescribeKey and one
// GetKeyPolicy per distinct key in use (the default key included), and DescribeOrganization (+ ListAccounts pages in an
// organization). secrets-access-review needs the same facts: they are read once per run for both (shared-reads.ts).
import { CallTrace, awsErrorCode } from "../src/core/trace.js";
import { defineCollector, type CollectContext } from "../src/core/collector.js";
import type { ItemDraft, SourceRecord } from "../src/core/model.js";
import { ACCESS_FACTS_PERMISSIONS, sharedAuthorizationDetails, sharedSecretsFeed, sourceWith } from "./secrets-access-facts.js";
import { judgeIdentityPolicy, judgeKey, judgeSecretPolicy, type PolicyVerdict, type Trust } from "./secrets-access-policy.judge.js";
import { sdk } from "../src/core/sdk.js";

const { DescribeOrganizationCommand, paginateListAccounts } = sdk("@aws-sdk/client-organizations");

const params = {
  trustedAccounts: {
    type: "string[]",
    default: [],
    description: "Accounts a secret may be shared with when Organizations cannot be read (the account itself always may).",
  },
} as const;

const item = (resource: ItemDraft["resource"], judged: PolicyVerdict, observed: Record<string, unknown>, source: SourceRecord, region?: string): ItemDraft => ({
  resource,
  status: judged.status,
  reason: judged.reason,
  observed: { ...observed, findings: judged.findings },
  expected: { secretReadsScoped: true, decryptViaSecretsManager: true, sharedOnlyInsideOrganization: true },
  source,
  ...(region ? { region } : {}),
});

export default defineCollector({
  id: "secrets-access-policy",
  title: "Secret access is scoped: no account-wide reads, Decrypt only via Secrets Manager, no outside sharing",
  docsUrl: "https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access.html",
  criteria: ["CC6.3"],
  service: "iam",
  scope: "account",
  permissions: [...ACCESS_FACTS_PERMISSIONS, "organizations:ListAccounts"],
  params,
  async *collect(ctx, { trustedAccounts }) {
    const trace = new CallTrace("iam", ctx.now);
    // Read beside the secrets, not after the last of them: the organization's accounts do not depend on them. Its calls
    // join the trace once the secrets are judged with it, so the policy and key items before do not name them.
    const organizationCalls = trace.blank();
    const trusted = organizationTrust(ctx, trustedAccounts, organizationCalls);
    const details = await sharedAuthorizationDetails(ctx, trace);
    for (const policyId of details.customerPolicies) {
      const judged = judgeIdentityPolicy(policyId, details.documents.get(policyId), ctx.account, ctx.regions);
      yield item({ arn: policyId, type: "AWS::IAM::Policy", name: policyId.split(/[/#]/).at(-1) ?? policyId }, judged, { policyId }, trace.source());
    }
    const { secrets, keys, calls } = await (await sharedSecretsFeed(ctx, trace)).done;
    for (const key of keys.values()) {
      const judged = judgeKey({ ...key, account: ctx.account, identityDocuments: details.documents });
      yield item({ arn: key.arn, type: "AWS::KMS::Key", name: key.arn.split("/").at(-1) ?? key.arn }, judged, { keyManager: key.manager, policyError: key.policyError }, sourceWith(trace, calls, key.arn), key.region);
    }
    const trust = await trusted;
    trace.absorb(organizationCalls);
    for (const secret of secrets) {
      const judged = judgeSecretPolicy(secret.arn, secret.resourcePolicy, secret.resourcePolicyError, trust);
      const observed = { hasResourcePolicy: secret.resourcePolicy !== undefined, trustSource: trust.organizationId ? "organizations" : "trustedAccounts", getResourcePolicyCalls: secrets.length };
      yield item({ arn: secret.arn, type: "AWS::SecretsManager::Secret", name: secret.name }, judged, observed, sourceWith(trace, calls, secret.arn), secret.region);
    }
  },
});

/** The organization's accounts, or the account itself plus trustedAccounts when Organizations cannot be read. */
async function organizationTrust(ctx: CollectContext, trustedAccounts: readonly string[], trace: CallTrace): Promise<Trust> {
  const fallback = new Set([ctx.account, ...trustedAccounts]);
  try {
    const client = ctx.clients.organizations(ctx.account, "us-east-1");
    const described = await client.send(new DescribeOrganizationCommand({}));
    trace.record("DescribeOrganization", described);
    const accounts = new Set(fallback);
    for await (const page of paginateListAccounts({ client }, {})) {
      trace.record("ListAccounts", page);
      for (const account of page.Accounts ?? []) if (account.Id) accounts.add(account.Id);
    }
    return { accounts, ...(described.Organization?.Id ? { organizationId: described.Organization.Id } : {}) };
  } catch (error) {
    trace.record(undefined, error);
    ctx.log.warn("secrets-access-policy.organizations-unavailable", { code: awsErrorCode(error) });
    return { accounts: fallback };
  }
}
