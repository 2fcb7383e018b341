// Reads a PDF's structure tree back from the file with qpdf (Debian package qpdf; `qpdf --json=2`), not from the
// writer's state: the catalog's /MarkInfo and /StructTreeRoot, every element reachable from the root with its type
// and /Alt, and every page's content stream, decoded, to find painting outside marked content.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

type Value = string | number | boolean | null | Value[] | { [key: string]: Value };
interface Stored {
  value?: Value;
  stream?: { dict: Record<string, Value>; data?: string };
}

export interface StructureElement {
  type: string;
  depth: number;
  alt?: string;
  title?: string;
  scope?: string;
}

export interface PdfStructure {
  marked: boolean;
  lang?: string;
  hasStructTreeRoot: boolean;
  elements: StructureElement[];
  /** Per page: painting operators (text, fills, strokes) outside any marked-content sequence, and whether BDC/EMC balance. */
  pages: { unmarkedPainting: number; balanced: boolean }[];
  /**
   * Where the ParentTree (ISO 32000-1 §14.7.4.4) disagrees with the tree: a page's marked content (MCID) whose entry
   * is not the element that holds it, or an MCID painted on a page that its ParentTree array does not cover.
   */
  parentTreeErrors: string[];
  /** How many (page, MCID) marks the structure elements hold. */
  marks: number;
}

const PAINTING = new Set(["Tj", "TJ", "'", '"', "f", "F", "f*", "B", "B*", "b", "b*", "S", "s", "Do", "sh"]);

/** qpdf JSON v2 writes strings as "u:text" (or "b:hex") and references as "N 0 R". */
const text = (value: Value | undefined): string | undefined =>
  typeof value === "string" && value.startsWith("u:") ? value.slice(2) : undefined;

export async function readStructure(pdf: Buffer): Promise<PdfStructure> {
  const folder = await mkdtemp(join(tmpdir(), "soc2-struct-"));
  const file = join(folder, "document.pdf");
  try {
    await writeFile(file, pdf);
    const { stdout } = await run(
      "qpdf",
      ["--json=2", "--json-key=qpdf", "--json-stream-data=inline", "--decode-level=generalized", file],
      { maxBuffer: 1024 * 1024 * 1024 },
    );
    const objects = (JSON.parse(stdout) as { qpdf: [unknown, Record<string, Stored>] }).qpdf[1];
    const get = (ref: Value | undefined): Value | undefined => {
      if (typeof ref !== "string" || !/^\d+ \d+ R$/.test(ref)) return ref;
      const stored = objects[`obj:${ref}`];
      return stored?.value ?? (stored?.stream?.dict as Value | undefined);
    };
    const trailer = objects.trailer?.value as Record<string, Value>;
    const catalog = get(trailer["/Root"]) as Record<string, Value>;
    const markInfo = get(catalog["/MarkInfo"]) as Record<string, Value> | undefined;
    const root = get(catalog["/StructTreeRoot"]) as Record<string, Value> | undefined;

    const elements: StructureElement[] = [];
    /** "page ref/MCID" -> the element ref that holds that marked content. */
    const holders = new Map<string, string>();
    const walk = (kids: Value | undefined, depth: number) => {
      for (const kid of Array.isArray(kids) ? kids : kids === undefined ? [] : [kids]) {
        const element = get(kid);
        if (!element || typeof element !== "object" || Array.isArray(element)) continue;
        const type = element["/S"];
        if (typeof type !== "string") continue; // MCR or OBJR dictionaries
        for (const child of Array.isArray(element["/K"]) ? element["/K"] : [element["/K"]]) {
          const mcr = typeof child === "object" && child !== null && !Array.isArray(child) ? child : undefined;
          const page = typeof child === "number" ? element["/Pg"] : mcr?.["/Type"] === "/MCR" ? mcr["/Pg"] : undefined;
          const mcid = typeof child === "number" ? child : mcr?.["/MCID"];
          if (typeof page === "string" && typeof mcid === "number") holders.set(`${page}/${mcid}`, kid as string);
        }
        const attributes = get(element["/A"]) as Record<string, Value> | undefined;
        elements.push({
          type: type.slice(1),
          depth,
          ...(text(element["/Alt"]) !== undefined ? { alt: text(element["/Alt"]) } : {}),
          ...(text(element["/T"]) !== undefined ? { title: text(element["/T"]) } : {}),
          ...(typeof attributes?.["/Scope"] === "string" ? { scope: attributes["/Scope"].slice(1) } : {}),
        });
        walk(element["/K"], depth + 1);
      }
    };
    if (root) walk(root["/K"], 0);

    const pages: PdfStructure["pages"] = [];
    const parentTreeErrors: string[] = [];
    const parentTree = get(root?.["/ParentTree"]) as Record<string, Value> | undefined;
    const nums = (parentTree?.["/Nums"] ?? []) as Value[];
    const parentsOf = new Map<number, Value>();
    for (let index = 0; index + 1 < nums.length; index += 2) parentsOf.set(nums[index] as number, get(nums[index + 1]) as Value);
    const checkParents = (pageRef: string, page: Record<string, Value>, source: string) => {
      const parents = parentsOf.get(page["/StructParents"] as number);
      const painted = [...source.matchAll(/\/MCID (\d+)/g)].map((match) => Number(match[1]));
      for (const mcid of painted) {
        const entry = Array.isArray(parents) ? parents[mcid] : undefined;
        const holder = holders.get(`${pageRef}/${mcid}`);
        if (entry === undefined || entry !== holder) parentTreeErrors.push(`${pageRef} MCID ${mcid}: ParentTree ${String(entry)}, held by ${String(holder)}`);
      }
    };
    const pageTree = (node: Value | undefined) => {
      const page = get(node) as Record<string, Value>;
      if (page["/Type"] === "/Pages") for (const kid of page["/Kids"] as Value[]) pageTree(kid);
      else {
        const contents = page["/Contents"];
        const streams = Array.isArray(contents) ? contents : [contents];
        const source = streams
          .map((ref) => Buffer.from(objects[`obj:${ref as string}`]?.stream?.data ?? "", "base64").toString("latin1"))
          .join("\n");
        pages.push(scanContent(source));
        checkParents(node as string, page, source);
      }
    };
    pageTree(catalog["/Pages"]);
    return {
      marked: markInfo?.["/Marked"] === true,
      ...(text(catalog["/Lang"]) !== undefined ? { lang: text(catalog["/Lang"]) } : {}),
      hasStructTreeRoot: root?.["/Type"] === "/StructTreeRoot",
      elements,
      pages,
      parentTreeErrors,
      marks: holders.size,
    };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** Counts painting operators at marked-content depth 0. Hex strings and dictionaries hold no spaces that matter here. */
export function scanContent(source: string): { unmarkedPainting: number; balanced: boolean } {
  let depth = 0;
  let unmarkedPainting = 0;
  let balanced = true;
  for (const token of source.split(/\s+/)) {
    if (token === "BDC" || token === "BMC") depth += 1;
    else if (token === "EMC") {
      depth -= 1;
      if (depth < 0) balanced = false;
    } else if (depth === 0 && PAINTING.has(token)) unmarkedPainting += 1;
  }
  return { unmarkedPainting, balanced: balanced && depth === 0 };
}
