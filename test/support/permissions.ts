// Every call a collector actually sent (the call ledger) must be authorized by the permissions it declares, since
// `iam-policy` is built from those declarations: a miss here is an AccessDenied in production.
import { expect } from "vitest";
import { iamActionFor } from "../../src/aws/iam-actions.js";
import type { CallLedger } from "../../src/aws/ledger.js";
import type { CollectorInfo } from "../../src/core/collector.js";

/** Calls the runner makes on every collector's behalf (entering an account), not the collector itself. */
const RUNNER_CALLS = new Set(["sts:AssumeRole", "sts:GetCallerIdentity"]);

export function sentActions(ledger: CallLedger): string[] {
  return ledger
    .summary()
    .map((tally) => {
      const [service, operation] = tally.operation.split(":") as [string, string];
      return iamActionFor(service, operation);
    })
    .filter((action) => !RUNNER_CALLS.has(action));
}

export function expectDeclaredCalls(collector: CollectorInfo, ledger: CallLedger): void {
  const undeclared = sentActions(ledger).filter((action) => !collector.permissions.includes(action));
  expect(undeclared, `${collector.id} sent calls its permissions do not declare`).toEqual([]);
}
