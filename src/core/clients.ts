// The AWS clients a collector is handed (ctx.clients): cached and configured by the application, never built here.
import type { AccessAnalyzerClient } from "@aws-sdk/client-accessanalyzer";
import type { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import type { ECSClient } from "@aws-sdk/client-ecs";
import type { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { IAMClient } from "@aws-sdk/client-iam";
import type { KMSClient } from "@aws-sdk/client-kms";
import type { OrganizationsClient } from "@aws-sdk/client-organizations";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

export interface Clients {
  kms(account: string, region: string): KMSClient;
  secretsManager(account: string, region: string): SecretsManagerClient;
  cloudTrail(account: string, region: string): CloudTrailClient;
  accessAnalyzer(account: string, region: string): AccessAnalyzerClient;
  s3(account: string, region: string): S3Client;
  elbv2(account: string, region: string): ElasticLoadBalancingV2Client;
  ecs(account: string, region: string): ECSClient;
  eventBridge(account: string, region: string): EventBridgeClient;
  /** IAM is global: region is where its endpoint is called (the first scope region). */
  iam(account: string, region: string): IAMClient;
  /** Organizations is global (us-east-1 endpoint); readable from the management account or a delegated admin. */
  organizations(account: string, region: string): OrganizationsClient;
  ecs(account: string, region: string): ECSClient;
}
