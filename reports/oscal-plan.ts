// oscal/assessment-plan.json: the minimal OSCAL 1.2.1 Assessment Plan the results import. The scope (accounts and
// regions), each collector as an activity for the controls it serves, one daily task over the period, and each
// control's catalog objective (`<id>_obj` in oscal/catalog.json) as an objective. There is no OSCAL SSP: import-ssp
// names evidence.json (controls.yaml as applied), with a remark saying so.
import type { EvidencePackage } from "../src/core/package-model.js";
import { line, nonEmpty, oscalControlId, packageMetadata, prop, sha256Hex } from "./oscal-datatypes.js";

type Json = Record<string, unknown>;

export const PLAN_FILE = "oscal/assessment-plan.json";

/** A back-matter resource for a file of the package, with its SHA-256 when its bytes are final. */
export function packageResource(
  uuid: string,
  href: string,
  title: string,
  description: string,
  mediaType: string,
  text?: string,
): Json {
  return {
    uuid,
    title,
    description,
    rlinks: [{ href, "media-type": mediaType, ...(text !== undefined ? { hashes: [{ algorithm: "SHA-256", value: sha256Hex(text) }] } : {}) }],
  };
}

/** reviewed-controls of both the plan and the results: the controls, their objectives, and where the ids resolve. */
export function reviewedControls(pkg: EvidencePackage, catalogResource: string): Json {
  const ids = pkg.controls.map((control) => oscalControlId(control.id));
  return {
    links: [{ href: `#${catalogResource}`, rel: "reference", text: "Control ids resolve to the SOC 2 catalog oscal/catalog.json" }],
    "control-selections": [ids.length > 0 ? { "include-controls": ids.map((id) => ({ "control-id": id })) } : { "include-all": {} }],
    ...(ids.length > 0
      ? { "control-objective-selections": [{ "include-objectives": ids.map((id) => ({ "objective-id": `${id}_obj` })) }] }
      : {}),
  };
}

/** Collector id -> the ids of the controls it serves, in the order controls.yaml lists them. */
function collectorsOf(pkg: EvidencePackage): Map<string, { title: string; controls: string[] }> {
  const collectors = new Map<string, { title: string; controls: string[] }>();
  for (const control of pkg.controls) {
    for (const collector of control.collectors) {
      const entry = collectors.get(collector.id) ?? { title: collector.title, controls: [] };
      entry.controls.push(oscalControlId(control.id));
      collectors.set(collector.id, entry);
    }
  }
  return collectors;
}

export function planDocument(
  pkg: EvidencePackage,
  uuid: (name: string) => string,
  resources: { catalog: Json; evidence: Json },
): Json {
  const { period } = pkg;
  const collectors = [...collectorsOf(pkg)];
  const activity = (id: string) => uuid(`activity|${id}`);
  const subject = { type: "component", "include-all": {} };
  return {
    "assessment-plan": {
      uuid: uuid("assessment-plan"),
      metadata: packageMetadata(pkg, `SOC 2 assessment plan: ${pkg.organization} ${period.label}`),
      "import-ssp": {
        href: `#${resources.evidence.uuid as string}`,
        remarks:
          "No OSCAL system security plan is published: the system, its scope and its controls are controls.yaml as applied, recorded in evidence.json.",
      },
      "local-definitions": {
        ...nonEmpty(
          "activities",
          collectors.map(([id, entry]) => ({
            uuid: activity(id),
            title: line(`Collector ${id}`),
            description: line(`${entry.title}: read-only AWS API calls every day, judged per resource against controls.yaml's parameters.`),
            props: [...prop("collector", id)],
            "related-controls": { "control-selections": [{ "include-controls": entry.controls.map((c) => ({ "control-id": c })) }] },
          })),
        ),
        remarks: "Each activity is one collector of controls.yaml; evidence.json holds its parameters and permissions.",
      },
      "reviewed-controls": reviewedControls(pkg, resources.catalog.uuid as string),
      "assessment-subjects": [
        {
          type: "component",
          description: line(
            `AWS accounts ${pkg.scope.accounts.join(", ") || "(none)"} in regions ${pkg.scope.regions.join(", ") || "(none)"}, read as ${pkg.scope.caller.arn}.`,
          ),
          props: [...prop("accounts", pkg.scope.accounts.join(" ")), ...prop("regions", pkg.scope.regions.join(" "))],
          "include-all": {},
        },
      ],
      ...nonEmpty(
        "tasks",
        collectors.length > 0
          ? [
              {
                uuid: uuid("task|daily"),
                type: "action",
                title: "Daily snapshot",
                description: `One snapshot a day from ${period.start} to ${period.end}, every collector below.`,
                timing: { "within-date-range": { start: `${period.start}T00:00:00Z`, end: `${period.end}T23:59:59Z` } },
                "associated-activities": collectors.map(([id]) => ({ "activity-uuid": activity(id), subjects: [subject] })),
              },
            ]
          : [],
      ),
      "back-matter": { resources: [resources.catalog, resources.evidence] },
    },
  };
}
