// Names each request the way AWS bills and throttles it: service, operation, account and region.
import type { IncomingHttpHeaders } from "node:http";
import type { Protocol } from "./aws-protocol.js";

/** moto's account for every access key it did not issue itself. */
export const DEFAULT_ACCOUNT = "123456789012";
/** Clients built by `clientConfig` add this to their user agent: fixture traffic is neither recorded nor faulted. */
export const SEED_USER_AGENT = "soc2-harness-seed";
/** Access keys of this form act in the account they name (the proxy tells moto with `x-moto-account-id`). */
export const accessKeyForAccount = (account: string): string =>
  account === DEFAULT_ACCOUNT ? "testing" : `testing-${account}`;
export const accountOfFixtureKey = (accessKeyId: string): string | undefined =>
  /^testing-(\d{12})$/.exec(accessKeyId)?.[1];

export interface CallInfo {
  service: string;
  operation: string;
  region: string;
  account: string;
  accessKeyId: string;
  protocol: Protocol;
  /** Fixture traffic (see SEED_USER_AGENT). */
  seed: boolean;
  /** moto's own API (`/moto-api/...`), not an AWS call. */
  internal: boolean;
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The request body, buffered for every service but S3 (whose bodies stream). */
  body?: Buffer;
}

export interface RequestHead {
  method?: string;
  url?: string;
  headers: IncomingHttpHeaders;
}

export function identify(
  req: RequestHead,
  body: Buffer | undefined,
  accountOf: (key: string) => string,
): CallInfo {
  const url = new URL(req.url ?? "/", "http://proxy.invalid");
  const method = (req.method ?? "GET").toUpperCase();
  const path = url.pathname;
  const headers = req.headers;
  const scope = credentialScope(headers, url.searchParams);
  const target = header(headers, "x-amz-target");
  const form =
    body && !target && scope.service !== "s3" ? new URLSearchParams(body.toString("utf8")) : undefined;
  const action = url.searchParams.get("Action") ?? form?.get("Action") ?? undefined;
  const protocol: Protocol =
    scope.service === "s3" ? "restXml" : target ? "awsJson" : action ? "query" : "restJson";
  const operation =
    protocol === "awsJson"
      ? (target ?? "").slice((target ?? "").lastIndexOf(".") + 1)
      : protocol === "query"
        ? (action ?? "Unknown")
        : protocol === "restXml"
          ? s3Operation(method, path, url.searchParams, headers)
          : scope.service === "access-analyzer"
            ? accessAnalyzerOperation(method, path)
            : `${method} ${path}`;
  return {
    service: scope.service,
    operation,
    region: scope.region,
    account: accountOfFixtureKey(scope.accessKeyId) ?? accountOf(scope.accessKeyId),
    accessKeyId: scope.accessKeyId,
    protocol,
    seed: (header(headers, "user-agent") ?? "").includes(SEED_USER_AGENT),
    internal: path.startsWith("/moto-api"),
    method,
    path,
    query: url.searchParams,
    headers,
    body,
  };
}

/** SigV4 credential scope: `Credential=AKID/20260101/us-east-1/kms/aws4_request` (header or presigned query). */
function credentialScope(headers: IncomingHttpHeaders, query: URLSearchParams) {
  const credential =
    /Credential=([^,\s]+)/.exec(header(headers, "authorization") ?? "")?.[1] ??
    query.get("X-Amz-Credential") ??
    "";
  const [accessKeyId = "", , region = "us-east-1", service = "unknown"] = credential.split("/");
  return { accessKeyId, region, service };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Bucket sub-resources (`?versioning`) and the noun their Get/Put/Delete operations share. */
const BUCKET_SUBRESOURCES: Record<string, string> = {
  versioning: "BucketVersioning",
  policy: "BucketPolicy",
  "object-lock": "ObjectLockConfiguration",
  encryption: "BucketEncryption",
  publicAccessBlock: "PublicAccessBlock",
  policyStatus: "BucketPolicyStatus",
  ownershipControls: "BucketOwnershipControls",
  location: "BucketLocation",
  tagging: "BucketTagging",
  acl: "BucketAcl",
  lifecycle: "BucketLifecycleConfiguration",
  logging: "BucketLogging",
  cors: "BucketCors",
  website: "BucketWebsite",
  notification: "BucketNotificationConfiguration",
  replication: "BucketReplication",
};
const OBJECT_SUBRESOURCES: Record<string, string> = {
  retention: "ObjectRetention",
  "legal-hold": "ObjectLegalHold",
  tagging: "ObjectTagging",
  acl: "ObjectAcl",
};
const VERB: Record<string, string> = { GET: "Get", PUT: "Put", DELETE: "Delete" };

/** S3 is REST: the SDK names some operations in `x-id`; the rest follow from method, path and sub-resource. */
export function s3Operation(
  method: string,
  path: string,
  query: URLSearchParams,
  headers: IncomingHttpHeaders,
) {
  const named = query.get("x-id");
  if (named) return named === "PutObject" && header(headers, "x-amz-copy-source") ? "CopyObject" : named;
  const [, bucket = "", ...key] = path.split("/");
  if (!bucket) return method === "GET" ? "ListBuckets" : `${method} /`;
  if (key.join("/") === "") {
    if (query.has("list-type")) return "ListObjectsV2";
    if (query.has("versions")) return "ListObjectVersions";
    if (query.has("uploads")) return "ListMultipartUploads";
    if (query.has("delete") && method === "POST") return "DeleteObjects";
    const noun = Object.keys(BUCKET_SUBRESOURCES).find((name) => query.has(name));
    if (noun && VERB[method]) return `${VERB[method]}${BUCKET_SUBRESOURCES[noun]}`;
    const plain: Record<string, string> = { GET: "ListObjects", PUT: "CreateBucket", DELETE: "DeleteBucket" };
    return method === "HEAD" ? "HeadBucket" : (plain[method] ?? `${method} bucket`);
  }
  if (query.has("uploads")) return "CreateMultipartUpload";
  if (query.has("uploadId")) {
    if (method === "PUT") return header(headers, "x-amz-copy-source") ? "UploadPartCopy" : "UploadPart";
    const upload: Record<string, string> = {
      POST: "CompleteMultipartUpload",
      DELETE: "AbortMultipartUpload",
      GET: "ListParts",
    };
    return upload[method] ?? `${method} upload`;
  }
  if (query.has("attributes")) return "GetObjectAttributes";
  const noun = Object.keys(OBJECT_SUBRESOURCES).find((name) => query.has(name));
  if (noun && VERB[method]) return `${VERB[method]}${OBJECT_SUBRESOURCES[noun]}`;
  if (method === "PUT") return header(headers, "x-amz-copy-source") ? "CopyObject" : "PutObject";
  const plain: Record<string, string> = { GET: "GetObject", HEAD: "HeadObject", DELETE: "DeleteObject" };
  return plain[method] ?? `${method} object`;
}

/** Access Analyzer routes, from the restJson1 bindings in @aws-sdk/client-accessanalyzer. */
const ACCESS_ANALYZER_ROUTES: Array<[string, RegExp, string]> = [
  ["GET", /^\/analyzer$/, "ListAnalyzers"],
  ["GET", /^\/analyzer\/[^/]+$/, "GetAnalyzer"],
  ["GET", /^\/analyzer\/[^/]+\/archive-rule$/, "ListArchiveRules"],
  ["GET", /^\/analyzer\/[^/]+\/archive-rule\/[^/]+$/, "GetArchiveRule"],
  ["POST", /^\/analyzer\/findings\/statistics$/, "GetFindingsStatistics"],
  ["POST", /^\/finding$/, "ListFindings"],
  ["GET", /^\/finding\/[^/]+$/, "GetFinding"],
  ["POST", /^\/findingv2$/, "ListFindingsV2"],
  ["GET", /^\/findingv2\/[^/]+$/, "GetFindingV2"],
];

export function accessAnalyzerOperation(method: string, path: string): string {
  const route = ACCESS_ANALYZER_ROUTES.find(([verb, pattern]) => verb === method && pattern.test(path));
  return route?.[2] ?? `${method} ${path}`;
}
