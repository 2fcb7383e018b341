// Ties each evidence item to the API calls that produced it: operations and AWS request ids.
import type { SourceRecord } from "./model.js";

interface WithMetadata {
  $metadata?: { requestId?: string; extendedRequestId?: string };
}

export class CallTrace {
  private readonly operations: string[] = [];
  private readonly requestIds: string[] = [];

  constructor(
    readonly service: string,
    private readonly now: () => Date,
  ) {}

  /** Notes one response (or a failed call's error, which carries metadata too). */
  record(operation: string | undefined, response: unknown): this {
    if (operation && !this.operations.includes(operation)) this.operations.push(operation);
    const id = (response as WithMetadata | undefined)?.$metadata?.requestId;
    if (id && !this.requestIds.includes(id)) this.requestIds.push(id);
    return this;
  }

  /** A copy that keeps the listing calls and adds per-resource calls of its own. */
  fork(): CallTrace {
    const copy = new CallTrace(this.service, this.now);
    copy.operations.push(...this.operations);
    copy.requestIds.push(...this.requestIds);
    return copy;
  }

  source(): SourceRecord {
    return {
      service: this.service,
      operations: [...this.operations],
      requestIds: [...this.requestIds],
      collectedAt: this.now().toISOString(),
    };
  }
}

/** The AWS error code of a failed call (the SDK sets `name` to it); never the message. */
export function awsErrorCode(error: unknown): string {
  if (error && typeof error === "object") {
    const named = error as { name?: string; Code?: string; code?: string };
    return named.Code ?? named.name ?? named.code ?? "Error";
  }
  return "Error";
}

const DENIED = new Set(["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"]);

export const isAccessDenied = (error: unknown): boolean => DENIED.has(awsErrorCode(error));
