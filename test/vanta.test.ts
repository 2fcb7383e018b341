import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { EvidencePackage } from "../src/core/package-model.js";
import { VANTA_PROPERTIES, vantaRenderer, type VantaManifest } from "../reports/vanta.js";
import { CONTROL_IDS, syntheticPackage } from "./fixtures/package.js";
import { pdfText, squash } from "./support/pdf-text.js";
import { renderToMemory, type MemoryTarget } from "./support/render-target.js";

let pkg: EvidencePackage;
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

  it("syncs the whole population as custom resources in one payload, with flat properties of the documented types", () => {
    const { resources } = manifest.customResources;
    expect(manifest.customResources.request).toEqual({
      method: "PUT",
      path: "/v1/resources/custom_resource",
    });
    expect(resources).toHaveLength(pkg.items.length);
    expect(new Set(resources.map((resource) => resource.uniqueId)).size).toBe(resources.length);
    for (const resource of resources) {
      expect(Object.keys(resource).sort()).toEqual([
        "customProperties",
        "displayName",
        "externalUrl",
        "uniqueId",
      ]);
      expect(Object.keys(resource.customProperties).sort()).toEqual(Object.keys(VANTA_PROPERTIES).sort());
      for (const [name, value] of Object.entries(resource.customProperties)) {
        const type = VANTA_PROPERTIES[name];
        expect(type === "int32" ? Number.isInteger(value) : typeof value, name).toBe(
          type === "int32" ? true : type,
        );
      }
    }
    expect(manifest.customResources.customPropertiesSchema.properties.withinPolicy).toEqual({
      type: "boolean",
    });
  });

  it.each([
    ["pass", true],
    ["excepted", true],
    ["not_applicable", true],
    ["fail", false],
    ["error", false],
  ])("marks a %s resource withinPolicy=%s", (status, within) => {
    const resource = manifest.customResources.resources.find(
      (entry) => entry.customProperties.status === status,
    );
    expect(resource?.customProperties.withinPolicy).toBe(within);
  });

  it("records rotation facts where the collector observed them and sentinels where it did not", () => {
    const key = manifest.customResources.resources.find(
      (entry) =>
        entry.customProperties.collector === "kms-key-rotation" && entry.customProperties.status === "pass",
    );
    expect(key?.customProperties).toMatchObject({
      rotationRecorded: true,
      rotationEnabled: true,
      daysSinceRotation: 105,
    });
    const bucket = manifest.customResources.resources.find(
      (entry) => entry.customProperties.collector === "tls-in-transit",
    );
    expect(bucket?.customProperties).toMatchObject({
      rotationRecorded: false,
      rotationEnabled: false,
      daysSinceRotation: -1,
      exceptionTicket: "",
    });
    const excepted = manifest.customResources.resources.find(
      (entry) => entry.customProperties.exceptionTicket === "SEC-142",
    );
    expect(excepted?.customProperties).toMatchObject({ excepted: true, exceptionExpires: "2027-03-31" });
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
        "customResources.resources[].customProperties",
      ]),
    );
    for (const entry of manifest.unconfirmedFields) expect(entry.note.length).toBeGreaterThan(20);
  });
});
