// Injected faults reach the SDK as the errors AWS would send; quotas throttle like AWS's token buckets.
import { AccessAnalyzerClient, ListAnalyzersCommand } from "@aws-sdk/client-accessanalyzer";
import { KMSClient, ListKeysCommand } from "@aws-sdk/client-kms";
import { ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { describe, expect, it } from "vitest";
import { DEFAULT_ACCOUNT, clientConfig, useEmulator } from "./emulator.js";
import { Faults, TokenBucket, type FaultRule } from "./proxy-faults.js";
import type { CallInfo } from "./proxy-identify.js";

const emulator = useEmulator();
const tool = (region = "us-east-1", maxAttempts = 1) => ({
  ...clientConfig(emulator(), region, DEFAULT_ACCOUNT, { fixture: false }),
  maxAttempts,
});

interface Outcome {
  name?: string;
  status?: number;
  requestId?: string;
  code?: string;
  attempts?: number;
}

async function outcome(send: () => Promise<{ $metadata: { attempts?: number } }>): Promise<Outcome> {
  try {
    const { $metadata } = await send();
    return { attempts: $metadata.attempts };
  } catch (caught) {
    const error = caught as Error & {
      $metadata?: { httpStatusCode?: number; requestId?: string };
      code?: string;
    };
    return {
      name: error.name,
      status: error.$metadata?.httpStatusCode,
      requestId: error.$metadata?.requestId,
      code: error.code,
    };
  }
}

const calls: Record<string, (maxAttempts?: number) => () => Promise<{ $metadata: { attempts?: number } }>> = {
  kms: (maxAttempts) => () => new KMSClient(tool("us-east-1", maxAttempts)).send(new ListKeysCommand({})),
  sts: (maxAttempts) => () =>
    new STSClient(tool("us-east-1", maxAttempts)).send(new GetCallerIdentityCommand({})),
  s3: (maxAttempts) => () => new S3Client(tool("us-east-1", maxAttempts)).send(new ListBucketsCommand({})),
  "access-analyzer": (maxAttempts) => () =>
    new AccessAnalyzerClient(tool("us-east-1", maxAttempts)).send(new ListAnalyzersCommand({})),
};

describe("injected faults", () => {
  it.each([
    ["kms", "deny", "AccessDeniedException", 400],
    ["sts", "deny", "AccessDenied", 403],
    ["s3", "deny", "AccessDenied", 403],
    ["access-analyzer", "deny", "AccessDeniedException", 403],
    ["kms", "throttle", "ThrottlingException", 400],
    ["sts", "throttle", "Throttling", 400],
    ["s3", "throttle", "SlowDown", 503],
    ["access-analyzer", "throttle", "ThrottlingException", 429],
    ["kms", "error500", "InternalFailure", 500],
    ["sts", "error500", "InternalFailure", 500],
    ["s3", "error500", "InternalError", 500],
    ["access-analyzer", "error500", "InternalServerException", 500],
  ] as const)("%s %s surfaces as %s (HTTP %i) with a request id", async (service, kind, name, status) => {
    emulator().proxy.inject({ service, kind });
    const result = await outcome(calls[service]!());
    expect(result).toMatchObject({ name, status });
    expect(result.requestId).toMatch(/\S{8,}/);
    expect(emulator().proxy.calls).toMatchObject([{ service, status, fault: kind }]);
  });

  it("drops the connection without an answer", async () => {
    emulator().proxy.inject({ service: "kms", kind: "drop" });
    const result = await outcome(calls.kms!());
    expect(result.code).toBe("ECONNRESET");
    expect(emulator().proxy.calls).toMatchObject([{ operation: "ListKeys", status: 0, fault: "drop" }]);
  });

  it("lets the SDK retry a throttled call, then succeed", async () => {
    emulator().proxy.inject({ service: "kms", operation: "ListKeys", kind: "throttle", times: 1 });
    const result = await outcome(calls.kms!(3));
    expect(result).toEqual({ attempts: 2 });
    expect(emulator().proxy.calls.map((call) => call.fault)).toEqual(["throttle", undefined]);
  });

  it("hits only the account, region and operation a rule names", async () => {
    const rule: FaultRule = { service: "kms", operation: "ListKeys", region: "us-west-2", kind: "deny" };
    emulator().proxy.inject({ ...rule, account: "111111111111" });
    emulator().proxy.inject(rule);
    const west = await outcome(() => new KMSClient(tool("us-west-2")).send(new ListKeysCommand({})));
    const east = await outcome(calls.kms!());
    expect(west.name).toBe("AccessDeniedException");
    expect(east.name).toBeUndefined();
  });

  it("hits about the share of calls a rate asks for", async () => {
    emulator().proxy.inject({ service: "kms", kind: "error500", rate: 0.5 });
    for (let index = 0; index < 40; index += 1) await outcome(calls.kms!());
    const failed = emulator().proxy.count("ListKeys", { fault: "error500" });
    // 40 draws at one half: outside 5..35 has a probability below 1e-6.
    expect(failed).toBeGreaterThanOrEqual(5);
    expect(failed).toBeLessThanOrEqual(35);
  });

  it("adds latency to matching calls", async () => {
    emulator().proxy.inject({ service: "kms", kind: "latency", ms: 300, jitterMs: 50 });
    const started = performance.now();
    const result = await outcome(calls.kms!());
    expect(result.name).toBeUndefined();
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
  });

  it("stops after clearFaults", async () => {
    emulator().proxy.inject({ kind: "deny" });
    emulator().proxy.clearFaults();
    expect((await outcome(calls.kms!())).name).toBeUndefined();
  });
});

describe("quotas", () => {
  it("throttles calls beyond the bucket, per account and region", async () => {
    emulator().proxy.quota({ service: "kms", operation: "ListKeys", perSecond: 1, burst: 2 });
    const results = await Promise.all(Array.from({ length: 10 }, () => outcome(calls.kms!())));
    const throttled = results.filter((result) => result.name === "ThrottlingException").length;
    // Ten calls sent at once: 2 from the burst, plus at most one a second of refill while they arrive.
    expect(throttled).toBeGreaterThanOrEqual(4);
    expect(throttled).toBeLessThanOrEqual(8);
    expect(emulator().proxy.count("ListKeys", { fault: "quota" })).toBe(throttled);
    const otherRegion = await outcome(() => new KMSClient(tool("eu-west-1")).send(new ListKeysCommand({})));
    expect(otherRegion.name).toBeUndefined();
  });

  it("shares one bucket between the operations listed together", async () => {
    emulator().proxy.quota({
      service: "sts",
      operation: ["GetCallerIdentity", "AssumeRole"],
      perSecond: 0.01,
    });
    expect((await outcome(calls.sts!())).name).toBeUndefined();
    expect((await outcome(calls.sts!())).name).toBe("Throttling");
  });
});

describe("TokenBucket", () => {
  it("allows a burst, then refills at the rate, never above the burst", () => {
    let now = 0;
    const bucket = new TokenBucket(2, 3, () => now);
    const takes = (count: number) => Array.from({ length: count }, () => bucket.take());
    expect(takes(4)).toEqual([true, true, true, false]);
    now = 500;
    expect(takes(2)).toEqual([true, false]);
    now = 60_000;
    expect(takes(4)).toEqual([true, true, true, false]);
  });
});

describe("hold", () => {
  const call = (operation: string) => ({ service: "kms", operation, region: "us-east-1", account: "123456789012" }) as CallInfo;
  const settled = async (promise: Promise<unknown>) => {
    let done = false;
    void promise.then(() => (done = true));
    // Two turns of the microtask queue: a promise that could settle has.
    await Promise.resolve();
    await Promise.resolve();
    return done;
  };

  it("keeps matching calls waiting until released, lets others through, and releases on clear", async () => {
    const faults = new Faults();
    const hold = faults.hold({ service: "kms", operation: "DescribeKey" });
    const held = faults.decide(call("DescribeKey"));
    await hold.arrived();
    expect(hold.waiting()).toBe(1);
    expect(await settled(held)).toBe(false);
    expect(await faults.decide(call("ListKeys"))).toBeUndefined();
    hold.release();
    expect(await held).toBeUndefined();
    expect(await faults.decide(call("DescribeKey"))).toBeUndefined();

    const again = faults.hold({ service: "kms" });
    const waiting = faults.decide(call("ListKeys"));
    await again.arrived();
    faults.clear();
    expect(await waiting).toBeUndefined();
  });
});
