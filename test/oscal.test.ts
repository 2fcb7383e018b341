import { createHash } from "node:crypto";
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

// The plan and catalog against NIST's own 1.2.1 schemas (vendored byte for byte, schemas/oscal/README.md).
const nist = (name: string) => {
  const instance = new Ajv({ allErrors: true });
  addFormats(instance);
  return instance.compile(
    JSON.parse(readFileSync(new URL(`../schemas/oscal/oscal_${name}_schema.json`, import.meta.url), "utf8")) as object,
  );
};
const validatePlan = nist("assessment-plan");
const validateCatalog = nist("catalog");
const schemaErrors = (check: typeof validatePlan, document: unknown) =>
  check(document) ? [] : (check.errors ?? []).map((error) => `${error.instancePath}: ${error.message}`);

type Node = Record<string, unknown>;
/** Every object in a document, with the key it sits under. */
function* walk(value: unknown, key = ""): Generator<{ key: string; node: Node }> {
  if (Array.isArray(value)) for (const entry of value) yield* walk(entry, key);
  else if (value && typeof value === "object") {
    yield { key, node: value as Node };
    for (const [child, entry] of Object.entries(value)) yield* walk(entry, child);
  }
}
const stringsUnder = (document: unknown, field: string) =>
  [...walk(document)].flatMap(({ node }) => (typeof node[field] === "string" ? [node[field] as string] : []));

async function renderAll(options: Parameters<typeof syntheticPackage>[0] = {}, renamed: Record<string, string> = {}) {
  const pkg = syntheticPackage(options);
  for (const control of pkg.controls) control.id = renamed[control.id] ?? control.id;
  for (const item of pkg.items) item.controlIds = item.controlIds.map((id) => renamed[id] ?? id);
  const target = await renderToMemory(oscalRenderer, pkg);
  return {
    pkg,
    target,
    results: target.json<Node>("oscal/assessment-results.json"),
    plan: target.json<Node>("oscal/assessment-plan.json"),
    catalog: target.json<Node>("oscal/catalog.json"),
  };
}

describe("oscal/assessment-plan.json and oscal/catalog.json", () => {
  it.each([
    ["with items and gaps", {}],
    ["without items", { items: 0, gaps: false }],
  ])("validate against NIST's 1.2.1 plan and catalog schemas (%s)", async (_name, options) => {
    const { plan, catalog } = await renderAll(options);
    expect(schemaErrors(validatePlan, plan)).toEqual([]);
    expect(schemaErrors(validateCatalog, catalog)).toEqual([]);
  });

  it("are rejected by those schemas when a required field is missing, so the validation can fail", async () => {
    const { plan, catalog } = await renderAll();
    delete (plan["assessment-plan"] as Node)["import-ssp"];
    ((catalog.catalog as Node).groups as Node[])[0]!.title = undefined;
    expect(schemaErrors(validatePlan, plan).join("\n")).toContain("import-ssp");
    expect(schemaErrors(validateCatalog, JSON.parse(JSON.stringify(catalog))).length).toBeGreaterThan(0);
  });

  it("has each collector as an activity for its controls and each control's catalog objective as an objective", async () => {
    const { plan, pkg } = await renderAll();
    const ap = plan["assessment-plan"] as Node;
    const activities = (ap["local-definitions"] as Node).activities as Node[];
    const collectors = new Set(pkg.controls.flatMap((control) => control.collectors.map((collector) => collector.id)));
    expect(activities.map((activity) => (activity.props as Node[])[0]!.value).sort()).toEqual([...collectors].sort());
    const objectives = ((ap["reviewed-controls"] as Node)["control-objective-selections"] as Node[])[0]!["include-objectives"];
    expect(objectives).toEqual(pkg.controls.map((control) => ({ "objective-id": `${oscalControlId(control.id)}_obj` })));
  });

  it("copies no criteria text: catalog controls carry an id, a short title and an empty objective part only", async () => {
    const { catalog } = await renderAll();
    const controls = [...walk(catalog)].filter(({ key }) => key === "controls").map(({ node }) => node);
    expect(controls.length).toBeGreaterThanOrEqual(61);
    for (const control of controls) {
      expect(Object.keys(control).sort()).toEqual(["id", "parts", "title"]);
      expect(control.parts).toEqual([{ id: `${control.id as string}_obj`, name: "assessment-objective" }]);
      expect((control.title as string).length).toBeLessThan(90);
    }
  });
});

describe("oscal/ as a strict consumer loads it", () => {
  it("uses https URLs for every ns (compliance-trestle accepts only scheme:// namespaces)", async () => {
    const { results, plan, catalog } = await renderAll();
    const namespaces = [results, plan, catalog].flatMap((document) => stringsUnder(document, "ns"));
    expect(namespaces.length).toBeGreaterThan(0);
    for (const ns of namespaces) expect(new URL(ns).protocol).toBe("https:");
  });

  it("resolves every href inside the package: #uuid to a back-matter resource, paths to a package or snapshot file", async () => {
    const { results, plan, pkg, target } = await renderAll();
    const packageFiles = new Set(["evidence.json", "report.pdf", "manifest.json", ...target.files.keys()]);
    const snapshotKeys = new Set(pkg.snapshots.flatMap((snapshot) => snapshot.files.map((file) => file.key)));
    for (const [name, document] of [["oscal/assessment-results.json", results], ["oscal/assessment-plan.json", plan]] as const) {
      const root = Object.values(document)[0] as Node;
      const resources = new Set(((root["back-matter"] as Node).resources as Node[]).map((resource) => resource.uuid));
      for (const href of stringsUnder(document, "href")) {
        if (href.startsWith("#")) {
          expect(resources, `${name}: ${href}`).toContain(href.slice(1));
          continue;
        }
        const path = new URL(href, `file:///store/packages/p/r/${name}`).pathname;
        const inPackage = path.startsWith("/store/packages/p/r/") ? path.slice("/store/packages/p/r/".length) : undefined;
        const inStore = decodeURIComponent(path.slice("/store/".length));
        expect(inPackage !== undefined ? packageFiles.has(inPackage) : snapshotKeys.has(inStore), `${name}: ${href}`).toBe(true);
      }
    }
  });

  it("has import-ap name the plan the package carries, with that plan's SHA-256 in back-matter", async () => {
    const { results, target } = await renderAll();
    const root = results["assessment-results"] as Node;
    expect(root["import-ap"]).toEqual({ href: "assessment-plan.json" });
    const resource = ((root["back-matter"] as Node).resources as Node[]).find(
      (entry) => (entry.rlinks as Node[])[0]!.href === "assessment-plan.json",
    );
    const hash = createHash("sha256").update(target.files.get("oscal/assessment-plan.json")!).digest("hex");
    expect((resource?.rlinks as Node[])[0]!.hashes).toEqual([{ algorithm: "SHA-256", value: hash }]);
  });

  it.each([
    ["with the shipped TSC ids", {}],
    ["with ids that are not TSC ids", { "CC6.1": "PI 1.1", "CC7.2": "7.2" }],
  ])("resolves every control id and finding target to the catalog (%s)", async (_name, renamed: Record<string, string>) => {
    const { results, plan, catalog } = await renderAll({}, renamed);
    const catalogIds = new Set(stringsUnder(catalog, "id"));
    const controlIds = [...stringsUnder(results, "control-id"), ...stringsUnder(plan, "control-id")];
    expect(controlIds.length).toBeGreaterThan(0);
    for (const id of controlIds) expect(catalogIds, id).toContain(id);
    for (const id of [...stringsUnder(results, "target-id"), ...stringsUnder(plan, "objective-id")])
      expect(catalogIds, id).toContain(id);
  });

  it("references every uuid where the model expects it: observations, actors, subjects, activities", async () => {
    const { results, plan } = await renderAll();
    const ar = results["assessment-results"] as Node;
    const result = (ar.results as Node[])[0]!;
    const observations = new Set(((result.observations as Node[]) ?? []).map((entry) => entry.uuid));
    const local = result["local-definitions"] as Node;
    const components = new Set((local.components as Node[]).map((entry) => entry.uuid));
    const inventory = new Set(((local["inventory-items"] as Node[]) ?? []).map((entry) => entry.uuid));
    for (const id of stringsUnder(result.findings, "observation-uuid")) expect(observations).toContain(id);
    for (const id of stringsUnder(result.observations, "actor-uuid")) expect(components).toContain(id);
    for (const id of stringsUnder(result.observations, "subject-uuid")) expect(inventory).toContain(id);
    const ap = plan["assessment-plan"] as Node;
    const activities = new Set(((ap["local-definitions"] as Node).activities as Node[]).map((entry) => entry.uuid));
    for (const id of stringsUnder(ap.tasks, "activity-uuid")) expect(activities).toContain(id);
    // and every uuid is unique within its document
    for (const document of [results, plan]) {
      const uuids = [...walk(document)].flatMap(({ node }) => (typeof node.uuid === "string" ? [node.uuid] : []));
      expect(new Set(uuids).size).toBe(uuids.length);
    }
  });
});
