import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { LineBatch } from "../src/run/line-batch.js";

/** A stream that takes one chunk at a time and asks for a drain after each, as a slow disk would. */
function slowSink() {
  const chunks: string[] = [];
  const stream = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      setImmediate(done);
    },
  });
  return { stream, chunks };
}

describe("LineBatch", () => {
  it("writes every line whole and in order, in a few large writes, waiting for the stream's room", async () => {
    const { stream, chunks } = slowSink();
    const batch = new LineBatch(stream);
    const lines = Array.from({ length: 2000 }, (_, index) => JSON.stringify({ index, pad: "x".repeat(100) }));
    for (const line of lines) await batch.push(line);
    await batch.flush();
    await new Promise<void>((resolve) => stream.end(resolve));
    expect(chunks.join("")).toBe(lines.join("\n") + "\n");
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.length).toBeLessThan(10);
  });

  it("rejects with the stream's error once the file could not be opened, instead of waiting for a drain forever", async () => {
    const folder = await mkdtemp(join(tmpdir(), "line-batch-"));
    try {
      const stream = createWriteStream(join(folder, "missing", "items.jsonl"));
      const failed = new Promise((resolve) => stream.once("error", resolve));
      await failed;
      const batch = new LineBatch(stream);
      await expect(batch.push("x".repeat(70_000))).rejects.toMatchObject({ code: "ENOENT" });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it("rejects a wait for room when the stream is closed under it (a stop destroying the run's streams)", async () => {
    const stream = new Writable({ highWaterMark: 1, write: () => undefined }); // never finishes a write
    const batch = new LineBatch(stream);
    const pushed = batch.push("y".repeat(70_000));
    setImmediate(() => stream.destroy());
    await expect(pushed).rejects.toThrow(/closed before its lines were written/);
  });
});
