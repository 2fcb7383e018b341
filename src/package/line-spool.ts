// Lines of JSON parked on disk while a package is built and rendered: appended once, read back by id, so a large
// estate's items are never all in memory. Synchronous on purpose: pdfkit lays a report out in one synchronous pass
// and pulls the items it prints as it goes.
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Bytes gathered before a write, and read at once when walking lines in file order. */
const CHUNK = 1 << 20;

/** A spool's file and where each line is in it: what a reader on another thread needs (plain data, cloneable). */
export interface SharedLines {
  file: string;
  offsets: number[];
  lengths: number[];
}

export class LineSpool {
  /** The folder this spool made and deletes; a reader of another's file has none. */
  private readonly folder: string | undefined;
  private readonly file: string;
  private readonly fd: number;
  private readonly offsets: number[];
  private readonly lengths: number[];
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private written = 0;
  private disposed = false;

  constructor(shared?: SharedLines) {
    if (shared) {
      this.folder = undefined;
      this.file = shared.file;
      this.fd = openSync(shared.file, "r");
      this.offsets = shared.offsets;
      this.lengths = shared.lengths;
      return;
    }
    // mkdtemp makes the folder 0700 and the file is 0600: evidence items name resources and principals.
    this.folder = mkdtempSync(join(tmpdir(), "soc2-spool-"));
    this.file = join(this.folder, "lines.jsonl");
    this.fd = openSync(this.file, "w+", 0o600);
    this.offsets = [];
    this.lengths = [];
  }

  /** Writes out what is pending and says where every line is, for a reader (`new LineSpool(shared)`) elsewhere. */
  share(): SharedLines {
    if (this.disposed) throw new Error("a package spool was shared after it was disposed");
    this.flush();
    return { file: this.file, offsets: [...this.offsets], lengths: [...this.lengths] };
  }

  /** Bytes appended so far. */
  get bytes(): number {
    return this.written + this.pendingBytes;
  }

  /** The bytes of one line. */
  lengthOf(id: number): number {
    return this.locate(id)[1];
  }

  /** Appends one line (without its newline) and returns its id. */
  append(line: string): number {
    if (!this.folder) throw new Error("a shared spool is read-only: lines are appended by the spool that made it");
    const bytes = Buffer.from(`${line}\n`, "utf8");
    this.offsets.push(this.bytes);
    this.lengths.push(bytes.length - 1);
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= CHUNK) this.flush();
    return this.offsets.length - 1;
  }

  /** One line, read on its own (no more than its bytes). */
  line(id: number): string {
    const [offset, length] = this.locate(id);
    const bytes = this.readAt(offset, length);
    if (bytes.length < length) throw new Error(`the spool file ends inside line ${id}`);
    return bytes.toString("utf8");
  }

  /** The lines of `ids`, a chunk read at a time (fastest in ascending order); several walks may be open at once. */
  *lines(ids: Iterable<number>): Generator<string> {
    // One buffer per walk, refilled: a new one per chunk would leave the memory of a whole walk (70 MB for 42,000
    // items) to the garbage collector, which frees buffers lazily.
    let buffer: Buffer = Buffer.allocUnsafe(0);
    let chunk: Buffer = buffer.subarray(0, 0);
    let chunkStart = 0;
    for (const id of ids) {
      const [offset, length] = this.locate(id);
      if (offset < chunkStart || offset + length > chunkStart + chunk.length) {
        if (buffer.length < Math.max(CHUNK, length)) buffer = Buffer.allocUnsafe(Math.max(CHUNK, length));
        chunk = this.fill(buffer, offset);
        chunkStart = offset;
        if (chunk.length < length) throw new Error(`the spool file ends inside line ${id}`);
      }
      yield chunk.toString("utf8", offset - chunkStart, offset - chunkStart + length);
    }
  }

  /** Closes the file, and deletes it unless it is another spool's; reading it afterwards throws. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    closeSync(this.fd);
    if (this.folder) rmSync(this.folder, { recursive: true, force: true });
  }

  private locate(id: number): [offset: number, length: number] {
    if (this.disposed) throw new Error("a package spool was read after it was disposed");
    this.flush();
    const offset = this.offsets[id];
    const length = this.lengths[id];
    if (offset === undefined || length === undefined) throw new RangeError(`no line ${id} in the spool`);
    return [offset, length];
  }

  private readAt(offset: number, size: number): Buffer {
    return this.fill(Buffer.allocUnsafe(size), offset);
  }

  /** Reads from `offset` into `buffer` until it is full or the file ends; the part filled. */
  private fill(buffer: Buffer, offset: number): Buffer {
    let filled = 0;
    while (filled < buffer.length) {
      const read = readSync(this.fd, buffer, filled, buffer.length - filled, offset + filled);
      if (read === 0) break;
      filled += read;
    }
    return buffer.subarray(0, filled);
  }

  private flush(): void {
    if (this.pendingBytes === 0) return;
    const chunk = Buffer.concat(this.pending, this.pendingBytes);
    for (let done = 0; done < chunk.length; ) done += writeSync(this.fd, chunk, done, chunk.length - done, this.written + done);
    this.written += chunk.length;
    this.pending = [];
    this.pendingBytes = 0;
  }
}
