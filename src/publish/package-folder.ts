// A rendered package opened for publishing, from any store: only a complete package (manifest.json present) is
// published, and every file sent must still match its SHA-256 in the manifest.
import { createHash } from "node:crypto";
import { RunError, UsageError } from "../core/errors.js";
import type { Manifest } from "../integrity/manifest.js";
import type { Store } from "../store/store.js";

export interface PackageFolder {
  folder: string;
  manifest: Manifest;
  /** A file of the package, checked against manifest.json. */
  read(path: string): Promise<Buffer>;
  json<T>(path: string): Promise<T>;
}

/** `prefix` is the package folder's key in the store (packages/<period>/<runId>/, or "" for a store rooted at it). */
export async function openPackageFolder(store: Store, prefix = ""): Promise<PackageFolder> {
  const folder = `${store.location.replace(/\/$/, "")}/${prefix}`;
  let manifest: Manifest;
  try {
    manifest = JSON.parse((await store.get(`${prefix}manifest.json`)).toString("utf8")) as Manifest;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).name;
    throw new UsageError(
      `${folder} is not a complete package: cannot read its manifest.json (${code}); pass the package folder (packages/<period>/<runId>/)`,
    );
  }
  const read = async (path: string): Promise<Buffer> => {
    const entry = manifest.files.find((file) => file.path === path);
    if (!entry)
      throw new RunError(`refusing to publish: ${path} is not listed in ${folder}manifest.json`);
    const body = await store.get(`${prefix}${path}`).catch((error: NodeJS.ErrnoException) => {
      throw new RunError(`refusing to publish: cannot read ${path} (${error.code ?? error.name})`, { cause: error });
    });
    const sha256 = createHash("sha256").update(body).digest("hex");
    if (sha256 !== entry.sha256)
      throw new RunError(
        `refusing to publish: ${path} does not match manifest.json (SHA-256 ${sha256}, manifest ${entry.sha256})`,
      );
    return body;
  };
  return {
    folder,
    manifest,
    read,
    json: async <T>(path: string) => JSON.parse((await read(path)).toString("utf8")) as T,
  };
}
