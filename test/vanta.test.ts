import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { EvidenceDocument } from "../src/core/package-model.js";
import { VANTA_CADENCES, VANTA_REMINDER_WINDOWS, vantaCadence, vantaManifest, vantaRenderer, type VantaManifest } from "../reports/vanta.js";
import { CONTROL_IDS, syntheticPackage } from "./fixtures/package.js";
import { pdfText, squash } from "./support/pdf-text.js";
import { memoryTarget, renderToMemory, type MemoryTarget } from "./support/render-target.js";
import { drataRenderer, type DrataManifest } from "../reports/drata.js";

let pkg: EvidenceDocument;
let target: MemoryTarget;
let manifest: VantaManifest;

beforeAll(async () => {
  pkg = syntheticPackage({ items: 80 });
  target = await renderToMemory(vantaRenderer, pkg);
  manifest = target.json<VantaManifest>("vanta/vanta.json");
});

describe("vanta/", () => {
  it("writes one PDF per control and vanta.json", () => {
    expect([...target.files.keys()].sort()).toEqual(
      [...CONTROL_IDS.map((id) => `vanta/${id}.pdf`), "vanta/vanta.json"].sort(),
    );
  });

  it("describes one document upload per control with the file's hash, a unique file name and the collection date", () => {
    expect(manifest.documents.map((document) => document.controlId)).toEqual(CONTROL_IDS);
    for (const document of manifest.documents) {
      const body = target.files.get(`vanta/${document.file}`) as Buffer;
      expect(document.sha256).toBe(createHash("sha256").update(body).digest("hex"));
      expect(document.size).toBe(body.length);
      expect(document.upload).toMatchObject({
        method: "POST",
        path: "/v1/documents/{documentId}/uploads",
        contentType: "multipart/form-data",
      });
      expect(document.upload.fields.file).toEqual({
        fileName: `soc2-evidence_${document.controlId}_2026-Q3_${pkg.runId}.pdf`,
        mimeType: "application/pdf",
      });
      expect(document.upload.fields.effectiveAtDate).toBe(pkg.snapshots.at(-1)?.finishedAt);
      expect(document.upload.fields.description).toContain(document.sha256);
      expect(document.createDocument).toMatchObject({ timeSensitivity: "MOST_RECENT", cadence: "P3M" });
    }
  });

  it("puts each control's status, failing resources and criterion in that control's PDF", async () => {
    const control = pkg.controls.find((entry) => entry.id === "CC6.3");
    const text = squash(await pdfText(target.files.get("vanta/CC6.3.pdf") as Buffer));
    expect(text).toContain(squash(`CC6.3 ${control?.title}`));
    expect(text).toContain("DEFICIENT");
    for (const item of pkg.items.filter(
      (entry) => entry.controlIds.includes("CC6.3") && entry.status === "fail",
    ))
      expect(text).toContain(squash(item.resource.arn));
    expect(text).not.toContain(
      squash(pkg.items.find((entry) => entry.collector === "kms-key-rotation")?.resource.arn ?? "-"),
    );
  });

  it("syncs the whole population as custom resources in one payload, with only the fields the definition lists", () => {
    const { resources } = manifest.customResources;
    expect(manifest.customResources.request).toEqual({ method: "PUT", path: "/v1/resources/custom_resource" });
    expect(resources).toHaveLength(pkg.items.length);
    expect(new Set(resources.map((resource) => resource.uniqueId)).size).toBe(resources.length);
    for (const resource of resources)
      expect(Object.keys(resource).sort()).toEqual(["displayName", "externalUrl", "uniqueId"]);
  });

  it("describes each Secrets Manager secret once as a Vanta secret resource with every required field", () => {
    const secrets = manifest.secrets.resources;
    const arns = new Set(pkg.items.filter((item) => item.collector === "secrets-rotation").map((item) => item.resource.arn));
    expect(secrets.map((secret) => secret.uniqueId).sort()).toEqual([...arns].sort());
    for (const secret of secrets) {
      for (const key of ["displayName", "uniqueId", "externalUrl", "name", "createdTimestamp", "creator"] as const)
        expect(typeof secret[key] === "string" && secret[key] !== "", key).toBe(true);
      expect(typeof secret.owner).toBe("string");
      expect(Number.isNaN(Date.parse(secret.createdTimestamp))).toBe(false);
    }
  });

  it.each([
    ["a quarter", { start: "2026-07-01", end: "2026-09-30", days: 92 }, "P3M", "P1W", true],
    ["a year", { start: "2026-01-01", end: "2026-12-31", days: 365 }, "P1Y", "P1M", true],
    ["a half", { start: "2026-01-01", end: "2026-06-30", days: 181 }, "P6M", "P1M", true],
    ["a month", { start: "2026-02-01", end: "2026-02-28", days: 28 }, "P1M", "P1W", true],
    ["two months", { start: "2026-07-01", end: "2026-08-31", days: 62 }, "P1M", "P1W", false],
    ["nine months", { start: "2026-01-01", end: "2026-09-30", days: 273 }, "P6M", "P1M", false],
    ["100 days", { start: "2026-03-05", end: "2026-06-12", days: 100 }, "P3M", "P1W", false],
    ["10 days", { start: "2026-03-05", end: "2026-03-14", days: 10 }, "P1W", "P1D", false],
    ["one day", { start: "2026-03-05", end: "2026-03-05", days: 1 }, "P1D", "P0D", true],
  ])("renews %s with the nearest shorter cadence and a smaller reminder", (_name, period, cadence, reminder, exact) => {
    const choice = vantaCadence(period);
    expect(choice).toMatchObject({ cadence, reminderWindow: reminder, exact });
    expect(VANTA_CADENCES).toContain(choice.cadence);
    expect(VANTA_REMINDER_WINDOWS).toContain(choice.reminderWindow);
    expect(VANTA_CADENCES.indexOf(choice.cadence)).toBeGreaterThan(VANTA_CADENCES.indexOf(choice.reminderWindow));
    if (!exact) expect(choice.note).toContain("nearest shorter");
  });

  it("says in vanta.json how the period maps onto Vanta's cadence", () => {
    expect(manifest.renewal).toMatchObject({ cadence: "P3M", exact: true });
    for (const document of manifest.documents)
      expect(document.createDocument).toMatchObject({ cadence: "P3M", reminderWindow: "P1W" });
  });

  it("links each resource back to the package's evidence.json in the S3 console", () => {
    const url = new URL(manifest.customResources.resources[0]?.externalUrl ?? "");
    expect(url.host).toBe("s3.console.aws.amazon.com");
    expect(url.pathname).toBe("/s3/object/acme-soc2-evidence");
    expect(url.searchParams.get("prefix")).toBe(`soc2/packages/2026-Q3/${pkg.runId}/evidence.json`);
  });

  it("names the fields the vendor documentation leaves open instead of guessing silently", () => {
    const fields = manifest.unconfirmedFields.map((entry) => entry.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        "documents[].upload.fields.effectiveAtDate",
        "secrets.resources[].owner",
      ]),
    );
    for (const entry of manifest.unconfirmedFields) expect(entry.note.length).toBeGreaterThan(20);
  });
});

describe("vanta/ and drata/ in one package", () => {
  it("lays each control PDF out once: drata/ gets a copy of vanta/'s bytes, and both manifests hash and size them", async () => {
    const both = syntheticPackage({ items: 80 });
    const shared = memoryTarget();
    const copies: string[] = [];
    const copy = shared.copy.bind(shared);
    shared.copy = async (from, to) => {
      copies.push(`${from} -> ${to}`);
      await copy(from, to);
    };
    await vantaRenderer.render(both, shared);
    await drataRenderer.render(both, shared);
    expect(copies).toEqual(CONTROL_IDS.map((id) => `vanta/${id}.pdf -> drata/${id}.pdf`));
    const vanta = shared.json<VantaManifest>("vanta/vanta.json");
    const drata = shared.json<DrataManifest>("drata/drata.json");
    for (const id of CONTROL_IDS) {
      const body = shared.files.get(`drata/${id}.pdf`) as Buffer;
      expect(body.equals(shared.files.get(`vanta/${id}.pdf`) as Buffer)).toBe(true);
      const sha256 = createHash("sha256").update(body).digest("hex");
      expect(vanta.documents.find((document) => document.controlId === id)).toMatchObject({ sha256, size: body.length });
      expect(drata.evidence.find((evidence) => evidence.controlId === id)).toMatchObject({ sha256, size: body.length });
    }
  });
});

describe("vanta.json is written resource by resource", () => {
  it("is byte for byte JSON.stringify of the whole manifest, custom resources included", async () => {
    const written = syntheticPackage({ items: 80 });
    const rendered = await renderToMemory(vantaRenderer, written);
    const whole = await vantaManifest(written, memoryTarget());
    expect(whole.customResources.resources.length).toBeGreaterThan(10);
    expect(rendered.text("vanta/vanta.json")).toBe(JSON.stringify(whole, null, 2) + "\n");
  });
});
