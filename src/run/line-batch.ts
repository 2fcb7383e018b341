// JSON lines gathered into writes of about 64 KiB for a file stream.
import type { Writable } from "node:stream";

const BATCH_CHARS = 64 * 1024;

/**
 * One write per item cost a file-system request each (0.35 s of the main thread for the medium estate's 8,500 items,
 * `npm run bench` under --cpu-prof), where the lines are small. A stream that has failed or closed rejects the next
 * push or flush, and a wait for room ends when the stream fails or closes: lines are never taken for written.
 */
export class LineBatch {
  private lines: string[] = [];
  private size = 0;

  constructor(private readonly stream: Writable) {}

  async push(line: string): Promise<void> {
    this.lines.push(line);
    this.size += line.length + 1;
    if (this.size >= BATCH_CHARS) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.lines.length === 0) return;
    const text = this.lines.join("\n") + "\n";
    this.lines = [];
    this.size = 0;
    unusable(this.stream);
    if (!this.stream.write(text)) await drained(this.stream);
  }
}

function unusable(stream: Writable): void {
  if (stream.errored) throw stream.errored;
  if (stream.destroyed || stream.writableEnded) throw new Error("the item file was closed before its lines were written");
}

/** Resolves once the stream has room again; rejects if it fails or closes first (a bare `once(drain)` would hang). */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = () => {
      stream.off("drain", settle);
      stream.off("error", settle);
      stream.off("close", settle);
      try {
        unusable(stream);
        resolve();
      } catch (error) {
        reject(error as Error);
      }
    };
    stream.on("drain", settle);
    stream.on("error", settle);
    stream.on("close", settle);
  });
}
