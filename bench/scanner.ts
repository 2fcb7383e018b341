// A plain scanner that makes exactly the minimum read calls of bench/lower-bound.ts (minimumCalls), the way
// thread-pool scanners work: `concurrency` calls in flight, no pacing, the SDK's standard retry (3 attempts).
// Two uses: the unpaced 16-way baseline (through the proxy, with its latency and quotas), and the emulator's floor
// (one call at a time straight to moto, the proxy-served APIs as fixture traffic without latency).
import { AccessAnalyzerClient, ListAnalyzersCommand, ListArchiveRulesCommand, ListFindingsCommand } from "@aws-sdk/client-accessanalyzer";
import { CloudTrailClient, DescribeTrailsCommand, GetEventSelectorsCommand, GetTrailStatusCommand, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { ECSClient, ListClustersCommand, ListTaskDefinitionFamiliesCommand } from "@aws-sdk/client-ecs";
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { EventBridgeClient, ListEventBusesCommand, ListRulesCommand } from "@aws-sdk/client-eventbridge";
import { GetAccountAuthorizationDetailsCommand, IAMClient } from "@aws-sdk/client-iam";
import { DescribeKeyCommand, GetKeyPolicyCommand, GetKeyRotationStatusCommand, KMSClient, ListAliasesCommand, ListKeyRotationsCommand, ListKeysCommand } from "@aws-sdk/client-kms";
import { DescribeOrganizationCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import { GetBucketLocationCommand, GetBucketPolicyCommand, ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { GetResourcePolicyCommand, ListSecretsCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { isThrottlingError } from "@smithy/core/retry";
import { clientConfig, type Emulator } from "../test/support/emulator.js";

/** Error answers that are the answer: a bucket without a policy, an account outside any organization. */
const ANSWERS = new Set(["NoSuchBucketPolicy", "AWSOrganizationsNotInUseException"]);
/** Served by the proxy, not moto: the floor sends these to the proxy as fixture traffic (no latency, no quota). */
const PROXY_SERVED = new Set(["access-analyzer", "cloudtrail:LookupEvents"]);

export interface ScanOptions {
  accounts: string[];
  regions: string[];
  concurrency: number;
  /** "baseline": through the proxy, recorded, with latency and quotas; "floor": straight to moto. */
  mode: "baseline" | "floor";
  /** The run's period start: GetSecretValue, RotateSecret and DeleteSecret are looked up from it (or 90 days back). */
  periodStart: Date;
  now: Date;
}

export interface ScanResult {
  wallS: number;
  calls: number;
  /** Calls that ended in an error after the SDK's retries: the items a scanner would lose. */
  errors: number;
  throttlingErrors: number;
}

interface Send {
  send(command: unknown): Promise<unknown>;
  destroy(): void;
}
type Client = new (config: Record<string, unknown>) => Send;

export async function scanMinimum(emulator: Emulator, options: ScanOptions): Promise<ScanResult> {
  const clients = new Map<string, Send>();
  let inFlight = 0;
  const waiting: (() => void)[] = [];
  const result = { calls: 0, errors: 0, throttlingErrors: 0 };
  const client = (Type: Client, service: string, account: string, region: string, operation = "") => {
    const viaProxy = options.mode === "baseline" || PROXY_SERVED.has(service) || PROXY_SERVED.has(`${service}:${operation}`);
    const key = `${service}|${account}|${region}|${viaProxy}`;
    let made = clients.get(key);
    if (!made) {
      const config = clientConfig(emulator, region, account, { fixture: options.mode === "floor" });
      made = new Type({ ...config, endpoint: viaProxy ? emulator.endpoint : emulator.moto.url, retryMode: "standard", maxAttempts: 3 });
      if (!viaProxy) {
        // moto acts in the account this header names (what the proxy adds for fixture keys).
        (made as unknown as { middlewareStack: { add: (m: unknown, o: unknown) => void } }).middlewareStack.add(
          (next: (args: { request: { headers: Record<string, string> } }) => Promise<unknown>) => (args: { request: { headers: Record<string, string> } }) => {
            args.request.headers["x-moto-account-id"] = account;
            return next(args);
          },
          { step: "build", name: "motoAccount" },
        );
      }
      clients.set(key, made);
    }
    return made;
  };
  /** One call: waits for a free worker, like a thread pool; an error after the SDK's retries is counted, not thrown. */
  const call = async <T>(Type: Client, service: string, account: string, region: string, command: { constructor: { name: string } }): Promise<T | undefined> => {
    if (inFlight >= options.concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    inFlight += 1;
    const operation = command.constructor.name.replace(/Command$/, "");
    try {
      result.calls += 1;
      return (await client(Type, service, account, region, operation).send(command)) as T;
    } catch (error) {
      if (!ANSWERS.has((error as Error).name)) {
        result.errors += 1;
        if (isThrottlingError(error as Parameters<typeof isThrottlingError>[0])) result.throttlingErrors += 1;
      }
      return undefined;
    } finally {
      inFlight -= 1;
      waiting.shift()?.();
    }
  };
  /** Page after page until no token: each page waits for the one before. */
  const paged = async <P>(fetch: (token: string | undefined) => Promise<P | undefined>, token: (page: P) => string | undefined) => {
    const all: P[] = [];
    let next: string | undefined;
    do {
      const page = await fetch(next);
      if (!page) break;
      all.push(page);
      next = token(page);
    } while (next);
    return all;
  };
  const started = performance.now();
  const home = options.regions[0] ?? "us-east-1";
  const cell = async (account: string, region: string) => {
    type Page = { NextToken?: string; nextToken?: string; NextMarker?: string; Marker?: string };
    const kms = <T>(command: { constructor: { name: string } }) => call<T>(KMSClient as unknown as Client, "kms", account, region, command);
    const sm = <T>(command: { constructor: { name: string } }) => call<T>(SecretsManagerClient as unknown as Client, "secretsmanager", account, region, command);
    const ct = <T>(command: { constructor: { name: string } }) => call<T>(CloudTrailClient as unknown as Client, "cloudtrail", account, region, command);
    const aa = <T>(command: { constructor: { name: string } }) => call<T>(AccessAnalyzerClient as unknown as Client, "access-analyzer", account, region, command);
    const lookup = (name: string, start: Date) =>
      paged<Page>((NextToken) => ct(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: name }], StartTime: start, EndTime: options.now, MaxResults: 50, NextToken })), (page) => page.NextToken);
    const history = new Date(options.now.getTime() - 90 * 86_400_000);
    const periodStart = new Date(Math.max(history.getTime(), options.periodStart.getTime()));
    const keyRotation = async () => {
      await paged<Page>((Marker) => kms(new ListAliasesCommand({ Limit: 100, Marker })), (page) => page.NextMarker);
      const keyPages = await paged<Page & { Keys?: { KeyId?: string }[] }>((Marker) => kms(new ListKeysCommand({ Limit: 1000, Marker })), (page) => page.NextMarker);
      await Promise.all(keyPages.flatMap((page) => page.Keys ?? []).map(async (key) => {
        const described = await kms<{ KeyMetadata?: { KeyManager?: string; KeySpec?: string } }>(new DescribeKeyCommand({ KeyId: key.KeyId }));
        const metadata = described?.KeyMetadata;
        if (metadata?.KeyManager !== "CUSTOMER" || metadata.KeySpec !== "SYMMETRIC_DEFAULT") return;
        await Promise.all([kms(new GetKeyRotationStatusCommand({ KeyId: key.KeyId })), kms(new ListKeyRotationsCommand({ KeyId: key.KeyId, Limit: 1000 }))]);
      }));
    };
    type SecretPage = Page & { SecretList?: { ARN?: string }[] };
    const listSecrets = () => paged<SecretPage>((NextToken) => sm(new ListSecretsCommand({ MaxResults: 100, NextToken })), (page) => page.NextToken);
    const secretsAccess = async () => {
      const secrets = (await listSecrets()).flatMap((page) => page.SecretList ?? []);
      await Promise.all(secrets.map((secret) => sm(new GetResourcePolicyCommand({ SecretId: secret.ARN }))));
      const key = await kms<{ KeyMetadata?: { Arn?: string } }>(new DescribeKeyCommand({ KeyId: "alias/aws/secretsmanager" }));
      await kms(new GetKeyPolicyCommand({ KeyId: key?.KeyMetadata?.Arn ?? "alias/aws/secretsmanager", PolicyName: "default" }));
    };
    const trails = async () => {
      const described = await ct<{ trailList?: { TrailARN?: string; HomeRegion?: string }[] }>(new DescribeTrailsCommand({ includeShadowTrails: true }));
      const own = (described?.trailList ?? []).filter((trail) => trail.HomeRegion === region);
      await Promise.all(own.map(async (trail) => {
        await ct(new GetTrailStatusCommand({ Name: trail.TrailARN }));
        await ct(new GetEventSelectorsCommand({ TrailName: trail.TrailARN }));
      }));
    };
    const analyzer = async () => {
      const listed = await aa<{ analyzers?: { arn?: string; name?: string }[] }>(new ListAnalyzersCommand({ maxResults: 100 }));
      await Promise.all((listed?.analyzers ?? []).map(async (one) => {
        await aa(new ListArchiveRulesCommand({ analyzerName: one.name, maxResults: 100 }));
        await paged<Page>((nextToken) => aa(new ListFindingsCommand({ analyzerArn: one.arn, maxResults: 100, nextToken })), (page) => page.nextToken);
      }));
    };
    await Promise.all([
      keyRotation(),
      // CloudTrail event history: one read per event name for every collector that reads it (lower-bound.ts)
      listSecrets().then(() => lookup("RotationSucceeded", history)), // secrets-rotation, and cloudtrail-data-events
      listSecrets(), // secrets-encryption (default key: no KMS call)
      listSecrets().then(() => lookup("DeleteSecret", periodStart)), // secrets-hygiene
      call(ECSClient as unknown as Client, "ecs", account, region, new ListClustersCommand({ maxResults: 100 })),
      call(EventBridgeClient as unknown as Client, "events", account, region, new ListRulesCommand({ Limit: 100 })),
      call(ECSClient as unknown as Client, "ecs", account, region, new ListTaskDefinitionFamiliesCommand({ status: "ACTIVE", maxResults: 100 })),
      call(ElasticLoadBalancingV2Client as unknown as Client, "elasticloadbalancing", account, region, new DescribeLoadBalancersCommand({ PageSize: 400 })),
      call(EventBridgeClient as unknown as Client, "events", account, region, new ListEventBusesCommand({ Limit: 100 })).then(() => call(EventBridgeClient as unknown as Client, "events", account, region, new ListRulesCommand({ Limit: 100 }))), // secrets-monitoring
      analyzer(),
      // cloudtrail-data-events: GetSecretValue (the access review's too) and RotateSecret
      trails().then(async () => {
        for (const name of ["GetSecretValue", "RotateSecret"]) await lookup(name, periodStart);
      }),
      // secrets-access-policy and secrets-access-review read the same facts once (lower-bound.ts), then the review's own
      secretsAccess().then(() => call(ECSClient as unknown as Client, "ecs", account, region, new ListTaskDefinitionFamiliesCommand({ status: "ACTIVE" }))),
    ]);
  };
  const account = async (id: string, index: number) => {
    if (index > 0) {
      const role = `arn:aws:iam::${id}:role/soc2-evidence-reader`;
      await call(STSClient as unknown as Client, "sts", options.accounts[0] as string, home, new AssumeRoleCommand({ RoleArn: role, RoleSessionName: "bench" }));
    }
    const s3 = <T>(command: { constructor: { name: string } }) => call<T>(S3Client as unknown as Client, "s3", id, home, command);
    const buckets = await s3<{ Buckets?: { Name?: string }[] }>(new ListBucketsCommand({}));
    await Promise.all((buckets?.Buckets ?? []).map(async (bucket) => {
      await s3(new GetBucketLocationCommand({ Bucket: bucket.Name }));
      await s3(new GetBucketPolicyCommand({ Bucket: bucket.Name }));
    }));
    // The IAM pages once for both access collectors; DescribeOrganization once each (lower-bound.ts).
    await paged<{ Marker?: string; IsTruncated?: boolean }>(
      (Marker) => call(IAMClient as unknown as Client, "iam", id, home, new GetAccountAuthorizationDetailsCommand({ MaxItems: 1000, Marker, Filter: ["Role", "User", "Group", "LocalManagedPolicy", "AWSManagedPolicy"] })),
      (page) => (page.IsTruncated ? page.Marker : undefined),
    );
    await Promise.all([0, 1].map(() => call(OrganizationsClient as unknown as Client, "organizations", id, "us-east-1", new DescribeOrganizationCommand({}))));
  };
  await call(STSClient as unknown as Client, "sts", options.accounts[0] as string, home, new GetCallerIdentityCommand({}));
  await Promise.all([
    ...options.accounts.map((id, index) => account(id, index)),
    ...options.accounts.flatMap((id) => options.regions.map((region) => cell(id, region))),
  ]);
  for (const made of clients.values()) made.destroy();
  return { wallS: (performance.now() - started) / 1000, ...result };
}
