// Every request the S3 store sends, captured against moto, is allowed by the task role policy `iam-policy` generates
// (the one deploy/cloudformation.yaml mirrors), judged by an IAM simulator the project did not write
// (@cloud-copilot/iam-simulate) with each request's s3:prefix: the role may list only snapshots/ and packages/, so
// a listing without a prefix, or HeadBucket/HeadObject (authorized as s3:ListBucket with no prefix), would be denied.
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { iamActionFor } from "../src/aws/iam-actions.js";
import { parseConfig } from "../src/config/load.js";
import { taskRolePolicy } from "../src/iam/policy.js";
import type { PolicyDocument } from "../src/iam/policy-model.js";
import { createS3Client, S3Store } from "../src/store/s3.js";
import { createEvidenceBucket, fixtureS3 } from "./fixtures/evidence-bucket.js";
import { useEmulatorEnv } from "./support/context.js";
import { useEmulator } from "./support/emulator.js";

const emulator = useEmulator();
const BUCKET = "acme-evidence";
const ACCOUNT = "123456789012";
const ROLE = `arn:aws:iam::${ACCOUNT}:role/soc2-evidence-task`;
const CONFIG = `version: 1
organization: Acme
scope: { accounts: [current], regions: [us-east-1] }
store: { bucket: ${BUCKET}, prefix: soc2, retainDays: 400 }
controls:
  - { id: CC6.1, title: Keys rotate, collectors: [{ use: kms-key-rotation }] }
`;
const policy = (): PolicyDocument => taskRolePolicy({ config: parseConfig("test.yaml", CONFIG, new Date("2026-08-15T00:00:00Z")).config });

interface Sent {
  operation: string;
  input: { Bucket?: string; Key?: string; Prefix?: string };
}

/** The IAM decision for one request: the action it needs, on the bucket or the object, with its s3:prefix. */
async function decide(document: PolicyDocument, sent: Sent): Promise<string> {
  const action = ["HeadBucket", "HeadObject"].includes(sent.operation) && !sent.input.Key ? "s3:ListBucket" : iamActionFor("s3", sent.operation);
  const resource = sent.input.Key && action !== "s3:ListBucket" ? `arn:aws:s3:::${BUCKET}/${sent.input.Key}` : `arn:aws:s3:::${BUCKET}`;
  const result = await runSimulation(
    {
      request: {
        principal: ROLE,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: sent.input.Prefix === undefined ? {} : { "s3:prefix": sent.input.Prefix },
      },
      identityPolicies: [{ name: "task-role", policy: document }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  return result.resultType === "single" ? result.overallResult : `error: ${JSON.stringify(result)}`;
}

let restoreEnv: () => void;
let store: S3Store;
let sent: Sent[];
beforeEach(() => {
  restoreEnv = useEmulatorEnv(emulator());
  store = new S3Store({ client: createS3Client("us-east-1"), bucket: BUCKET, prefix: "soc2/", region: "us-east-1", retainDays: 400 });
  sent = [];
  (store as unknown as { client: { middlewareStack: { add(...args: unknown[]): void } } }).client.middlewareStack.add(
    (next: (args: unknown) => unknown, context: { commandName: string }) => (args: { input: Sent["input"] }) => {
      sent.push({ operation: context.commandName.replace(/Command$/, ""), input: args.input });
      return next(args);
    },
    { step: "initialize", name: "captureRequests" },
  );
});
afterEach(() => {
  store.destroy();
  restoreEnv();
});

describe("the S3 store under the task role's listing condition", () => {
  it("sends only requests the task role allows, every listing with a prefix under snapshots/ or packages/", async () => {
    await createEvidenceBucket(fixtureS3(emulator()), BUCKET, { objectLock: true });
    await store.preflight();
    await store.put("snapshots/2026/08/15/run-1/snapshot.json", "{}", "application/json");
    expect(await store.exists("snapshots/2026/08/15/run-1/snapshot.json")).toBe(true);
    expect(await store.exists("snapshots/2026/08/15/run-1/part.json")).toBe(false);
    expect(await store.exists("packages/2026-Q3/latest.json")).toBe(false);
    await store.put("packages/2026-Q3/latest.json", "{}", "application/json");
    expect(await store.exists("packages/2026-Q3/latest.json")).toBe(true);
    const listed: string[] = [];
    for await (const key of store.list("snapshots/2026/08/")) listed.push(key);
    expect(listed).toEqual(["snapshots/2026/08/15/run-1/snapshot.json"]);
    expect((await store.get("packages/2026-Q3/latest.json")).toString()).toBe("{}");

    const operations = new Set(sent.map((request) => request.operation));
    expect(operations.has("ListObjectsV2")).toBe(true);
    expect(operations.has("HeadBucket")).toBe(false);
    expect(operations.has("HeadObject")).toBe(false);
    for (const request of sent.filter((entry) => entry.operation.startsWith("List")))
      expect(request.input.Prefix, JSON.stringify(request)).toMatch(/^soc2\/(snapshots|packages)\//);
    const document = policy();
    const denied: Sent[] = [];
    for (const request of sent) if ((await decide(document, request)) !== "Allowed") denied.push(request);
    expect(denied).toEqual([]);
  });

  it.each([
    ["a listing without a prefix", { operation: "ListObjectsV2", input: { Bucket: BUCKET } }, "ImplicitlyDenied"],
    ["a listing of the bucket root", { operation: "ListObjectsV2", input: { Bucket: BUCKET, Prefix: "soc2/" } }, "ImplicitlyDenied"],
    ["HeadBucket", { operation: "HeadBucket", input: { Bucket: BUCKET } }, "ImplicitlyDenied"],
    ["a listing of a snapshot day", { operation: "ListObjectsV2", input: { Bucket: BUCKET, Prefix: "soc2/snapshots/2026/08/" } }, "Allowed"],
    ["a read of a package file", { operation: "GetObject", input: { Bucket: BUCKET, Key: "soc2/packages/2026-Q3/latest.json" } }, "Allowed"],
    ["a read outside the evidence prefixes", { operation: "GetObject", input: { Bucket: BUCKET, Key: "soc2/other/x" } }, "ImplicitlyDenied"],
  ])("the task role's policy decides %s: %s", async (_name, request, decision) => {
    expect(await decide(policy(), request as Sent)).toBe(decision);
  });
});
