// An account's IAM as GetAccountAuthorizationDetails gives it (roles, users with their groups, policy documents), read
// once per run and shared by the collectors that evaluate identity policies: secrets-access-policy, secrets-access-review
// and ecs-task-secrets (src/core/shared-reads.ts). It sends that one call only, so a collector importing this module
// (and not secrets-access-facts.ts) declares iam:GetAccountAuthorizationDetails alone.
import type { ManagedPolicyDetail } from "@aws-sdk/client-iam";
import type { CollectContext } from "../src/core/collector.js";
import { sharedRead } from "../src/core/shared-reads.js";
import type { CallTrace } from "../src/core/trace.js";
import { parsePolicyDocument } from "./iam-evaluation.js";
import { sdk } from "../src/core/sdk.js";

const { paginateGetAccountAuthorizationDetails } = sdk("@aws-sdk/client-iam");

export interface IamPrincipal {
  arn: string;
  type: "role" | "user";
  name: string;
  /** Identity policy ids: managed policy ARNs, and `<principal or group ARN>#<inline name>`. */
  policies: string[];
  boundary?: string;
  groups: string[];
  tags: Record<string, string>;
}

export interface AuthorizationDetails {
  principals: IamPrincipal[];
  /** Policy id -> document, for every identity policy and boundary a principal uses. */
  documents: Map<string, unknown>;
  /** Customer-managed and inline policy ids (the ones secrets-access-policy judges; AWS managed ones are AWS's). */
  customerPolicies: string[];
  /** Group ARN by name. */
  groups: Map<string, string>;
}

export const tagsOf = (tags: { Key?: string; Value?: string }[] | undefined): Record<string, string> =>
  Object.fromEntries((tags ?? []).map((tag) => [String(tag.Key), String(tag.Value ?? "")]));

const defaultVersion = (policy: ManagedPolicyDetail): unknown =>
  parsePolicyDocument(policy.PolicyVersionList?.find((version) => version.IsDefaultVersion)?.Document);

/** GetAccountAuthorizationDetails, paged; group membership comes from each user's GroupList. */
export async function authorizationDetails(ctx: CollectContext, trace: CallTrace): Promise<AuthorizationDetails> {
  const client = ctx.clients.iam(ctx.account, ctx.region);
  const documents = new Map<string, unknown>();
  const customerPolicies: string[] = [];
  const principals: IamPrincipal[] = [];
  const groups = new Map<string, { arn: string; policies: string[] }>();
  const users: { arn: string; name: string; policies: string[]; boundary?: string; groups: string[]; tags: Record<string, string> }[] = [];
  const inline = (owner: string, list: { PolicyName?: string; PolicyDocument?: string }[] | undefined) =>
    (list ?? []).map((entry) => {
      const id = `${owner}#${entry.PolicyName}`;
      documents.set(id, parsePolicyDocument(entry.PolicyDocument));
      customerPolicies.push(id);
      return id;
    });
  const filter = ["Role", "User", "Group", "LocalManagedPolicy", "AWSManagedPolicy"] as const;
  for await (const page of paginateGetAccountAuthorizationDetails({ client, pageSize: 1000 }, { Filter: [...filter] })) {
    trace.record("GetAccountAuthorizationDetails", page);
    for (const policy of page.Policies ?? []) {
      const arn = String(policy.Arn);
      const customer = !arn.includes(":iam::aws:policy/");
      // Unattached AWS managed policies (about 1,400) grant nobody anything: not kept.
      if (!customer && !policy.AttachmentCount) continue;
      documents.set(arn, defaultVersion(policy));
      if (customer) customerPolicies.push(arn);
    }
    for (const role of page.RoleDetailList ?? []) {
      const arn = String(role.Arn);
      const policies = [...inline(arn, role.RolePolicyList), ...(role.AttachedManagedPolicies ?? []).map((entry) => String(entry.PolicyArn))];
      const boundary = role.PermissionsBoundary?.PermissionsBoundaryArn;
      principals.push({ arn, type: "role", name: String(role.RoleName), policies, ...(boundary ? { boundary } : {}), groups: [], tags: tagsOf(role.Tags) });
    }
    for (const group of page.GroupDetailList ?? []) {
      const arn = String(group.Arn);
      groups.set(String(group.GroupName), { arn, policies: [...inline(arn, group.GroupPolicyList), ...(group.AttachedManagedPolicies ?? []).map((entry) => String(entry.PolicyArn))] });
    }
    for (const user of page.UserDetailList ?? []) {
      const arn = String(user.Arn);
      const boundary = user.PermissionsBoundary?.PermissionsBoundaryArn;
      users.push({ arn, name: String(user.UserName), policies: [...inline(arn, user.UserPolicyList), ...(user.AttachedManagedPolicies ?? []).map((entry) => String(entry.PolicyArn))], ...(boundary ? { boundary } : {}), groups: (user.GroupList ?? []).map(String), tags: tagsOf(user.Tags) });
    }
  }
  // Groups may come on a later page than their users: resolve membership once every page is in.
  for (const user of users) {
    const memberOf = user.groups.map((name) => groups.get(name)).filter((group) => group !== undefined);
    principals.push({ ...user, type: "user", policies: [...user.policies, ...memberOf.flatMap((group) => group.policies)], groups: memberOf.map((group) => group.arn) });
  }
  return { principals, documents, customerPolicies, groups: new Map([...groups].map(([name, group]) => [name, group.arn])) };
}

/** The account's authorization details, made once per run for every collector that asks; each caller's trace gets the calls. */
export const sharedAuthorizationDetails = (ctx: CollectContext, trace: CallTrace): Promise<AuthorizationDetails> =>
  sharedRead(ctx, "iam:authorization-details", trace, (calls) => authorizationDetails(ctx, calls));
