// Where evidence lives: a local folder or a versioned S3 bucket, behind one interface that knows nothing of SOC 2.
import type { Readable } from "node:stream";
import type { StoredFile } from "../core/model.js";
import type { ManifestSigner } from "../integrity/sign.js";
import type { StoreFacts } from "../core/package-model.js";


export interface Store {
  readonly kind: "local" | "s3";
  /** A folder path or s3://bucket/prefix, for people. */
  readonly location: string;
  /** Signs each package manifest, when the config names a KMS signing key. */
  readonly signer?: ManifestSigner;
  /** Checks the store can hold evidence (S3: versioning on) before anything is written. */
  preflight(): Promise<StoreFacts>;
  /** Writes a new object from a file on disk; never overwrites an existing key. */
  putFile(key: string, file: string, contentType: string): Promise<StoredFile>;
  /** Writes a new object; never overwrites an existing key. */
  put(key: string, body: Buffer | string, contentType: string): Promise<StoredFile>;
  /**
   * Writes a pointer object (latest.json) that a complete run replaces, atomically against concurrent writers: only
   * when `supersedes(current)` holds for the pointer it replaces (local: under a lock; S3: If-Match on its ETag).
   * Returns undefined when the current pointer was kept.
   */
  putPointer(key: string, body: string, supersedes?: (current: Buffer | undefined) => boolean): Promise<StoredFile | undefined>;
  get(key: string, versionId?: string): Promise<Buffer>;
  /** The object with what a manifest records of it: size, SHA-256 and, in S3, the version read. */
  getFile(key: string): Promise<{ body: Buffer; file: StoredFile }>;
  read(key: string): Promise<Readable>;
  exists(key: string): Promise<boolean>;
  /** Every key under `prefix` (relative to the store root), in lexical order. */
  list(prefix: string): AsyncIterable<string>;
}
