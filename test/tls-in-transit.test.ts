import { probeTls } from "../src/aws/tls-probe.js";
import { GetBucketLocationCommand, GetBucketPolicyCommand, ListBucketsCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import tlsInTransit, { probeTargets } from "../collectors/tls-in-transit.js";
import { judgeBucket, judgeEndpoint, wildcardCoversPrefix, wildcardMatches, type BucketFacts } from "../collectors/tls-in-transit.judge.js";
import type { AwsClients } from "../src/aws/clients.js";
import type { CollectContext } from "../src/core/collector.js";
import { silentLogger } from "../src/cli/log.js";
import type { ItemDraft } from "../src/core/model.js";
import type { TlsProbeResult } from "../src/core/tls.js";
import { allowReadTo, bucketArn, denyInsecureTransport, denyTlsBelow, policyOf } from "./fixtures/buckets.js";

const B = "acme-data";
const ARN = bucketArn(B);
const facts = (policy: string | undefined, overrides: Partial<BucketFacts> = {}): BucketFacts => ({
  bucket: B,
  arn: ARN,
  region: "us-east-1",
  evidenceBucket: false,
  ...(policy === undefined ? {} : { policy }),
  ...overrides,
});
const tls12 = { minTlsVersion: "TLSv1.2" };
const tls13 = { minTlsVersion: "TLSv1.3" };

describe("bucket policies that deny non-TLS requests", () => {
  it.each([
    [
      "passes the documented aws:SecureTransport Deny",
      policyOf(denyInsecureTransport(B)),
      tls12,
      ["DenyInsecureTransport"],
      null,
    ],
    [
      "passes an s3:TlsVersion < 1.2 Deny",
      policyOf(denyTlsBelow(B, "1.2")),
      tls12,
      ["DenyTlsBelow12"],
      "1.2",
    ],
    [
      "passes a numeric (unquoted) s3:TlsVersion",
      policyOf(denyTlsBelow(B, 1.2)),
      tls12,
      ["DenyTlsBelow12"],
      "1.2",
    ],
    [
      "passes a TLS 1.3 floor when 1.3 is the minimum",
      policyOf(denyTlsBelow(B, "1.3")),
      tls13,
      ["DenyTlsBelow13"],
      "1.3",
    ],
    [
      "passes NumericLessThanEquals 1.1, which is a 1.2 floor",
      policyOf(
        denyInsecureTransport(B, {
          Sid: "Le",
          Condition: { NumericLessThanEquals: { "s3:TlsVersion": "1.1" } },
        }),
      ),
      tls12,
      ["Le"],
      "1.2",
    ],
    [
      'passes a single Statement object with Principal {"AWS": "*"} and Action "*"',
      JSON.stringify({ Statement: denyInsecureTransport(B, { Principal: { AWS: ["*"] }, Action: "*" }) }),
      tls12,
      ["DenyInsecureTransport"],
      null,
    ],
    [
      "passes BoolIfExists with a JSON boolean false",
      policyOf(denyInsecureTransport(B, { Condition: { BoolIfExists: { "aws:SecureTransport": false } } })),
      tls12,
      ["DenyInsecureTransport"],
      null,
    ],
    [
      "passes a wildcard Resource that reaches the bucket and every object",
      policyOf(denyInsecureTransport(B, { Action: ["s3:*"], Resource: `${ARN}*` })),
      tls12,
      ["DenyInsecureTransport"],
      null,
    ],
    [
      "passes bucket and objects denied by two statements, unnamed statements numbered",
      policyOf(
        allowReadTo(B, "arn:aws:iam::123456789012:root"),
        denyInsecureTransport(B, { Sid: undefined, Resource: ARN }),
        denyInsecureTransport(B, { Sid: "Objects", Resource: `${ARN}/*` }),
      ),
      tls12,
      ["statement #2", "Objects"],
      null,
    ],
  ])("%s", (_name, policy, params, statementIds, tlsVersionEnforced) => {
    const verdict = judgeBucket(facts(policy), params);
    expect(verdict.status).toBe("pass");
    expect(verdict.analysis.statementIds).toEqual(statementIds);
    expect(verdict.analysis.tlsVersionEnforced).toBe(tlsVersionEnforced);
    expect(verdict.analysis.gaps).toEqual([]);
  });

  it.each([
    ["fails a bucket with no policy", undefined, tls12, "no bucket policy"],
    ["fails a policy that is not JSON", "{ not json", tls12, "not valid JSON"],
    [
      "fails a policy without TLS statements",
      policyOf(allowReadTo(B, "*")),
      tls12,
      "covers the bucket itself",
    ],
    [
      "fails a Deny on objects only",
      policyOf(denyInsecureTransport(B, { Resource: `${ARN}/*` })),
      tls12,
      "covers the bucket itself",
    ],
    [
      "fails a Deny on the bucket only",
      policyOf(denyInsecureTransport(B, { Resource: [ARN] })),
      tls12,
      "covers its objects",
    ],
    [
      "fails a Deny on some actions",
      policyOf(denyInsecureTransport(B, { Action: ["s3:GetObject", "s3:PutObject"] })),
      tls12,
      "denies only s3:GetObject, s3:PutObject",
    ],
    [
      "fails an action wildcard short of s3:*",
      policyOf(denyInsecureTransport(B, { Action: "s3:Get*" })),
      tls12,
      "denies only s3:Get*",
    ],
    [
      "fails an Allow conditioned on aws:SecureTransport",
      policyOf(
        denyInsecureTransport(B, { Effect: "Allow", Condition: { Bool: { "aws:SecureTransport": "true" } } }),
      ),
      tls12,
      "only a Deny does",
    ],
    [
      "fails a Deny with NotPrincipal",
      policyOf(
        denyInsecureTransport(B, {
          Principal: undefined,
          NotPrincipal: { AWS: "arn:aws:iam::123456789012:root" },
        }),
      ),
      tls12,
      "NotPrincipal exempts",
    ],
    [
      "fails a Deny for one account only",
      policyOf(denyInsecureTransport(B, { Principal: { AWS: "arn:aws:iam::123456789012:root" } })),
      tls12,
      "narrower than",
    ],
    [
      "fails a Deny on aws:SecureTransport true",
      policyOf(denyInsecureTransport(B, { Condition: { Bool: { "aws:SecureTransport": "true" } } })),
      tls12,
      "does not match plain HTTP",
    ],
    [
      "fails a TLS floor below the minimum",
      policyOf(denyTlsBelow(B, "1.1")),
      tls12,
      "denies TLS below 1.1 only",
    ],
    [
      "fails aws:SecureTransport alone when TLS 1.3 is the minimum",
      policyOf(denyInsecureTransport(B)),
      tls13,
      "TLSv1.3 needs an s3:TlsVersion Deny",
    ],
    [
      "fails a Deny narrowed by another condition",
      policyOf(
        denyInsecureTransport(B, {
          Condition: { Bool: { "aws:SecureTransport": "false" }, StringEquals: { "aws:SourceVpc": "vpc-1" } },
        }),
      ),
      tls12,
      "also requires stringequals aws:sourcevpc",
    ],
    [
      "fails a Deny on objects under one prefix",
      policyOf(denyInsecureTransport(B, { Resource: [ARN, `${ARN}/logs/*`] })),
      tls12,
      `reaches only objects matching ${ARN}/logs/*`,
    ],
    [
      "fails a Deny that exempts an action with NotAction",
      policyOf(denyInsecureTransport(B, { Action: undefined, NotAction: "s3:GetObject" })),
      tls12,
      "NotAction exempts s3:GetObject",
    ],
    [
      "fails a Deny that exempts objects with NotResource",
      policyOf(denyInsecureTransport(B, { Resource: undefined, NotResource: `${ARN}/public/*` })),
      tls12,
      `NotResource exempts ${ARN}/public/*`,
    ],
    [
      "fails a policy written for another bucket",
      policyOf(denyInsecureTransport("acme-other")),
      tls12,
      "covers the bucket itself",
    ],
  ])("%s", (_name, policy, params, gap) => {
    const verdict = judgeBucket(facts(policy), params);
    expect(verdict.status).toBe("fail");
    expect(verdict.analysis.gaps.join(" | ")).toContain(gap);
  });

  it("keeps a NotAction Deny that exempts only another service", () => {
    const policy = policyOf(denyInsecureTransport(B, { Action: undefined, NotAction: ["iam:PassRole"] }));
    expect(judgeBucket(facts(policy), tls12).status).toBe("pass");
  });

  it.each([
    ["a passing evidence bucket", policyOf(denyInsecureTransport(B)), "pass"],
    ["a failing evidence bucket", undefined, "fail"],
  ])("names the evidence bucket in the reason of %s", (_name, policy, status) => {
    const verdict = judgeBucket(facts(policy, { evidenceBucket: true }), tls12);
    expect(verdict.status).toBe(status);
    expect(verdict.reason).toMatch(/^evidence bucket: /);
  });
});

describe("IAM wildcards", () => {
  it.each([
    ["arn:aws:s3:::b", "arn:aws:s3:::b", true],
    ["arn:aws:s3:::b*", "arn:aws:s3:::b", true],
    ["arn:aws:s3:::?", "arn:aws:s3:::b", true],
    ["arn:aws:s3:::b/*", "arn:aws:s3:::b", false],
    ["arn:aws:s3:::bb", "arn:aws:s3:::b", false],
  ])("%s matches %s: %s", (pattern, text, expected) => {
    expect(wildcardMatches(pattern, text)).toBe(expected);
  });

  it.each([
    ["arn:aws:s3:::b/*", "arn:aws:s3:::b/", true],
    ["*", "arn:aws:s3:::b/", true],
    ["arn:aws:s3:::*", "arn:aws:s3:::b/", true],
    ["arn:aws:s3:::b/**", "arn:aws:s3:::b/", true],
    ["arn:aws:s3:::b/*.csv", "arn:aws:s3:::b/", false],
    ["arn:aws:s3:::b/logs/*", "arn:aws:s3:::b/", false],
    ["arn:aws:s3:::b/?*", "arn:aws:s3:::b/", false],
    ["s3:get*", "s3:", false],
  ])("%s covers everything after %s: %s", (pattern, prefix, expected) => {
    expect(wildcardCoversPrefix(pattern, prefix)).toBe(expected);
  });
});

const probe = (overrides: Partial<TlsProbeResult> = {}): TlsProbeResult => ({
  host: "kms.us-east-1.amazonaws.com",
  port: 443,
  protocol: "TLSv1.3",
  cipher: "TLS_AES_128_GCM_SHA256",
  certificate: {
    subject: "CN=kms.us-east-1.amazonaws.com",
    issuer: "CN=Amazon RSA 2048 M02",
    validTo: "2027-01-01T00:00:00.000Z",
    fingerprint256: "AA",
  },
  authorized: true,
  authorizationError: null,
  handshakeError: null,
  downgradeMaxVersion: "TLSv1.1",
  downgradeRefused: true,
  downgradeProtocol: null,
  downgradeError: "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION",
  ...overrides,
});
const URL_KMS = "https://kms.us-east-1.amazonaws.com";

describe("endpoint handshakes", () => {
  it.each([
    [
      "passes TLS 1.3, a trusted certificate and a refused downgrade",
      { url: URL_KMS, probe: probe() },
      tls12,
      "pass",
    ],
    [
      "passes TLS 1.2 when 1.2 is the minimum",
      { url: URL_KMS, probe: probe({ protocol: "TLSv1.2" }) },
      tls12,
      "pass",
    ],
    [
      "fails TLS 1.2 when 1.3 is the minimum",
      { url: URL_KMS, probe: probe({ protocol: "TLSv1.2" }) },
      tls13,
      "fail",
    ],
    [
      "fails an untrusted certificate",
      { url: URL_KMS, probe: probe({ authorized: false, authorizationError: "SELF_SIGNED_CERT_IN_CHAIN" }) },
      tls12,
      "fail",
    ],
    [
      "fails an accepted downgrade",
      {
        url: URL_KMS,
        probe: probe({ downgradeRefused: false, downgradeProtocol: "TLSv1.1", downgradeError: null }),
      },
      tls12,
      "fail",
    ],
    [
      "fails an endpoint that refuses every modern handshake",
      {
        url: URL_KMS,
        probe: probe({
          protocol: null,
          cipher: null,
          certificate: null,
          authorized: false,
          handshakeError: "ECONNRESET",
        }),
      },
      tls12,
      "fail",
    ],
    [
      "is an error when the endpoint cannot be reached",
      { url: URL_KMS, errorCode: "ENOTFOUND" },
      tls12,
      "error",
    ],
    ["is not applicable on a plain HTTP emulator", { url: "http://127.0.0.1:4566" }, tls12, "not_applicable"],
  ])("%s", (_name, endpoint, params, status) => {
    expect(judgeEndpoint(endpoint, params).status).toBe(status);
  });

  it("names every failure it finds", () => {
    const verdict = judgeEndpoint(
      {
        url: URL_KMS,
        probe: probe({ authorized: false, authorizationError: "CERT_HAS_EXPIRED", downgradeRefused: false }),
      },
      tls12,
    );
    expect(verdict.reason).toContain("CERT_HAS_EXPIRED");
    expect(verdict.reason).toContain("TLSv1.1");
  });
});

const plainContext = (
  clients: Pick<AwsClients, "s3">,
  overrides: Partial<CollectContext> = {},
): CollectContext => ({
  account: "123456789012",
  region: "us-east-1",
  regions: ["us-east-1", "eu-west-1"],
  partition: "aws",
  clients: clients as AwsClients,
  now: () => new Date("2026-08-15T12:00:00.000Z"),
  log: silentLogger,
  probeTls,
  ...overrides,
});

async function collect(ctx: CollectContext, minTlsVersion = "TLSv1.2"): Promise<ItemDraft[]> {
  const items: ItemDraft[] = [];
  for await (const item of tlsInTransit.collect(ctx, { minTlsVersion })) items.push(item);
  return items;
}

const awsError = (name: string, status: number) =>
  new S3ServiceException({
    name,
    $fault: "client",
    message: name,
    $metadata: { httpStatusCode: status, requestId: `req-${name}` },
  });

describe("collecting bucket policies (SDK mocked)", () => {
  // The SDK is pointed at a plain-HTTP emulator endpoint, so the live probe records it as not applicable.
  const context = (clients: Pick<AwsClients, "s3">, overrides: Partial<CollectContext> = {}) =>
    plainContext(clients, { endpoint: "http://127.0.0.1:4566", ...overrides });

  it("pages ListBuckets, asks each bucket's region, and turns a denied read into an error item", async () => {
    const regional = new Map<string, S3Client>();
    const clientFor = (region: string) => {
      const client =
        regional.get(region) ??
        new S3Client({ region, credentials: { accessKeyId: "a", secretAccessKey: "b" } });
      regional.set(region, client);
      return client;
    };
    const home = mockClient(clientFor("us-east-1"));
    const ireland = mockClient(clientFor("eu-west-1"));
    const oregon = mockClient(clientFor("us-west-2"));
    home
      .on(ListBucketsCommand)
      .resolvesOnce({
        Buckets: [{ Name: "evidence", BucketRegion: "us-east-1" }],
        ContinuationToken: "page-2",
      })
      .resolvesOnce({ Buckets: [{ Name: "legacy" }, { Name: "locked", BucketRegion: "us-west-2" }] });
    home
      .on(GetBucketPolicyCommand, { Bucket: "evidence" })
      .resolves({ Policy: policyOf(denyInsecureTransport("evidence")) });
    home.on(GetBucketLocationCommand, { Bucket: "legacy" }).resolves({ LocationConstraint: "EU" });
    ireland.on(GetBucketPolicyCommand, { Bucket: "legacy" }).rejects(awsError("NoSuchBucketPolicy", 404));
    oregon.on(GetBucketPolicyCommand, { Bucket: "locked" }).rejects(awsError("AccessDenied", 403));

    const items = await collect(
      context({ s3: (_account, region) => clientFor(region) }, { evidenceBucket: "evidence" }),
    );
    const byName = Object.fromEntries(items.map((item) => [item.resource.name, item]));

    // The paginator reuses one input object, so only the last call's token can be read back.
    const listed = home.commandCalls(ListBucketsCommand).map((call) => call.args[0].input);
    expect(listed).toHaveLength(2);
    expect(listed.at(-1)).toEqual({ MaxBuckets: 10_000, ContinuationToken: "page-2" });
    expect(byName.evidence).toMatchObject({
      status: "pass",
      region: "us-east-1",
      observed: { evidenceBucket: true },
    });
    expect(byName.evidence?.reason).toMatch(/^evidence bucket: /);
    expect(byName.legacy).toMatchObject({
      status: "fail",
      region: "eu-west-1",
      observed: { hasPolicy: false },
    });
    expect(byName.legacy?.source.operations).toEqual(["ListBuckets", "GetBucketLocation", "GetBucketPolicy"]);
    expect(ireland.commandCalls(GetBucketPolicyCommand)).toHaveLength(1);
    expect(byName.locked).toMatchObject({ status: "error", observed: { errorCode: "AccessDenied" } });
    expect(byName.locked?.source.requestIds).toContain("req-AccessDenied");
    expect(byName["127.0.0.1:4566"]).toMatchObject({
      status: "not_applicable",
      resource: { type: "AWS::Endpoint" },
    });
    expect(items).toHaveLength(4);
  });
});

describe("endpoints to probe", () => {
  it("probes every service the tool calls in every scope region", () => {
    const targets = probeTargets(plainContext({ s3: () => new S3Client({}) }));
    expect(targets.map((target) => target.url.origin)).toContain(
      "https://access-analyzer.eu-west-1.amazonaws.com",
    );
    expect(targets).toHaveLength(12);
    expect(new Set(targets.map((target) => target.service))).toEqual(
      new Set(["kms", "secretsmanager", "cloudtrail", "access-analyzer", "s3", "sts"]),
    );
  });

  it("probes only AWS_ENDPOINT_URL when it is set", () => {
    const targets = probeTargets({ ...plainContext({ s3: () => new S3Client({}) }), endpoint: "https://localhost:8443" });
    expect(targets.map((target) => target.url.origin)).toEqual(["https://localhost:8443"]);
  });
});
