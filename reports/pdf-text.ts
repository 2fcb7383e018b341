// Fast text for the PDFs: WinAnsi-safe strings, cached glyph widths, line wrapping that breaks long ARNs at ':' and '/',
// and text operators batched per page (pdfkit's text() costs ~80 µs a call, too slow for 20,000-item reports).
import type PDFDocument from "pdfkit";

export type FontName = "Helvetica" | "Helvetica-Bold" | "Helvetica-Oblique";
export type Rgb = readonly [number, number, number];

export interface TextStyle {
  font: FontName;
  size: number;
  color: Rgb;
}

/** pdfkit's standard-font object; the public types do not expose it, so this names the three members used. */
interface StandardFont {
  id: string;
  ascender: number;
  ref(): unknown;
  widthOfString(text: string, size: number): number;
}

type Document = InstanceType<typeof PDFDocument>;

const FONTS: readonly FontName[] = ["Helvetica", "Helvetica-Bold", "Helvetica-Oblique"];
const HEX = Array.from({ length: 256 }, (_, code) => code.toString(16).padStart(2, "0"));
const SUBSTITUTES: Record<string, string> = {
  "\u2018": "'",
  "\u2019": "'",
  "\u201C": '"',
  "\u201D": '"',
  "\u2013": "-",
  "\u2014": "-",
  "\u2026": "...",
  "\u2022": "*",
  "\u2192": "->",
  "\u2264": "<=",
  "\u2265": ">=",
  "\u00D7": "x",
  "\u200B": "",
};
const BREAK_AFTER = new Set([":", "/", "-", "_", ".", ",", "=", "&", "?", "|", "@"]);

/** Maps text to what the built-in fonts can show (WinAnsi, one byte a character); anything else becomes '?'. */
export function winAnsi(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  let out = "";
  for (const char of text) {
    const code = char.codePointAt(0) ?? 63;
    if (code < 0x20) out += " ";
    else if (code < 0x7f || (code >= 0xa0 && code <= 0xff)) out += char;
    else out += SUBSTITUTES[char] ?? "?";
  }
  return out;
}

export class Typesetter {
  private readonly fonts = new Map<FontName, StandardFont>();
  private readonly widths = new Map<FontName, Float64Array>();
  private ops: string[] = [];
  private used = new Set<FontName>();
  private current = "";
  private color = "";

  constructor(private readonly doc: Document) {
    for (const name of FONTS) {
      doc.font(name);
      // pdfkit keeps the selected font on `_font`: the only handle on its id, reference and metrics.
      const font = (doc as unknown as { _font: StandardFont })._font;
      const table = new Float64Array(256);
      for (let code = 32; code < 256; code += 1)
        table[code] = font.widthOfString(String.fromCharCode(code), 1);
      this.fonts.set(name, font);
      this.widths.set(name, table);
    }
    doc.font("Helvetica");
  }

  width(text: string, font: FontName, size: number): number {
    const table = this.widths.get(font) as Float64Array;
    let total = 0;
    for (let index = 0; index < text.length; index += 1) total += table[text.charCodeAt(index) & 0xff] ?? 0;
    return total * size;
  }

  /** Lines of at most `maxWidth`, breaking at spaces, then inside long tokens after ':' '/' '-' etc., then anywhere. */
  wrap(text: string, maxWidth: number, font: FontName, size: number): string[] {
    const lines: string[] = [];
    const space = this.width(" ", font, size);
    for (const paragraph of text.split(/\r?\n/).map(winAnsi)) {
      let line = "";
      let lineWidth = 0;
      for (const word of paragraph.split(" ")) {
        const pieces =
          this.width(word, font, size) > maxWidth ? this.pieces(word, maxWidth, font, size) : [word];
        pieces.forEach((piece, index) => {
          const pieceWidth = this.width(piece, font, size);
          const gap = line === "" || index > 0 ? 0 : space;
          if (lineWidth + gap + pieceWidth <= maxWidth || line === "") {
            line += (gap > 0 ? " " : "") + piece;
            lineWidth += gap + pieceWidth;
          } else {
            lines.push(line);
            line = piece;
            lineWidth = pieceWidth;
          }
        });
      }
      lines.push(line);
    }
    return lines;
  }

  /** A token too wide for one line, cut after break characters, and by characters where a segment is still too wide. */
  private pieces(word: string, maxWidth: number, font: FontName, size: number): string[] {
    const segments: string[] = [];
    let segment = "";
    for (const char of word) {
      segment += char;
      if (BREAK_AFTER.has(char)) {
        segments.push(segment);
        segment = "";
      }
    }
    if (segment) segments.push(segment);
    return segments.flatMap((part) => {
      if (this.width(part, font, size) <= maxWidth) return [part];
      const chunks: string[] = [];
      let chunk = "";
      for (const char of part) {
        if (chunk && this.width(chunk + char, font, size) > maxWidth) {
          chunks.push(chunk);
          chunk = "";
        }
        chunk += char;
      }
      return chunk ? [...chunks, chunk] : chunks;
    });
  }

  /** Queues one line of text whose top-left corner is (x, y) in pdfkit's top-down coordinates. */
  text(x: number, y: number, text: string, style: TextStyle): void {
    const safe = winAnsi(text);
    if (safe === "") return;
    const font = this.fonts.get(style.font) as StandardFont;
    const tf = `/${font.id} ${style.size} Tf`;
    if (tf !== this.current) {
      this.ops.push(tf);
      this.current = tf;
      this.used.add(style.font);
    }
    const rgb = `${style.color.map((part) => part.toFixed(3)).join(" ")} rg`;
    if (rgb !== this.color) {
      this.ops.push(rgb);
      this.color = rgb;
    }
    const baseline = this.doc.page.height - y - (font.ascender / 1000) * style.size;
    let hex = "";
    for (let index = 0; index < safe.length; index += 1) hex += HEX[safe.charCodeAt(index) & 0xff];
    this.ops.push(`1 0 0 1 ${x.toFixed(2)} ${baseline.toFixed(2)} Tm <${hex}> Tj`);
  }

  /** Writes the queued text to the current page; call before changing pages. */
  flush(): void {
    if (this.ops.length === 0) return;
    const page = this.doc.page as unknown as { fonts: Record<string, unknown> };
    for (const name of this.used) {
      const font = this.fonts.get(name) as StandardFont;
      page.fonts[font.id] ??= font.ref();
    }
    // pdfkit pages start flipped (y down); text is drawn in an unflipped, saved graphics state.
    this.doc.addContent(`q 1 0 0 -1 0 ${this.doc.page.height} cm BT ${this.ops.join("\n")} ET Q`);
    this.ops = [];
    this.used = new Set();
    this.current = "";
    this.color = "";
  }
}
