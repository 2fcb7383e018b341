// Who is calling and which accounts are in scope: the caller's own, a list, or every active account of the Organization.
import type { AccountScope } from "../config/types.js";
import { RunError } from "../core/errors.js";
import type { AwsClients } from "../aws/clients.js";
import { awsErrorCode, callFailureHint } from "../core/trace.js";
import type { CallerIdentity } from "../core/model.js";
import { sdk } from "../core/sdk.js";

const { paginateListAccounts } = sdk("@aws-sdk/client-organizations");
const { GetCallerIdentityCommand, STSClient } = sdk("@aws-sdk/client-sts");
const { fromNodeProviderChain } = sdk("@aws-sdk/credential-providers");

export async function callerIdentity(region: string): Promise<CallerIdentity> {
  const client = new STSClient({ region, credentials: fromNodeProviderChain(), maxAttempts: 6 });
  try {
    const identity = await client.send(new GetCallerIdentityCommand({}));
    const arn = String(identity.Arn);
    return { account: String(identity.Account), arn, userId: String(identity.UserId), partition: arn.split(":")[1] ?? "aws" };
  } catch (error) {
    const hint = callFailureHint(error);
    throw new RunError(
      hint
        ? `cannot identify the caller with STS GetCallerIdentity: ${hint}`
        : `cannot identify the caller with STS GetCallerIdentity (${awsErrorCode(error)}): configure AWS credentials (AWS_PROFILE, SSO, or the ECS task role), or run the demo: npm run demo`,
      { cause: error },
    );
  } finally {
    client.destroy();
  }
}

export interface ScopeAccounts {
  accounts: string[];
  /** Organization members that were skipped, with why (suspended). */
  skipped: { account: string; reason: string }[];
}

export async function resolveAccounts(
  scope: AccountScope,
  caller: CallerIdentity,
  clients: AwsClients,
  region: string,
): Promise<ScopeAccounts> {
  if (scope === "current") return { accounts: [caller.account], skipped: [] };
  if (Array.isArray(scope)) {
    return { accounts: [...new Set(scope.map((account) => (account === "current" ? caller.account : account)))], skipped: [] };
  }
  const client = clients.organizations(caller.account, region);
  const accounts: string[] = [];
  const skipped: ScopeAccounts["skipped"] = [];
  try {
    for await (const page of paginateListAccounts({ client, pageSize: 20 }, {})) {
      for (const account of page.Accounts ?? []) {
        const state = account.State ?? account.Status;
        if (state === "ACTIVE") accounts.push(String(account.Id));
        else skipped.push({ account: String(account.Id), reason: `account is ${String(state).toLowerCase()}` });
      }
    }
  } catch (error) {
    throw new RunError(
      `cannot list the Organization's accounts (${awsErrorCode(error)}): run from the management or a delegated administrator account, or list accounts in scope.accounts`,
      { cause: error },
    );
  }
  return { accounts: accounts.sort(), skipped };
}
