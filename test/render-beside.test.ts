// evidence.json and access-review.csv rendered on a worker thread from the package's spool, beside report.pdf.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EvidencePackage } from "../src/core/package-model.js";
import { ItemSpool } from "../src/package/item-spool.js";
import { writePackage } from "../src/package/write.js";
import { LocalStore } from "../src/store/local.js";
import { syntheticPackage } from "./fixtures/package.js";
import { reviewItem, reviewRow } from "./fixtures/review-items.js";

/** A secret's item whose first reader never read it, and the others did. */
const reviewed = (name: string, readers: number) =>
  reviewItem(
    name,
    Array.from({ length: readers }, (_, reader) =>
      reviewRow(`role/${name}-r${reader}`, reader > 0 ? { didRead: true, reads: reader, grantedBy: ['policy/read, "quoted"#Read'] } : { action: "revoke: can read but did not in the period" }),
    ),
  );

/** The synthetic package with review items, as an array and as the spool packageJob renders from. */
function packages(): { listed: EvidencePackage; spooled: EvidencePackage & { items: ItemSpool } } {
  const listed = syntheticPackage({ items: 300 });
  for (let secret = 0; secret < 40; secret += 1) listed.items.push({ ...listed.items[0], ...reviewed(`app/s${secret}`, 30) } as (typeof listed.items)[number]);
  const spool = new ItemSpool();
  spools.push(spool);
  for (const item of listed.items) spool.push(item);
  return { listed, spooled: { ...listed, items: spool } };
}

const spools: ItemSpool[] = [];
let folder: string;
let scratch: string;
const tmp = process.env.TMPDIR;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), "soc2-beside-"));
  // This test process's own temporary folder (os.tmpdir() reads TMPDIR): the staging folders in it are only ours.
  scratch = await mkdtemp(join(tmpdir(), "soc2-beside-tmp-"));
  process.env.TMPDIR = scratch;
});
afterEach(async () => {
  for (const spool of spools.splice(0)) spool.dispose();
  if (tmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = tmp;
  await rm(folder, { recursive: true, force: true });
  await rm(scratch, { recursive: true, force: true });
});

/** writePackage's staging folders left behind. */
const staged = async () => (await readdir(scratch)).filter((name) => name.startsWith("soc2-package-"));

describe("the formats rendered beside report.pdf", () => {
  it("writes evidence.json and access-review.csv from a spool byte for byte as the main thread writes them from a list", async () => {
    const { listed, spooled } = packages();
    const onThread = await writePackage(listed, new LocalStore(join(folder, "listed")), ["json", "pdf"]);
    const beside = await writePackage(spooled, new LocalStore(join(folder, "spooled")), ["json", "pdf"]);
    for (const path of ["evidence.json", "access-review.csv"]) {
      const expected = await readFile(join(folder, "listed", onThread.prefix, path));
      expect((await readFile(join(folder, "spooled", beside.prefix, path))).equals(expected), path).toBe(true);
    }
    const csv = (await readFile(join(folder, "spooled", beside.prefix, "access-review.csv"), "utf8")).split("\r\n");
    expect(csv).toHaveLength(1 + 40 * 30 + 1);
    expect(beside.manifest.files.map((file) => file.path)).toEqual(["access-review.csv", "evidence.json", "report.pdf"]);
    const [csvFile] = beside.manifest.files;
    expect(csvFile?.size).toBe(Buffer.byteLength(csv.join("\r\n")));
  });

  it("fails the package when the worker cannot read the spool, and writes no manifest", async () => {
    const { spooled } = packages();
    // The spool's file gone under the worker: it cannot open it.
    const shared = spooled.items.share();
    await rm(join(shared.items.file, ".."), { recursive: true, force: true });
    await expect(writePackage(spooled, new LocalStore(folder), ["json", "pdf"])).rejects.toThrow(/ENOENT/);
    const left = await readdir(folder, { recursive: true });
    expect(left.filter((name) => String(name).endsWith("manifest.json") || String(name).endsWith("latest.json"))).toEqual([]);
    expect(await staged()).toEqual([]);
  });

  it("ends the worker when the main thread fails, before the staging folder goes", async () => {
    const { spooled } = packages();
    const broken = Object.assign(Object.create(spooled.items) as ItemSpool, {
      heads(): never {
        throw new Error("the PDF renderer failed");
      },
    });
    await expect(writePackage({ ...spooled, items: broken }, new LocalStore(folder), ["json", "pdf"])).rejects.toThrow("the PDF renderer failed");
    const left = await readdir(folder, { recursive: true });
    expect(left.filter((name) => String(name).endsWith("manifest.json"))).toEqual([]);
    // A worker left running would go on writing its files, making the staging folder again. The same package written
    // whole takes at least as long as that worker's work, so by then its files would be there.
    await writePackage(spooled, new LocalStore(join(folder, "again")), ["json", "pdf"]);
    expect(await staged()).toEqual([]);
  });

  it("writes no manifest and leaves no staging folder after a stop while the worker renders", async () => {
    const { spooled } = packages();
    const controller = new AbortController();
    const stopping = writePackage(spooled, new LocalStore(folder), ["json", "pdf"], {
      signal: controller.signal,
      hooks: async (phase) => {
        if (phase === "package.writing") controller.abort(new Error("stopped by SIGTERM"));
      },
    });
    await expect(stopping).rejects.toThrow("stopped by SIGTERM");
    const left = await readdir(folder, { recursive: true });
    expect(left.filter((name) => String(name).endsWith("manifest.json"))).toEqual([]);
    expect(await staged()).toEqual([]);
  });
});
