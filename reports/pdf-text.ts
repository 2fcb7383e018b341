// Fast text for the PDFs: embedded Arimo (OFL-1.1, metric-compatible with Helvetica, so layout is unchanged), cached
// glyph ids and widths, line wrapping that breaks long ARNs at ':' and '/', and text operators batched per page
// (pdfkit's text() costs ~80 µs a call, too slow for 20,000-item reports). PDF/A forbids unembedded fonts and
// references to .notdef, so every character is one the font has, or '?'.
import type PDFDocument from "pdfkit";
import { createRequire } from "node:module";

/** The three faces, by the Helvetica names they replace (Arimo has Helvetica's advance widths). */
export type FontName = "Helvetica" | "Helvetica-Bold" | "Helvetica-Oblique";
export type Rgb = readonly [number, number, number];

export interface TextStyle {
  font: FontName;
  size: number;
  color: Rgb;
}

/** pdfkit's embedded-font object; the public types do not expose it, so this names the members used. */
interface EmbeddedFont {
  id: string;
  ascender: number;
  /** 1000 / the font's units per em. */
  scale: number;
  /** The glyphs this document embeds; includeGlyph returns a glyph's id in the subset. */
  subset: { includeGlyph(id: number): number };
  /** Advance widths (1000 units per em) and code points by subset glyph id: the font's /W array and ToUnicode CMap. */
  widths: number[];
  unicode: number[][];
  ref(): unknown;
  widthOfString(text: string, size: number): number;
  encode(text: string): [string[], unknown];
  font: {
    hasGlyphForCodePoint(code: number): boolean;
    glyphForCodePoint(code: number): { id: number; advanceWidth: number; codePoints: number[] };
  };
}

type Document = InstanceType<typeof PDFDocument>;

const require = createRequire(import.meta.url);
/** The TTFs of @expo-google-fonts/arimo (a runtime dependency, so `npm ci --omit=dev` images have them). */
export const FONT_FILES: Record<FontName, string> = {
  Helvetica: require.resolve("@expo-google-fonts/arimo/400Regular/Arimo_400Regular.ttf"),
  "Helvetica-Bold": require.resolve("@expo-google-fonts/arimo/700Bold/Arimo_700Bold.ttf"),
  "Helvetica-Oblique": require.resolve("@expo-google-fonts/arimo/400Regular_Italic/Arimo_400Regular_Italic.ttf"),
};
const FONTS = Object.keys(FONT_FILES) as FontName[];
const BREAK_AFTER = new Set([":", "/", "-", "_", ".", ",", "=", "&", "?", "|", "@"]);
/**
 * Characters that fontkit's layout hides (it draws them as a space of no advance): Unicode's default-ignorable code
 * points. fontkit's table is Unicode's less four Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), which Arimo lacks and
 * which here would only take the slower path through layout. Every other character of Arimo's three faces lays out alone as the
 * glyph and advance its cmap gives (test/pdf-text.test.ts checks all 3,011 of each face), so those skip layout, which
 * costs about 40 ms per face and document on first use (fontkit reads its GSUB and GPOS tables); the cmap costs
 * microseconds.
 */
const SHAPED_ALONE = /\p{Default_Ignorable_Code_Point}/u;

/** Whether one character's glyph is its cmap glyph, without fontkit's layout. */
export const glyphFromCmap = (char: string): boolean => !SHAPED_ALONE.test(char);

interface Glyph {
  hex: string;
  width: number;
}

/** What pdfkit's encode() does for one glyph: include it in the subset and record its width and code points. */
function fromCmap(font: EmbeddedFont, code: number): Glyph {
  const glyph = font.font.glyphForCodePoint(code);
  const id = font.subset.includeGlyph(glyph.id);
  const width = glyph.advanceWidth * font.scale;
  font.widths[id] ??= width;
  font.unicode[id] ??= glyph.codePoints;
  return { hex: id.toString(16).padStart(4, "0"), width: width / 1000 };
}

export class Typesetter {
  private readonly fonts = new Map<FontName, EmbeddedFont>();
  private readonly glyphs = new Map<FontName, Map<string, Glyph>>();
  /** Advance widths of characters below U+0100 (NaN until first used): the fast path of width(). */
  private readonly latin = new Map<FontName, Float64Array>();
  /** Glyph-id hex of characters below U+0100 (undefined until first used): the fast path of text(). */
  private readonly latinHex = new Map<FontName, (string | undefined)[]>();
  private ops: string[] = [];
  private used = new Set<FontName>();
  private current = "";
  private color = "";

  constructor(private readonly doc: Document) {
    for (const name of FONTS) {
      doc.registerFont(`soc2-${name}`, FONT_FILES[name]);
      doc.font(`soc2-${name}`);
      // pdfkit keeps the selected font on `_font`: the only handle on its id, reference, encoder and metrics.
      this.fonts.set(name, (doc as unknown as { _font: EmbeddedFont })._font);
      this.glyphs.set(name, new Map());
      this.latin.set(name, new Float64Array(256).fill(Number.NaN));
      this.latinHex.set(name, new Array<string | undefined>(256));
    }
    doc.font("soc2-Helvetica");
  }

  /** The glyph for one character: control characters print as a space, characters the font lacks as '?'. */
  private glyph(name: FontName, char: string): Glyph {
    const cache = this.glyphs.get(name) as Map<string, Glyph>;
    let glyph = cache.get(char);
    if (!glyph) {
      const font = this.fonts.get(name) as EmbeddedFont;
      const code = char.codePointAt(0) ?? 63;
      const shown = code < 0x20 ? " " : code === 0x200b ? "" : font.font.hasGlyphForCodePoint(code) ? char : "?";
      glyph =
        shown === ""
          ? { hex: "", width: 0 }
          : glyphFromCmap(shown)
            ? fromCmap(font, shown.codePointAt(0) as number)
            : { hex: font.encode(shown)[0].join(""), width: font.widthOfString(shown, 1) };
      cache.set(char, glyph);
    }
    return glyph;
  }

  width(text: string, font: FontName, size: number): number {
    const latin = this.latin.get(font) as Float64Array;
    let total = 0;
    for (let index = 0; index < text.length; index += 1) {
      const code = text.charCodeAt(index);
      if (code < 256) {
        let width = latin[code] as number;
        if (Number.isNaN(width)) width = latin[code] = this.glyph(font, text[index] as string).width;
        total += width;
      } else {
        const char = String.fromCodePoint(text.codePointAt(index) as number);
        index += char.length - 1;
        total += this.glyph(font, char).width;
      }
    }
    return total * size;
  }

  /** Lines of at most `maxWidth`, breaking at spaces, then inside long tokens after ':' '/' '-' etc., then anywhere. */
  wrap(text: string, maxWidth: number, font: FontName, size: number): string[] {
    const lines: string[] = [];
    const space = this.width(" ", font, size);
    for (const paragraph of text.includes("\n") ? text.split(/\r?\n/) : [text]) {
      let line = "";
      let lineWidth = 0;
      for (const word of paragraph.split(" ")) {
        const wordWidth = this.width(word, font, size);
        const pieces = wordWidth > maxWidth ? this.pieces(word, maxWidth, font, size) : [word];
        for (const [index, piece] of pieces.entries()) {
          const pieceWidth = pieces.length === 1 ? wordWidth : this.width(piece, font, size);
          const gap = line === "" || index > 0 ? 0 : space;
          if (lineWidth + gap + pieceWidth <= maxWidth || line === "") {
            line += (gap > 0 ? " " : "") + piece;
            lineWidth += gap + pieceWidth;
          } else {
            lines.push(line);
            line = piece;
            lineWidth = pieceWidth;
          }
        }
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
    if (text === "") return;
    const font = this.fonts.get(style.font) as EmbeddedFont;
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
    const latin = this.latinHex.get(style.font) as (string | undefined)[];
    let hex = "";
    for (let index = 0; index < text.length; index += 1) {
      const code = text.charCodeAt(index);
      if (code < 256) hex += latin[code] ??= this.glyph(style.font, text[index] as string).hex;
      else {
        const char = String.fromCodePoint(text.codePointAt(index) as number);
        index += char.length - 1;
        hex += this.glyph(style.font, char).hex;
      }
    }
    if (hex === "") return;
    this.ops.push(`1 0 0 1 ${x.toFixed(2)} ${baseline.toFixed(2)} Tm <${hex}> Tj`);
  }

  /** Queues a raw content operator (a marked-content BDC or EMC) between the text around it. */
  raw(operator: string): void {
    this.ops.push(operator);
  }

  /**
   * Runs `write` (pdfkit's markStructureContent or endMarkedContent) with the content it adds queued into this batch,
   * so a structure element's marks land around its own text without a flush per table cell.
   */
  queue<T>(write: () => T): T {
    const doc = this.doc as unknown as { addContent(data: string): unknown };
    const direct = doc.addContent;
    doc.addContent = (data: string) => {
      this.ops.push(data);
      return this.doc;
    };
    try {
      return write();
    } finally {
      doc.addContent = direct;
    }
  }

  /** Writes the queued text to the current page; call before changing pages. */
  flush(): void {
    if (this.ops.length === 0) return;
    const page = this.doc.page as unknown as { fonts: Record<string, unknown> };
    for (const name of this.used) {
      const font = this.fonts.get(name) as EmbeddedFont;
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
