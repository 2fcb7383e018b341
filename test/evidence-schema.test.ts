import { describe, expect, it } from "vitest";
import { accessReviewEstate } from "../bench/access-review-estate.js";
import type { SecretAccessEntry } from "../collectors/secrets-access-facts.js";
import { indexPrincipals, reviewSecret } from "../collectors/secrets-access-review.judge.js";
import { judgeReviewPeriod, reviewReadDates } from "../collectors/secrets-access-review.period.js";
import { jsonRenderer } from "../reports/json.js";
import type { ReviewRow } from "../src/core/access-review.js";
import type { PackageItem } from "../src/core/package-model.js";
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

describe("schemas/evidence.schema.json: access review items", () => {
  /** A secrets-access-review item as the judges write it: snapshot rows and the period review over them. */
  async function reviewDocument(): Promise<Json> {
    const { inputs, secretList } = accessReviewEstate(60, 10);
    const secret = secretList[0] as SecretAccessEntry;
    const reads = new Map([[secret.arn, new Map([[`arn:aws:iam::${inputs.account}:role/r1`, { count: 2, last: "2026-08-10T10:00:00.000Z", regions: ["us-east-1"], sourceIps: ["10.0.0.1"] }]])]]);
    const all = { ...inputs, reads };
    const review = reviewSecret(secret, indexPrincipals(all), all, { expectedRegions: ["us-east-1"], productionEnvironment: "prod", nonProductionAccounts: [] });
    const pkg = syntheticPackage({ items: 3 });
    const base = pkg.items[0] as PackageItem;
    const latest = {
      ...base,
      collector: "secrets-access-review",
      resource: { arn: secret.arn, type: "AWS::SecretsManager::Secret", name: secret.name },
      observed: { readWindow: { start: "2026-07-05T00:00:00.000Z", end: "2026-08-15T00:00:00.000Z" }, readsByDay: [{ day: "2026-08-10", principal: `arn:aws:iam::${inputs.account}:role/r1`, count: 2, last: "2026-08-10T10:00:00.000Z", regions: ["us-east-1"], sourceIps: ["10.0.0.1"] }], production: false, review },
    };
    const earlier = JSON.stringify(["2026-07-02", `arn:aws:iam::${inputs.account}:role/gone`, 1, "2026-07-02T09:00:00.000Z", ["us-east-1"], []]);
    const history = { latest, first: latest, dates: [...reviewReadDates(latest), earlier], daysObserved: [], daysCovered: [], periodDays: [], failDays: [] };
    const period = judgeReviewPeriod(history, { label: "2026-Q3", start: "2026-07-01", end: "2026-09-30" }, "2026-08-15", { expectedRegions: [], productionEnvironment: "prod", nonProductionAccounts: [] });
    // r1's row is the snapshot's (its reads are all still in CloudTrail): only the reader an earlier snapshot saw changes.
    expect((period.observed.reviewChanges as ReviewRow[]).map((row) => row.principal)).toEqual([`arn:aws:iam::${inputs.account}:role/gone`]);
    const target = await renderToMemory(jsonRenderer, { ...pkg, items: [{ ...latest, period }, ...pkg.items.slice(1)] });
    return target.json<Json>("evidence.json");
  }

  it("accepts the review rows and the period review with its read sources", async () => {
    const document = await reviewDocument();
    expect((document.items[0]?.observed as { review: unknown[] }).review.length).toBeGreaterThan(0);
    expect(validateEvidenceJson(document)).toEqual([]);
  });

  it.each([
    ["a can_read that is not a boolean", (doc: Json) => (((doc.items[0]?.observed as { review: Record<string, unknown>[] }).review[0] as Record<string, unknown>).canRead = "yes"), "/items/0/observed/review/0/canRead"],
    ["an unknown principal type", (doc: Json) => (((doc.items[0]?.observed as { review: Record<string, unknown>[] }).review[0] as Record<string, unknown>).principalType = "robot"), "/items/0/observed/review/0/principalType"],
    ["a review item without rows", (doc: Json) => delete (doc.items[0]?.observed as Record<string, unknown>).review, "/items/0/observed"],
    ["a period verdict without its changes", (doc: Json) => delete (doc.items[0]?.period as { observed: Record<string, unknown> }).observed.reviewChanges, "/items/0/period/observed"],
    ["a period change that is not a row", (doc: Json) => ((doc.items[0]?.period as { observed: { reviewChanges: unknown[] } }).observed.reviewChanges[0] = { principal: "x" }), "/items/0/period/observed/reviewChanges/0"],
    ["a snapshot read day that is not a day", (doc: Json) => ((doc.items[0]?.period as { observed: { readSources: { snapshotDays: string[] } } }).observed.readSources.snapshotDays = ["July"]), "/items/0/period/observed/readSources/snapshotDays/0"],
  ])("rejects %s", async (_name, corrupt, path) => {
    const document = await reviewDocument();
    corrupt(document);
    expect(validateEvidenceJson(document).some((error) => error.startsWith(`${path}:`))).toBe(true);
  });
});
