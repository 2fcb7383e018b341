// Client-side pacing: one token bucket per account x region x quota bucket, at a share of the published quota.
import { quotaFor } from "./quotas.js";

export interface CallKey {
  service: string;
  operation: string;
  account: string;
  region: string;
}

export interface RateLimiter {
  take(call: CallKey): Promise<void>;
}

class TokenBucket {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
    this.last = Date.now();
  }

  /** Waits in FIFO order until a token is free. */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.wait());
    this.queue = turn;
    return turn;
  }

  private async wait(): Promise<void> {
    for (;;) {
      const now = Date.now();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000)));
    }
  }
}

/** Paces calls to `share` (0-1] of each operation's quota; operations sharing an AWS bucket share ours. */
export class QuotaLimiter implements RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly share = 0.5) {}

  take(call: CallKey): Promise<void> {
    const quota = quotaFor(call.service, call.operation);
    if (!quota) return Promise.resolve();
    const scope = quota.global ? "global" : `${call.account}|${call.region}`;
    const key = `${scope}|${call.service}|${quota.bucket}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      const rate = Math.max(0.1, quota.perSecond * this.share);
      bucket = new TokenBucket(rate, Math.max(1, Math.floor(rate)));
      this.buckets.set(key, bucket);
    }
    return bucket.take();
  }
}
