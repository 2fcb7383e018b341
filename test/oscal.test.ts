import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { describe, expect, it } from "vitest";
import { nameUuid, oscalControlId, oscalRenderer } from "../reports/oscal.js";
import { syntheticPackage } from "./fixtures/package.js";
import { renderToMemory } from "./support/render-target.js";

// Exactly as schemas/oscal/README.md says: the default (draft-07) Ajv class, allErrors, strict defaults, ajv-formats.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const schema = JSON.parse(
  readFileSync(new URL("../schemas/oscal/oscal_assessment-results_schema.json", import.meta.url), "utf8"),
) as object;
const ajv = new Ajv({ allErrors: true });
addFormats(ajv);
const validate = ajv.compile(schema);

interface Finding {
  title: string;
  target: { type: string; "target-id": string; status: { state: string; reason?: string; remarks?: string } };
  "related-observations"?: { "observation-uuid": string }[];
}
interface Observation {
  uuid: string;
  methods: string[];
  collected: string;
  subjects: { type: string; title: string; props: { name: string; value: string }[] }[];
  props: { name: string; value: string }[];
  "relevant-evidence": { href: string }[];
}
interface Results {
  "assessment-results": {
    metadata: { "oscal-version": string };
    results: {
      start: string;
      end: string;
      "reviewed-controls": { "control-selections": { "include-controls": { "control-id": string }[] }[] };
      observations?: Observation[];
      findings: Finding[];
    }[];
    "back-matter": {
      resources: {
        uuid: string;
        title: string;
        rlinks: { href: string; hashes?: { algorithm: string; value: string }[] }[];
      }[];
    };
  };
}

async function render(options: Parameters<typeof syntheticPackage>[0] = {}) {
  const pkg = syntheticPackage(options);
  const target = await renderToMemory(oscalRenderer, pkg);
  const text = target.text("oscal/assessment-results.json");
  return { pkg, text, document: JSON.parse(text) as Results };
}

const errorsOf = (document: unknown) =>
  validate(document) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath}: ${error.message}`);

describe("oscal/assessment-results.json", () => {
  it("validates against the committed OSCAL 1.2.1 schema", async () => {
    const { document } = await render();
    expect(document["assessment-results"].metadata["oscal-version"]).toBe("1.2.1");
    expect(errorsOf(document)).toEqual([]);
  });

  it("validates without items, without gaps and with every control effective", async () => {
    const { document } = await render({ items: 0, gaps: false });
    expect(document["assessment-results"].results[0]?.observations).toBeUndefined();
    expect(errorsOf(document)).toEqual([]);
  });

  it("is rejected by the schema when a required field is missing, so the validation can fail", async () => {
    const { document } = await render({ items: 4 });
    delete (
      document["assessment-results"].results[0] as Partial<Results["assessment-results"]["results"][number]>
    ).start;
    expect(errorsOf(document).join("\n")).toContain("start");
  });

  it("has one result spanning the period with the control ids written as OSCAL tokens", async () => {
    const { document, pkg } = await render();
    const [result] = document["assessment-results"].results;
    expect(document["assessment-results"].results).toHaveLength(1);
    expect(result?.start).toBe("2026-07-01T00:00:00Z");
    expect(result?.end).toBe(pkg.generatedAt);
    const ids = result?.["reviewed-controls"]["control-selections"][0]?.["include-controls"].map(
      (control) => control["control-id"],
    );
    expect(ids).toEqual(["cc6.1", "cc6.7", "cc7.2", "cc6.3"]);
  });

  it.each([
    ["CC6.1", "cc6.1"],
    ["A1.2", "a1.2"],
    ["PI 1.1", "pi-1.1"],
    ["7.2", "c-7.2"],
  ])("writes control id %s as %s", (id, expected) => {
    expect(oscalControlId(id)).toBe(expected);
  });

  it("has one automated observation per item, with the resource ARN as subject and the collection time", async () => {
    const { document, pkg } = await render();
    const observations = document["assessment-results"].results[0]?.observations ?? [];
    expect(observations).toHaveLength(pkg.items.length);
    const failing = pkg.items.find((item) => item.status === "fail");
    const observation = observations.find((entry) => entry.subjects[0]?.title === failing?.resource.arn);
    expect(observation?.methods).toEqual(["TEST"]);
    expect(observation?.collected).toBe(failing?.source.collectedAt);
    expect(observation?.props).toContainEqual(expect.objectContaining({ name: "status", value: "fail" }));
    expect(observation?.subjects[0]?.props).toContainEqual(
      expect.objectContaining({ name: "resource-arn", value: failing?.resource.arn }),
    );
  });

  it.each([
    ["CC6.1", "deficient", "not-satisfied", "fail"],
    ["CC7.2", "incomplete", "not-satisfied", "other"],
  ])("marks %s (%s) %s with reason %s", async (id, status, state, reason) => {
    const { document, pkg } = await render();
    expect(pkg.controls.find((control) => control.id === id)?.status).toBe(status);
    const finding = document["assessment-results"].results[0]?.findings.find((entry) =>
      entry.title.startsWith(`${id} `),
    );
    expect(finding?.target.type).toBe("objective-id");
    expect(finding?.target["target-id"]).toBe(`${id.toLowerCase()}_obj`);
    expect(finding?.target.status).toMatchObject({ state, reason });
  });

  it("marks an effective control satisfied and links its observations", async () => {
    const { document, pkg } = await render({ gaps: false });
    const control = pkg.controls.find((entry) => entry.status === "effective");
    expect(control?.id).toBe("CC6.7");
    const finding = document["assessment-results"].results[0]?.findings.find((entry) =>
      entry.title.startsWith("CC6.7 "),
    );
    expect(finding?.target.status).toEqual({ state: "satisfied", reason: "pass" });
    expect(finding?.["related-observations"]).toHaveLength(control?.counts.population ?? -1);
  });

  it("lists every snapshot file in back-matter with its SHA-256, and points observations at them", async () => {
    const { document, pkg } = await render();
    const resources = document["assessment-results"]["back-matter"].resources;
    for (const file of pkg.snapshots.flatMap((snapshot) => snapshot.files)) {
      const resource = resources.find((entry) => entry.title === file.key);
      expect(resource?.rlinks[0]?.hashes).toEqual([{ algorithm: "SHA-256", value: file.sha256 }]);
      expect(resource?.rlinks[0]?.href).toBe(`../../../../${file.key}`);
    }
    const evidenceJson = resources.find((entry) => entry.rlinks[0]?.href === "../evidence.json");
    expect(evidenceJson?.rlinks[0]?.hashes).toBeUndefined();
    const first = document["assessment-results"].results[0]?.observations?.[0];
    const target = first?.["relevant-evidence"][0]?.href.slice(1);
    expect(resources.find((entry) => entry.uuid === target)?.title).toMatch(
      /\/20260815T061200Z-a1b2c3\/[a-z-]+\.jsonl$/,
    );
  });

  it("renders the same uuids every time for the same package, and version-5 uuids", async () => {
    const first = await render();
    const second = await render();
    expect(second.text).toBe(first.text);
    expect(nameUuid("x")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(nameUuid("x")).not.toBe(nameUuid("y"));
  });
});
