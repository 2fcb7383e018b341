import { createHash } from "node:crypto";
import { Ajv } from "ajv";
import { beforeAll, describe, expect, it } from "vitest";
import type { EvidenceDocument, PackageItem } from "../src/core/package-model.js";
import { DRATA_NAME_MAX, DRATA_TEXT_MAX, drataManifest, drataRenderer, recordSchema, type DrataManifest } from "../reports/drata.js";
import { nextPeriod } from "../reports/platform.js";
import { CONTROL_IDS, syntheticPackage } from "./fixtures/package.js";
import { pdfText, squash } from "./support/pdf-text.js";
import { memoryTarget, renderToMemory, type MemoryTarget } from "./support/render-target.js";

/**
 * drata-evidence-api-openapi.yml (api-evangelist/drata @ 11870355): EvidenceCreateRequestPublicV2Dto requires name
 * and artifacts; EvidenceArtifactRequestPublicV2Dto requires type and filedAt, and fileKey (≤191) is "Required when
 * type is S3_FILE".
 */
const EVIDENCE_CREATE = {
  type: "object",
  required: ["name", "artifacts"],
  properties: {
    name: { type: "string", maxLength: 191 },
    description: { type: "string", maxLength: 30000 },
    stepsToReproduce: { type: "string", maxLength: 30000 },
    renewalScheduleType: { enum: ["ONE_MONTH", "TWO_MONTHS", "THREE_MONTHS", "SIX_MONTHS", "ONE_YEAR", "CUSTOM", "NONE"] },
    renewalDate: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}$" },
    controlIds: { type: "array", items: { type: "number" } },
    artifacts: {
      type: "array",
      items: {
        type: "object",
        required: ["type", "filedAt"],
        properties: { type: { const: "S3_FILE" }, artifactName: { type: "string", maxLength: 191 }, fileKey: { type: "string", maxLength: 191 }, filedAt: { type: "string" } },
        if: { properties: { type: { const: "S3_FILE" } } },
        then: { required: ["fileKey"] },
      },
    },
  },
};
/**
 * drata-custom-connections-api-openapi.yml: CustomConnectionCreateRequestPublicV2Dto requires name and providerTypes;
 * workspaceIds "Required for CUSTOM connections"; schema or sampleData, not both.
 */
const CONNECTION_CREATE = {
  type: "object",
  required: ["name", "providerTypes"],
  properties: {
    name: { type: "string" },
    providerTypes: { type: "array", items: { enum: ["CUSTOM", "MDM", "HRIS"] } },
    workspaceIds: { type: "array", minItems: 1, items: { type: "number" } },
    schema: { type: "object" },
    sampleData: { type: "object" },
    description: { type: ["string", "null"] },
    displayNameKey: { type: "string" },
  },
  additionalProperties: false,
  if: { properties: { providerTypes: { contains: { const: "CUSTOM" } } } },
  then: { required: ["workspaceIds", "displayNameKey"], oneOf: [{ required: ["schema"] }, { required: ["sampleData"] }] },
};

let pkg: EvidenceDocument;
let target: MemoryTarget;
let manifest: DrataManifest;

beforeAll(async () => {
  pkg = syntheticPackage({ items: 80 });
  target = await renderToMemory(drataRenderer, pkg);
  manifest = target.json<DrataManifest>("drata/drata.json");
});

describe("drata/", () => {
  it("writes one PDF per control and drata.json", () => {
    expect([...target.files.keys()].sort()).toEqual(
      [...CONTROL_IDS.map((id) => `drata/${id}.pdf`), "drata/drata.json"].sort(),
    );
  });

  it("describes an evidence record per control in the shape of Drata's create-evidence request", () => {
    expect(manifest.evidence.map((evidence) => evidence.controlId)).toEqual(CONTROL_IDS);
    for (const evidence of manifest.evidence) {
      const body = target.files.get(`drata/${evidence.file}`) as Buffer;
      expect(evidence.sha256).toBe(createHash("sha256").update(body).digest("hex"));
      expect(Object.keys(evidence.record).sort()).toEqual([
        "artifacts",
        "controlIds",
        "description",
        "name",
        "renewalDate",
        "renewalScheduleType",
        "stepsToReproduce",
      ]);
      expect(evidence.record.name.length).toBeLessThanOrEqual(191);
      expect(evidence.record.name).toBe(
        `SOC 2 ${evidence.controlId}: ${pkg.controls.find((control) => control.id === evidence.controlId)?.title}`,
      );
      expect(evidence.record.renewalScheduleType).toBe("THREE_MONTHS");
      expect(evidence.record.renewalDate).toBe("2026-12-31");
      expect(evidence.record.artifacts).toEqual([
        {
          type: "S3_FILE",
          artifactName: evidence.upload.fields.file.fileName,
          filedAt: "2026-08-15",
        },
      ]);
      expect(evidence.record.stepsToReproduce).toContain(pkg.runId);
      expect(evidence.upload.path).toBe("/workspaces/{workspaceId}/evidence-files");
    }
  });

  it.each([
    ["a quarter", "2026-07-01", "2026-09-30", "THREE_MONTHS", "2026-12-31"],
    ["a calendar year", "2026-01-01", "2026-12-31", "ONE_YEAR", "2027-12-31"],
    ["a half", "2026-01-01", "2026-06-30", "SIX_MONTHS", "2026-12-31"],
    ["a month ending in February", "2026-02-01", "2026-02-28", "ONE_MONTH", "2026-03-31"],
    ["two months", "2026-11-01", "2026-12-31", "TWO_MONTHS", "2027-02-28"],
    ["a fiscal year from April", "2025-04-01", "2026-03-31", "ONE_YEAR", "2027-03-31"],
    ["a custom 10-day range", "2026-07-10", "2026-07-19", "CUSTOM", "2026-07-29"],
    ["four months", "2026-01-01", "2026-04-30", "CUSTOM", "2026-08-31"],
  ])("renews %s with %s, due at the end of the next period", (_name, start, end, schedule, renewal) => {
    expect(nextPeriod({ start, end })).toMatchObject({ schedule, end: renewal });
  });

  it("keys custom-connection records by resource ARN, every one valid against the connection's schema", () => {
    const { records } = manifest.customConnection;
    expect(records).toHaveLength(pkg.items.length);
    expect(records.map((record) => record.id)).toEqual(pkg.items.map((item) => item.resource.arn));
    const validate = new Ajv({ allErrors: true }).compile(manifest.customConnection.setup.body.schema);
    for (const record of records) expect(validate(record), JSON.stringify(validate.errors)).toBe(true);
    expect(manifest.customConnection.setup.body).toMatchObject({
      providerTypes: ["CUSTOM"],
      displayNameKey: "name",
    });
  });

  it("gives an ARN that two collectors report one record per collector", async () => {
    const twice = syntheticPackage({ items: 20 });
    const first = twice.items[0] as PackageItem;
    twice.items.push({ ...first, collector: "another-collector", controlIds: ["CC6.7"] });
    const doubled = (await renderToMemory(drataRenderer, twice)).json<DrataManifest>("drata/drata.json");
    const ids = doubled.customConnection.records.map((record) => record.id);
    expect(ids).toContain(`${first.resource.arn}#${first.collector}`);
    expect(ids).toContain(`${first.resource.arn}#another-collector`);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("gives a resource one collector reports for two controls one record, with both controls, where it first appears", async () => {
    const twice = syntheticPackage({ items: 20 });
    const first = twice.items[0] as PackageItem;
    twice.items.push({ ...first, controlIds: ["CC9.9"] });
    const merged = (await renderToMemory(drataRenderer, twice)).json<DrataManifest>("drata/drata.json");
    const records = merged.customConnection.records;
    expect(records).toHaveLength(20);
    expect(records[0]).toMatchObject({ id: first.resource.arn, controlIds: [...first.controlIds, "CC9.9"] });
  });

  it("rejects a malformed record with the schema it publishes, so the record check can fail", () => {
    const validate = new Ajv({ allErrors: true }).compile(recordSchema());
    const record = { ...manifest.customConnection.records[0], status: "passed" };
    expect(validate(record)).toBe(false);
  });

  it("uses one session id per run, within Drata's 3-64 characters", () => {
    expect(manifest.customConnection.sessionId).toBe(`soc2-${pkg.runId}`);
    expect(manifest.customConnection.sessionId.length).toBeLessThanOrEqual(64);
  });

  it("puts the control's failing resources in its PDF", async () => {
    const text = squash(await pdfText(target.files.get("drata/CC6.1.pdf") as Buffer));
    for (const item of pkg.items.filter(
      (entry) => entry.controlIds.includes("CC6.1") && entry.status !== "pass",
    ))
      expect(text).toContain(squash(item.resource.arn));
  });

  it("gives every request template the fields only publish can know, and with them filled each body is valid", () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const checkEvidence = ajv.compile(EVIDENCE_CREATE);
    const checkConnection = ajv.compile(CONNECTION_CREATE);
    for (const evidence of manifest.evidence) {
      expect(evidence.fill.map((fill) => fill.field)).toEqual(["artifacts[0].fileKey", "controlIds"]);
      expect(JSON.stringify(evidence.record)).not.toMatch(/null|\{[a-zA-Z]+\}/);
      // Without its fills the template is not a body Drata would act on: S3_FILE needs a fileKey.
      expect(checkEvidence(evidence.record)).toBe(false);
      const artifact = { ...evidence.record.artifacts[0], fileKey: "7/evidence-library/1/CC6.1.pdf" };
      expect(checkEvidence({ ...evidence.record, controlIds: [1037], artifacts: [artifact] }), JSON.stringify(checkEvidence.errors)).toBe(true);
    }
    const { setup } = manifest.customConnection;
    expect(setup.fill.map((fill) => fill.field)).toEqual(["workspaceIds"]);
    expect(checkConnection(setup.body)).toBe(false);
    expect(checkConnection({ ...setup.body, workspaceIds: [7] }), JSON.stringify(checkConnection.errors)).toBe(true);
  });

  it("links each control to the Drata codes controls.yaml mapped when the package was made", async () => {
    const mapped = {
      ...pkg,
      controls: pkg.controls.map((control) => (control.id === "CC6.1" ? { ...control, platforms: { drata: ["DCF-37"] } } : control)),
    };
    const linked = await drataManifest(mapped, memoryTarget());
    expect(linked.evidence.map((evidence) => [evidence.controlId, evidence.controlCodes])).toEqual(
      CONTROL_IDS.map((id) => [id, id === "CC6.1" ? ["DCF-37"] : []]),
    );
  });

  it("names the fields the vendor documentation leaves open", () => {
    expect(manifest.unconfirmedFields.map((entry) => entry.field)).toEqual(
      expect.arrayContaining(["evidence[].record.controlIds", "customConnection.batchSize"]),
    );
  });
});

describe("drata/ for an Organization-sized scope", () => {
  it("cuts stepsToReproduce to Drata's 30000 characters and points to the full text in the package", async () => {
    const base = syntheticPackage({ items: 80 });
    const accounts = Array.from({ length: 3000 }, (_, index) => String(100000000000 + index));
    const big = { ...base, scope: { ...base.scope, accounts } };
    const large = await drataManifest(big, memoryTarget());
    for (const evidence of large.evidence) {
      expect(Array.from(evidence.record.stepsToReproduce).length).toBeLessThanOrEqual(DRATA_TEXT_MAX);
      expect(evidence.record.stepsToReproduce).toMatch(/full text in packages\/2026-Q3\/.+\/evidence\.json/);
      expect(Array.from(evidence.record.name).length).toBeLessThanOrEqual(DRATA_NAME_MAX);
    }
    expect(manifest.evidence[0]?.record.stepsToReproduce).not.toContain("full text in");
  });
});

describe("drata.json is written record by record", () => {
  it("is byte for byte JSON.stringify of the whole manifest, records included", async () => {
    const written = syntheticPackage({ items: 80 });
    const target = await renderToMemory(drataRenderer, written);
    const whole = await drataManifest(written, memoryTarget());
    expect(whole.customConnection.records.length).toBeGreaterThan(10);
    expect(target.text("drata/drata.json")).toBe(JSON.stringify(whole, null, 2) + "\n");
  });
});
