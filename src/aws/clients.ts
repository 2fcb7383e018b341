// One cached, configured SDK client per service x account x region; collectors never build their own.
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { Clients } from "../core/clients.js";
import { CallLedger } from "./ledger.js";
import type { RateLimiter } from "./rate-limiter.js";
import { PacedRetry, RunDeadlineError } from "./paced-retry.js";
import { sdk } from "../core/sdk.js";

const { AccessAnalyzerClient } = sdk("@aws-sdk/client-accessanalyzer");
const { CloudTrailClient } = sdk("@aws-sdk/client-cloudtrail");
const { ECSClient } = sdk("@aws-sdk/client-ecs");
const { ElasticLoadBalancingV2Client } = sdk("@aws-sdk/client-elastic-load-balancing-v2");
const { EventBridgeClient } = sdk("@aws-sdk/client-eventbridge");
const { IAMClient } = sdk("@aws-sdk/client-iam");
const { KMSClient } = sdk("@aws-sdk/client-kms");
const { OrganizationsClient } = sdk("@aws-sdk/client-organizations");
const { S3Client } = sdk("@aws-sdk/client-s3");
const { SecretsManagerClient } = sdk("@aws-sdk/client-secrets-manager");
const { STSClient } = sdk("@aws-sdk/client-sts");
const { fromNodeProviderChain, fromTemporaryCredentials } = sdk("@aws-sdk/credential-providers");
const { getRetryAfterHint, isThrottlingError } = sdk("@smithy/core/retry");
const { NodeHttpHandler } = sdk("@smithy/node-http-handler");

export interface ClientOptions {
  /** The account whose default credentials run the tool (from STS GetCallerIdentity). */
  callerAccount: string;
  partition: string;
  /** Role name assumed in every account other than the caller's. */
  assumeRole?: string;
  /** Sockets per client; at least the concurrency that shares a client. */
  maxSockets?: number;
  /** Attempts for a non-throttling transient error; a throttled call is retried until answered. */
  maxAttempts?: number;
  limiter?: RateLimiter;
  /** Epoch ms after which no call is retried again: the item then says the deadline stopped it. */
  deadline?: number;
  /** Tests only: answers requests without a network. */
  requestHandler?: RequestHandler;
  ledger?: CallLedger;
  /** Once aborted (SIGTERM), no further call is sent and a call in flight is given up on: the run stops at once. */
  signal?: AbortSignal;
  credentials?: AwsCredentialIdentityProvider;
}

/** Shares one AssumeRole result between every client of an account, refreshed five minutes before it expires. */
function memoized(provider: AwsCredentialIdentityProvider): AwsCredentialIdentityProvider {
  let pending: ReturnType<AwsCredentialIdentityProvider> | undefined;
  return async () => {
    const current = pending ? await pending.catch(() => undefined) : undefined;
    const fresh = current && (!current.expiration || current.expiration.getTime() - Date.now() > 300_000);
    if (!fresh) pending = provider();
    return pending as ReturnType<AwsCredentialIdentityProvider>;
  };
}

/** An SDK request handler: NodeHttpHandler, or a test's stand-in. */
interface RequestHandler {
  handle(...args: never[]): Promise<unknown>;
  destroy?(): void;
}

type Constructor<C> = new (config: Record<string, unknown>) => C;

interface Sendable {
  destroy(): void;
  middlewareStack: { add: (...args: never[]) => void };
}

export const emulatorEndpoint = (): string | undefined => process.env.AWS_ENDPOINT_URL || undefined;

/** The region the SDK's own environment names, for calls made before a config is read (STS, a config in S3). */
export const defaultRegion = (env: NodeJS.ProcessEnv = process.env): string =>
  env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";

export class AwsClients implements Clients {
  readonly ledger: CallLedger;
  private readonly cache = new Map<string, Sendable>();
  private readonly credentialsByAccount = new Map<string, AwsCredentialIdentityProvider>();
  private readonly baseCredentials: AwsCredentialIdentityProvider;
  private readonly requestHandler: RequestHandler;
  private readonly inFlight: InFlightCalls | undefined;

  constructor(private readonly options: ClientOptions) {
    this.ledger = options.ledger ?? new CallLedger();
    this.inFlight = options.signal ? new InFlightCalls(options.signal) : undefined;
    this.baseCredentials = options.credentials ?? fromNodeProviderChain();
    // Node pools sockets per host: this is per AWS endpoint (all of them for one emulator).
    const maxSockets = options.maxSockets ?? 128;
    this.requestHandler = options.requestHandler ?? new NodeHttpHandler({
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets }),
      connectionTimeout: 5_000,
      requestTimeout: 30_000,
    });
  }

  kms = (account: string, region: string) => this.client(KMSClient, "kms", account, region);
  secretsManager = (account: string, region: string) =>
    this.client(SecretsManagerClient, "secretsmanager", account, region);
  cloudTrail = (account: string, region: string) => this.client(CloudTrailClient, "cloudtrail", account, region);
  accessAnalyzer = (account: string, region: string) =>
    this.client(AccessAnalyzerClient, "access-analyzer", account, region);
  s3 = (account: string, region: string) => this.client(S3Client, "s3", account, region);
  elbv2 = (account: string, region: string) =>
    this.client(ElasticLoadBalancingV2Client, "elasticloadbalancing", account, region);
  ecs = (account: string, region: string) => this.client(ECSClient, "ecs", account, region);
  eventBridge = (account: string, region: string) => this.client(EventBridgeClient, "events", account, region);
  sts = (account: string, region: string) => this.client(STSClient, "sts", account, region);
  organizations = (account: string, region: string) =>
    this.client(OrganizationsClient, "organizations", account, region);
  iam = (account: string, region: string) => this.client(IAMClient, "iam", account, region);

  /** Credentials for an account: the caller's own chain, or the scope role assumed from it. */
  credentialsFor(account: string): AwsCredentialIdentityProvider {
    if (account === this.options.callerAccount || !this.options.assumeRole) return this.baseCredentials;
    let provider = this.credentialsByAccount.get(account);
    if (!provider) {
      const ledger = this.ledger;
      const region = defaultRegion();
      const assume = fromTemporaryCredentials({
        params: {
          RoleArn: `arn:${this.options.partition}:iam::${account}:role/${this.options.assumeRole}`,
          RoleSessionName: "soc2-evidence",
          DurationSeconds: 3600,
        },
        masterCredentials: this.baseCredentials,
        clientConfig: { region },
      });
      // AssumeRole runs inside the credential provider, outside the instrumented clients: count it here.
      provider = memoized(async () => {
        const call = { service: "sts", operation: "AssumeRole", account: this.options.callerAccount, region };
        try {
          const credentials = await assume();
          ledger.record({ ...call, outcome: "ok" });
          return credentials;
        } catch (error) {
          ledger.record({ ...call, outcome: (error as Error).name ?? "Error" });
          throw error;
        }
      });
      this.credentialsByAccount.set(account, provider);
    }
    return provider;
  }

  destroy(): void {
    for (const client of this.cache.values()) client.destroy();
    this.cache.clear();
    this.requestHandler.destroy?.();
    this.inFlight?.dispose();
  }

  private client<C extends Sendable>(Client: Constructor<C>, service: string, account: string, region: string): C {
    const key = `${service}|${account}|${region}`;
    const cached = this.cache.get(key);
    if (cached) return cached as C;
    const s3Extras =
      service === "s3"
        ? {
            forcePathStyle: Boolean(emulatorEndpoint()),
            requestChecksumCalculation: "WHEN_REQUIRED",
            responseChecksumValidation: "WHEN_REQUIRED",
          }
        : {};
    const client = new Client({
      region,
      credentials: this.credentialsFor(account),
      retryStrategy: new PacedRetry(this.options.maxAttempts ?? 6),
      requestHandler: this.requestHandler,
      // Not `cacheMiddleware: true`, though it saves about 0.08 ms of CPU per call: a cached handler keeps one
      // context object for every call of a command class, and the endpoint middleware writes each call's endpoint
      // into it (context.endpointV2) before an await. Concurrent calls for two buckets would then rely on the SDK
      // reading it back before any other call's write: evidence about the wrong resource is not worth 0.08 ms.
      ...s3Extras,
    });
    this.instrument(client, service, account, region);
    this.cache.set(key, client);
    return client;
  }

  /**
   * Runs inside the SDK's retry loop, so every attempt (first or retry) waits for its quota bucket, tells the bucket
   * whether it was throttled (any protocol's code, HTTP 429, Retry-After honoured), and is counted, so evidence records
   * calls, retries and throttles. A SIGTERM or the run deadline stops a call here, before it is sent again.
   */
  private instrument(client: Sendable, service: string, account: string, region: string): void {
    const { limiter, signal, deadline } = this.options;
    const ledger = this.ledger;
    const inFlight = this.inFlight;
    const add = client.middlewareStack.add as unknown as (
      middleware: unknown,
      options: { step: string; name: string; priority?: string },
    ) => void;
    add(
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
        const operation = (context.commandName ?? "Unknown").replace(/Command$/, "");
        const call = { service, operation, account, region };
        signal?.throwIfAborted();
        // The retry middleware numbers each attempt in this header ("attempt=2; max=6").
        const header = (args as { request?: { headers?: Record<string, string> } }).request?.headers?.["amz-sdk-request"];
        const retry = !/^attempt=1;/.test(header ?? "attempt=1;");
        // The deadline stops retries only: a first attempt is always sent, so a call is never lost unthrottled.
        if (retry && deadline !== undefined && Date.now() >= deadline) throw new RunDeadlineError(call, ledger.throttlesOf(call));
        const report = limiter ? await limiter.take(call) : undefined;
        signal?.throwIfAborted();
        try {
          const result = await (inFlight ? inFlight.unlessAborted(next(args)) : next(args));
          report?.({ throttled: false });
          ledger.record({ ...call, outcome: "ok" });
          return result;
        } catch (error) {
          const throttled = isThrottlingError(error as Parameters<typeof isThrottlingError>[0]);
          const hint = throttled ? getRetryAfterHint((error as { $response?: unknown }).$response) : undefined;
          const retryAfterMs = hint ? Math.max(0, hint.getTime() - Date.now()) : undefined;
          report?.({ throttled, ...(retryAfterMs ? { retryAfterMs } : {}) });
          ledger.record({ ...call, outcome: (error as Error).name ?? "Error", throttled });
          throw error;
        }
      },
      { step: "finalizeRequest", name: "soc2EvidenceQuota", priority: "low" },
    );
  }
}

/**
 * Calls in flight that a SIGTERM gives up on: their answers are no longer waited for (a hung connection would otherwise
 * hold the run past its grace period); destroying the clients when the run unwinds closes their sockets. One listener
 * on the signal serves every call: a listener per call in flight made Node warn of a leak ("11 abort listeners added
 * to [AbortSignal]") in every run's log once 11 calls were out at once, which a run does within its first second.
 */
export class InFlightCalls {
  private readonly pending = new Set<(reason: Error) => void>();
  private readonly giveUp = () => {
    for (const reject of this.pending) reject(this.signal.reason as Error);
    this.pending.clear();
  };

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener("abort", this.giveUp, { once: true });
  }

  /** Leaves the signal, which may outlive the clients. */
  dispose(): void {
    this.signal.removeEventListener("abort", this.giveUp);
  }

  /** The call's answer, or the stop's reason as soon as the run is stopped. */
  unlessAborted<T>(call: Promise<T>): Promise<T> {
    if (this.signal.aborted) return Promise.reject(this.signal.reason as Error);
    return new Promise<T>((resolve, reject) => {
      this.pending.add(reject);
      call.then(resolve, reject).finally(() => this.pending.delete(reject));
    });
  }
}
