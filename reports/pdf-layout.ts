// Page furniture for the PDFs: Letter pages, a running header, headings that feed the table of contents and outline,
// wrapped paragraphs that break across pages, and "page X of Y" footers written once every page exists.
import PDFDocument from "pdfkit";
import { Tagger, type Node } from "./pdf-tags.js";
import { Typesetter, type FontName, type Rgb, type TextStyle } from "./pdf-text.js";
import type { SyncFile } from "./renderer.js";

export const INK: Rgb = [0.12, 0.13, 0.15];
export const MUTED: Rgb = [0.42, 0.44, 0.48];
export const RULE: Rgb = [0.8, 0.81, 0.83];
export const STATUS_COLORS: Record<string, Rgb> = {
  pass: [0.1, 0.45, 0.22],
  effective: [0.1, 0.45, 0.22],
  satisfied: [0.1, 0.45, 0.22],
  fail: [0.72, 0.1, 0.1],
  deficient: [0.72, 0.1, 0.1],
  error: [0.7, 0.38, 0.0],
  incomplete: [0.7, 0.38, 0.0],
  excepted: [0.2, 0.3, 0.65],
  not_applicable: [0.42, 0.44, 0.48],
  expired: [0.72, 0.1, 0.1],
  active: [0.1, 0.45, 0.22],
};
export const STATUS_LABELS: Record<string, string> = { not_applicable: "n/a" };

const rgbHex = (color: Rgb) =>
  `#${color
    .map((part) =>
      Math.round(part * 255)
        .toString(16)
        .padStart(2, "0"),
    )
    .join("")}`;

export const style = (font: FontName, size: number, color: Rgb = INK): TextStyle => ({ font, size, color });

export interface TocEntry {
  title: string;
  level: 1 | 2;
  page: number;
  anchor: string;
}

export interface WriterOptions {
  title: string;
  subject: string;
  author: string;
  created: Date;
  /** Running header printed at the top of every page but the first. */
  runningHeader: string;
  /** XMP dc:identifier (the run id) and dc:coverage (the period, start/end), and /Info Keywords. */
  identifier: string;
  coverage: string;
  keywords: string;
}

const xml = (text: string) =>
  text.replace(/[&<>"']/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[char] as string);

/**
 * pdfkit 0.20.2 copies Title, Subject, Author and Keywords into the XMP packet without XML escaping, so an
 * organization named "Smith & Sons" would make the packet malformed. Its `_addInfo` runs inside `end()` after the
 * /Info dictionary is written from the raw strings: wrapping it escapes for the XMP only.
 */
function escapeInfoForXmp(doc: Document): void {
  const target = doc as unknown as { info: Record<string, unknown>; _addInfo(): void };
  const addInfo = target._addInfo;
  target._addInfo = function (this: typeof target) {
    const raw = this.info;
    this.info = Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, typeof value === "string" ? xml(value) : value]));
    try {
      addInfo.call(this);
    } finally {
      this.info = raw;
    }
  };
}

type Document = InstanceType<typeof PDFDocument>;

/**
 * pdfkit pushes every object to its output stream in three chunks, each converted byte by byte; a tagged 20,000-row
 * table has ~120,000 structure elements, so those pushes cost more than the layout. This collects the text chunks
 * and pushes them in 64 KB Buffers (latin1 is pdfkit's own one-byte-per-char encoding), keeping `_offset`, which the
 * cross-reference table is built from, exact.
 */
function batchOutput(doc: Document, sink: () => ((chunk: Buffer) => void) | undefined, onEnd: () => void): void {
  const target = doc as unknown as {
    _offset: number;
    _write(data: string | Uint8Array): void;
    push(chunk: Buffer | null): boolean;
  };
  const readable = target.push.bind(target);
  const push = (chunk: Buffer | null): boolean => {
    const into = sink();
    if (chunk === null) onEnd();
    if (!into || chunk === null) return readable(chunk);
    into(chunk);
    return true;
  };
  let pending: string[] = [];
  let size = 0;
  const drain = () => {
    if (pending.length === 0) return;
    push(Buffer.from(pending.join(""), "latin1"));
    pending = [];
    size = 0;
  };
  target._write = (data) => {
    if (typeof data === "string") {
      pending.push(data, "\n");
      size += data.length + 1;
      target._offset += data.length + 1;
      if (size >= 65_536) drain();
    } else {
      drain();
      push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      target._offset += data.byteLength;
    }
  };
  target.push = (chunk) => {
    if (chunk === null) drain();
    return push(chunk);
  };
}

/**
 * pdfkit's ParentTree (ISO 32000-1 §14.7.4.4) keeps, until the document ends, each page's array of the structure
 * elements its marked content belongs to: every tagged table cell's whole dictionary object (a 40,000-item report's
 * heap peaked at 204 MB with them, 136 MB without). The tree is written only as indirect references ("12 0 R"), so
 * once a page is left (no more marked content can join it) its array is replaced by that text. pdfkit writes an
 * object as its toString() when it is an instance of its reference base class, which is not exported: it is taken
 * from the page's own content stream reference. An array still holding an unassigned slot (null) is left as it is.
 */
function compactParentTree(doc: Document, page: PDFKit.PDFPage, reference: PDFKit.PDFKitReference): void {
  const key = (page.dictionary.data as { StructParents?: number }).StructParents;
  if (key === undefined) return;
  const tree = (doc as unknown as { getStructParentTree(): { get(key: number): unknown; add(key: number, value: unknown): void } })
    .getStructParentTree();
  const elements = tree.get(key);
  if (!Array.isArray(elements) || elements.some((element) => element == null)) return;
  const text = `[${elements.map(String).join(" ")}]`;
  const referenceBase = Object.getPrototypeOf(Object.getPrototypeOf(reference)) as object;
  tree.add(key, Object.create(referenceBase, { toString: { value: () => text } }));
}

export class PdfWriter {
  readonly doc: Document;
  readonly type: Typesetter;
  readonly tags: Tagger;
  readonly left = 50;
  readonly right = 562;
  readonly top = 58;
  readonly bottom = 744;
  y = 58;
  readonly toc: TocEntry[] = [];
  private tocPages: number[] = [];
  private pageIndex = -1;
  /** The contents' structure (TOC, with its heading), placed in reading order by reserveContents(), filled by finish(). */
  private contents: { heading: Node; toc: Node } | undefined;
  /** The last heading's structure level: H levels never skip one (a level-3 heading after an H1 is an H2). */
  private headingLevel = 0;
  /** Where output goes as pdfkit writes it (produceInto); unset, it queues in the document's Readable. */
  sink: ((chunk: Buffer) => void) | undefined;
  private markEnded: () => void = () => undefined;
  /** Settles once pdfkit has written the document's last byte (the trailer). */
  readonly ended = new Promise<void>((resolve) => (this.markEnded = resolve));

  constructor(private readonly options: WriterOptions) {
    // PDF/A-2b identification (XMP pdfaid 2/B, sRGB output intent) with embedded fonts, tagged (pdf-tags.ts); level A
    // and PDF/UA are not claimed, since no validator here can confirm them (README "PDFs" says what was checked).
    this.doc = new PDFDocument({
      size: "LETTER",
      margin: 0,
      autoFirstPage: false,
      bufferPages: true,
      compress: true,
      pdfVersion: "1.7",
      subset: "PDF/A-2b",
      tagged: true,
      lang: "en-US",
      displayTitle: true,
      info: {
        Title: options.title,
        Subject: options.subject,
        Author: options.author,
        Creator: options.author,
        Keywords: options.keywords,
        CreationDate: options.created,
      },
    });
    escapeInfoForXmp(this.doc);
    batchOutput(this.doc, () => this.sink, () => this.markEnded());
    this.doc.appendXML(`
        <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
            <dc:identifier>${xml(options.identifier)}</dc:identifier>
            <dc:coverage>${xml(options.coverage)}</dc:coverage>
        </rdf:Description>`);
    this.type = new Typesetter(this.doc);
    this.tags = new Tagger(this.doc, this.type);
  }

  get width(): number {
    return this.right - this.left;
  }

  get page(): number {
    return this.pageIndex + 1;
  }

  newPage(): void {
    this.tags.pause();
    this.type.flush();
    this.release();
    this.doc.addPage();
    this.pageIndex += 1;
    this.y = this.top;
    if (this.pageIndex > 0) {
      this.tags.pagination(
        () => this.type.text(this.left, 30, this.options.runningHeader, style("Helvetica", 7, MUTED)),
        "Top",
      );
      this.rule(42);
    }
    this.tags.resume();
  }

  /**
   * Writes out what the page being left holds. Its pages stay open for the contents and footers finish() adds, but
   * their text need not wait in memory with them: the content so far is ended (compressed and written to the output
   * now) and a second, empty stream takes what comes later. A page's streams form one content stream, split at a
   * token boundary (ISO 32000-1 §7.8.2; the text batch is flushed and marked content closed before a break). At 2,500
   * pages the held text was 150 MB.
   */
  private release(): void {
    // Each page is left once, so its Contents is still the single stream pdfkit made.
    const page = (this.doc as unknown as { page?: PDFKit.PDFPage }).page;
    if (!page) return;
    const finished = page.content;
    finished.end(undefined);
    page.content = this.doc.ref({});
    (page.dictionary.data as { Contents?: unknown }).Contents = [finished, page.content];
    if (!this.tocPages.includes(this.pageIndex)) compactParentTree(this.doc, page, finished);
  }

  /** Starts a new page unless `height` more points fit on this one; true when it broke the page. */
  ensure(height: number): boolean {
    if (this.pageIndex >= 0 && this.y + height <= this.bottom) return false;
    this.newPage();
    return true;
  }

  gap(points: number): void {
    this.y += points;
  }

  /** Reserves pages for the table of contents, filled in by finish() once every section's page is known. */
  reserveContents(entries: number): void {
    const pages = Math.max(1, Math.ceil(entries / 44));
    for (let count = 0; count < pages; count += 1) {
      this.newPage();
      this.tocPages.push(this.pageIndex);
    }
    const heading = this.tags.node(this.structureHeading(1));
    this.contents = { heading, toc: this.tags.node("TOC") };
  }

  /** The structure type of a heading drawn at `level`: one below the last heading at most. */
  private structureHeading(level: number): string {
    this.headingLevel = Math.min(level, this.headingLevel + 1);
    return `H${this.headingLevel}`;
  }

  heading(text: string, level: 1 | 2 | 3, toc = level < 3): void {
    const size = level === 1 ? 16 : level === 2 ? 12.5 : 10;
    this.ensure(size * 1.4 + 30);
    if (toc && level < 3) {
      const anchor = `section-${this.toc.length + 1}`;
      this.doc.addNamedDestination(anchor, "XYZ", 0, this.y - 6, null);
      this.toc.push({ title: text, level: level as 1 | 2, page: this.page, anchor });
      this.doc.outline.addItem(text);
    }
    this.tags.text(this.structureHeading(level), () => {
      for (const line of this.type.wrap(text, this.width, "Helvetica-Bold", size)) {
        this.type.text(this.left, this.y, line, style("Helvetica-Bold", size));
        this.y += size * 1.25;
      }
    });
    this.y += level === 1 ? 8 : 5;
  }

  /** Wrapped text from the left margin (plus indent), breaking pages between lines; a P, or a document title's H1. */
  paragraph(
    text: string,
    textStyle: TextStyle = style("Helvetica", 9),
    indent = 0,
    after = 5,
    role: "P" | "Title" = "P",
  ): void {
    const lineHeight = textStyle.size * 1.3;
    this.tags.text(role === "Title" ? this.structureHeading(1) : "P", () => {
      for (const line of this.type.wrap(text, this.width - indent, textStyle.font, textStyle.size)) {
        this.ensure(lineHeight);
        this.type.text(this.left + indent, this.y, line, textStyle);
        this.y += lineHeight;
      }
    });
    this.y += after;
  }

  /** Label/value pairs in two columns; values wrap under themselves. Tagged as a table whose labels head the rows. */
  fields(rows: readonly (readonly [string, string])[], labelWidth = 120, size = 9): void {
    const lineHeight = size * 1.3;
    const table = this.tags.node("Table");
    for (const [label, value] of rows) {
      const lines = this.type.wrap(value, this.width - labelWidth, "Helvetica", size);
      this.ensure(Math.min(lines.length, 3) * lineHeight);
      const row = this.tags.node("TR", table);
      this.tags.text(
        "TH",
        () => this.type.text(this.left, this.y, label, style("Helvetica-Bold", size)),
        row,
        { scope: "Row" },
      );
      this.tags.text(
        "TD",
        () => {
          for (const line of lines) {
            this.ensure(lineHeight);
            this.type.text(this.left + labelWidth, this.y, line, style("Helvetica", size));
            this.y += lineHeight;
          }
        },
        row,
      );
      this.tags.end(row);
      this.y += 2;
    }
    this.tags.end(table);
    this.y += 4;
  }

  /** A filled label, e.g. a status, with its text centred; returns its width. The text is a P unless `inline`. */
  badge(x: number, y: number, text: string, color: Rgb, size = 8, inline = false): number {
    const width = this.type.width(text, "Helvetica-Bold", size) + 10;
    this.tags.decoration(() => this.doc.roundedRect(x, y, width, size + 6, 2).fill(rgbHex(color)));
    const label = () => this.type.text(x + 5, y + 3, text, style("Helvetica-Bold", size, [1, 1, 1]));
    if (inline) label();
    else this.tags.text("P", label);
    return width;
  }

  /** A status badge with a note beside it that wraps in the space left. */
  badgeLine(label: string, color: Rgb, note: string, size = 9): void {
    this.ensure(size + 14);
    const width = this.type.width(label, "Helvetica-Bold", size - 0.5) + 10;
    const lines = this.type.wrap(note, this.width - width - 8, "Helvetica", size);
    this.tags.text("P", () => {
      this.badge(this.left, this.y, label, color, size - 0.5, true);
      lines.forEach((line, index) =>
        this.type.text(this.left + width + 8, this.y + 3 + index * size * 1.3, line, style("Helvetica", size)),
      );
    });
    this.y += Math.max(size + 12, lines.length * size * 1.3 + 6) + 8;
  }

  /** A filled rectangle, untagged: callers draw it inside a Figure or as a decoration. */
  fillRect(x: number, y: number, width: number, height: number, color: Rgb): void {
    this.doc.rect(x, y, width, height).fill(rgbHex(color));
  }

  rule(y = this.y, color: Rgb = RULE): void {
    this.tags.decoration(() =>
      this.doc.moveTo(this.left, y).lineTo(this.right, y).lineWidth(0.5).strokeColor(rgbHex(color)).stroke(),
    );
  }

  /** Writes the table of contents into the reserved pages and "page X of Y" on every page, then ends the document. */
  finish(): void {
    this.type.flush();
    const total = this.doc.bufferedPageRange().count;
    const contents = this.contents;
    this.tocPages.forEach((pageIndex, index) => {
      this.doc.switchToPage(pageIndex);
      let y = this.top;
      if (index === 0 && contents) {
        this.tags.mark(contents.heading, () => this.type.text(this.left, y, "Contents", style("Helvetica-Bold", 16)));
        y += 30;
      }
      for (const entry of this.toc.slice(index * 44, (index + 1) * 44)) {
        const indent = entry.level === 1 ? 0 : 14;
        const font: FontName = entry.level === 1 ? "Helvetica-Bold" : "Helvetica";
        const number = String(entry.page);
        const title = this.type.wrap(entry.title, this.width - indent - 40, font, 9.5)[0] ?? "";
        const numberWidth = this.type.width(number, font, 9.5);
        const dotsFrom = this.left + indent + this.type.width(title, font, 9.5) + 6;
        const dots = ".".repeat(
          Math.max(
            0,
            Math.floor((this.right - numberWidth - 6 - dotsFrom) / this.type.width(".", "Helvetica", 9.5)),
          ),
        );
        const item = this.tags.node("TOCI", contents?.toc);
        const link = this.tags.node("Link", item);
        this.tags.mark(link, () => {
          this.type.text(this.left + indent, y, title, style(font, 9.5));
          this.type.text(this.right - numberWidth, y, number, style(font, 9.5));
        });
        this.tags.pagination(() => this.type.text(dotsFrom, y, dots, style("Helvetica", 9.5, MUTED)), undefined, "Layout");
        // The link annotation joins the structure as the Link's object reference; /Contents is its accessible name.
        this.doc.goTo(this.left, y - 2, this.width, 14, entry.anchor, {
          structParent: link.element,
          // pdfkit writes a JS string as a PDF name; a String object is written as a PDF text string.
          Contents: new String(`${entry.title}, page ${number}`),
        } as unknown as PDFKit.Mixins.AnnotationOption);
        this.tags.end(link);
        this.tags.end(item);
        y += 14.5;
      }
      this.type.flush();
    });
    if (contents) {
      this.tags.end(contents.heading);
      this.tags.end(contents.toc);
    }
    for (let index = 0; index < total; index += 1) {
      this.doc.switchToPage(index);
      const label = `page ${index + 1} of ${total}`;
      this.tags.pagination(
        () =>
          this.type.text(this.right - this.type.width(label, "Helvetica", 7.5), 760, label, style("Helvetica", 7.5, MUTED)),
        "Bottom",
      );
      this.type.flush();
    }
    this.doc.end();
  }
}

/**
 * Lays a document out while `consume` reads it (a file stream or a Buffer collector), so output flows as pages are
 * finished; a layout error destroys the document and is rethrown once the consumer has stopped.
 */
export async function produce<T>(
  writer: PdfWriter,
  layout: () => void,
  consume: (doc: Document) => Promise<T>,
): Promise<T> {
  // The consumer may not be reading yet (a file stream opens first): without a listener, destroy(error) below would
  // be an unhandled 'error' event and end the process, where the layout error must reach the caller.
  const swallow = () => undefined;
  writer.doc.on("error", swallow);
  const consuming = consume(writer.doc);
  try {
    layout();
  } catch (error) {
    writer.doc.destroy(error as Error);
    await consuming.catch(() => undefined);
    throw error;
  }
  return consuming;
}

/**
 * Lays a document out straight into a file: each chunk is written as pdfkit produces it. The layout is one
 * synchronous pass, so through a Readable the whole document would wait in memory until it ended (at 2,500 pages,
 * some 100 MB of Buffers); here none of it does. A layout error gives the file up and reaches the caller.
 */
export async function produceInto(writer: PdfWriter, layout: () => void, file: SyncFile): Promise<void> {
  // What pdfkit wrote before the layout (the header, in its constructor) waits in the Readable: first out.
  for (let chunk = writer.doc.read() as Buffer | null; chunk !== null; chunk = writer.doc.read() as Buffer | null) file.write(chunk);
  writer.sink = (chunk) => file.write(chunk);
  writer.doc.on("error", () => undefined); // the error is the layout's, rethrown below
  try {
    layout();
    await writer.ended;
  } catch (error) {
    file.discard();
    throw error;
  }
  await file.close();
}

/** The finished document's bytes, for callers that need a Buffer (per-control PDFs, tests). */
export async function collect(doc: Document): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of doc) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
