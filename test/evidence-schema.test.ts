import { describe, expect, it } from "vitest";
import { jsonRenderer } from "../reports/json.js";
import { syntheticPackage } from "./fixtures/package.js";
import { validateEvidenceJson } from "./support/evidence-schema.js";
import { renderToMemory } from "./support/render-target.js";

type Json = Record<string, unknown> & {
  items: Record<string, unknown>[];
  controls: Record<string, unknown>[];
};

async function evidenceJson(options: Parameters<typeof syntheticPackage>[0] = {}): Promise<Json> {
  const target = await renderToMemory(jsonRenderer, syntheticPackage(options));
  return target.json<Json>("evidence.json");
}

describe("schemas/evidence.schema.json", () => {
  it("accepts the evidence.json that reports/json.ts renders for a package with every item status", async () => {
    const document = await evidenceJson({ items: 120 });
    const statuses = new Set(document.items.map((item) => item.status));
    expect([...statuses].sort()).toEqual(["error", "excepted", "fail", "not_applicable", "pass"]);
    expect(validateEvidenceJson(document)).toEqual([]);
  });

  it("accepts a package without items, exceptions or gaps", async () => {
    const document = await evidenceJson({ items: 0, gaps: false });
    expect(document.items).toEqual([]);
    expect(validateEvidenceJson(document)).toEqual([]);
  });

  it.each([
    [
      "an unknown item status",
      (doc: Json) => ((doc.items[0] as Record<string, unknown>).status = "passed"),
      "/items/0/status",
    ],
    [
      "an unknown control status",
      (doc: Json) => ((doc.controls[0] as Record<string, unknown>).status = "ok"),
      "/controls/0/status",
    ],
    [
      "an item without a source",
      (doc: Json) => delete (doc.items[1] as Record<string, unknown>).source,
      "/items/1",
    ],
    ["an unexpected top-level field", (doc: Json) => ((doc as Record<string, unknown>).signature = "x"), "/"],
    [
      "a malformed snapshot hash",
      (doc: Json) =>
        (((doc.snapshots as { files: { sha256: string }[] }[])[0]?.files[0] as { sha256: string }).sha256 =
          "ABC"),
      "/snapshots/0/files/0/sha256",
    ],
    [
      "a day that is not YYYY-MM-DD",
      (doc: Json) => ((doc.period as Record<string, unknown>).through = "15/08/2026"),
      "/period/through",
    ],
  ])("rejects %s", async (_name, corrupt, path) => {
    const document = await evidenceJson();
    corrupt(document);
    const errors = validateEvidenceJson(document);
    expect(errors.some((error) => error.startsWith(`${path}:`))).toBe(true);
  });
});
