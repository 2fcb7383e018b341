// oscal/: NIST OSCAL 1.2.1 (schemas/oscal/, docs/OSCAL.md). catalog.json (the SOC 2 ids the controls resolve to),
// assessment-plan.json (what import-ap names), then assessment-results.json: one result for the period, an
// observation per item, a finding per control, and in back-matter the plan and catalog and snapshot files with their
// SHA-256. evidence.json, report.pdf and manifest.json are referenced by href only: their hashes are not final when
// this renders (manifest.json, written last, holds them). UUIDs are v5-style from the run id, so re-rendering is stable.
import { ACCESS_REVIEW_COLLECTOR } from "../src/core/access-review.js";
import { ACCESS_REVIEW_FILE, reviewRowsOf } from "./access-review-csv.js";
import { fromPackageToRoot } from "../src/core/store-layout.js";
import { resourceKey } from "../src/core/resource-key.js";
import { mapItems, selectHeads } from "../src/core/package-items.js";
import type { ControlResult, EvidencePackage, PackageItem, PackageItems } from "../src/core/package-model.js";
import { CATALOG_FILE, catalogDocument } from "./oscal-catalog.js";
import { json, line, nameUuid, nonEmpty, oscalControlId, packageMetadata, prop } from "./oscal-datatypes.js";
import { PLAN_FILE, packageResource, planDocument, reviewedControls } from "./oscal-plan.js";
import { prettyJsonStreaming } from "./json-stream.js";
import type { Renderer } from "./renderer.js";

export { nameUuid, oscalControlId, PROP_NS } from "./oscal-datatypes.js";
export { OSCAL_VERSION } from "./oscal-datatypes.js";

export const RESULTS_FILE = "oscal/assessment-results.json";

type Json = Record<string, unknown>;

/** The item's identity across snapshots, as the package history keys it. */
const itemKey = resourceKey;
/** From oscal/ inside the package folder (packages/<period>/<runId>/oscal/) back to the store root. */
const storeHref = (key: string) => `${fromPackageToRoot(1)}${key.split("/").map(encodeURIComponent).join("/")}`;

function findingFor(control: ControlResult, observations: string[], uuid: (name: string) => string): Json {
  const state = control.status === "effective" ? "satisfied" : "not-satisfied";
  const reason = control.status === "effective" ? "pass" : control.status === "deficient" ? "fail" : "other";
  const { counts } = control;
  return {
    uuid: uuid(`finding|${control.id}`),
    title: line(`${control.id} ${control.title}`),
    description: `${control.id} is ${control.status}: ${control.reason}.`,
    props: [
      ...prop("control-status", control.status),
      ...prop("population", counts.population),
      ...prop("pass", counts.pass),
      ...prop("fail", counts.fail),
      ...prop("excepted", counts.excepted),
      ...prop("not-applicable", counts.not_applicable),
      ...prop("error", counts.error),
      ...prop("days-covered", `${control.coverage.covered} of ${control.coverage.days}`),
    ],
    target: {
      type: "objective-id",
      "target-id": `${oscalControlId(control.id)}_obj`,
      status: {
        state,
        reason,
        ...(control.status === "incomplete"
          ? { remarks: `Incomplete, so not shown satisfied: ${control.reason}.` }
          : {}),
        ...(control.status === "deficient" ? { remarks: control.reason } : {}),
      },
    },
    ...nonEmpty(
      "related-observations",
      observations.map((observation) => ({ "observation-uuid": observation })),
    ),
  };
}

/** The access review of one secret in brief: who can read, who did, and the open actions (the rows are in the CSV). */
function reviewProps(item: PackageItem): Json[] {
  if (item.collector !== ACCESS_REVIEW_COLLECTOR) return [];
  const rows = reviewRowsOf(item);
  return [
    ...prop("review-can-read", String(rows.filter((row) => row.canRead).length)),
    ...prop("review-did-read", String(rows.filter((row) => row.didRead).length)),
    ...prop("review-open-actions", String(rows.filter((row) => row.action).length)),
  ];
}

function observationFor(
  item: PackageItem,
  uuid: (name: string) => string,
  tool: string,
  snapshotFile: (item: PackageItem) => string | undefined,
): Json {
  const evidence = snapshotFile(item);
  const exception = item.exception;
  return {
    uuid: uuid(`observation|${itemKey(item)}`),
    title: line(`${item.collector}: ${item.resource.name || item.resource.arn}`),
    description: item.reason,
    props: [
      ...prop("status", item.status),
      ...prop("collector", item.collector),
      ...prop("control-ids", item.controlIds.join(" ")),
      ...prop("account", item.account),
      ...prop("region", item.region),
      ...prop("resource-type", item.resource.type),
      ...prop("latest-snapshot-status", item.snapshot.status),
      ...prop("period-status", item.period?.status),
      ...prop("exception-ticket", exception?.ticket),
      ...prop("exception-approved-by", exception?.approvedBy),
      ...prop("exception-expires", exception?.expires),
      ...reviewProps(item),
    ],
    methods: ["TEST"],
    types: ["control-objective"],
    origins: [{ actors: [{ type: "tool", "actor-uuid": tool }] }],
    subjects: [
      {
        "subject-uuid": uuid(`inventory|${item.resource.arn}`),
        type: "inventory-item",
        title: line(item.resource.arn),
        props: prop("resource-arn", item.resource.arn),
      },
    ],
    "relevant-evidence": [
      ...(evidence
        ? [
            {
              href: `#${evidence}`,
              description: `Snapshot ${item.snapshot.runId}, ${item.collector}.jsonl: this item as collected.`,
            },
          ]
        : []),
      {
        href: "../evidence.json",
        description:
          "evidence.json: this item with its observed facts, expected parameters and source API calls and request ids.",
      },
      ...(item.collector === ACCESS_REVIEW_COLLECTOR
        ? [{ href: `../${ACCESS_REVIEW_FILE}`, description: `${ACCESS_REVIEW_FILE}: one row per principal that can or did read this secret, for the reviewer's decision.` }]
        : []),
    ],
    collected: item.source.collectedAt,
    ...(item.period ? { remarks: `Period verdict ${item.period.status}: ${item.period.reason}` } : {}),
  };
}

function document(pkg: EvidencePackage, texts: { catalog: string; plan: string }): {
  root: Json;
  inventory: Iterable<Json>;
  items: PackageItems;
  uuid: (name: string) => string;
  tool: string;
  snapshotFile: (item: PackageItem) => string | undefined;
} {
  const uuid = (name: string) => nameUuid(`${pkg.runId}|${name}`);
  const tool = uuid("component|tool");
  const files = new Map<string, string>();
  const snapshotResources = pkg.snapshots.flatMap((snapshot) =>
    snapshot.files.map((file) => {
      const id = uuid(`file|${file.key}`);
      files.set(`${snapshot.runId}|${file.key.slice(file.key.lastIndexOf("/") + 1)}`, id);
      return {
        uuid: id,
        title: line(file.key),
        description: `Snapshot ${snapshot.runId} of ${snapshot.day}, ${file.size} bytes.`,
        props: [
          ...prop("run-id", snapshot.runId),
          ...prop("day", snapshot.day),
          ...prop("version-id", file.versionId),
        ],
        rlinks: [
          {
            href: storeHref(file.key),
            "media-type": file.key.endsWith(".jsonl") ? "application/x-ndjson" : "application/json",
            hashes: [{ algorithm: "SHA-256", value: file.sha256 }],
          },
        ],
      };
    }),
  );
  const snapshotFile = (item: PackageItem) => files.get(`${item.snapshot.runId}|${item.collector}.jsonl`);
  // The findings, before the observations in the text, name them: their uuids are gathered from the items' heads.
  const byControl = new Map<string, string[]>(pkg.controls.map((control) => [control.id, []]));
  for (const item of selectHeads(pkg.items, {})) {
    for (const id of item.controlIds) byControl.get(id)?.push(uuid(`observation|${itemKey(item)}`));
  }
  // One inventory item per resource ARN, made as the text is written.
  const inventory = {
    *[Symbol.iterator]() {
      const seen = new Set<string>();
      for (const item of selectHeads(pkg.items, {})) {
        if (seen.has(item.resource.arn)) continue;
        seen.add(item.resource.arn);
        yield {
          uuid: uuid(`inventory|${item.resource.arn}`),
          description: line(`${item.resource.type} ${item.resource.arn}`),
          props: [
            ...prop("asset-id", item.resource.arn, undefined),
            ...prop("account", item.account),
            ...prop("region", item.region),
            ...prop("resource-type", item.resource.type),
          ],
        };
      }
    },
  };
  const { period } = pkg;
  const periodEnd = `${period.end}T23:59:59Z`;
  const packageFile = (name: string, title: string, description: string, mediaType: string) =>
    packageResource(uuid(`resource|${name}`), `../${name}`, title, description, mediaType);
  const { catalog, evidence } = oscalResources(pkg, uuid, texts.catalog);
  const result: Json = {
    uuid: uuid("result"),
    title: line(`SOC 2 evidence for ${pkg.organization}, ${period.label}`),
    description:
      `Automated, read-only collection from AWS for ${period.start} to ${period.end} (evidence through ${period.through}). ` +
      `${pkg.coverage.covered} of ${period.days} days have a complete snapshot` +
      (pkg.coverage.missing.length > 0 ? `; none on ${pkg.coverage.missing.join(", ")}.` : "."),
    start: `${period.start}T00:00:00Z`,
    end: pkg.generatedAt < periodEnd ? pkg.generatedAt : periodEnd,
    props: [
      ...prop("period-label", period.label),
      ...prop("period-end", period.end),
      ...prop("evidence-through", period.through),
      ...prop("status", pkg.summary.status),
      ...prop("run-id", pkg.runId),
    ],
    "local-definitions": {
      components: [
        {
          uuid: tool,
          type: "software",
          title: line(`${pkg.tool.name} ${pkg.tool.version}`),
          description: `Collects SOC 2 evidence from AWS with read-only API calls as ${pkg.scope.caller.arn}.`,
          status: { state: "operational" },
        },
      ],
      ...(pkg.items.length > 0 ? { "inventory-items": [] } : {}),
    },
    "reviewed-controls": reviewedControls(pkg, catalog.uuid as string),
    ...(pkg.items.length > 0 ? { observations: [] } : {}),
    ...nonEmpty(
      "findings",
      pkg.controls.map((control) => findingFor(control, byControl.get(control.id) ?? [], uuid)),
    ),
  };
  const root: Json = {
    "assessment-results": {
      uuid: uuid("assessment-results"),
      metadata: {
        ...packageMetadata(pkg, `SOC 2 assessment results: ${pkg.organization} ${period.label}`),
        parties: [{ uuid: uuid("party|organization"), type: "organization", name: line(pkg.organization) }],
      },
      "import-ap": { href: "assessment-plan.json" },
      results: [result],
      "back-matter": {
        resources: [
          packageResource(
            uuid("resource|assessment-plan.json"),
            "assessment-plan.json",
            "oscal/assessment-plan.json",
            "The OSCAL assessment plan these results import: scope, collectors as activities, controls as objectives.",
            "application/json",
            texts.plan,
          ),
          catalog,
          evidence,
          packageFile(
            "report.pdf",
            "report.pdf",
            "The auditor's reading copy of this package; its SHA-256 is in manifest.json.",
            "application/pdf",
          ),
          packageFile(
            "manifest.json",
            "manifest.json",
            "SHA-256 and store version of every file of this package, written after it.",
            "application/json",
          ),
          ...snapshotResources,
        ],
      },
    },
  };
  return { root, inventory, items: pkg.items, uuid, tool, snapshotFile };
}

/** The catalog and evidence.json resources, the same in the plan's back-matter and the results'. */
function oscalResources(pkg: EvidencePackage, uuid: (name: string) => string, catalogText: string) {
  return {
    catalog: packageResource(
      uuid("resource|catalog.json"),
      "catalog.json",
      "oscal/catalog.json",
      "The SOC 2 catalog the control ids resolve to: AICPA 2017 TSC identifiers with short titles, no criteria text.",
      "application/json",
      catalogText,
    ),
    evidence: packageResource(
      uuid("resource|evidence.json"),
      "../evidence.json",
      "evidence.json: the assessment plan as applied and every item",
      "controls.yaml as applied (controls, collectors, parameters, exceptions) and every evidence item; its SHA-256 is in manifest.json.",
      "application/json",
    ),
  };
}

/** The results, their inventory and observations (one per item, compact, one a line) written as they are made. */
function* assessmentResults(pkg: EvidencePackage, files: { catalog: string; plan: string }): Generator<string> {
  const { root, inventory, items, uuid, tool, snapshotFile } = document(pkg, files);
  if (items.length === 0) {
    yield JSON.stringify(root, null, 2) + "\n";
    return;
  }
  const result = ["assessment-results", "results", 0];
  yield* prettyJsonStreaming(root, [
    { path: [...result, "local-definitions", "inventory-items"], items: inventory },
    {
      path: [...result, "observations"],
      items: mapItems(items, (item) => observationFor(item, uuid, tool, snapshotFile)),
      compact: true,
    },
  ]);
}

export const oscalRenderer: Renderer = {
  format: "oscal",
  async render(pkg, target) {
    const uuid = (name: string) => nameUuid(`${pkg.runId}|${name}`);
    const catalog = json(catalogDocument(pkg));
    const plan = json(planDocument(pkg, uuid, oscalResources(pkg, uuid, catalog)));
    await target.write(CATALOG_FILE, catalog);
    await target.write(PLAN_FILE, plan);
    await target.writeStream(RESULTS_FILE, assessmentResults(pkg, { catalog, plan }));
  },
};
