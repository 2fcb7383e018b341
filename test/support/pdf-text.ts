// Reads rendered PDFs back with poppler-utils (Debian package poppler-utils: pdftotext, pdfinfo), as an auditor's
// tools would: text in content order, per-page text, page count, and word boxes.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

async function withFile<T>(pdf: Buffer, use: (file: string) => Promise<T>): Promise<T> {
  const folder = await mkdtemp(join(tmpdir(), "soc2-pdf-"));
  const file = join(folder, "document.pdf");
  try {
    await writeFile(file, pdf);
    return await use(file);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** The text in content-stream order; pages are separated by form feeds. */
export const pdfText = (pdf: Buffer): Promise<string> =>
  withFile(
    pdf,
    async (file) =>
      (await run("pdftotext", ["-raw", "-enc", "UTF-8", file, "-"], { maxBuffer: 256 * 1024 * 1024 })).stdout,
  );

export const pdfPages = (pdf: Buffer): Promise<number> =>
  withFile(pdf, async (file) => {
    const { stdout } = await run("pdfinfo", [file]);
    return Number(/^Pages:\s+(\d+)/m.exec(stdout)?.[1] ?? Number.NaN);
  });

export interface WordBox {
  page: number;
  xMin: number;
  xMax: number;
  yMin: number;
  text: string;
}

/** Every word with its horizontal extent, from pdftotext -bbox. */
export const pdfWords = (pdf: Buffer): Promise<WordBox[]> =>
  withFile(pdf, async (file) => {
    const { stdout } = await run("pdftotext", ["-bbox", "-enc", "UTF-8", file, "-"], {
      maxBuffer: 256 * 1024 * 1024,
    });
    const words: WordBox[] = [];
    let page = 0;
    for (const line of stdout.split("\n")) {
      if (line.includes("<page ")) page += 1;
      const match = /<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">(.*)<\/word>/.exec(
        line,
      );
      if (match)
        words.push({
          page,
          xMin: Number(match[1]),
          yMin: Number(match[2]),
          xMax: Number(match[3]),
          text: match[4] ?? "",
        });
    }
    return words;
  });

/** Text with all whitespace removed, so a value wrapped over several lines still matches. */
export const squash = (text: string): string => text.replace(/\s+/g, "");
