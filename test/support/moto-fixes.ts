// Rewrites where moto 5.2 answers differently from AWS (SPEC section 9) and a collector test depends on AWS's answer.
import { errorReply, jsonReply, toDate, type Reply } from "./aws-protocol.js";
import type { CallInfo } from "./proxy-identify.js";

/* eslint-disable @typescript-eslint/no-explicit-any -- fixes read and rewrite loosely typed moto JSON */
export interface FixContext {
  call: CallInfo;
  /** The call's JSON request body. */
  request: any;
  /** Asks moto with the caller's credentials (same service); never recorded or faulted. */
  ask(operation: string, body: unknown): Promise<{ status: number; body: any }>;
}

export interface MotoFix {
  /** Answers in moto's place (an error AWS gives and moto does not), or replaces the request moto sees. */
  before?(ctx: FixContext): Promise<Reply | { request: unknown } | undefined>;
  /** Rewrites moto's successful JSON answer. */
  after?(ctx: FixContext, response: any): any;
}

interface ServiceFixes {
  readonly fixes: Record<string, MotoFix>;
  reset(): void;
}

const DAY_MS = 86_400_000;
const epochSeconds = (date: Date) => date.getTime() / 1000;

/** KMS: rotation period and next date, keys AWS will not rotate, replicas and AWS managed keys in DescribeKey. */
class KmsFixes implements ServiceFixes {
  private readonly rotation = new Map<string, { periodDays: number; enabledAt: Date }>();
  private readonly awsManaged = new Set<string>();

  reset(): void {
    this.rotation.clear();
    this.awsManaged.clear();
  }

  readonly fixes: Record<string, MotoFix> = {
    EnableKeyRotation: {
      before: async ({ request, ask }) => {
        const period = request.RotationPeriodInDays;
        if (period !== undefined && (!Number.isInteger(period) || period < 90 || period > 2560)) {
          return errorReply(
            "awsJson",
            400,
            "ValidationException",
            `1 validation error detected: Value '${period}' at 'rotationPeriodInDays' failed to satisfy constraint: ` +
              "Member must have value between 90 and 2560",
          );
        }
        const described = await ask("DescribeKey", { KeyId: request.KeyId });
        if (described.status !== 200) return undefined;
        const key = described.body.KeyMetadata ?? {};
        const refusal = this.awsManaged.has(key.Arn) ? "an AWS managed key" : rotationRefusal(key);
        if (refusal) {
          return errorReply(
            "awsJson",
            400,
            "UnsupportedOperationException",
            `${key.Arn} is ${refusal}; automatic rotation is supported only on symmetric encryption KMS keys ` +
              "with AWS_KMS key material, set on the primary key.",
          );
        }
        if (key.KeyState === "Disabled")
          return errorReply("awsJson", 400, "DisabledException", `${key.Arn} is disabled.`);
        if (key.KeyState !== "Enabled") {
          return errorReply("awsJson", 400, "KMSInvalidStateException", `${key.Arn} is ${key.KeyState}.`);
        }
        return undefined;
      },
      after: ({ call, request }, response) => {
        const periodDays = request.RotationPeriodInDays ?? 365;
        this.rotation.set(keyArn(call, request.KeyId), { periodDays, enabledAt: new Date() });
        return response;
      },
    },
    DisableKeyRotation: {
      after: ({ call, request }, response) => {
        this.rotation.delete(keyArn(call, request.KeyId));
        return response;
      },
    },
    GetKeyRotationStatus: {
      after: ({ call, request }, response) => {
        const arn = keyArn(call, request.KeyId);
        const state = this.awsManaged.has(arn)
          ? { periodDays: 365, enabledAt: new Date() }
          : this.rotation.get(arn);
        if (!state || (!response.KeyRotationEnabled && !this.awsManaged.has(arn)))
          return { KeyId: arn, ...response };
        const next = new Date(state.enabledAt.getTime() + state.periodDays * DAY_MS);
        return {
          KeyId: arn,
          ...response,
          KeyRotationEnabled: true,
          RotationPeriodInDays: state.periodDays,
          NextRotationDate: epochSeconds(next),
        };
      },
    },
    DescribeKey: {
      after: ({ request }, response) => {
        const key = response.KeyMetadata;
        if (!key) return response;
        if (String(request.KeyId).startsWith("alias/aws/")) this.awsManaged.add(key.Arn);
        if (this.awsManaged.has(key.Arn)) key.KeyManager = "AWS";
        const config = key.MultiRegionConfiguration;
        // moto copies the primary's configuration object into the replica, so both report the last one described.
        if (config?.PrimaryKey?.Arn)
          config.MultiRegionKeyType = config.PrimaryKey.Arn === key.Arn ? "PRIMARY" : "REPLICA";
        return response;
      },
    },
  };
}

function rotationRefusal(key: any): string | undefined {
  if (key.KeySpec && key.KeySpec !== "SYMMETRIC_DEFAULT") return `a ${key.KeySpec} key`;
  if (key.Origin && key.Origin !== "AWS_KMS") return `a key with ${key.Origin} key material`;
  if (key.CustomKeyStoreId) return "a key in a custom key store";
  if (key.MultiRegionConfiguration?.MultiRegionKeyType === "REPLICA") return "a multi-Region replica key";
  return undefined;
}

const keyArn = (call: CallInfo, keyId: string): string =>
  String(keyId).startsWith("arn:") ? keyId : `arn:aws:kms:${call.region}:${call.account}:key/${keyId}`;

/** Secrets Manager: RotateSecret's schedule, duration and Lambda, which moto drops (and would try to invoke). */
class SecretsManagerFixes implements ServiceFixes {
  private readonly rotation = new Map<string, { rules: Record<string, unknown>; lambdaArn?: string }>();

  reset(): void {
    this.rotation.clear();
  }

  private readonly entry = (secret: any): any => {
    const state = this.rotation.get(secret.ARN);
    if (!state) {
      if (secret.RotationLambdaARN === "") delete secret.RotationLambdaARN;
      return secret;
    }
    const rules = { ...state.rules };
    const days = /^rate\((\d+) days?\)$/.exec(String(rules.ScheduleExpression ?? ""))?.[1];
    if (rules.AutomaticallyAfterDays === undefined && days) rules.AutomaticallyAfterDays = Number(days);
    const fixed = { ...secret, RotationEnabled: true, RotationRules: rules };
    if (state.lambdaArn) fixed.RotationLambdaARN = state.lambdaArn;
    else delete fixed.RotationLambdaARN;
    if (fixed.NextRotationDate == null && typeof rules.AutomaticallyAfterDays === "number") {
      const last = toDate(fixed.LastRotatedDate ?? fixed.CreatedDate ?? new Date());
      fixed.NextRotationDate = epochSeconds(new Date(last.getTime() + rules.AutomaticallyAfterDays * DAY_MS));
    }
    return fixed;
  };

  readonly fixes: Record<string, MotoFix> = {
    RotateSecret: {
      // moto invokes the rotation Lambda, which cannot run here; it rotates in place without one.
      before: async ({ request }) => {
        if (!request.RotationLambdaARN) return undefined;
        const { RotationLambdaARN: _, ...rest } = request;
        return { request: rest };
      },
      after: ({ request }, response) => {
        const previous = this.rotation.get(response.ARN);
        this.rotation.set(response.ARN, {
          rules: request.RotationRules ?? previous?.rules ?? {},
          lambdaArn: request.RotationLambdaARN ?? previous?.lambdaArn,
        });
        return response;
      },
    },
    CancelRotateSecret: {
      after: (_ctx, response) => {
        this.rotation.delete(response.ARN);
        return response;
      },
    },
    GetResourcePolicy: {
      // moto refuses a replica (OperationNotPermittedOnReplica); AWS replicates "tags and resource policies" with
      // the secret (https://docs.aws.amazon.com/secretsmanager/latest/userguide/replicate-secrets.html).
      // moto keeps no policy on a replica, so it is answered as a replica of a primary without one.
      before: async ({ request, ask }) => {
        const asked = await ask("GetResourcePolicy", request);
        if (asked.status === 200) return jsonReply(200, asked.body, "application/x-amz-json-1.1");
        // moto's OperationNotPermittedOnReplica answers as InvalidParameterException "... on a replica secret ...".
        if (!/on a replica secret/.test(String(asked.body?.message ?? asked.body?.Message ?? ""))) return undefined;
        const described = await ask("DescribeSecret", { SecretId: request.SecretId });
        if (described.status !== 200) return undefined;
        return jsonReply(200, { ARN: described.body.ARN, Name: described.body.Name }, "application/x-amz-json-1.1");
      },
    },
    DescribeSecret: { after: (_ctx, response) => this.entry(response) },
    ListSecrets: {
      after: (_ctx, response) => ({ ...response, SecretList: (response.SecretList ?? []).map(this.entry) }),
    },
  };
}

/** CloudTrail: AWS's default selectors for a trail nobody configured, and a true HasCustomEventSelectors. */
class CloudTrailFixes implements ServiceFixes {
  private readonly custom = new Set<string>();

  reset(): void {
    this.custom.clear();
  }

  private readonly trail = (trail: any): any =>
    trail && {
      ...trail,
      HomeRegion: trail.HomeRegion ?? String(trail.TrailARN ?? "").split(":")[3],
      HasCustomEventSelectors: this.custom.has(trail.TrailARN),
    };

  readonly fixes: Record<string, MotoFix> = {
    PutEventSelectors: {
      after: (_ctx, response) => {
        this.custom.add(response.TrailARN);
        return response;
      },
    },
    DeleteTrail: {
      after: ({ call, request }, response) => {
        const name = String(request.Name);
        this.custom.delete(
          name.startsWith("arn:") ? name : `arn:aws:cloudtrail:${call.region}:${call.account}:trail/${name}`,
        );
        return response;
      },
    },
    GetEventSelectors: {
      after: (_ctx, response) => {
        const classic = response.EventSelectors ?? [];
        const advanced = response.AdvancedEventSelectors ?? [];
        const { EventSelectors: _e, AdvancedEventSelectors: _a, ...rest } = response;
        if (advanced.length > 0) return { ...rest, AdvancedEventSelectors: advanced };
        if (classic.length > 0 || this.custom.has(response.TrailARN))
          return { ...rest, EventSelectors: classic };
        const all = {
          ReadWriteType: "All",
          IncludeManagementEvents: true,
          DataResources: [],
          ExcludeManagementEventSources: [],
        };
        return { ...rest, EventSelectors: [all] };
      },
    },
    DescribeTrails: {
      after: (_ctx, response) => ({ ...response, trailList: (response.trailList ?? []).map(this.trail) }),
    },
    GetTrail: { after: (_ctx, response) => ({ ...response, Trail: this.trail(response.Trail) }) },
  };
}

export class MotoFixes {
  private readonly services: Record<string, ServiceFixes> = {
    kms: new KmsFixes(),
    secretsmanager: new SecretsManagerFixes(),
    cloudtrail: new CloudTrailFixes(),
  };

  /** The fix for a call, if moto needs one for it. */
  for(call: CallInfo): MotoFix | undefined {
    return call.protocol === "awsJson" ? this.services[call.service]?.fixes[call.operation] : undefined;
  }

  reset(): void {
    for (const service of Object.values(this.services)) service.reset();
  }
}
