// Published AWS request quotas for every call the tool makes, per account and region unless `global`.
// Sources (see shared reference aws-quotas.md):
//   KMS: https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html
//   Secrets Manager: https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html
//   CloudTrail: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/WhatIsCloudTrail-Limits.html
//     (Get/Describe/List treated as one shared 10 TPS bucket; LookupEvents 2 TPS, not adjustable)
//   STS: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html (600 RPS shared)
//   Organizations: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
//   IAM Access Analyzer: no published TPS; 5 RPS is an assumption until measured.
//   Elastic Load Balancing v2: https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/elb-api-throttling.html
//     (Describe* share one bucket of 40 tokens; the refill rate is not published: 10/s assumed)
//   ECS: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html (token buckets per
//     category: task definition reads burst 50 / refill 20, service reads 100 / 20, cluster reads 50 / 20)
//   EventBridge: ListEventBuses, ListRules and ListTargetsByRule are not in the published quota table
//     (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html): 10/s assumed until measured.
//   S3: 3,500 writes and 5,500 reads per second per prefix.

export interface Quota {
  /** Requests per second AWS allows. */
  perSecond: number;
  /** Operations that share one AWS bucket carry the same name. */
  bucket: string;
  /** True when the quota is per account across regions (Organizations). */
  global?: boolean;
  source: string;
}

const kms = (perSecond: number, bucket: string): Quota => ({ perSecond, bucket, source: "KMS request quotas" });
const sm = (perSecond: number, bucket: string): Quota => ({ perSecond, bucket, source: "Secrets Manager quotas" });
const ct = (perSecond: number, bucket: string): Quota => ({ perSecond, bucket, source: "CloudTrail quotas" });
const elb: Quota = {
  perSecond: 10,
  bucket: "describe",
  source: "assumed: ELB publishes a 40-token Describe* bucket but no refill rate",
};
const ecs = (bucket: string): Quota => ({ perSecond: 20, bucket, source: "ECS request throttling (refill rate)" });
const events: Quota = { perSecond: 10, bucket: "read", source: "assumed: EventBridge publishes no rate for ListEventBuses/ListRules/ListTargetsByRule" };
const aa: Quota = { perSecond: 5, bucket: "all", source: "assumed: IAM Access Analyzer publishes no TPS" };

export const QUOTAS: Record<string, Record<string, Quota>> = {
  kms: {
    ListKeys: kms(500, "ListKeys"),
    ListAliases: kms(500, "ListAliases"),
    DescribeKey: kms(2000, "DescribeKey"),
    GetKeyRotationStatus: kms(1000, "GetKeyRotationStatus"),
    ListKeyRotations: kms(100, "ListKeyRotations"),
    GetKeyPolicy: kms(1000, "GetKeyPolicy"),
    GetPublicKey: kms(2000, "GetPublicKey"),
    Sign: kms(300, "asymmetric-crypto"),
    Verify: kms(300, "asymmetric-crypto"),
  },
  secretsmanager: {
    ListSecrets: sm(100, "ListSecrets"),
    DescribeSecret: sm(40000, "DescribeSecret"),
    GetResourcePolicy: sm(50, "ResourcePolicy"),
  },
  cloudtrail: {
    DescribeTrails: ct(10, "read"),
    GetTrailStatus: ct(10, "read"),
    GetEventSelectors: ct(10, "read"),
    ListTrails: ct(10, "read"),
    GetTrail: ct(10, "read"),
    LookupEvents: ct(2, "LookupEvents"),
  },
  "access-analyzer": {
    ListAnalyzers: aa,
    ListFindings: aa,
    ListFindingsV2: aa,
    GetFindingV2: aa,
    ListArchiveRules: aa,
    GetFindingsStatistics: aa,
  },
  elasticloadbalancing: {
    DescribeLoadBalancers: elb,
    DescribeListeners: elb,
    DescribeSSLPolicies: elb,
  },
  ecs: {
    ListClusters: ecs("cluster-read"),
    ListServices: ecs("service-read"),
    DescribeServices: ecs("service-read"),
    ListTaskDefinitionFamilies: ecs("task-definition-read"),
    DescribeTaskDefinition: ecs("task-definition-read"),
  },
  events: {
    ListEventBuses: events,
    ListRules: events,
    ListTargetsByRule: events,
  },
  sts: {
    GetCallerIdentity: { perSecond: 600, bucket: "all", source: "IAM and STS quotas" },
    AssumeRole: { perSecond: 600, bucket: "all", source: "IAM and STS quotas" },
  },
  organizations: {
    ListAccounts: { perSecond: 8, bucket: "ListAccounts", global: true, source: "Organizations quotas" },
    DescribeOrganization: { perSecond: 8, bucket: "Describe", global: true, source: "Organizations quotas" },
    ListParents: { perSecond: 5, bucket: "ListParents", global: true, source: "Organizations quotas (ListParents 5/8)" },
    // Not published (awsdocs/aws-organizations-docs#39 asked for them); kept at the ListParents rate.
    ListPoliciesForTarget: { perSecond: 5, bucket: "policies", global: true, source: "assumed: Organizations publishes no rate" },
    DescribePolicy: { perSecond: 5, bucket: "policies", global: true, source: "assumed: Organizations publishes no rate" },
  },
  iam: {
    // IAM publishes no per-API rate; throttling is seen in practice (aws-samples/bulk-policy-migrator-scripts-for-account-cost-billing-consoles#19).
    GetAccountAuthorizationDetails: { perSecond: 2, bucket: "GetAccountAuthorizationDetails", global: true, source: "assumed: IAM publishes no TPS" },
  },

};

export function quotaFor(service: string, operation: string): Quota | undefined {
  return QUOTAS[service]?.[operation];
}
