// Pacing: each quota bucket starts at the published rate, backs off on throttling and recovers, and a throttled call
// is retried until it is answered. A fake clock stands in for time: nothing here sleeps or depends on the machine.
import { DescribeKeyCommand } from "@aws-sdk/client-kms";
import { HttpResponse } from "@smithy/core/protocols";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { AwsClients } from "../src/aws/clients.js";
import { AdaptiveBucket, AdaptiveLimiter, type Clock } from "../src/aws/rate-limiter.js";

/** Time moves only when someone waits: sleep(ms) advances the clock by ms and returns at once. */
class FakeClock implements Clock {
  t = 0;
  now = () => this.t;
  sleep = (ms: number) => {
    this.t += ms;
    return Promise.resolve();
  };
}

/** An AWS-like quota at the server: `perSecond` tokens a second, a bucket of `burst`. */
function serverQuota(clock: FakeClock, perSecond: number, burst: number) {
  let tokens = burst;
  let last = clock.now();
  return () => {
    tokens = Math.min(burst, tokens + ((clock.now() - last) / 1000) * perSecond);
    last = clock.now();
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

describe("an adaptive quota bucket", () => {
  it("reaches the published rate when nothing throttles it, after a first second's burst", async () => {
    const clock = new FakeClock();
    const bucket = new AdaptiveBucket(100, clock);
    for (let i = 0; i < 100; i += 1) await bucket.take();
    expect(clock.now(), "a full bucket holds one second of the rate").toBe(0);
    for (let i = 0; i < 2_000; i += 1) await bucket.take();
    const rate = 2_000 / (clock.now() / 1000);
    expect(rate).toBeGreaterThan(99);
    expect(rate).toBeLessThan(101);
    expect(bucket.rate()).toBe(100);
  });

  it("makes up a stall on our side from what the bucket holds, never more than one second of the rate", async () => {
    const clock = new FakeClock();
    const bucket = new AdaptiveBucket(50, clock);
    for (let i = 0; i < 100; i += 1) await bucket.take();
    const before = clock.now();
    // The caller could not ask for 1.3 s (a slow answer elsewhere held it); the server's bucket refilled meanwhile.
    clock.t += 1_300;
    const resumed = clock.now();
    for (let i = 0; i < 50; i += 1) await bucket.take();
    expect(clock.now(), "one second's 50 calls go at once").toBe(resumed);
    await bucket.take();
    expect(clock.now(), "the 51st waits for the next token").toBeGreaterThan(resumed);
    expect(before).toBeCloseTo(1_000, 0);
  });

  it("slows down on a throttling answer and recovers to the published rate", () => {
    const clock = new FakeClock();
    const bucket = new AdaptiveBucket(100, clock);
    bucket.feedback({ throttled: true });
    const slowed = bucket.rate();
    expect(slowed).toBeLessThan(80);
    clock.t += 50;
    bucket.feedback({ throttled: true });
    expect(bucket.rate(), "throttles of calls already in flight are one signal").toBeCloseTo(slowed, 0);
    clock.t += 1_000;
    bucket.feedback({ throttled: true });
    expect(bucket.rate()).toBeLessThan(slowed);
    for (let i = 0; i < 1_000; i += 1) bucket.feedback({ throttled: false });
    expect(bucket.rate(), "answered calls probe back up to the published rate").toBe(100);
  });

  it("waits out a Retry-After before the next call", async () => {
    const clock = new FakeClock();
    const bucket = new AdaptiveBucket(1_000, clock);
    await bucket.take();
    bucket.feedback({ throttled: true, retryAfterMs: 3_000 });
    await bucket.take();
    expect(clock.now()).toBeGreaterThanOrEqual(3_000);
  });

  it.each([
    ["a quota at a fifth of the published one", 100, 20],
    ["the published quota itself", 100, 100],
    ["LookupEvents at a fifth of 2/s", 2, 0.4],
  ])("finds %s and stays just under it", async (_name, published, real) => {
    const clock = new FakeClock();
    const bucket = new AdaptiveBucket(published, clock);
    const admit = serverQuota(clock, real, Math.max(1, real));
    let answered = 0;
    let throttled = 0;
    const seconds = 600;
    while (clock.now() < seconds * 1000) {
      await bucket.take();
      const ok = admit();
      bucket.feedback({ throttled: !ok });
      if (ok) answered += 1;
      else throttled += 1;
    }
    expect(answered / seconds).toBeGreaterThan(real * 0.85);
    expect(answered / seconds).toBeLessThanOrEqual(real * 1.01 + 1 / seconds);
    expect(throttled / (answered + throttled)).toBeLessThan(0.1);
  });
});

/** A KMS endpoint that throttles the first `throttles` attempts with HTTP 400 ThrottlingException, then answers. */
function throttlingKms(throttles: number, code = "ThrottlingException", status = 400) {
  let attempts = 0;
  const body = (json: unknown) => Readable.from([Buffer.from(JSON.stringify(json))]);
  return {
    get attempts() {
      return attempts;
    },
    handle: () => {
      attempts += 1;
      const headers = { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": `r${attempts}` };
      const response =
        attempts <= throttles
          ? new HttpResponse({ statusCode: status, headers, body: body({ __type: code, message: "Rate exceeded" }) })
          : new HttpResponse({ statusCode: 200, headers, body: body({ KeyMetadata: { KeyId: "k", Arn: "arn:aws:kms:us-east-1:123456789012:key/k" } }) });
      return Promise.resolve({ response });
    },
  };
}

function clientsWith(handler: ReturnType<typeof throttlingKms>, clock: FakeClock, deadline?: number) {
  return new AwsClients({
    callerAccount: "123456789012",
    partition: "aws",
    maxAttempts: 3,
    limiter: new AdaptiveLimiter(1, clock),
    requestHandler: handler,
    credentials: () => Promise.resolve({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "example" }),
    ...(deadline !== undefined ? { deadline } : {}),
  });
}

describe("a throttled call", () => {
  it.each([
    ["ThrottlingException", 400],
    ["TooManyRequestsException", 400],
    ["AnyCode", 429],
  ])("is retried until it succeeds, far past maxAttempts (%s, HTTP %i)", async (code, status) => {
    const clock = new FakeClock();
    const handler = throttlingKms(20, code, status);
    const clients = clientsWith(handler, clock);
    const answer = await clients.kms("123456789012", "us-east-1").send(new DescribeKeyCommand({ KeyId: "k" }));
    expect(answer.KeyMetadata?.KeyId).toBe("k");
    expect(handler.attempts).toBe(21);
    expect(clients.ledger.totals()).toEqual({ calls: 21, failures: 20, throttles: 20 });
    expect(clock.now(), "each retry waited for the slowed bucket").toBeGreaterThan(0);
    clients.destroy();
  });

  it("stops at the run deadline and says so", async () => {
    const clock = new FakeClock();
    const handler = throttlingKms(1_000);
    const clients = clientsWith(handler, clock, Date.now() - 1);
    const sent = clients.kms("123456789012", "us-east-1").send(new DescribeKeyCommand({ KeyId: "k" }));
    await expect(sent).rejects.toMatchObject({ name: "RunDeadlineExceeded" });
    expect(handler.attempts, "the first attempt is sent, the retry is not").toBe(1);
    clients.destroy();
  });

  it("is not retried forever when the error is not throttling", async () => {
    const clock = new FakeClock();
    const handler = throttlingKms(1_000, "AccessDeniedException");
    const clients = clientsWith(handler, clock);
    const sent = clients.kms("123456789012", "us-east-1").send(new DescribeKeyCommand({ KeyId: "k" }));
    await expect(sent).rejects.toMatchObject({ name: "AccessDeniedException" });
    expect(handler.attempts).toBe(1);
    clients.destroy();
  });
});
