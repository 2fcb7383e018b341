// `iam-policy`: prints the least-privilege policy for the configured collectors (task role by default,
// --reader for the member-account role, --auditor for the read-only auditor role) as an IAM policy document.
import { configSource } from "../config/source.js";
import { UsageError } from "../core/errors.js";
import { auditorPolicy, readerRolePolicy, taskRolePolicy } from "../iam/policy.js";
import { configFrom, list, loggerFor, parse } from "./options.js";
import type { PolicyTarget } from "../iam/policy-model.js";

const IAM_POLICY_OPTIONS = {
  auditor: { type: "boolean", default: false },
  reader: { type: "boolean", default: false },
  "bucket-kms-key": { type: "string" },
  "signing-key": { type: "string" },
  "store-region": { type: "string" },
  partition: { type: "string", default: "aws" },
} as const;

export async function iamPolicyCommand(args: string[], now: () => Date): Promise<number> {
  const { values, positionals } = parse(args, IAM_POLICY_OPTIONS);
  if (positionals.length > 0)
    throw new UsageError(`iam-policy takes no arguments (got ${positionals.join(" ")})`);
  if (values.auditor && values.reader)
    throw new UsageError("--auditor and --reader print different policies: pass one");
  const loaded = await configFrom(values, now(), loggerFor(values));
  const source = configSource(typeof values.config === "string" ? values.config : undefined);
  const controls = list(values.controls);
  const string = (name: string) => (typeof values[name] === "string" ? (values[name] as string) : undefined);
  const target: PolicyTarget = {
    config: loaded.config,
    partition: String(values.partition),
    ...(controls ? { controls } : {}),
    ...(string("bucket") ? { bucket: string("bucket") } : {}),
    ...(string("prefix") !== undefined ? { prefix: string("prefix") } : {}),
    ...(string("store-region") ? { storeRegion: string("store-region") } : {}),
    ...(string("bucket-kms-key") ? { bucketKmsKey: string("bucket-kms-key") } : {}),
    ...(string("signing-key") ? { signingKey: string("signing-key") } : {}),
    ...(source.kind === "s3" ? { configObject: { bucket: source.bucket, key: source.key } } : {}),
  };
  const policy = values.auditor
    ? auditorPolicy(target)
    : values.reader
      ? readerRolePolicy(target)
      : taskRolePolicy(target);
  process.stdout.write(JSON.stringify(policy, null, 2) + "\n");
  if (!values.quiet && (values.auditor || target.bucketKmsKey)) {
    // Reading SSE-KMS objects needs kms:Decrypt; it belongs in the key's own policy, scoped to S3 and this bucket.
    process.stderr.write(
      "note: reading SSE-KMS evidence (snapshots for collect, everything for verify) needs kms:Decrypt through S3. " +
        "This tool's identity policies never grant kms:Decrypt: grant it in the bucket key's key policy with " +
        "kms:ViaService s3.<region>.amazonaws.com and kms:EncryptionContext:aws:s3:arn on the bucket (see deploy/cloudformation.yaml).\n",
    );
  }
  return 0;
}
