// Tables that break across pages: the header row repeats on every page, rows taller than the space left continue
// on the next page line by line, and every cell wraps inside its own width. Tagged as Table > TR > TH (column scope)
// and TD; a row split over two pages keeps its cells, each with one marked-content sequence per page; the repeated
// header, the "(continued)" caption, fills and rules are artifacts.
import type { Sequence } from "../src/core/package-model.js";
import { INK, MUTED, RULE, style, type PdfWriter } from "./pdf-layout.js";
import type { Node } from "./pdf-tags.js";
import type { FontName, Rgb, TextStyle } from "./pdf-text.js";

export interface Column {
  header: string;
  /** Share of the text width; the shares of a table add up to 1. */
  share: number;
  align?: "left" | "right";
}

export interface Cell {
  text: string;
  color?: Rgb;
  bold?: boolean;
}

export interface TableOptions {
  size?: number;
  /** Printed above the header again on each continuation page; also the Table element's title (/T). */
  caption?: string;
}

/** Columns from [header, share] or [header, share, align] tuples: one line per table instead of one per column. */
export const columns = (...specs: readonly (readonly [string, number, ("left" | "right")?])[]): Column[] =>
  specs.map(([header, share, align]) => ({ header, share, ...(align ? { align } : {}) }));

/** A heading (and a note under it), then the table, or the `empty` text in its place when there are no rows. */
export function titledTable(
  writer: PdfWriter,
  heading: { text: string; level: 1 | 2 | 3; note?: string; empty: string; emptyStyle?: TextStyle },
  tableColumns: readonly Column[],
  rows: Sequence<readonly (string | Cell)[]>,
  options: TableOptions = {},
): void {
  writer.heading(heading.text, heading.level);
  if (heading.note) writer.paragraph(heading.note, style("Helvetica-Oblique", 7.5, MUTED));
  if (rows.length === 0) writer.paragraph(heading.empty, heading.emptyStyle ?? style("Helvetica-Oblique", 8.5, MUTED));
  else table(writer, tableColumns, rows, options);
}

const PAD_X = 3;
const PAD_Y = 2.5;
const HEADER_FILL: Rgb = [0.9, 0.91, 0.93];
const ZEBRA_FILL: Rgb = [0.965, 0.968, 0.975];

interface Layout {
  x: number;
  width: number;
  align: "left" | "right";
}

export function table(
  writer: PdfWriter,
  columns: readonly Column[],
  rows: Iterable<readonly (string | Cell)[]>,
  options: TableOptions = {},
): number {
  const size = options.size ?? 7.5;
  const lineHeight = size * 1.22;
  const layout: Layout[] = [];
  let x = writer.left;
  for (const column of columns) {
    const width = column.share * writer.width;
    layout.push({ x, width, align: column.align ?? "left" });
    x += width;
  }
  const headerLines = columns.map((column, index) =>
    writer.type.wrap(column.header, (layout[index] as Layout).width - 2 * PAD_X, "Helvetica-Bold", size),
  );
  const headerHeight = Math.max(...headerLines.map((lines) => lines.length)) * lineHeight + 2 * PAD_Y;

  const tags = writer.tags;
  const drawHeader = (index: number) =>
    drawLines(
      writer,
      layout[index] as Layout,
      headerLines[index] as string[],
      writer.y + PAD_Y,
      lineHeight,
      size,
      "Helvetica-Bold",
      INK,
    );
  const header = (continued: boolean) => {
    if (continued && options.caption) {
      const caption = `${options.caption} (continued)`;
      tags.pagination(() =>
        writer.type.text(writer.left, writer.y, caption, style("Helvetica-Oblique", size, MUTED)),
      );
      writer.y += lineHeight + 2;
    }
    tags.decoration(() => writer.fillRect(writer.left, writer.y, writer.width, headerHeight, HEADER_FILL));
    if (continued) tags.pagination(() => columns.forEach((_, index) => drawHeader(index)));
    else {
      const row = tags.node("TR", tableNode);
      columns.forEach((_, index) => tags.text("TH", () => drawHeader(index), row, { scope: "Column" }));
      tags.end(row);
    }
    writer.y += headerHeight;
  };

  writer.ensure(headerHeight + lineHeight * 2 + 2 * PAD_Y + (options.caption ? lineHeight : 0));
  const tableNode = tags.node("Table", undefined, options.caption ? { title: options.caption } : {});
  header(false);
  let count = 0;
  for (const row of rows) {
    const cells = row.map((cell) => (typeof cell === "string" ? { text: cell } : cell));
    const lines = cells.map((cell, index) =>
      writer.type.wrap(
        cell.text,
        (layout[index] as Layout).width - 2 * PAD_X,
        cell.bold ? "Helvetica-Bold" : "Helvetica",
        size,
      ),
    );
    const total = Math.max(1, ...lines.map((cellLines) => cellLines.length));
    const rowNode = tags.node("TR", tableNode);
    const cellNodes = cells.map(() => tags.node("TD", rowNode));
    let from = 0;
    while (from < total) {
      let room = Math.floor((writer.bottom - writer.y - 2 * PAD_Y) / lineHeight);
      // Keep short rows whole; split only rows taller than the space left on a fresh page.
      if (room < Math.min(total - from, 3) || (room < total - from && total - from <= 6)) {
        writer.newPage();
        header(true);
        room = Math.floor((writer.bottom - writer.y - 2 * PAD_Y) / lineHeight);
      }
      const take = Math.min(room, total - from);
      const height = take * lineHeight + 2 * PAD_Y;
      if (count % 2 === 1)
        tags.decoration(() => writer.fillRect(writer.left, writer.y, writer.width, height, ZEBRA_FILL));
      cells.forEach((cell, index) => {
        const slice = (lines[index] as string[]).slice(from, from + take);
        tags.mark(cellNodes[index] as Node, () =>
          drawLines(
            writer,
            layout[index] as Layout,
            slice,
            writer.y + PAD_Y,
            lineHeight,
            size,
            cell.bold ? "Helvetica-Bold" : "Helvetica",
            cell.color ?? INK,
          ),
        );
      });
      writer.y += height;
      from += take;
      if (from < total) {
        writer.newPage();
        header(true);
      }
    }
    for (const cellNode of cellNodes) tags.end(cellNode);
    tags.end(rowNode);
    count += 1;
    // Flushing per row keeps each page's text batch small; the text lands on the page the row is on.
    if (count % 40 === 0) writer.type.flush();
  }
  tags.end(tableNode);
  writer.rule(writer.y, RULE);
  writer.y += 8;
  return count;
}

function drawLines(
  writer: PdfWriter,
  column: Layout,
  lines: readonly string[],
  top: number,
  lineHeight: number,
  size: number,
  font: FontName,
  color: Rgb,
): void {
  lines.forEach((line, index) => {
    const x =
      column.align === "right"
        ? column.x + column.width - PAD_X - writer.type.width(line, font, size)
        : column.x + PAD_X;
    writer.type.text(x, top + index * lineHeight, line, style(font, size, color));
  });
}
