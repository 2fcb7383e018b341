// A RenderTarget that keeps every file in memory, for renderer tests.
import type { EvidencePackage } from "../../src/core/package-model.js";
import type { Renderer, RenderTarget } from "../../reports/renderer.js";

export interface MemoryTarget extends RenderTarget {
  files: Map<string, Buffer>;
  text(path: string): string;
  json<T = unknown>(path: string): T;
}

export function memoryTarget(): MemoryTarget {
  const files = new Map<string, Buffer>();
  const file = (path: string): Buffer => {
    const body = files.get(path);
    if (!body) throw new Error(`no file ${path} was rendered; have ${[...files.keys()].join(", ")}`);
    return body;
  };
  return {
    files,
    async write(path, body) {
      files.set(path, Buffer.from(body));
    },
    async writeStream(path, chunks) {
      const parts: Buffer[] = [];
      for await (const chunk of chunks) parts.push(Buffer.from(chunk));
      files.set(path, Buffer.concat(parts));
    },
    async copy(from, to) {
      files.set(to, file(from));
    },
    openSync(path) {
      const parts: Buffer[] = [];
      return {
        write: (chunk) => void parts.push(Buffer.from(chunk)),
        close: async () => void files.set(path, Buffer.concat(parts)),
        discard: () => void parts.splice(0),
      };
    },
    text: (path) => file(path).toString("utf8"),
    json: <T>(path: string) => JSON.parse(file(path).toString("utf8")) as T,
  };
}

export async function renderToMemory(renderer: Renderer, pkg: EvidencePackage): Promise<MemoryTarget> {
  const target = memoryTarget();
  await renderer.render(pkg, target);
  return target;
}
