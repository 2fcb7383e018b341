// Client-side pacing: one adaptive token bucket per account x region x AWS quota bucket (AIMD).
//
// Why not the SDK's adaptive retry mode (@smithy/util-retry AdaptiveRetryStrategy + DefaultRateLimiter)?
// We read it and kept its ideas (a token bucket whose fill rate drops on throttling and recovers after), but:
//   - its limiter lives in one client and measures one rate for every operation of that client, while AWS keeps a
//     separate bucket per API (KMS ListKeyRotations at 100/s beside DescribeKey at 2,000/s): one throttled
//     ListKeyRotations would slow every KMS call of the account-region;
//   - it starts from no rate at all and learns upwards, where AWS publishes the rate we may start at;
//   - its retries are still capped by maxAttempts and the 500-token retry quota, so sustained throttling ends in a
//     ThrottlingException, i.e. an `error` item. Here a throttled call is retried until it is answered (PacedRetry in
//     clients.ts) and the wait is this bucket's pacing, not a blind exponential backoff.
// AWS's own guidance on adaptive mode (sdkref feature-retry-behavior) says the same: it is for one resource per client.
import { quotaFor } from "./quotas.js";

export interface CallKey {
  service: string;
  operation: string;
  account: string;
  region: string;
}

/** What became of one paced attempt. */
export interface Outcome {
  throttled: boolean;
  /** The server's Retry-After, in milliseconds, when it sent one. */
  retryAfterMs?: number;
}

export interface RateLimiter {
  /** Waits for the call's turn; the returned function reports the attempt's outcome. */
  take(call: CallKey): Promise<(outcome: Outcome) => void>;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Multiplicative decrease on a throttling answer (the SDK's adaptive mode uses 0.7 in CUBIC; ours is gentler). */
const BETA = 0.75;
/** Below the rate that last throttled, each answered call closes this share of the gap (back in ~10 calls). */
const APPROACH = 0.1;
/** At or above it, each answered call probes this much higher (relative), so a raised quota is found again. */
const PROBE = 0.005;
/** Throttles of attempts already in flight when the first came back are one signal, not many. */
const DECREASE_WINDOW_MS = 200;
/**
 * The bucket holds one second of its rate. Where AWS publishes a bucket's size it holds at least that much: EC2's
 * DescribeHosts 100 tokens refilled at 20/s (ec2/latest/devguide/ec2-api-throttling.html), ECS task definition reads
 * 50 at 20/s and Organizations ListAccounts 12 at 8/s (the ECS and Organizations pages src/aws/quotas.ts cites). A
 * server bucket that held less would throttle the first second's burst, and the decrease below handles that like any
 * other throttling. A smaller bucket here wasted the time our side stalled: moto answering one 5,000-role
 * GetAccountAuthorizationDetails held every GetResourcePolicy for 1.3 s, and a bucket of 0.05 s could not make any of
 * it up afterwards (call log of `npm run bench:access-review -- --keep`), though the server's bucket had refilled
 * meanwhile.
 */
const BURST_SECONDS = 1;
/** Never below this share of the published rate. */
const FLOOR_SHARE = 0.01;

/**
 * Additive-increase / multiplicative-decrease around the rate that last met throttling (`knownMax`, as CUBIC's
 * W_max): fast back to just under it, then slow probing above it up to the published ceiling. The increase counts
 * answered calls, not seconds, so a 0.4 call/s bucket probes as carefully as a 1,000 call/s one.
 */
export class AdaptiveBucket {
  private tokens: number;
  private last: number;
  private current: number;
  private knownMax: number;
  private lastDecrease = -Infinity;
  private pausedUntil = -Infinity;
  private queue: Promise<void> = Promise.resolve();
  throttles = 0;

  constructor(
    /** The published rate: where the bucket starts and never goes above. */
    readonly ceiling: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.current = ceiling;
    this.knownMax = ceiling;
    this.last = clock.now();
    this.tokens = this.capacity(ceiling);
  }

  /** The rate allowed now, in calls per second. */
  rate(): number {
    return this.current;
  }

  feedback(outcome: Outcome): void {
    const now = this.clock.now();
    this.refill(now);
    if (!outcome.throttled) {
      const next =
        this.current < this.knownMax * 0.95
          ? this.current + (this.knownMax - this.current) * APPROACH
          : this.current * (1 + PROBE);
      this.current = Math.min(this.ceiling, next);
      return;
    }
    this.throttles += 1;
    if (outcome.retryAfterMs && outcome.retryAfterMs > 0) {
      this.pausedUntil = Math.max(this.pausedUntil, now + outcome.retryAfterMs);
    }
    this.tokens = Math.min(this.tokens, 0);
    if (now - this.lastDecrease < DECREASE_WINDOW_MS) return;
    this.knownMax = this.current;
    this.current = Math.max(this.ceiling * FLOOR_SHARE, this.current * BETA);
    this.lastDecrease = now;
  }

  /** Waits in FIFO order until a token is free. */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.wait());
    this.queue = turn;
    return turn;
  }

  private capacity(rate: number): number {
    return Math.max(1, rate * BURST_SECONDS);
  }

  private refill(now: number): void {
    const rate = this.current;
    this.tokens = Math.min(this.capacity(rate), this.tokens + ((now - this.last) / 1000) * rate);
    this.last = now;
  }

  private async wait(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      if (now < this.pausedUntil) {
        await this.clock.sleep(this.pausedUntil - now);
        this.last = this.clock.now();
        continue;
      }
      this.refill(now);
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.clock.sleep(Math.max(1, ((1 - this.tokens) / this.current) * 1000));
    }
  }
}

/** Paces each AWS quota bucket at its published rate (x `share`), adapting to the account's real one. */
export class AdaptiveLimiter implements RateLimiter {
  private readonly buckets = new Map<string, AdaptiveBucket>();

  constructor(
    private readonly share = 1,
    private readonly clock: Clock = systemClock,
  ) {}

  bucketFor(call: CallKey): AdaptiveBucket | undefined {
    const quota = quotaFor(call.service, call.operation);
    if (!quota) return undefined;
    const scope = quota.global ? "global" : `${call.account}|${call.region}`;
    const key = `${scope}|${call.service}|${quota.bucket}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new AdaptiveBucket(quota.perSecond * this.share, this.clock);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  async take(call: CallKey): Promise<(outcome: Outcome) => void> {
    const bucket = this.bucketFor(call);
    if (!bucket) return () => undefined;
    await bucket.take();
    return (outcome) => bucket.feedback(outcome);
  }
}
