// The access review against moto: IAM, Secrets Manager and KMS are moto's; CloudTrail LookupEvents is not
// implemented by moto 5.2.1 (HTTP 500), so the GetSecretValue events are seeded into the proxy's LookupEvents
// service, as the other CloudTrail tests do (test/support/served-lookup-events.ts).
import { AddUserToGroupCommand, AttachRolePolicyCommand, CreateGroupCommand, CreatePolicyCommand, CreateRoleCommand, CreateUserCommand, IAMClient, PutGroupPolicyCommand } from "@aws-sdk/client-iam";
import { CreateOrganizationCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import { CreateSecretCommand, GetResourcePolicyCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { describe, expect, it } from "vitest";
import secretsAccessPolicy from "../collectors/secrets-access-policy.js";
import secretsAccessReview from "../collectors/secrets-access-review.js";
import { SharedReads } from "../src/core/shared-reads.js";
import type { ItemDraft } from "../src/core/model.js";
import type { ReviewRow } from "../src/core/access-review.js";
import { clientConfig, DEFAULT_ACCOUNT, useEmulator } from "./support/emulator.js";
import { collectAll, testContext } from "./support/context.js";
import { ECS_TASK_TRUST as TRUST, readProdPolicy, secretRead } from "./fixtures/secret-reads.js";

const emulator = useEmulator();
const REGION = "us-east-1";
const A = DEFAULT_ACCOUNT;
const READ_PROD = readProdPolicy(REGION, A);

async function seedEstate(): Promise<string> {
  const iam = new IAMClient(clientConfig(emulator(), REGION));
  const policy = await iam.send(new CreatePolicyCommand({ PolicyName: "read-prod", PolicyDocument: READ_PROD }));
  const s3Only = await iam.send(new CreatePolicyCommand({ PolicyName: "s3-only", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] }) }));
  for (const [name, arn] of [["idle", policy.Policy?.Arn], ["api", policy.Policy?.Arn], ["unrelated", s3Only.Policy?.Arn]] as const) {
    await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: arn }));
  }
  await iam.send(new CreateGroupCommand({ GroupName: "readers" }));
  await iam.send(new PutGroupPolicyCommand({ GroupName: "readers", PolicyName: "read", PolicyDocument: READ_PROD }));
  await iam.send(new CreateUserCommand({ UserName: "alice" }));
  await iam.send(new AddUserToGroupCommand({ GroupName: "readers", UserName: "alice" }));
  const sm = new SecretsManagerClient(clientConfig(emulator(), REGION));
  const secret = await sm.send(new CreateSecretCommand({ Name: "prod/db", SecretString: "seed-not-a-real-value" }));
  return String(secret.ARN);
}

const matrix = (rows: ReviewRow[]) => rows.map((row) => [row.principal, row.principalType, row.canRead, row.didRead, row.reads, row.action]);

describe("secrets-access-review against the emulator", () => {
  it("reviews exactly the seeded estate: a role that can read but never did, one that did, a user reading via a group", async () => {
    const now = new Date();
    const secretArn = await seedEstate();
    const hoursAgo = (hours: number) => new Date(now.getTime() - hours * 3_600_000);
    emulator().proxy.seed.cloudTrailEvents(A, REGION, [
      secretRead(REGION, `arn:aws:iam::${A}:role/api`, secretArn, hoursAgo(30)),
      secretRead(REGION, `arn:aws:iam::${A}:role/api`, secretArn, hoursAgo(5)),
      secretRead(REGION, `arn:aws:iam::${A}:user/alice`, secretArn, hoursAgo(10)),
    ]);
    const items = await collectAll(secretsAccessReview, testContext(emulator(), { now, region: REGION }));

    expect(items).toHaveLength(1);
    const [item] = items;
    const rows = item?.observed.review as ReviewRow[];
    expect(matrix(rows)).toEqual([
      [`arn:aws:iam::${A}:role/api`, "role", true, true, 2, ""],
      [`arn:aws:iam::${A}:role/idle`, "role", true, false, 0, "revoke: can read but did not in the period"],
      [`arn:aws:iam::${A}:user/alice`, "user", true, true, 1, ""],
    ]);
    // The action list: exactly the idle role.
    expect(rows.filter((row) => row.action).map((row) => row.principal)).toEqual([`arn:aws:iam::${A}:role/idle`]);
    expect(item).toMatchObject({ status: "fail", resource: { arn: secretArn, name: "prod/db" } });
    expect(rows[2]?.grantedBy).toEqual([`arn:aws:iam::${A}:group/readers#read#ReadProd`, `arn:aws:iam::${A}:group/readers#read#DecryptViaSM`, expect.stringMatching(/key policy#Enable IAM User Permissions$/)]);
    expect(rows[0]).toMatchObject({ lastRead: hoursAgo(5).toISOString(), sourceRegions: [REGION], sourceIps: ["10.0.1.5"] });
    // moto has no organization here: SCPs were not read, and the item says so.
    expect(item?.observed.notRead).toEqual([expect.stringMatching(/^service control policies \(.+\): not applied/)]);

    const proxy = emulator().proxy;
    expect(proxy.count("GetSecretValue") + proxy.count("BatchGetSecretValue") + proxy.count("Decrypt")).toBe(0);
    expect(JSON.stringify(items)).not.toContain("seed-not-a-real-value");
  });
});

describe("each secret's evidence names the calls behind it", () => {
  it("carries its own ListSecrets page and GetResourcePolicy, not every other secret's, in both collectors of one run", async () => {
    const sm = new SecretsManagerClient(clientConfig(emulator(), REGION));
    const arns: string[] = [];
    for (const name of ["prod/a", "prod/b", "prod/c"]) {
      arns.push(String((await sm.send(new CreateSecretCommand({ Name: name, SecretString: "seed-not-a-real-value" }))).ARN));
    }
    emulator().proxy.clearCalls();
    const ctx = { ...testContext(emulator(), { region: REGION }), shared: new SharedReads().read };
    const items = [...(await collectAll(secretsAccessPolicy, ctx)), ...(await collectAll(secretsAccessReview, ctx))];
    const policyIds = emulator().proxy.calls.filter((call) => call.operation === "GetResourcePolicy").map((call) => call.requestId);
    expect(policyIds).toHaveLength(3);
    expect(policyIds.every((id) => typeof id === "string" && id.length > 0)).toBe(true);
    const secretItems = items.filter((item) => item.resource.type === "AWS::SecretsManager::Secret");
    expect(secretItems.map((item) => item.resource.arn).sort()).toEqual([...arns, ...arns].sort());
    for (const item of secretItems) {
      // Exactly one GetResourcePolicy answer: this secret's.
      expect(policyIds.filter((id) => item.source.requestIds.includes(id as string))).toHaveLength(1);
      expect(item.source.operations).toEqual(expect.arrayContaining(["GetAccountAuthorizationDetails", "ListSecrets", "GetResourcePolicy"]));
    }
    // The two collectors of one run name the same call for the same secret.
    for (const arn of arns) {
      const [policy, review] = secretItems.filter((item) => item.resource.arn === arn).map((item) => policyIds.filter((id) => item.source.requestIds.includes(id as string)));
      expect(policy).toEqual(review);
    }
  });
});

describe("the review does not wait for the last resource policy", () => {
  it("yields a secret's review while another secret's GetResourcePolicy is still unanswered", async () => {
    await seedEstate();
    const sm = new SecretsManagerClient(clientConfig(emulator(), REGION));
    const heldArn = String((await sm.send(new CreateSecretCommand({ Name: "prod/cache", SecretString: "seed-not-a-real-value" }))).ARN);
    // prod/cache's GetResourcePolicy is answered only once the review has yielded an item, or after 20 s: a review
    // that waited for every policy would get its first item only after the timer opened the hold.
    let releasedBy: string | undefined;
    let open = () => undefined as void;
    const held = new Promise<void>((resolve) => (open = resolve));
    const release = (by: string) => {
      releasedBy ??= by;
      open();
    };
    const timer = setTimeout(() => release("timer"), 20_000);
    const base = testContext(emulator(), { region: REGION });
    const patched = new WeakSet<object>();
    const clients = new Proxy(base.clients, {
      get(target, property, receiver) {
        if (property !== "secretsManager") return Reflect.get(target, property, receiver);
        return (account: string, region: string) => {
          const client = target.secretsManager(account, region);
          if (!patched.has(client)) {
            patched.add(client);
            const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
            Object.assign(client, {
              send: async (command: unknown) => {
                if (command instanceof GetResourcePolicyCommand && command.input.SecretId === heldArn) await held;
                return send(command);
              },
            });
          }
          return client;
        };
      },
    });
    const walk = secretsAccessReview.bind({}).collect({ ...base, clients })[Symbol.asyncIterator]();
    const items: ItemDraft[] = [];
    try {
      const first = await walk.next();
      const heldWhenFirst = releasedBy;
      release("first item");
      if (!first.done) items.push(first.value);
      for (let step = await walk.next(); !step.done; step = await walk.next()) items.push(step.value);
      expect(heldWhenFirst).toBeUndefined();
    } finally {
      clearTimeout(timer);
    }
    expect(items.map((item) => item.resource.name)).toEqual(["prod/db", "prod/cache"]);
    expect(emulator().proxy.count("GetResourcePolicy")).toBe(2);
  }, 60_000);
});

describe("a slow key read does not hold up the resource policy reads", () => {
  it("goes on calling GetResourcePolicy for every secret while the key's GetKeyPolicy is unanswered", async () => {
    await seedEstate();
    const sm = new SecretsManagerClient(clientConfig(emulator(), REGION));
    for (let index = 0; index < 19; index += 1) {
      await sm.send(new CreateSecretCommand({ Name: `prod/app-${index}`, SecretString: "seed-not-a-real-value" }));
    }
    emulator().proxy.clearCalls();
    // Every secret uses the default key: while its policy read waits at the proxy, a feed whose window slots waited on
    // the key (8 of them) would stop at 8 GetResourcePolicy calls.
    const hold = emulator().proxy.hold({ service: "kms", operation: "GetKeyPolicy" });
    const collecting = collectAll(secretsAccessReview, testContext(emulator(), { region: REGION }));
    try {
      await hold.arrived();
      for (let waited = 0; emulator().proxy.count("GetResourcePolicy") < 20 && waited < 30_000; waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(emulator().proxy.count("GetResourcePolicy")).toBe(20);
      expect(hold.waiting()).toBe(1);
    } finally {
      hold.release();
    }
    const items = await collecting;
    expect(items).toHaveLength(20);
    expect(items.every((item) => String(item.observed.keyArn).startsWith("arn:aws:kms:"))).toBe(true);
  }, 60_000);
});

describe("the organization read beside the secrets", () => {
  it("is named by the secrets it judged, not by the policy and key items yielded before it", async () => {
    await new OrganizationsClient(clientConfig(emulator(), "us-east-1")).send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
    await new IAMClient(clientConfig(emulator(), REGION)).send(new CreatePolicyCommand({ PolicyName: "read-prod", PolicyDocument: READ_PROD }));
    await new SecretsManagerClient(clientConfig(emulator(), REGION)).send(new CreateSecretCommand({ Name: "prod/db", SecretString: "seed-not-a-real-value" }));
    const items = await collectAll(secretsAccessPolicy, testContext(emulator(), { region: REGION }));
    const operations = (type: string) => items.filter((item) => item.resource.type === type).map((item) => item.source.operations);
    expect(operations("AWS::IAM::Policy")).toHaveLength(1);
    for (const names of [...operations("AWS::IAM::Policy"), ...operations("AWS::KMS::Key")]) expect(names).not.toContain("DescribeOrganization");
    expect(operations("AWS::SecretsManager::Secret")).toEqual([expect.arrayContaining(["DescribeOrganization", "ListAccounts", "GetResourcePolicy"])]);
  }, 60_000);
});
