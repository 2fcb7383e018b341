// The Typesetter's shortcut around fontkit's layout: a character is drawn with its cmap glyph only where layout would
// give that same glyph and advance, checked against layout for every character of the three embedded faces.
import PDFDocument from "pdfkit";
import { describe, expect, it } from "vitest";
import { FONT_FILES, glyphFromCmap, type FontName } from "../reports/pdf-text.js";

interface FontkitGlyph {
  id: number;
  advanceWidth: number;
}
interface FontkitFont {
  characterSet: number[];
  glyphForCodePoint(code: number): FontkitGlyph;
  layout(text: string): { glyphs: FontkitGlyph[]; positions: { xAdvance: number }[] };
}

/** The fontkit font pdfkit embeds for a face (pdfkit keeps the selected one on `_font.font`). */
function fontkitFont(face: FontName): FontkitFont {
  const doc = new PDFDocument({ autoFirstPage: false });
  // Not the face's own name: pdfkit would pick its built-in Helvetica.
  doc.registerFont(`embedded-${face}`, FONT_FILES[face]);
  doc.font(`embedded-${face}`);
  return (doc as unknown as { _font: { font: FontkitFont } })._font.font;
}

describe("glyphs straight from the cmap", () => {
  it.each(Object.keys(FONT_FILES) as FontName[])("are the glyphs fontkit's layout gives, for every character of %s", (face) => {
    const font = fontkitFont(face);
    const differ: number[] = [];
    const skipped: number[] = [];
    for (const code of font.characterSet) {
      const char = String.fromCodePoint(code);
      const cmap = font.glyphForCodePoint(code);
      const run = font.layout(char);
      const same = run.glyphs.length === 1 && run.glyphs[0]?.id === cmap.id && run.positions[0]?.xAdvance === cmap.advanceWidth;
      if (glyphFromCmap(char) && !same) differ.push(code);
      if (!glyphFromCmap(char)) skipped.push(code);
    }
    expect(font.characterSet.length).toBeGreaterThan(3000);
    expect(differ.map((code) => code.toString(16))).toEqual([]);
    // Only the default-ignorable characters go through layout: zero width joiners, bidi controls, the BOM.
    expect(skipped).toContain(0x200d);
    expect(skipped).toContain(0xfeff);
    expect(skipped.length).toBeLessThan(40);
  });
});
