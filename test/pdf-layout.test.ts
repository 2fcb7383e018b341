// reports/pdf-layout.ts: a held page's text is written out when the next page begins, not at the end.
import { describe, expect, it } from "vitest";
import { reportWriter } from "../reports/pdf-cover.js";
import { style } from "../reports/pdf-layout.js";
import { syntheticPackage } from "./fixtures/package.js";
import { pdfPages, pdfText } from "./support/pdf-text.js";

/** How many of pdfkit's per-page ParentTree entries are still arrays of structure elements (pdfkit 0.20 internals). */
function parentTreeArrays(writer: ReturnType<typeof reportWriter>): number {
  const doc = writer.doc as unknown as {
    getStructTreeRoot(): { data: { ParentTreeNextKey: number } };
    getStructParentTree(): { get(key: number): unknown };
  };
  const tree = doc.getStructParentTree();
  let arrays = 0;
  for (let key = 0; key < doc.getStructTreeRoot().data.ParentTreeNextKey; key += 1) if (Array.isArray(tree.get(key))) arrays += 1;
  return arrays;
}

describe("PdfWriter", () => {
  it("writes each finished page's text and lets go of its structure before the document ends, and still adds the contents and footers", async () => {
    const writer = reportWriter(syntheticPackage({ items: 1 }));
    const chunks: Buffer[] = [];
    writer.sink = (chunk) => void chunks.push(Buffer.from(chunk));
    writer.newPage();
    writer.reserveContents(3);
    for (let section = 1; section <= 3; section += 1) {
      writer.newPage();
      writer.heading(`Section ${section}`, 1);
      for (let line = 0; line < 400; line += 1) writer.paragraph(`Line ${line} of section ${section}: resource arn:aws:kms:us-east-1:111122223333:key/${line}.`, style("Helvetica", 9));
    }
    const streamsBeforeEnd = Buffer.concat(chunks).toString("latin1").split("endstream").length - 1;
    const heldArrays = parentTreeArrays(writer);
    writer.finish();
    await writer.ended;
    const pdf = Buffer.concat(chunks);
    const count = await pdfPages(pdf);
    // Held whole, no page content stream is out before finish(). Here every page left has been ended, which is all but
    // the last; of those, the newest one's closing "endstream" may still wait in the 64 KB output batch.
    expect(streamsBeforeEnd).toBeGreaterThanOrEqual(count - 2);
    // pdfkit holds one array of structure elements per page in its ParentTree; a page left has its array reduced to
    // reference text, so only the contents page (filled by finish()) and the page still open keep one.
    expect(heldArrays).toBeLessThanOrEqual(2);
    const pages = (await pdfText(pdf)).split("\f");
    expect(count).toBeGreaterThan(20);
    pages.slice(0, count).forEach((page, index) => expect(page).toContain(`page ${index + 1} of ${count}`));
    const entry = /Section 3[ .]*(\d+)/.exec(pages[1] ?? "");
    expect(pages[Number(entry?.[1]) - 1]).toContain("Section 3");
  });
});
