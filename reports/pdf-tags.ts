// The PDFs' structure tree (tagged PDF, ISO 32000-1 §14.7-14.8), as far as pdfkit 0.20 goes: headings, paragraphs,
// tables (TR, TH with a scope, TD), the contents (TOC, TOCI, Link) and the calendar as a Figure with alt text;
// running headers, page numbers, fills and rules are artifacts. Text marks are queued in the Typesetter's batch next
// to the text they mark (marked content may sit inside a text object, ISO 32000-1 Figure 9), so a 20,000-row table
// costs no flush per cell. pdfkit has no RoleMap, so only standard structure types are used.
import type PDFDocument from "pdfkit";
import type { Typesetter } from "./pdf-text.js";

type Document = InstanceType<typeof PDFDocument>;
type Element = PDFKit.PDFStructureElement;
type Content = PDFKit.PDFStructureContent;

/** pdfkit 0.20 also takes `scope` (TH) and `bbox`/`placement` (Layout attributes); @types/pdfkit 0.17 lacks them. */
export interface NodeOptions {
  alt?: string;
  title?: string;
  scope?: "Row" | "Column" | "Both";
  /** Left, top, right, bottom in pdfkit's top-down page coordinates. */
  bbox?: [number, number, number, number];
  placement?: "Block" | "Inline";
}

/** A structure element and its type (the tag its marked content carries). */
export interface Node {
  readonly element: Element;
  readonly type: string;
}

export class Tagger {
  readonly root: Node;
  /** The element whose marked content is open: newPage() closes it before the break and reopens it after. */
  private open: { node: Node; content?: Content } | undefined;

  constructor(
    private readonly doc: Document,
    private readonly type: Typesetter,
  ) {
    this.root = { element: doc.struct("Document"), type: "Document" };
    doc.addStructure(this.root.element);
  }

  /** An element in reading order under `parent`; it stays open for children until end(). */
  node(type: string, parent: Node = this.root, options: NodeOptions = {}): Node {
    const element = this.doc.struct(type, options as PDFKit.Mixins.StructureElementOptions);
    parent.element.add(element);
    return { element, type };
  }

  end(node: Node): void {
    node.element.end();
  }

  /** Adds the text `draw` queues to `node` as one marked-content sequence (one more per page it crosses). */
  mark(node: Node, draw: () => void): void {
    this.open = { node };
    this.begin();
    draw();
    this.close();
    this.open = undefined;
  }

  /** A leaf element of text: a heading, paragraph, caption or cell. */
  text(type: string, draw: () => void, parent: Node = this.root, options: NodeOptions = {}): Node {
    const node = this.node(type, parent, options);
    this.mark(node, draw);
    this.end(node);
    return node;
  }

  /** Vector drawing with text (the coverage calendar): marked on the page itself, around a flush of the text. */
  figure(alt: string, bbox: [number, number, number, number], draw: () => void, parent: Node = this.root): void {
    this.type.flush();
    const node = this.node("Figure", parent, { alt, bbox, placement: "Block" });
    const content = this.doc.markStructureContent("Figure");
    draw();
    this.type.flush();
    this.doc.endMarkedContent();
    node.element.add(content);
    this.end(node);
  }

  /** Vector decoration drawn straight onto the page (fills, rules, badge backgrounds): a Layout artifact. */
  decoration(draw: () => void): void {
    this.doc.addContent("/Artifact <</Type /Layout>> BDC");
    draw();
    this.doc.addContent("EMC");
  }

  /**
   * Text that is not content: repeated for navigation (running header, page numbers, a table's repeated header) as a
   * Pagination artifact, or layout (the contents' leader dots) as a Layout artifact.
   */
  pagination(draw: () => void, attached?: "Top" | "Bottom", kind: "Pagination" | "Layout" = "Pagination"): void {
    this.type.raw(`/Artifact <</Type /${kind}${attached ? ` /Attached [/${attached}]` : ""}>> BDC`);
    draw();
    this.type.raw("EMC");
  }

  /** Closes the open marked content before a page break; resume() reopens it on the new page. */
  pause(): void {
    if (this.open) this.close();
  }

  resume(): void {
    if (this.open) this.begin();
  }

  private begin(): void {
    const open = this.open as { node: Node; content?: Content };
    open.content = this.type.queue(() => this.doc.markStructureContent(open.node.type));
  }

  private close(): void {
    const open = this.open as { node: Node; content?: Content };
    this.type.queue(() => this.doc.endMarkedContent());
    if (open.content) open.node.element.add(open.content);
    open.content = undefined;
  }
}
