// Counts every attempt the tool sends, by service and operation, so a run can prove what it called.
import type { CallTally } from "../core/model.js";

export interface CallRecord {
  service: string;
  operation: string;
  account: string;
  region: string;
  /** "ok" or the AWS error name of a failed attempt (ThrottlingException, AccessDeniedException, ...). */
  outcome: string;
}


const THROTTLES = new Set([
  "Throttling",
  "ThrottlingException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "SlowDown",
  "LimitExceededException",
]);

export const isThrottle = (name: string): boolean => THROTTLES.has(name);

export class CallLedger {
  private readonly tallies = new Map<string, CallTally>();

  /** onRecord sees every attempt as it is counted (the terminal's live calls/s and throttling line). */
  constructor(private readonly onRecord?: (call: CallRecord) => void) {}

  record(call: CallRecord): void {
    this.onRecord?.(call);
    const key = `${call.service}:${call.operation}`;
    const tally = this.tallies.get(key) ?? { operation: key, calls: 0, failures: 0, throttles: 0 };
    tally.calls += 1;
    if (call.outcome !== "ok") tally.failures += 1;
    if (isThrottle(call.outcome)) tally.throttles += 1;
    this.tallies.set(key, tally);
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
