// Ties each evidence item to the API calls that produced it: operations and AWS request ids.
import type { SourceRecord } from "./model.js";

interface WithMetadata {
  $metadata?: { requestId?: string; extendedRequestId?: string };
}

export class CallTrace {
  // Sets keep the order calls were first recorded in, and stay fast when one trace holds thousands of request ids.
  private readonly operations = new Set<string>();
  private readonly requestIds = new Set<string>();

  constructor(
    readonly service: string,
    private readonly now: () => Date,
  ) {}

  /** Notes one response (or a failed call's error, which carries metadata too). */
  record(operation: string | undefined, response: unknown): this {
    if (operation) this.operations.add(operation);
    const id = (response as WithMetadata | undefined)?.$metadata?.requestId;
    if (id) this.requestIds.add(id);
    return this;
  }

  /** An empty trace of the same service and clock. */
  blank(): CallTrace {
    return new CallTrace(this.service, this.now);
  }

  /** Adds another trace's operations and request ids (calls made once, for several collectors). */
  absorb(other: CallTrace): this {
    for (const operation of other.operations) this.operations.add(operation);
    for (const id of other.requestIds) this.requestIds.add(id);
    return this;
  }

  /** A copy that keeps the listing calls and adds per-resource calls of its own. */
  fork(): CallTrace {
    return new CallTrace(this.service, this.now).absorb(this);
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

/**
 * The AWS error code of a failed call (the SDK sets `name` to it); never the message. A call that never reached AWS
 * fails with the socket's own error, named plainly "Error" (or "AggregateError" when every address was tried): its
 * Node code (ECONNREFUSED, ENOTFOUND) is the one that says what happened.
 */
export function awsErrorCode(error: unknown): string {
  if (error && typeof error === "object") {
    const named = error as { name?: string; Code?: string; code?: string };
    if (typeof named.code === "string" && (named.name === undefined || GENERIC_NAMES.has(named.name))) return named.code;
    return named.Code ?? named.name ?? named.code ?? "Error";
  }
  return "Error";
}

const GENERIC_NAMES = new Set(["Error", "AggregateError"]);

/** Where a connection failed: the host that did not resolve, or the address and port that refused it. */
function endpointOf(error: unknown): string | undefined {
  const failed = error as { hostname?: string; address?: string; port?: number; errors?: unknown[] };
  if (typeof failed.hostname === "string") return failed.hostname;
  if (typeof failed.address === "string") return failed.port === undefined ? failed.address : `${failed.address}:${failed.port}`;
  return Array.isArray(failed.errors) ? endpointOf(failed.errors[0]) : undefined;
}

// The codes AWS answers a refused signature with, and the clock check that fails the same way: S3 and STS send
// SignatureDoesNotMatch (403), JSON services InvalidSignatureException and IncompleteSignature (400), and any of them
// RequestTimeTooSkewed / SignatureExpired when the clock is more than 5 minutes off. Sources:
// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList,
// https://docs.aws.amazon.com/kms/latest/APIReference/CommonErrors.html, https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html
const BAD_SIGNATURE = new Set([
  "SignatureDoesNotMatch",
  "InvalidSignatureException",
  "IncompleteSignature",
  "IncompleteSignatureException",
  "RequestTimeTooSkewed",
  "SignatureExpired",
]);

/**
 * What went wrong, with the fix, when a call failed before AWS could judge it: the endpoint could not be reached
 * (its network code, naming the endpoint), or the request signature was refused. Undefined for any other failure.
 */
export function callFailureHint(error: unknown): string | undefined {
  const code = awsErrorCode(error);
  if (BAD_SIGNATURE.has(code)) {
    return (
      `bad signature (${code}): AWS refused the request's signature; check the clock (it must be within 5 minutes ` +
      "of the real time: enable NTP) and the credentials (the secret access key must belong to the access key ID)"
    );
  }
  const reached = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode !== undefined;
  if (!reached && /^E[A-Z_]+$/.test(code) && code !== "Error") {
    const endpoint = endpointOf(error);
    return (
      `${code} connecting to ${endpoint ?? "the AWS endpoint"}: the endpoint cannot be reached; check AWS_ENDPOINT_URL ` +
      "(or the profile's endpoint_url), the region and the network"
    );
  }
  return undefined;
}

const DENIED = new Set(["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"]);

export const isAccessDenied = (error: unknown): boolean => DENIED.has(awsErrorCode(error));
