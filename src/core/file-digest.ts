// SHA-256 and size of a local file: what a store records for a file it wrote, and what verify recomputes.
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";

/**
 * Reads at most `limit` bytes, all into one reused 1 MB buffer: a read stream allocates a buffer per chunk, and
 * hashing a package's 180 MB while the next format renders left that much garbage beside the renderer's heap. Verify
 * passes the size the manifest lists plus one, so a file that grew is caught without reading it all.
 */
export async function fileDigest(path: string, limit = Number.POSITIVE_INFINITY): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    let size = 0;
    while (size < limit) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, limit - size), size);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
    return { sha256: hash.digest("hex"), size };
  } finally {
    await handle.close();
  }
}
