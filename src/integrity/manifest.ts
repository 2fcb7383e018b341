// manifest.json: every file of a package with its size, SHA-256 and store version; written last (SPEC section 7).
import { createHash } from "node:crypto";
import type { StoredFile } from "../core/model.js";

export interface ManifestFile extends StoredFile {
  /** Path inside the package folder. */
  path: string;
}

export interface Manifest {
  schemaVersion: 1;
  tool: { name: string; version: string };
  organization: string;
  period: string;
  runId: string;
  generatedAt: string;
  /** Where the package lives: the folder or s3://bucket/prefix it was written to. */
  location: string;
  files: ManifestFile[];
  /** Snapshot files the package was built from, so verify can check the raw evidence too. */
  snapshots: StoredFile[];
}

/** The canonical bytes that are hashed and signed: the manifest without any signature fields. */
export function manifestDigest(manifest: Manifest): string {
  return createHash("sha256").update(canonicalJson(manifest)).digest("hex");
}

/** JSON with object keys sorted, so the same manifest always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
