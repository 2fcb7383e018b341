// Organization scope: every active member account entered through AssumeRole; one that cannot be entered is an error alone.
import { CreateKeyCommand, EnableKeyRotationCommand, KMSClient } from "@aws-sdk/client-kms";
import { CreateAccountCommand, CreateOrganizationCommand, OrganizationsClient } from "@aws-sdk/client-organizations";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { snapshotJob } from "../src/run/jobs.js";
import { parseConfig } from "../src/config/load.js";
import { silentLogger } from "../src/cli/log.js";
import type { EvidenceItem } from "../src/core/model.js";
import { LocalStore } from "../src/store/local.js";
import { useEmulatorEnv } from "./support/emulator-env.js";
import { clientConfig, DEFAULT_ACCOUNT, useEmulator } from "./support/emulator.js";
import { readFile } from "node:fs/promises";

const emulator = useEmulator();
const NOW = new Date();

const CONFIG = `version: 1
organization: Acme
scope: { accounts: organization, assumeRole: soc2-evidence-reader, regions: [us-east-1] }
controls:
  - id: CC6.1
    title: Keys rotate
    collectors: [{ use: kms-key-rotation }]
`;

const scratch = useEmulatorEnv(emulator, "accounts-");

async function seedOrganization(members: number): Promise<string[]> {
  const organizations = new OrganizationsClient(clientConfig(emulator()));
  await organizations.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
  const accounts: string[] = [];
  for (let index = 0; index < members; index += 1) {
    const created = await organizations.send(new CreateAccountCommand({ AccountName: `member-${index}`, Email: `m${index}@acme.example` }));
    const id = created.CreateAccountStatus?.AccountId as string;
    accounts.push(id);
    const kms = new KMSClient(clientConfig(emulator(), "us-east-1", id));
    const key = await kms.send(new CreateKeyCommand({ Description: `key of ${id}` }));
    await kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyMetadata?.KeyId }));
  }
  return accounts;
}

async function itemsOf(runFolder: string, file: string): Promise<EvidenceItem[]> {
  const text = await readFile(join(runFolder, file), "utf8");
  return text.trim().split("\n").map((line) => JSON.parse(line) as EvidenceItem);
}

describe("organization scope", () => {
  it("collects from every member account through AssumeRole", async () => {
    const members = await seedOrganization(20);
    const { config } = parseConfig("controls.yaml", CONFIG, NOW);
    const store = new LocalStore(scratch());
    const { snapshot } = await snapshotJob({ config, store, log: silentLogger, now: () => new Date() });
    expect(snapshot.scope.accounts).toEqual(expect.arrayContaining([...members, DEFAULT_ACCOUNT]));
    const items = await itemsOf(scratch(), snapshot.collectors[0]?.file as string);
    const withKeys = new Set(items.filter((item) => item.resource.type === "AWS::KMS::Key").map((item) => item.account));
    for (const member of members) expect(withKeys.has(member)).toBe(true);
    expect(items.filter((item) => item.status === "error")).toEqual([]);
    const assumed = emulator().proxy.calls.filter((call) => call.operation === "AssumeRole");
    expect(assumed.length).toBe(members.length);
  });

  it("reports an account whose role cannot be assumed as an error for that account alone", async () => {
    const members = await seedOrganization(5);
    emulator().proxy.inject({ service: "sts", operation: "AssumeRole", kind: "deny", times: 1 });
    const { config } = parseConfig("controls.yaml", CONFIG, NOW);
    const { snapshot } = await snapshotJob({ config, store: new LocalStore(scratch()), log: silentLogger, now: () => new Date() });
    const items = await itemsOf(scratch(), snapshot.collectors[0]?.file as string);
    const errors = items.filter((item) => item.status === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ resource: { type: "AWS::Account" }, observed: { errorCode: "AccessDenied" } });
    const denied = errors[0]?.account as string;
    expect(members).toContain(denied);
    const keyed = new Set(items.filter((item) => item.resource.type === "AWS::KMS::Key").map((item) => item.account));
    for (const member of members.filter((account) => account !== denied)) expect(keyed.has(member)).toBe(true);
    expect(keyed.has(denied)).toBe(false);
  });
});
