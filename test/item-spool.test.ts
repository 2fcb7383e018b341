import { existsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { renderToMemory } from "./support/render-target.js";
import { jsonRenderer } from "../reports/json.js";
import { headOf, selectItems } from "../src/core/package-items.js";
import type { PackageItem } from "../src/core/package-model.js";
import { ItemSpool } from "../src/package/item-spool.js";
import { syntheticPackage } from "./fixtures/package.js";

const spools: ItemSpool[] = [];
afterEach(() => {
  for (const spool of spools.splice(0)) spool.dispose();
});

function spoolOf(items: readonly PackageItem[]): ItemSpool {
  const spool = new ItemSpool();
  spools.push(spool);
  for (const item of items) spool.push(item);
  return spool;
}

const items = syntheticPackage({ items: 400 }).items;

describe("ItemSpool", () => {
  it("gives back every item in the order pushed, as often as it is walked", () => {
    const spool = spoolOf(items);
    expect(spool.length).toBe(items.length);
    expect([...spool]).toEqual(items);
    expect([...spool]).toEqual(items);
  });

  const collector = items[0]?.collector as string;
  it.each([
    { filter: { controlId: "CC6.1" }, expected: (item: PackageItem) => item.controlIds.includes("CC6.1") },
    { filter: { collector }, expected: (item: PackageItem) => item.collector === collector },
    { filter: { statuses: ["fail", "error"] as const }, expected: (item: PackageItem) => item.status === "fail" || item.status === "error" },
    { filter: { controlId: "CC7.2", statuses: ["pass"] as const }, expected: (item: PackageItem) => item.controlIds.includes("CC7.2") && item.status === "pass" },
    { filter: { controlId: "no-such-control" }, expected: () => false },
  ])("selects from its index exactly the items the filter names, in order: $filter", ({ filter, expected }) => {
    const spool = spoolOf(items);
    const wanted = items.filter(expected);
    const selected = spool.select(filter);
    expect(selected.length).toBe(wanted.length);
    expect([...selected]).toEqual(wanted);
    expect([...selectItems(items, filter)]).toEqual(wanted);
    // Heads: the same items, each with only what a control's table shows.
    const heads = spool.heads(filter);
    expect(heads.length).toBe(wanted.length);
    expect([...heads]).toEqual(wanted.map(headOf));
  });

  it("keeps in an item's head exactly the fields a control's table shows, and none of what was observed", () => {
    const excepted = items.find((item) => item.exception);
    const judged = items.find((item) => item.period);
    const plain = items.find((item) => !item.exception && !item.period);
    expect(excepted && judged && plain).toBeTruthy();
    for (const item of [excepted, judged, plain] as PackageItem[]) {
      const head = [...spoolOf([item]).heads({})][0];
      expect(head).toEqual({
        collector: item.collector,
        controlIds: item.controlIds,
        account: item.account,
        region: item.region,
        resource: item.resource,
        status: item.status,
        reason: item.reason,
        ...(item.exception ? { exception: item.exception } : {}),
        ...(item.period ? { period: item.period } : {}),
        source: { collectedAt: item.source.collectedAt },
      });
      expect(head).not.toHaveProperty("observed");
    }
  });

  it("writes evidence.json byte for byte as from the array, from its lines without parsing them", async () => {
    const pkg = syntheticPackage({ items: 400 });
    const fromArray = await renderToMemory(jsonRenderer, pkg);
    const fromSpool = await renderToMemory(jsonRenderer, { ...pkg, items: spoolOf(pkg.items) });
    expect(fromSpool.text("evidence.json")).toBe(fromArray.text("evidence.json"));
    expect([...spoolOf(pkg.items).lines()]).toEqual(pkg.items.map((item) => JSON.stringify(item)));
  });

  it("keeps multi-byte text and items larger than its read chunk whole, and walks interleaved", () => {
    const big = { ...(items[0] as PackageItem), reason: `kéy ✓ ${"x".repeat(3 << 20)}` };
    const accented = { ...(items[1] as PackageItem), reason: "rotación überfällig 鍵" };
    const spool = spoolOf([accented, big, ...items.slice(2, 50), accented]);
    const one = spool[Symbol.iterator]();
    const two = spool[Symbol.iterator]();
    expect(one.next().value).toEqual(accented);
    expect(two.next().value).toEqual(accented);
    expect(one.next().value).toEqual(big);
    expect([...spool].at(-1)).toEqual(accented);
    expect(two.next().value).toEqual(big);
  });

  it("holds its file readable by the owner only, and deletes it on dispose; a walk after that throws", () => {
    const spool = new ItemSpool();
    spool.push(items[0] as PackageItem);
    const file = (spool as unknown as { spool: { file: string } }).spool.file;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(file)).mode & 0o777).toBe(0o700);
    spool.dispose();
    expect(existsSync(dirname(file))).toBe(false);
    expect(() => [...spool]).toThrow(/disposed/);
  });

  it("is read on another thread through share(): the same items, selections, heads and lines, read-only", () => {
    const owner = spoolOf(items.slice(0, 200));
    // Pushed after an earlier share and not yet written out: share() writes pending lines first.
    owner.share();
    for (const item of items.slice(200)) owner.push(item);
    const reader = new ItemSpool(structuredClone(owner.share()));
    try {
      expect([...reader]).toEqual(items);
      const filter = { controlId: "CC6.1", statuses: ["fail", "error"] as const };
      expect([...reader.select(filter)]).toEqual([...owner.select(filter)]);
      expect([...reader.heads(filter)]).toEqual([...owner.heads(filter)]);
      expect([...reader.lines()]).toEqual(items.map((item) => JSON.stringify(item)));
      expect(() => reader.push(items[0] as PackageItem)).toThrow(/read-only/);
    } finally {
      reader.dispose();
    }
    // The reader closes its descriptors only: the file is the owner's, still there and readable.
    expect([...owner].length).toBe(items.length);
  });
});

describe("rendering from a spool", () => {
  it("lays out report.pdf exactly as from the array", async () => {
    const pkg = syntheticPackage({ items: 300 });
    const { pdfRenderer } = await import("../reports/pdf.js");
    const fromArray = await renderToMemory(pdfRenderer, pkg);
    const fromSpool = await renderToMemory(pdfRenderer, { ...pkg, items: spoolOf(pkg.items) });
    expect(fromSpool.files.get("report.pdf")?.equals(fromArray.files.get("report.pdf") as Buffer)).toBe(true);
  });
});
