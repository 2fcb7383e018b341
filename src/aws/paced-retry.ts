// The SDK retry strategy the clients use: a throttled call is retried until it is answered, paced by its quota
// bucket (rate-limiter.ts); any other transient error is retried like the SDK's standard mode, up to maxAttempts.
//
// The standard strategy gives up after maxAttempts and once its 500-token retry quota is spent, which under sustained
// throttling (a tight account, a neighbour tool using the same quota) turns resources into `error` items. Throttling
// is not a failure of the resource: it says "later", so the only ends of a throttled call are an answer, a
// non-throttling error, SIGTERM, or the run deadline (RunDeadlineError, thrown by the pacing middleware in clients.ts).
import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from "@smithy/types";
import type { CallKey } from "./rate-limiter.js";

const BASE_DELAY_MS = 100;
const MAX_DELAY_MS = 20_000;
/** A throttled retry waits for its bucket; this short jitter only spreads calls the limiter does not meter (S3). */
const THROTTLE_JITTER_MS = 25;

class Token implements RetryToken {
  constructor(
    private readonly retries: number,
    private readonly delay: number,
    /** Retries for non-throttling errors: these, not throttled ones, count towards maxAttempts. */
    readonly failures: number,
  ) {}
  getRetryCount = () => this.retries;
  getRetryDelay = () => this.delay;
}

export class PacedRetry implements RetryStrategyV2 {
  readonly mode = "standard";

  constructor(
    private readonly maxAttempts: number,
    private readonly random: () => number = Math.random,
  ) {}

  acquireInitialRetryToken(): Promise<RetryToken> {
    return Promise.resolve(new Token(0, 0, 0));
  }

  refreshRetryTokenForRetry(token: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
    const previous = token as Token;
    const retries = previous.getRetryCount() + 1;
    if (info.errorType === "THROTTLING") {
      return Promise.resolve(new Token(retries, this.random() * THROTTLE_JITTER_MS, previous.failures));
    }
    const failures = previous.failures + 1;
    if ((info.errorType !== "TRANSIENT" && info.errorType !== "SERVER_ERROR") || failures >= this.maxAttempts) {
      return Promise.reject(info.error ?? new Error("not retryable"));
    }
    const delay = this.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** failures);
    return Promise.resolve(new Token(retries, delay, failures));
  }

  recordSuccess(): void {}
}

/** A call stopped because the run reached its deadline while the call was still being throttled or queued. */
export class RunDeadlineError extends Error {
  override name = "RunDeadlineExceeded";

  constructor(call: CallKey, throttles: number) {
    super(
      `${call.service}:${call.operation} was not sent again: the run reached its deadline` +
        (throttles > 0 ? ` (${throttles} throttled answers from this API in ${call.account} ${call.region})` : ""),
    );
  }
}
