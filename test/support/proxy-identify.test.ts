// Every request is named as AWS meters it: service, operation, account and region.
import { describe, expect, it } from "vitest";
import { SEED_USER_AGENT, accessAnalyzerOperation, identify, s3Operation } from "./proxy-identify.js";

const auth = (service: string, region = "us-east-1", key = "testing") =>
  `AWS4-HMAC-SHA256 Credential=${key}/20260101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`;

describe("s3Operation", () => {
  it.each([
    ["GET", "/", "", {}, "ListBuckets"],
    ["GET", "/b", "versioning", {}, "GetBucketVersioning"],
    ["GET", "/b", "policy", {}, "GetBucketPolicy"],
    ["PUT", "/b", "policy", {}, "PutBucketPolicy"],
    ["GET", "/b", "object-lock", {}, "GetObjectLockConfiguration"],
    ["GET", "/b", "encryption", {}, "GetBucketEncryption"],
    ["GET", "/b", "publicAccessBlock", {}, "GetPublicAccessBlock"],
    ["GET", "/b", "list-type=2&prefix=a", {}, "ListObjectsV2"],
    ["GET", "/b", "versions", {}, "ListObjectVersions"],
    ["PUT", "/b", "", {}, "CreateBucket"],
    ["HEAD", "/b", "", {}, "HeadBucket"],
    ["POST", "/b", "delete", {}, "DeleteObjects"],
    ["PUT", "/b/k/1.json", "", {}, "PutObject"],
    ["PUT", "/b/k", "x-id=PutObject", { "x-amz-copy-source": "/b/j" }, "CopyObject"],
    ["GET", "/b/k", "x-id=GetObject", {}, "GetObject"],
    ["HEAD", "/b/k", "", {}, "HeadObject"],
    ["DELETE", "/b/k", "", {}, "DeleteObject"],
    ["POST", "/b/k", "uploads", {}, "CreateMultipartUpload"],
    ["PUT", "/b/k", "partNumber=1&uploadId=u", {}, "UploadPart"],
    ["POST", "/b/k", "uploadId=u", {}, "CompleteMultipartUpload"],
    ["DELETE", "/b/k", "uploadId=u", {}, "AbortMultipartUpload"],
    ["GET", "/b/k", "retention", {}, "GetObjectRetention"],
  ])("%s %s?%s is %s", (method, path, query, headers, expected) => {
    expect(s3Operation(method, path, new URLSearchParams(query), headers)).toBe(expected);
  });
});

describe("accessAnalyzerOperation", () => {
  it.each([
    ["GET", "/analyzer", "ListAnalyzers"],
    ["GET", "/analyzer/external", "GetAnalyzer"],
    ["GET", "/analyzer/external/archive-rule", "ListArchiveRules"],
    ["POST", "/analyzer/findings/statistics", "GetFindingsStatistics"],
    ["POST", "/finding", "ListFindings"],
    ["POST", "/findingv2", "ListFindingsV2"],
    ["GET", "/findingv2/abc", "GetFindingV2"],
    ["PUT", "/analyzer", "PUT /analyzer"],
  ])("%s %s is %s", (method, path, expected) => {
    expect(accessAnalyzerOperation(method, path)).toBe(expected);
  });
});

describe("identify", () => {
  const accountOf = (key: string) => (key === "ASIAMEMBER" ? "111111111111" : "123456789012");

  it("reads awsJson's target, the credential scope and an assumed key's account", () => {
    const call = identify(
      {
        method: "POST",
        url: "/",
        headers: {
          authorization: auth("kms", "eu-west-1", "ASIAMEMBER"),
          "x-amz-target": "TrentService.ListKeys",
        },
      },
      Buffer.from("{}"),
      accountOf,
    );
    expect(call).toMatchObject({
      service: "kms",
      operation: "ListKeys",
      region: "eu-west-1",
      account: "111111111111",
      protocol: "awsJson",
      seed: false,
    });
  });

  it("reads the query protocol's Action from the body or the query string", () => {
    const headers = { authorization: auth("sts"), "user-agent": `aws-sdk-js ${SEED_USER_AGENT}` };
    const body = Buffer.from("Action=AssumeRole&Version=2011-06-15");
    expect(identify({ method: "POST", url: "/", headers }, body, accountOf)).toMatchObject({
      operation: "AssumeRole",
      protocol: "query",
      seed: true,
    });
    const fromQuery = identify(
      { method: "GET", url: "/?Action=GetCallerIdentity", headers },
      undefined,
      accountOf,
    );
    expect(fromQuery.operation).toBe("GetCallerIdentity");
  });

  it("gives a fixture key its account, and anything unsigned moto's default", () => {
    const headers = { authorization: auth("s3", "us-east-2", "testing-222222222222") };
    expect(identify({ method: "GET", url: "/", headers }, undefined, accountOf)).toMatchObject({
      service: "s3",
      operation: "ListBuckets",
      account: "222222222222",
      region: "us-east-2",
    });
    expect(identify({ method: "GET", url: "/moto-api/", headers: {} }, undefined, accountOf)).toMatchObject({
      internal: true,
      account: "123456789012",
    });
  });
});
