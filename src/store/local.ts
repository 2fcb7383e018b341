// The default store: a folder on disk, with the same no-overwrite rule as the S3 bucket.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, link, mkdir, readdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { Readable } from "node:stream";
import { StoreError } from "../core/errors.js";
import type { StoredFile } from "../core/model.js";
import type { ManifestSigner } from "../integrity/sign.js";
import type { Store } from "./store.js";
import type { StoreFacts } from "../core/package-model.js";

export async function sha256File(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), size };
}

export class LocalStore implements Store {
  readonly kind = "local";
  readonly root: string;

  constructor(
    root: string,
    private readonly prefix = "",
    readonly signer?: ManifestSigner,
  ) {
    this.root = resolve(root);
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
    await this.signer?.prepare();
    return { kind: "local", location: this.location, warnings: [] };
  }

  async putFile(key: string, file: string, _contentType: string): Promise<StoredFile> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    const staging = `${target}.partial-${randomBytes(4).toString("hex")}`;
    await copyFile(file, staging);
    return this.publish(key, staging);
  }

  async put(key: string, body: Buffer | string, _contentType: string): Promise<StoredFile> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    const staging = `${target}.partial-${randomBytes(4).toString("hex")}`;
    await writeFile(staging, body);
    return this.publish(key, staging);
  }

  async putPointer(key: string, body: string): Promise<StoredFile> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    const staging = `${target}.partial-${randomBytes(4).toString("hex")}`;
    await writeFile(staging, body);
    await rename(staging, target);
    return { key, ...(await sha256File(target)) };
  }

  get(key: string): Promise<Buffer> {
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

  private path(key: string): string {
    const target = resolve(this.location, key);
    if (!target.startsWith(this.location)) throw new StoreError(`key escapes the store: ${key}`);
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
    return { key, ...(await sha256File(this.path(key))) };
  }
}

async function walk(folder: string, into: string[]): Promise<void> {
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const full = join(folder, entry.name);
    if (entry.isDirectory()) await walk(full, into);
    else into.push(full);
  }
}
