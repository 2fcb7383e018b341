// The renderer contract: a package in, files out; a renderer never calls AWS and never reads the store.
import type { EvidencePackage } from "../src/core/package-model.js";

export const FORMATS = ["json", "pdf", "oscal", "vanta", "drata", "access-review"] as const;
/** Written into every package whatever --format asks for. */
export const ALWAYS_WRITTEN: readonly Format[] = ["json", "access-review"];
export type Format = (typeof FORMATS)[number];

export interface RenderTarget {
  /** Writes one file of the package, at a path relative to the package folder (e.g. "vanta/CC6.1.pdf"). */
  write(path: string, body: Buffer | string): Promise<void>;
  /** Writes a file by streaming chunks, for outputs too large to hold as one string. */
  writeStream(path: string, chunks: AsyncIterable<string | Buffer> | Iterable<string | Buffer>): Promise<void>;
  /**
   * Opens a file that takes chunks synchronously, for a producer that cannot wait (pdfkit lays a document out in one
   * synchronous pass: through writeStream its whole output would queue in memory first). The file counts once closed.
   */
  openSync(path: string): SyncFile;
  /** Writes a file of the package as a copy of one this target already wrote (the same bytes, without reading them). */
  copy(from: string, to: string): Promise<void>;
}

export interface SyncFile {
  write(chunk: Buffer): void;
  /** Finishes the file: it is part of the package. */
  close(): Promise<void>;
  /** Gives the file up after a failure: it is not part of the package. */
  discard(): void;
}

export interface Renderer {
  format: Format;
  render(pkg: EvidencePackage, target: RenderTarget): Promise<void>;
}
