// `verify LOCATION`: the auditor's check of a package, local or in S3. Exit 0 intact, 1 any problem, 2 usage, 3 unreadable.
import { LATEST_POINTER, MANIFEST_FILE } from "../core/store-layout.js";
import type { KMSClient } from "@aws-sdk/client-kms";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { defaultRegion } from "../aws/clients.js";
import { UsageError } from "../core/errors.js";
import { sdk } from "../core/sdk.js";
import { createKmsClient } from "../integrity/sign.js";
import { formatReport, LocalPackageSource, verifyPackage, type PackageSource } from "../integrity/verify.js";
import { parse, phaseHold } from "./options.js";

const USAGE =
  "usage: soc2-evidence verify LOCATION [--json] [--require-signature] [--public-key FILE] [--offline]";

async function sourceFor(location: string): Promise<PackageSource> {
  if (!location.startsWith("s3://")) return new LocalPackageSource(location);
  const [{ S3PackageSource }, { createS3Client }] = await Promise.all([
    import("../integrity/verify-s3.js"),
    import("../store/s3.js"),
  ]);
  return new S3PackageSource(
    createS3Client(defaultRegion()),
    location,
  );
}

/** A period folder (packages/<period>/) stands for its newest complete package: latest.json names it. */
async function followLatest(location: string): Promise<string> {
  const base = location.replace(/\/+$/, "");
  const text = base.startsWith("s3://") ? await s3Text(`${base}/${LATEST_POINTER}`) : await readFile(join(base, LATEST_POINTER), "utf8").catch(() => undefined);
  const hasManifest = base.startsWith("s3://") ? (await s3Text(`${base}/${MANIFEST_FILE}`)) !== undefined : existsSync(join(base, MANIFEST_FILE));
  if (hasManifest || text === undefined) return location;
  const runId = (JSON.parse(text) as { runId?: unknown }).runId;
  if (typeof runId !== "string" || !/^[A-Za-z0-9._-]+$/.test(runId)) throw new UsageError(`${base}/${LATEST_POINTER} names no run id`);
  process.stderr.write(`following ${base}/${LATEST_POINTER} to run ${runId}\n`);
  return `${base}/${runId}`;
}

async function s3Text(url: string): Promise<string | undefined> {
  const { createS3Client } = await import("../store/s3.js");
  const { GetObjectCommand } = sdk("@aws-sdk/client-s3");
  const [, , bucket, ...rest] = url.split("/");
  const client = createS3Client(defaultRegion());
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: rest.join("/") }));
    return await object.Body?.transformToString();
  } catch (error) {
    const name = (error as Error).name;
    if (name === "NoSuchKey" || name === "NotFound" || name === "AccessDenied") return undefined;
    throw error;
  } finally {
    client.destroy();
  }
}

export async function verifyCommand(args: string[], _now?: () => Date, signal?: AbortSignal): Promise<number> {
  const { values, positionals } = parse(args, {
    "require-signature": { type: "boolean", default: false },
    "public-key": { type: "string" },
    offline: { type: "boolean", default: false },
  });
  const [location, ...extra] = positionals;
  if (!location || extra.length > 0)
    throw new UsageError(
      `verify takes one LOCATION (a package folder or s3://bucket/prefix/packages/<period>/<runId>, or the period folder for its latest package); ${USAGE}`,
    );
  const publicKey = await pinnedKey(values["public-key"]);
  const source = await sourceFor(await followLatest(location));
  const kmsClients = new Map<string, KMSClient>();
  const kms = (region: string) =>
    kmsClients.get(region) ?? kmsClients.set(region, createKmsClient(region)).get(region)!;
  try {
    const report = await verifyPackage(source, {
      requireSignature: Boolean(values["require-signature"]),
      ...(publicKey ? { publicKey } : {}),
      ...(values.offline ? {} : { kms }),
      ...(signal ? { signal } : {}),
      ...(phaseHold(signal) ? { hooks: phaseHold(signal) } : {}),
    });
    if (values.json) process.stdout.write(JSON.stringify(report) + "\n");
    else if (!values.quiet || !report.ok) process.stdout.write(formatReport(report));
    return report.ok ? 0 : 1;
  } finally {
    source.close();
    for (const client of kmsClients.values()) client.destroy();
  }
}

async function pinnedKey(file: unknown): Promise<Buffer | undefined> {
  if (typeof file !== "string") return undefined;
  try {
    return await readFile(file);
  } catch (error) {
    throw new UsageError(`--public-key: cannot read ${file} (${(error as NodeJS.ErrnoException).code})`);
  }
}
