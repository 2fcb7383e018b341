// Where renderers write a package's files: a staging folder, each file announced once it is complete (write.ts
// stores each as it is announced).
import { closeSync, createWriteStream, mkdirSync, openSync, writeSync } from "node:fs";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { once } from "node:events";
import { dirname, join } from "node:path";
import type { RenderTarget } from "../../reports/renderer.js";

/** Characters gathered before a stream write. */
const WRITE_BATCH = 1 << 20;

/**
 * A target writing under `staging`; `complete` hears each finished file (relative path), `has` says whether a file is
 * already complete (a copy must come from one).
 */
export function stagingTarget(staging: string, complete: (path: string) => void, has: (path: string) => boolean): RenderTarget {
  return {
    async write(path, body) {
      await mkdir(dirname(join(staging, path)), { recursive: true });
      await writeFile(join(staging, path), body);
      complete(path);
    },
    async writeStream(path, chunks) {
      await mkdir(dirname(join(staging, path)), { recursive: true });
      // A 1 MB buffer: at the default 16 KB, a 74 MB access-review.csv waits for a drain every 16 KB; packaging the
      // access review bench's store was idle 1.26 s with it and 0.57 s at 1 MB (CPU profiles).
      const stream = createWriteStream(join(staging, path), { highWaterMark: 1 << 20 });
      // Kept and rethrown: an unhandled stream error would crash the process with the wrong exit code.
      let failed: Error | undefined;
      stream.on("error", (error) => {
        failed ??= error;
      });
      // Chunks are gathered into writes of about 1 MB: a chunk per CSV row made 188,010 writes of the access review
      // bench's access-review.csv, each its own string-to-bytes conversion and trip through the stream's state.
      let pending: string[] = [];
      let size = 0;
      const put = async (chunk: string | Buffer) => {
        // once() rejects on 'error' and removes its listeners either way, so a long file adds none per drain.
        if (!stream.write(chunk)) await once(stream, "drain").catch((error: Error) => (failed ??= error));
      };
      const flush = async () => {
        if (pending.length === 0) return;
        const body = pending.join("");
        pending = [];
        size = 0;
        await put(body);
      };
      for await (const chunk of chunks) {
        if (failed) break;
        if (typeof chunk !== "string") {
          await flush();
          await put(chunk);
          continue;
        }
        pending.push(chunk);
        size += chunk.length;
        if (size >= WRITE_BATCH) await flush();
      }
      if (!failed) await flush();
      if (failed) {
        stream.destroy();
        throw failed;
      }
      await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
      complete(path);
    },
    async copy(from, to) {
      if (!has(from)) throw new Error(`cannot copy ${from}: the package has no such file yet`);
      await mkdir(dirname(join(staging, to)), { recursive: true });
      await copyFile(join(staging, from), join(staging, to));
      complete(to);
    },
    openSync(path) {
      mkdirSync(dirname(join(staging, path)), { recursive: true });
      const fd = openSync(join(staging, path), "w");
      return {
        write(chunk) {
          for (let done = 0; done < chunk.length; ) done += writeSync(fd, chunk, done);
        },
        close: async () => {
          closeSync(fd);
          complete(path);
        },
        discard: () => closeSync(fd),
      };
    },
  };
}
