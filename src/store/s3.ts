// The S3 store: a versioned (ideally Object-Locked) bucket; every object written once, with a SHA-256 checksum S3 checks.
import type { ObjectLockRetentionMode, PutObjectOutput, S3Client } from "@aws-sdk/client-s3";
import { readFile, stat } from "node:fs/promises";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { Readable } from "node:stream";
import { emulatorEndpoint } from "../aws/clients.js";
import { StoreError } from "../core/errors.js";
import { callFailureHint } from "../core/trace.js";
import type { StoredFile } from "../core/model.js";
import type { ManifestSigner } from "../integrity/sign.js";
import { inspectBucket, type BucketInspection } from "./preflight.js";
import { partSizeFor, sha256, uploadInParts, type PartsUploaded } from "./s3-multipart.js";
import type { Store } from "./store.js";
import type { StoreFacts } from "../core/package-model.js";
import { sdk } from "../core/sdk.js";

const { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, paginateListObjectsV2 } = sdk("@aws-sdk/client-s3");
const { NodeHttpHandler } = sdk("@smithy/node-http-handler");

const MiB = 1024 * 1024;
const DAY_MS = 86_400_000;

export interface S3StoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix inside the bucket, "" or ending in "/". */
  prefix: string;
  region: string;
  /** Object Lock retention for every object written, in days from the write. */
  retainDays?: number;
  /** Files larger than this go up as multipart uploads (default 8 MiB). */
  multipartThreshold?: number;
  /** Part size of a multipart upload (default 8 MiB; S3's minimum is 5 MiB, and a file's parts at most 10,000). */
  partSize?: number;
  /** Keys per ListObjectsV2 page (default and S3's maximum 1000). */
  listPageSize?: number;
  signer?: ManifestSigner;
  now?: () => Date;
}

/** The S3 client the store and verify use: path-style and plain checksums against an emulator, region redirects followed. */
export function createS3Client(region: string): S3Client {
  const emulated = Boolean(emulatorEndpoint());
  return new (sdk("@aws-sdk/client-s3").S3Client)({
    region,
    retryMode: "standard",
    maxAttempts: 6,
    followRegionRedirects: true,
    forcePathStyle: emulated,
    // Every write names its own SHA-256 checksum, so the SDK's default CRC32 is not needed (and breaks emulators).
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 16 }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 16 }),
      connectionTimeout: 5_000,
      requestTimeout: 120_000,
    }),
  });
}

const nameOf = (error: unknown) => (error as Error).name;
const statusOf = (error: unknown) =>
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
/** S3 reports a multipart checksum as base64 of the digest of part digests, with or without "-<parts>". */
const sameChecksum = (returned: string | undefined, expected: string) =>
  !returned || returned.split("-")[0] === expected;

export class S3Store implements Store {
  readonly kind = "s3";
  readonly location: string;
  readonly signer: ManifestSigner | undefined;
  private inspection?: Promise<BucketInspection>;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly threshold: number;
  private readonly partSize: number;
  private readonly now: () => Date;

  constructor(private readonly options: S3StoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = options.prefix;
    this.location = `s3://${options.bucket}/${options.prefix}`;
    // 8 MiB, the AWS CLI's defaults for both (awscli/customizations/s3/transferconfig.py DEFAULTS). A package's files
    // are uploaded while the next format renders (src/package/write.ts), and what an upload holds in memory, a whole
    // file below the threshold or one part above it, lies beside that renderer's heap.
    this.threshold = options.multipartThreshold ?? 8 * MiB;
    this.partSize = Math.max(options.partSize ?? 8 * MiB, 5 * MiB);
    this.now = options.now ?? (() => new Date());
    this.signer = options.signer;
  }

  /** Versioning must be on before anything is written; writes wait for this check too, so no caller can skip it. */
  async preflight(): Promise<StoreFacts> {
    const { facts } = await this.inspected();
    await this.signer?.prepare();
    return { ...facts, location: this.location, warnings: [...facts.warnings] };
  }

  async putFile(key: string, file: string, contentType: string): Promise<StoredFile> {
    const { size } = await stat(file);
    if (size > this.threshold) return this.putMultipart(key, file, size, contentType);
    return this.put(key, await readFile(file), contentType);
  }

  put(key: string, body: Buffer | string, contentType: string): Promise<StoredFile> {
    return this.putObject(key, typeof body === "string" ? Buffer.from(body) : body, contentType, true);
  }

  /**
   * latest.json: a new version each complete run, so its history stays in the bucket. Read, compare, then a
   * conditional write on the ETag read (If-Match; If-None-Match: * when there is none): a writer that lost the race
   * gets 412 and compares again with the pointer that won, so latest.json only moves forward.
   */
  async putPointer(key: string, body: string, supersedes: (current: Buffer | undefined) => boolean | Promise<boolean> = () => true): Promise<StoredFile | undefined> {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const current = await this.getObject(key).then(
        async (object) => ({ etag: object.ETag, body: object.Body ? Buffer.from(await object.Body.transformToByteArray()) : undefined }),
        (error: unknown) => {
          if (error instanceof StoreError && /NoSuchKey|NotFound/.test(nameOf((error as { cause?: unknown }).cause))) return undefined;
          throw error;
        },
      );
      if (!(await supersedes(current?.body))) return undefined;
      try {
        return await this.putObject(key, Buffer.from(body), "application/json", false, current?.etag ? { IfMatch: current.etag } : { IfNoneMatch: "*" });
      } catch (error) {
        const cause = (error as { cause?: unknown }).cause;
        if (nameOf(cause) === "PreconditionFailed" || statusOf(cause) === 412 || statusOf(cause) === 409) continue;
        throw error;
      }
    }
    throw new StoreError(`s3://${this.bucket}/${this.prefix}${key}: another writer kept replacing it; latest.json was not moved`);
  }

  async get(key: string, versionId?: string): Promise<Buffer> {
    const body = (await this.getObject(key, versionId)).Body;
    if (!body) throw new StoreError(`s3://${this.bucket}/${this.prefix}${key} returned no body`);
    return Buffer.from(await body.transformToByteArray());
  }

  async getFile(key: string): Promise<{ body: Buffer; file: StoredFile }> {
    const response = await this.getObject(key);
    if (!response.Body) throw new StoreError(`s3://${this.bucket}/${this.prefix}${key} returned no body`);
    const body = Buffer.from(await response.Body.transformToByteArray());
    return { body, file: { key, size: body.length, sha256: sha256(body).toString("hex"), ...(response.VersionId ? { versionId: response.VersionId } : {}) } };
  }

  /** The object's body as a stream; the caller consumes it or destroys it, or the socket stays checked out. */
  async read(key: string): Promise<Readable> {
    return (await this.getObject(key)).Body as Readable;
  }

  /**
   * Lists the key itself (ListObjectsV2 with the key as Prefix, one key: a key sorts before every longer key it
   * prefixes) rather than HeadObject, whose 404 for a missing key needs s3:ListBucket with no s3:prefix, which the
   * task role's StringLike condition on the evidence prefixes refuses (a 403 instead).
   */
  async exists(key: string): Promise<boolean> {
    try {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + key, MaxKeys: 1 }),
      );
      return page.Contents?.[0]?.Key === this.prefix + key;
    } catch (error) {
      throw this.failure("read", key, error);
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    try {
      for await (const page of paginateListObjectsV2(
        { client: this.client, pageSize: this.options.listPageSize ?? 1000 },
        { Bucket: this.bucket, Prefix: this.prefix + prefix },
      )) {
        for (const object of page.Contents ?? []) if (object.Key) yield object.Key.slice(this.prefix.length);
      }
    } catch (error) {
      throw this.failure("list", prefix, error);
    }
  }

  /** Closes the client's idle sockets; the store cannot be used after. */
  destroy(): void {
    this.client.destroy();
  }

  private inspected(): Promise<BucketInspection> {
    this.inspection ??= inspectBucket(this.client, this.bucket, {
      region: this.options.region,
      ...(this.options.retainDays !== undefined ? { retainDays: this.options.retainDays } : {}),
    });
    return this.inspection;
  }

  private async getObject(key: string, versionId?: string) {
    try {
      return await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.prefix + key,
          ...(versionId ? { VersionId: versionId } : {}),
        }),
      );
    } catch (error) {
      throw this.failure("read", key, error);
    }
  }

  /** Object Lock headers: the bucket's default mode (else GOVERNANCE), retained until now + retainDays. */
  private async lockHeaders(): Promise<{
    ObjectLockMode?: ObjectLockRetentionMode;
    ObjectLockRetainUntilDate?: Date;
  }> {
    const { lock } = await this.inspected();
    if (!lock || lock.retainDays === undefined) return {};
    return {
      ObjectLockMode: lock.mode,
      ObjectLockRetainUntilDate: new Date(this.now().getTime() + lock.retainDays * DAY_MS),
    };
  }

  private async putObject(
    key: string,
    body: Buffer,
    contentType: string,
    once: boolean,
    condition: { IfMatch?: string; IfNoneMatch?: string } = {},
  ): Promise<StoredFile> {
    const digest = sha256(body);
    const checksum = digest.toString("base64");
    let result: PutObjectOutput;
    try {
      result = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.prefix + key,
          Body: body,
          ContentLength: body.length,
          ContentType: contentType,
          ChecksumAlgorithm: "SHA256",
          ChecksumSHA256: checksum,
          ...(once ? { IfNoneMatch: "*" } : condition),
          ...(await this.lockHeaders()),
        }),
      );
    } catch (error) {
      throw this.failure("write", key, error);
    }
    return this.stored(key, body.length, digest.toString("hex"), checksum, result);
  }

  private async putMultipart(key: string, file: string, size: number, contentType: string) {
    let uploaded: PartsUploaded;
    try {
      const create = { Bucket: this.bucket, Key: this.prefix + key, ContentType: contentType };
      uploaded = await uploadInParts(
        this.client,
        { ...create, ...(await this.lockHeaders()) },
        file,
        size,
        partSizeFor(size, this.partSize),
      );
    } catch (error) {
      throw this.failure("write", key, error);
    }
    return this.stored(key, size, uploaded.sha256, uploaded.checksum, uploaded.result);
  }

  private stored(
    key: string,
    size: number,
    sha256Hex: string,
    checksum: string,
    result: { VersionId?: string; ChecksumSHA256?: string },
  ): StoredFile {
    if (!sameChecksum(result.ChecksumSHA256, checksum)) {
      throw new StoreError(
        `S3 stored ${key} with checksum ${result.ChecksumSHA256}, expected ${checksum}: the upload was corrupted`,
      );
    }
    // Without a VersionId the manifest cannot pin the object: versioning was suspended after the preflight.
    if (!result.VersionId || result.VersionId === "null") {
      throw new StoreError(
        `S3 returned no VersionId for ${key}: versioning on ${this.bucket} is no longer Enabled`,
      );
    }
    return { key, size, sha256: sha256Hex, versionId: result.VersionId };
  }

  private failure(action: "read" | "write" | "list", key: string, error: unknown): StoreError {
    const where = `s3://${this.bucket}/${this.prefix}${key}`;
    const name = nameOf(error);
    if (action === "write" && (name === "PreconditionFailed" || statusOf(error) === 412)) {
      return new StoreError(`refusing to overwrite ${where}: evidence is written once`, { cause: error });
    }
    if (action === "write" && (name === "ConditionalRequestConflict" || statusOf(error) === 409)) {
      return new StoreError(`refusing to overwrite ${where}: another writer is creating the same key`, {
        cause: error,
      });
    }
    const hint = callFailureHint(error);
    if (hint) return new StoreError(`cannot ${action} ${where}: ${hint}`, { cause: error });
    if (name === "AccessDenied" || statusOf(error) === 403) {
      const needs = {
        read: "s3:GetObject",
        write: "s3:PutObject (and s3:PutObjectRetention with Object Lock)",
        list: "s3:ListBucket",
      }[action];
      return new StoreError(`access denied to ${where} (${name}): the role needs ${needs} on the bucket`, {
        cause: error,
      });
    }
    return new StoreError(`cannot ${action} ${where}: ${name}`, { cause: error });
  }
}
