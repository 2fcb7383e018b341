// Counts every attempt the tool sends, by service and operation, so a run can prove what it called.
import type { CallTally } from "../core/model.js";

export interface CallRecord {
  service: string;
  operation: string;
  account: string;
  region: string;
  /** "ok" or the AWS error name of a failed attempt (ThrottlingException, AccessDeniedException, ...). */
  outcome: string;
  /** Set by the client from the SDK's own classification (every protocol's codes, HTTP 429). */
  throttled?: boolean;
}


/** @smithy/core THROTTLING_ERROR_CODES, for outcomes recorded without the SDK's classification. */
const THROTTLES = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestThrottledException",
  "TooManyRequestsException",
  "ProvisionedThroughputExceededException",
  "TransactionInProgressException",
  "RequestLimitExceeded",
  "BandwidthLimitExceeded",
  "LimitExceededException",
  "RequestThrottled",
  "SlowDown",
  "PriorRequestNotComplete",
  "EC2ThrottledException",
]);

export const isThrottle = (name: string): boolean => THROTTLES.has(name);

export class CallLedger {
  private readonly tallies = new Map<string, CallTally>();
  private readonly throttlesByCell = new Map<string, number>();

  /** onRecord sees every attempt as it is counted (the terminal's live calls/s and throttling line). */
  constructor(private readonly onRecord?: (call: CallRecord) => void) {}

  record(call: CallRecord): void {
    this.onRecord?.(call);
    const key = `${call.service}:${call.operation}`;
    const tally = this.tallies.get(key) ?? { operation: key, calls: 0, failures: 0, throttles: 0 };
    tally.calls += 1;
    if (call.outcome !== "ok") tally.failures += 1;
    if (call.throttled ?? isThrottle(call.outcome)) {
      tally.throttles += 1;
      const cell = `${key}|${call.account}|${call.region}`;
      this.throttlesByCell.set(cell, (this.throttlesByCell.get(cell) ?? 0) + 1);
    }
    this.tallies.set(key, tally);
  }

  /** Throttled answers of one operation in one account-region so far. */
  throttlesOf(call: Omit<CallRecord, "outcome">): number {
    return this.throttlesByCell.get(`${call.service}:${call.operation}|${call.account}|${call.region}`) ?? 0;
  }

  summary(): CallTally[] {
    return [...this.tallies.values()].sort((a, b) => a.operation.localeCompare(b.operation));
  }

  totals(): { calls: number; failures: number; throttles: number } {
    let calls = 0;
    let failures = 0;
    let throttles = 0;
    for (const tally of this.tallies.values()) {
      calls += tally.calls;
      failures += tally.failures;
      throttles += tally.throttles;
    }
    return { calls, failures, throttles };
  }
}
