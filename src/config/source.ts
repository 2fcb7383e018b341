// Where controls.yaml comes from, first match wins: --config PATH or --config s3://bucket/key; else the
// SOC2_EVIDENCE_CONFIG environment variable (the YAML itself, or an s3:// URL); else ./controls.yaml.
import { defaultRegion, emulatorEndpoint } from "../aws/clients.js";
import { awsErrorCode } from "../core/trace.js";
import { ConfigError, RunError } from "../core/errors.js";
import { loadConfig, MAX_CONFIG_BYTES, parseConfig, type LoadedConfig } from "./load.js";
import { sdk } from "../core/sdk.js";

const { GetObjectCommand, S3Client } = sdk("@aws-sdk/client-s3");

export const CONFIG_ENV = "SOC2_EVIDENCE_CONFIG";
export const DEFAULT_CONFIG = "./controls.yaml";

export type ConfigSource =
  | { kind: "file"; path: string }
  | { kind: "s3"; bucket: string; key: string }
  | { kind: "env"; text: string };

const S3_URL = /^s3:\/\/([^/\s]+)\/(\S+)$/;

export function configSource(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): ConfigSource {
  const given = flag ?? (env[CONFIG_ENV]?.trim() ? env[CONFIG_ENV] : undefined);
  if (given === undefined) return { kind: "file", path: DEFAULT_CONFIG };
  const trimmed = given.trim();
  if (trimmed.startsWith("s3://")) {
    const match = S3_URL.exec(trimmed);
    if (!match) throw new ConfigError(`${trimmed}: an S3 config location is s3://BUCKET/KEY`);
    return { kind: "s3", bucket: match[1] as string, key: match[2] as string };
  }
  return flag === undefined ? { kind: "env", text: given } : { kind: "file", path: flag };
}

export const describeSource = (source: ConfigSource): string =>
  source.kind === "file"
    ? source.path
    : source.kind === "s3"
      ? `s3://${source.bucket}/${source.key}`
      : `$${CONFIG_ENV}`;

export async function loadConfigFrom(
  flag: string | undefined,
  now: Date,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadedConfig> {
  const source = configSource(flag, env);
  if (source.kind === "file") return loadConfig(source.path, now);
  if (source.kind === "env") return parseConfig(describeSource(source), source.text, now);
  return parseConfig(describeSource(source), await readS3Object(source.bucket, source.key, env), now);
}

async function readS3Object(bucket: string, key: string, env: NodeJS.ProcessEnv): Promise<Buffer> {
  const where = `s3://${bucket}/${key}`;
  const client = new S3Client({
    region: defaultRegion(env),
    followRegionRedirects: true,
    forcePathStyle: Boolean(emulatorEndpoint()),
    maxAttempts: 4,
  });
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if ((object.ContentLength ?? 0) > MAX_CONFIG_BYTES) {
      throw new ConfigError(
        `${where}: ${object.ContentLength} bytes is larger than the ${MAX_CONFIG_BYTES}-byte limit for a config file`,
      );
    }
    return Buffer.from((await object.Body?.transformToByteArray()) ?? new Uint8Array());
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = awsErrorCode(error);
    if (code === "NoSuchKey" || code === "NoSuchBucket")
      throw new ConfigError(`${where}: cannot read the config: ${code}`);
    throw new RunError(
      `${where}: cannot read the config (${code}): check the credentials and s3:GetObject on that object`,
      { cause: error },
    );
  } finally {
    client.destroy();
  }
}
