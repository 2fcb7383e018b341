// Building evidence items that are not verdicts on facts: failed calls become `error` items, never silence.
import { awsErrorCode, type CallTrace } from "./trace.js";
import type { ItemDraft, ResourceRef } from "./model.js";

/** An item for a resource whose facts could not be read; the AWS error code is the evidence. */
export function errorItem(
  resource: ResourceRef,
  error: unknown,
  trace: CallTrace,
  expected: Record<string, unknown> = {},
): ItemDraft {
  const code = awsErrorCode(error);
  trace.record(undefined, error);
  return {
    resource,
    status: "error",
    reason: `could not read ${resource.type} ${resource.name}: ${code}`,
    observed: { errorCode: code, httpStatus: httpStatusOf(error) },
    expected,
    source: trace.source(),
  };
}

function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/**
 * Resource types of the error items that stand for a whole population (a listing that stopped, an account not
 * entered) rather than one resource; a later complete listing supersedes them (src/package/history.ts).
 */
export const ENUMERATION_ERROR = { population: "Population", account: "AWS::Account" } as const;
