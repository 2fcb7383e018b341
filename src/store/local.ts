// The default store: a folder on disk, with the same no-overwrite rule as the S3 bucket.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, link, lstat, mkdir, open, readdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { Readable } from "node:stream";
import { StoreError, UsageError } from "../core/errors.js";
import { fileDigest } from "../core/file-digest.js";
import { unsafeKeyReason } from "../core/store-layout.js";
import type { StoredFile } from "../core/model.js";
import type { ManifestSigner } from "../integrity/sign.js";
import type { Store } from "./store.js";
import type { StoreFacts } from "../core/package-model.js";

export class LocalStore implements Store {
  readonly kind = "local";
  readonly root: string;

  constructor(
    root: string,
    private readonly prefix = "",
    readonly signer?: ManifestSigner,
  ) {
    this.root = resolve(root);
    if (prefix !== "" && unsafeKeyReason(prefix.replace(/\/$/, ""))) {
      throw new UsageError(`--prefix "${prefix}" ${unsafeKeyReason(prefix.replace(/\/$/, "")) as string}: a prefix must stay inside --out`);
    }
  }

  get location(): string {
    return join(this.root, this.prefix);
  }

  async preflight(): Promise<StoreFacts> {
    try {
      await mkdir(this.location, { recursive: true });
    } catch (error) {
      throw new StoreError(`cannot create the evidence folder ${this.location}: ${(error as NodeJS.ErrnoException).code}; pass --out DIR`, { cause: error });
    }
    // A read-only folder is found now, before any collection, not after the whole run.
    const probe = join(this.location, `.write-probe-${randomBytes(4).toString("hex")}`);
    try {
      await writeFile(probe, "");
    } catch (error) {
      throw new StoreError(`cannot write to the evidence folder ${this.location}: ${(error as NodeJS.ErrnoException).code}; nothing was collected`, { cause: error });
    } finally {
      await unlink(probe).catch(() => undefined);
    }
    await this.signer?.prepare();
    return { kind: "local", location: this.location, warnings: [] };
  }

  async putFile(key: string, file: string, _contentType: string): Promise<StoredFile> {
    const target = await this.writablePath(key);
    const staging = `${target}.partial-${randomBytes(4).toString("hex")}`;
    await copyFile(file, staging);
    return this.publish(key, staging);
  }

  async put(key: string, body: Buffer | string, _contentType: string): Promise<StoredFile> {
    const target = await this.writablePath(key);
    const staging = `${target}.partial-${randomBytes(4).toString("hex")}`;
    await writeFile(staging, body);
    return this.publish(key, staging);
  }

  /**
   * latest.json moves only forward: under an exclusive lock file (O_EXCL), the current pointer is read and compared,
   * and the new one renamed into place only when `supersedes` says so. Two collects racing cannot leave the older one.
   */
  async putPointer(key: string, body: string, supersedes: (current: Buffer | undefined) => boolean | Promise<boolean> = () => true): Promise<StoredFile | undefined> {
    const target = await this.writablePath(key);
    const lock = `${target}.lock`;
    const held = await acquireLock(lock);
    try {
      const current = await readFile(target).catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return undefined;
        throw error;
      });
      if (!(await supersedes(current))) return undefined;
      const staging = `${target}.partial-${randomBytes(4).toString("hex")}`;
      await writeFile(staging, body);
      await rename(staging, target);
      return { key, ...(await fileDigest(target)) };
    } finally {
      await held.close();
      await unlink(lock).catch(() => undefined);
    }
  }

  /** A key that escapes the store rejects, as every read does, rather than throwing before a promise exists. */
  async get(key: string): Promise<Buffer> {
    return readFile(this.path(key));
  }

  async getFile(key: string): Promise<{ body: Buffer; file: StoredFile }> {
    const body = await this.get(key);
    return { body, file: { key, size: body.length, sha256: createHash("sha256").update(body).digest("hex") } };
  }

  async read(key: string): Promise<Readable> {
    return createReadStream(this.path(key));
  }

  async exists(key: string): Promise<boolean> {
    return stat(this.path(key)).then(
      () => true,
      () => false,
    );
  }

  async *list(prefix: string): AsyncIterable<string> {
    const base = this.path(prefix.replace(/[^/]*$/, ""));
    const keys: string[] = [];
    await walk(base, keys).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
    const root = this.location;
    yield* keys
      .map((file) => relative(root, file).split(sep).join("/"))
      .filter((key) => key.startsWith(prefix) && !key.includes(".partial-"))
      .sort();
  }

  /** The file of `key`, resolved and checked to stay inside the store folder (with the separator). */
  private path(key: string): string {
    const trimmed = key.replace(/\/$/, "");
    const reason = trimmed === "" ? undefined : unsafeKeyReason(trimmed);
    const base = resolve(this.location);
    const target = resolve(base, trimmed);
    if (reason || (target !== base && !target.startsWith(base + sep))) throw new StoreError(`key escapes the store: ${key}${reason ? ` (${reason})` : ""}`);
    return target;
  }

  /**
   * The file of `key` with its folders created, refusing a symbolic link anywhere between the store folder and it:
   * a linked day folder would otherwise send new evidence wherever the link points.
   */
  private async writablePath(key: string): Promise<string> {
    const target = this.path(key);
    const base = resolve(this.location);
    // The store folder itself is the caller's choice (preflight makes it too); only what lies inside it is checked.
    await mkdir(base, { recursive: true });
    let at = base;
    for (const segment of relative(base, dirname(target)).split(sep).filter(Boolean)) {
      at = join(at, segment);
      const stats = await lstat(at).catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return undefined;
        throw error;
      });
      if (stats?.isSymbolicLink()) throw new StoreError(`refusing to write ${key}: ${at} is a symbolic link, and evidence never leaves the store folder`);
      if (!stats) await mkdir(at).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "EEXIST") throw error;
      });
    }
    return target;
  }

  /** link() fails when the target exists, so a key is written once; the staging file then goes. */
  private async publish(key: string, staging: string): Promise<StoredFile> {
    try {
      await link(staging, this.path(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") {
        throw new StoreError(`refusing to overwrite ${key} in ${this.location}: evidence is written once`);
      }
      throw new StoreError(`cannot write ${key}: ${(error as NodeJS.ErrnoException).code}`, { cause: error });
    } finally {
      await unlink(staging).catch(() => undefined);
    }
    return { key, ...(await fileDigest(this.path(key))) };
  }
}

const LOCK_STALE_MS = 60_000;

/** An exclusive lock file; one left by a process that died more than a minute ago is taken over. */
async function acquireLock(lock: string) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await open(lock, "wx");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 2_000) throw error;
      const age = await stat(lock).then((stats) => Date.now() - stats.mtimeMs, () => 0);
      if (age > LOCK_STALE_MS) await unlink(lock).catch(() => undefined);
      else await new Promise((resolve) => setTimeout(resolve, 5 + (attempt % 20)));
    }
  }
}

async function walk(folder: string, into: string[]): Promise<void> {
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const full = join(folder, entry.name);
    if (entry.isDirectory()) await walk(full, into);
    else into.push(full);
  }
}
