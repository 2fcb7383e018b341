// report.pdf read back with poppler-utils (CI: apt-get install poppler-utils).
import { execFile, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import type { EvidenceDocument, EvidencePackage, PackageItem } from "../src/core/package-model.js";
import { dayRanges } from "../reports/pdf-calendar.js";
import { pdfRenderer, renderPdf } from "../reports/pdf.js";
import { renderControlPdf } from "../reports/platform-pdf.js";
import { CALLER_ARN, GAP_DAYS, RUN_ID, syntheticPackage } from "./fixtures/package.js";
import { readStructure, scanContent } from "./support/pdf-structure.js";
import { pdfPages, pdfText, pdfWords, squash } from "./support/pdf-text.js";
import { renderToMemory } from "./support/render-target.js";

let pkg: EvidenceDocument;
let pdf: Buffer;
let text: string;
let pages: string[];

/** The first page with this text after the table of contents (which lists every heading too). */
const section = (heading: string) =>
  pages.find((page) => page.includes(heading) && !page.includes("Contents")) ?? "";

beforeAll(async () => {
  pkg = syntheticPackage({ items: 60 });
  pdf = await renderPdf(pkg);
  text = await pdfText(pdf);
  pages = text.split("\f");
});

describe("report.pdf", () => {
  it("is written by the pdf renderer as report.pdf, identical to renderPdf's bytes", async () => {
    const target = await renderToMemory(pdfRenderer, pkg);
    const written = target.files.get("report.pdf");
    expect(written?.subarray(0, 5).toString()).toBe("%PDF-");
    expect(written?.equals(pdf)).toBe(true);
  });

  it("rejects with the layout's error and gives the half-written file up, where a package would count it", async () => {
    // A package the writer cannot lay out: the store facts lack their warnings (summary reads them on page 2).
    const broken = { ...pkg, store: { ...pkg.store, warnings: undefined } } as unknown as EvidencePackage;
    const events: string[] = [];
    const target = {
      write: async () => undefined,
      writeStream: async () => undefined,
      copy: async () => undefined,
      openSync: (path: string) => ({
        write: () => void (events.at(-1) === `write ${path}` || events.push(`write ${path}`)),
        close: async () => void events.push("close"),
        discard: () => void events.push("discard"),
      }),
    };
    await expect(pdfRenderer.render(broken, target)).rejects.toThrow(TypeError);
    expect(events).toEqual(["write report.pdf", "discard"]);
  });

  it("has a cover with the organization, period, caller, run id and where the file hashes are", () => {
    const cover = pages[0] ?? "";
    for (const fact of [
      "Acme Inc.",
      "2026-Q3: 2026-07-01 to 2026-09-30",
      "evidence through 2026-08-15",
      "soc2-evidence 0.1.0",
      RUN_ID,
      "111122223333, 444455556666",
      "us-east-1, eu-west-1",
      "2026-08-15T06:14:09.512Z",
      "File hashes: see manifest.json, appendix",
    ]) {
      expect(cover).toContain(fact);
    }
    expect(squash(cover)).toContain(squash(CALLER_ARN));
    expect(cover).toContain("OVERALL: DEFICIENT");
  });

  it("numbers every page 'page X of Y' with Y the real page count", async () => {
    const count = await pdfPages(pdf);
    expect(count).toBeGreaterThan(10);
    pages.slice(0, count).forEach((page, index) => expect(page).toContain(`page ${index + 1} of ${count}`));
  });

  it("lists every control with its status in the summary, and each control's section on the page the contents give", () => {
    const contents = pages[1] ?? "";
    expect(contents).toContain("Contents");
    for (const control of pkg.controls) {
      const entry = new RegExp(`${control.id.replace(".", "\\.")} ${control.title}[ .]*(\\d+)`).exec(
        contents,
      );
      expect(entry, `contents entry for ${control.id}`).not.toBeNull();
      const page = pages[Number(entry?.[1]) - 1] ?? "";
      expect(page).toContain(`${control.id} ${control.title}`);
      expect(page).toContain(control.status.toUpperCase());
    }
    const summary = section("1 Summary");
    for (const control of pkg.controls)
      expect(summary).toMatch(new RegExp(`${control.id.replace(".", "\\.")}[\\s\\S]*?${control.status}`));
  });

  it("shows every failing, error and excepted resource with its reason", () => {
    const flat = squash(text);
    const exceptional = pkg.items.filter(
      (item) => item.status === "fail" || item.status === "error" || item.status === "excepted",
    );
    expect(exceptional.map((item) => item.status).sort()).toEqual(
      expect.arrayContaining(["error", "excepted", "fail"]),
    );
    for (const item of exceptional) {
      expect(flat, item.resource.arn).toContain(squash(item.resource.arn));
      expect(flat).toContain(squash(item.reason));
    }
  });

  it("gives a resource's period verdict without repeating the reason beside it", async () => {
    const small = syntheticPackage({ items: 4 });
    const base = small.items.find((item) => item.status === "fail") ?? small.items[0];
    if (!base) throw new Error("the synthetic package has items");
    const failing = (name: string, reason: string, periodReason: string): PackageItem => ({
      ...base,
      status: "fail",
      resource: { ...base.resource, arn: `${base.resource.arn}-${name}`, name },
      reason,
      period: { status: "fail", reason: periodReason, observed: {} },
    });
    small.items.push(
      failing("same", "3 open actions, one per review row", "3 open actions, one per review row"),
      failing("other", "rotation is off", "failed on 2 of 9 observed days, first 2026-07-03"),
    );
    const flat = squash(await pdfText(await renderPdf(small)));
    expect(flat).toContain(squash("3 open actions, one per review row fail: the same reason"));
    expect(flat).not.toContain(squash("fail: 3 open actions"));
    expect(flat).toContain(squash("rotation is off fail: failed on 2 of 9 observed days, first 2026-07-03"));
  });

  it("lists the passing and not applicable population too", () => {
    const flat = squash(text);
    for (const item of pkg.items.filter(
      (entry) => entry.status === "pass" || entry.status === "not_applicable",
    )) {
      expect(flat).toContain(squash(item.resource.arn));
    }
  });

  it("says what each control checked: collector, parameters and API operations", () => {
    const flat = squash(text);
    for (const control of pkg.controls) {
      for (const collector of control.collectors) {
        expect(flat).toContain(squash(`collector ${collector.id}`));
        for (const permission of collector.permissions) expect(flat).toContain(permission);
      }
    }
    expect(text).toContain("maxRotationPeriodDays = 365");
    expect(squash(text)).toContain(squash("The entity implements logical access security software"));
  });

  it("draws the coverage calendar month by month and names the gap days", () => {
    const coverage = section("2 Coverage of the period");
    for (const month of ["July 2026", "August 2026", "September 2026"]) expect(coverage).toContain(month);
    for (const day of GAP_DAYS) expect(coverage).toContain(day);
    expect(coverage).toContain("no complete snapshot (gap)");
  });

  it("repeats a table's header on the next page when the table breaks", () => {
    const continued = pages.filter((page) =>
      page.includes("passing and not applicable resources (continued)"),
    );
    expect(continued.length).toBeGreaterThan(0);
    for (const page of continued)
      expect(page).toMatch(/Resource\s+Account\s+Region\s+Status\s+Collected \(UTC\)/);
  });

  it("lists exceptions with approver, ticket, expiry and state", () => {
    const exceptions = section("4 Exceptions");
    for (const fact of ["ciso@acme.example", "SEC-142", "2027-03-31", "active", "expired", "2026-06-30"])
      expect(squash(exceptions)).toContain(squash(fact));
  });

  it("ends with every snapshot file's SHA-256 in the appendix", () => {
    const appendix = squash(pages.slice(pages.indexOf(section("Appendix A"))).join(""));
    for (const file of pkg.snapshots.flatMap((snapshot) => snapshot.files))
      expect(appendix).toContain(file.sha256);
  });

  it("keeps every word inside the page margins", async () => {
    const words = await pdfWords(pdf);
    expect(words.length).toBeGreaterThan(1000);
    const outside = words.filter((word) => word.xMin < 49 || word.xMax > 563);
    expect(outside).toEqual([]);
  });

  it("keeps every word of a table inside its column, long ARNs included", async () => {
    const words = await pdfWords(pdf);
    // The passing-resources table: columns of 50%, 12%, 10%, 8% and 20% of the 512-point text width from x = 50.
    const edges = [0.5, 0.62, 0.72, 0.8].map((share) => 50 + share * 512);
    const tablePages = new Set(
      pages.flatMap((page, index) =>
        page.includes("passing and not applicable resources (continued)") ? [index + 1] : [],
      ),
    );
    const cells = words.filter((word) => tablePages.has(word.page) && word.yMin > 70 && word.yMin < 740);
    expect(cells.length).toBeGreaterThan(100);
    expect(cells.filter((word) => edges.some((edge) => word.xMin < edge && word.xMax > edge))).toEqual([]);
  });

  it("shows every character the embedded font has as itself, and one it lacks as '?' (never .notdef)", async () => {
    const odd = syntheticPackage({ items: 20 });
    const item = odd.items.find((entry) => entry.status === "fail") as PackageItem;
    item.reason = "naïve “quoted” — dash → café 🔑 end";
    const extracted = await pdfText(await renderPdf(odd));
    expect(extracted).toContain("naïve “quoted” — dash → café ? end");
  });

  it.each([
    [[], ""],
    [["2026-08-02"], "2026-08-02"],
    [["2026-07-15", "2026-07-14", "2026-08-02"], "2026-07-14 to 2026-07-15 (2 days), 2026-08-02"],
    [["2026-02-28", "2026-03-01"], "2026-02-28 to 2026-03-01 (2 days)"],
  ])("writes the gap days %j as %j", (days, text) => {
    expect(dayRanges(days)).toBe(text);
  });

  it("renders 20,000 items (time printed for the benchmark, not asserted)", async () => {
    const large = syntheticPackage({ items: 20_000 });
    const started = performance.now();
    const bytes = await renderPdf(large);
    const seconds = (performance.now() - started) / 1000;
    const count = await pdfPages(bytes);
    console.log(
      `report.pdf for 20,000 items: ${seconds.toFixed(2)} s, ${count} pages, ${(bytes.length / 1e6).toFixed(1)} MB`,
    );
    expect(count).toBeGreaterThan(400);
  });
});

// Read back from the file with poppler-utils and qpdf, as an archivist's tools would (README "PDFs").
const tool = promisify(execFile);
async function inspect(pdf: Buffer, command: string, args: string[]): Promise<{ stdout: string; code: number }> {
  const folder = await mkdtemp(join(tmpdir(), "soc2-pdfa-"));
  const file = join(folder, "document.pdf");
  await writeFile(file, pdf);
  try {
    const { stdout } = await tool(command, [...args, file], { maxBuffer: 64 * 1024 * 1024 });
    return { stdout, code: 0 };
  } catch (error) {
    const failed = error as { stdout?: string; code?: number };
    return { stdout: failed.stdout ?? "", code: failed.code ?? 1 };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
const hasQpdf = spawnSync("qpdf", ["--version"]).status === 0;

describe("report.pdf as an archive (PDF/A-2b identification, embedded fonts)", () => {
  const tricky = () => {
    const pkg = syntheticPackage({ items: 20 });
    pkg.organization = `Smith & Sons <EU> "Q3"`;
    return pkg;
  };

  it.each([
    ["report.pdf", async () => renderPdf(tricky())],
    ["a per-control PDF", async () => renderControlPdf(tricky(), tricky().controls[0]!)],
  ])("%s embeds every font it uses (pdffonts: emb yes, no standard 14 font)", async (_name, make) => {
    const { stdout } = await inspect(await make(), "pdffonts", []);
    const rows = stdout.split("\n").slice(2).filter((row) => row.trim() !== "");
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row).toMatch(/Arimo/);
      expect(row).toMatch(/CID TrueType\s+Identity-H\s+yes yes yes/);
    }
  });

  it("sets /Lang, title, subject, keywords, PDF 1.7 and an XMP packet with the run id and period, escaped", async () => {
    const pkg = tricky();
    const pdf = await renderPdf(pkg);
    const info = (await inspect(pdf, "pdfinfo", [])).stdout;
    expect(info).toMatch(/^Title:\s+SOC 2 Type II evidence package: Smith & Sons <EU> "Q3" 2026-Q3$/m);
    expect(info).toMatch(new RegExp(`^Subject:.*run ${pkg.runId}$`, "m"));
    expect(info).toMatch(new RegExp(`^Keywords:\\s+SOC 2; 2026-Q3; ${pkg.runId}$`, "m"));
    expect(info).toMatch(/^Metadata Stream:\s+yes$/m);
    expect(info).toMatch(/^PDF version:\s+1\.7$/m);
    // pdfkit writes the catalog outside any object stream, so /Lang is readable in the file's bytes.
    expect(pdf.toString("latin1")).toMatch(/\/Lang \(en-US\)/);
    const meta = (await inspect(pdf, "pdfinfo", ["-meta"])).stdout;
    expect(meta).toContain(`<dc:identifier>${pkg.runId}</dc:identifier>`);
    expect(meta).toContain(`<dc:coverage>${pkg.period.start}/${pkg.period.end}</dc:coverage>`);
    expect(meta).toContain("<pdfaid:part>2</pdfaid:part>");
    expect(meta).toContain("<pdfaid:conformance>B</pdfaid:conformance>");
    expect(meta).toContain("Smith &amp; Sons &lt;EU&gt; &quot;Q3&quot;");
    expect(meta).not.toContain("Smith & Sons");
  });

  it.skipIf(!hasQpdf)("passes qpdf --check (skipped when qpdf is not installed; .ci/run installs it)", async () => {
    const result = await inspect(await renderPdf(tricky()), "qpdf", ["--check"]);
    expect(result.stdout).toContain("No syntax or stream encoding errors found");
    expect(result.code).toBe(0);
  });
});

describe.skipIf(!hasQpdf)("PDFs as tagged documents (read back with qpdf --json; skipped when qpdf is not installed, .ci/run installs it)", () => {
  const documents = [
    ["report.pdf", () => renderPdf(syntheticPackage({ items: 60 }))],
    ["a per-control PDF", () => { const pkg = syntheticPackage({ items: 60 }); return renderControlPdf(pkg, pkg.controls[0]!); }],
  ] as const;

  it.each(documents)("%s is marked, has a structure tree with headings, a table with header cells and the calendar as a Figure with alt text", async (_name, make) => {
    const structure = await readStructure(await make());
    expect(structure.marked).toBe(true);
    expect(structure.hasStructTreeRoot).toBe(true);
    expect(structure.lang).toBe("en-US");
    const types = new Set(structure.elements.map((element) => element.type));
    for (const type of ["Document", "H1", "H2", "P", "Table", "TR", "TH", "TD", "Figure"]) expect(types, type).toContain(type);
    expect(structure.elements.filter((element) => element.type === "TH").map((element) => element.scope)).toEqual(
      expect.arrayContaining(["Column", "Row"]),
    );
    const figures = structure.elements.filter((element) => element.type === "Figure");
    for (const figure of figures) expect(figure.alt ?? "").toMatch(/\S/);
    expect(figures.map((figure) => figure.alt).join(" ")).toContain("no complete snapshot on 2026-07-14 to 2026-07-15 (2 days)");
  });

  it.each(documents)("%s paints nothing outside marked content: text, fills and rules are content or artifacts", async (_name, make) => {
    const { pages } = await readStructure(await make());
    expect(pages.length).toBeGreaterThan(2);
    expect(pages.filter((page) => page.unmarkedPainting > 0 || !page.balanced)).toEqual([]);
  });

  it("report.pdf's ParentTree names, for every marked content on every page, the element that holds it (pages written as they finish)", async () => {
    const structure = await readStructure(await renderPdf(syntheticPackage({ items: 1_500 })));
    expect(structure.pages.length).toBeGreaterThan(30);
    expect(structure.marks).toBeGreaterThan(5_000);
    expect(structure.parentTreeErrors).toEqual([]);
  });

  it("report.pdf's headings never skip a level and its contents are a TOC of links", async () => {
    const { elements } = await readStructure(await renderPdf(syntheticPackage({ items: 60 })));
    const levels = elements.flatMap((element) => (/^H\d$/.test(element.type) ? [Number(element.type.slice(1))] : []));
    expect(levels[0]).toBe(1);
    levels.forEach((level, index) => expect(level - (levels[index - 1] ?? 0), `heading ${index}`).toBeLessThanOrEqual(1));
    const toc = elements.findIndex((element) => element.type === "TOC");
    expect(toc).toBeGreaterThan(0);
    expect(elements[toc + 1]?.type).toBe("TOCI");
    expect(elements[toc + 2]?.type).toBe("Link");
  });

  it.each([
    ["text inside a mark", "/P <</MCID 0>> BDC 1 0 0 1 50 700 Tm <0001> Tj EMC", 0, true],
    ["text outside any mark", "1 0 0 1 50 700 Tm <0001> Tj", 1, true],
    ["a fill outside any mark", "/Artifact BMC 0 0 10 10 re f EMC 0 0 5 5 re f", 1, true],
    ["an unclosed mark", "/P <</MCID 0>> BDC <0001> Tj", 0, false],
    ["a stray EMC", "EMC /P <</MCID 0>> BDC EMC", 0, false],
  ])("the content scan finds %s", (_name, source, unmarked, balanced) => {
    expect(scanContent(source)).toEqual({ unmarkedPainting: unmarked, balanced });
  });
});
