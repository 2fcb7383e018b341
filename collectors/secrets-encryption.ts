// Passes a secret encrypted with a customer-managed KMS key whose automatic rotation is on.
// Minimum calls for M secrets in a region encrypted under C distinct customer-managed keys: ceil(M / 100)
// ListSecrets pages (KmsKeyId is listed) and per distinct key one DescribeKey and one GetKeyRotationStatus, read once
// however many secrets use it. A secret under the default aws/secretsmanager key costs no KMS call.
import type { KeyMetadata } from "@aws-sdk/client-kms";
import type { SecretListEntry } from "@aws-sdk/client-secrets-manager";
import { defineCollector, type CollectContext } from "../src/core/collector.js";
import { errorItem } from "../src/core/evidence.js";
import { CallTrace } from "../src/core/trace.js";
import { isAwsManagedReference, judgeSecretEncryption, keyFacts, type KeyFacts } from "./secrets-encryption.judge.js";
import { sdk } from "../src/core/sdk.js";

const { DescribeKeyCommand, GetKeyRotationStatusCommand } = sdk("@aws-sdk/client-kms");
const { paginateListSecrets } = sdk("@aws-sdk/client-secrets-manager");

const SECRET = "AWS::SecretsManager::Secret";

type KeyRead = { key: KeyFacts; trace: CallTrace } | { error: unknown; trace: CallTrace };

export default defineCollector({
  id: "secrets-encryption",
  title: "Secrets Manager secrets are encrypted with a rotating customer-managed KMS key",
  docsUrl: "https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html",
  criteria: ["CC6.1"],
  service: "secretsmanager",
  scope: "region",
  permissions: ["secretsmanager:ListSecrets", "kms:DescribeKey", "kms:GetKeyRotationStatus"],
  params: {},
  async *collect(ctx) {
    const client = ctx.clients.secretsManager(ctx.account, ctx.region);
    const listing = new CallTrace("secretsmanager", ctx.now);
    const expected = { keyManager: "CUSTOMER", keyState: "Enabled", rotationEnabled: true };
    const secrets: SecretListEntry[] = [];
    for await (const page of paginateListSecrets({ client, pageSize: 100 }, {})) {
      listing.record("ListSecrets", page);
      secrets.push(...(page.SecretList ?? []));
    }
    // One DescribeKey and one GetKeyRotationStatus per distinct key, however many secrets it encrypts.
    const keys = new Map<string, Promise<KeyRead>>();
    for (const secret of secrets) {
      const keyId = secret.KmsKeyId;
      if (!isAwsManagedReference(keyId) && keyId && !keys.has(keyId)) keys.set(keyId, readKey(ctx, keyId, listing));
    }
    for (const secret of secrets) {
      const resource = { arn: String(secret.ARN), type: SECRET, name: String(secret.Name) };
      const facts = { arn: resource.arn, name: resource.name, ...(secret.KmsKeyId ? { kmsKeyId: secret.KmsKeyId } : {}) };
      const read = secret.KmsKeyId ? await keys.get(secret.KmsKeyId) : undefined;
      if (read && "error" in read) {
        yield errorItem(resource, read.error, read.trace.fork(), expected);
        continue;
      }
      const withKey = read ? { ...facts, key: read.key } : facts;
      const source = (read?.trace ?? listing).source();
      yield { resource, ...judgeSecretEncryption(withKey), observed: { ...withKey }, expected, source };
    }
  },
});

/** A key named by ID or ARN is described in its own region; an alias, in the secret's. */
async function readKey(ctx: CollectContext, keyId: string, listing: CallTrace): Promise<KeyRead> {
  const trace = listing.fork();
  const region = /^arn:[\w-]+:kms:([\w-]+):/.exec(keyId)?.[1] ?? ctx.region;
  const kms = ctx.clients.kms(ctx.account, region);
  try {
    const described = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    trace.record("DescribeKey", described);
    const key = keyFacts(described.KeyMetadata as KeyMetadata);
    if (key.keyManager === "CUSTOMER" && key.keySpec === "SYMMETRIC_DEFAULT") {
      const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.arn }));
      trace.record("GetKeyRotationStatus", status);
      key.rotationEnabled = status.KeyRotationEnabled ?? false;
      if (status.RotationPeriodInDays) key.rotationPeriodInDays = status.RotationPeriodInDays;
    }
    return { key, trace };
  } catch (error) {
    return { error, trace };
  }
}
