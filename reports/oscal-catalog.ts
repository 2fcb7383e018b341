// oscal/catalog.json: the SOC 2 catalog a package's control ids resolve to. Identifiers of the AICPA 2017 Trust
// Services Criteria (TSP section 100, 2017 Trust Services Criteria for Security, Availability, Processing Integrity,
// Confidentiality, and Privacy, with revised points of focus 2022), with the category names as group titles and this
// tool's own short titles. The criteria text belongs to the AICPA and is not reproduced: read it there.
// Each control has one "assessment-objective" part, `<id>_obj`, which is what a finding's target-id names.
import type { EvidencePackage } from "../src/core/package-model.js";
import { line, nameUuid, OSCAL_VERSION, oscalControlId } from "./oscal-datatypes.js";

type Json = Record<string, unknown>;

export const CATALOG_FILE = "oscal/catalog.json";

/** [group id, category name, number of criteria] of the 2017 TSC; PI and P as the AICPA numbers them. */
const SERIES: [string, string, number[]][] = [
  ["cc1", "CC1 Control Environment", [1, 2, 3, 4, 5]],
  ["cc2", "CC2 Communication and Information", [1, 2, 3]],
  ["cc3", "CC3 Risk Assessment", [1, 2, 3, 4]],
  ["cc4", "CC4 Monitoring Activities", [1, 2]],
  ["cc5", "CC5 Control Activities", [1, 2, 3]],
  ["cc6", "CC6 Logical and Physical Access Controls", [1, 2, 3, 4, 5, 6, 7, 8]],
  ["cc7", "CC7 System Operations", [1, 2, 3, 4, 5]],
  ["cc8", "CC8 Change Management", [1]],
  ["cc9", "CC9 Risk Mitigation", [1, 2]],
  ["a1", "A1 Additional Criteria for Availability", [1, 2, 3]],
  ["c1", "C1 Additional Criteria for Confidentiality", [1, 2]],
  ["pi1", "PI1 Additional Criteria for Processing Integrity", [1, 2, 3, 4, 5]],
];
const PRIVACY: [string, number[]][] = [
  ["p1", [1]], ["p2", [1]], ["p3", [1, 2]], ["p4", [1, 2, 3]], ["p5", [1, 2]], ["p6", [1, 2, 3, 4, 5, 6, 7]], ["p7", [1]], ["p8", [1]],
];

/** Short titles written for this tool where its collectors give evidence; the others carry the id and category. */
const SHORT_TITLES: Record<string, string> = {
  "cc4.1": "Ongoing and separate evaluations of controls",
  "cc6.1": "Logical access security over protected information assets",
  "cc6.2": "Registration and authorization of users",
  "cc6.3": "Role-based access and least privilege",
  "cc6.6": "Protection against threats from outside the system boundaries",
  "cc6.7": "Protection of information in transmission",
  "cc6.8": "Prevention and detection of unauthorized software",
  "cc7.1": "Detection of configuration changes and vulnerabilities",
  "cc7.2": "Monitoring of system components for anomalies",
};

const control = (id: string, title: string): Json => ({
  id,
  title: line(title),
  parts: [{ id: `${id}_obj`, name: "assessment-objective" }],
});
const criterion = (id: string, category: string) =>
  control(id, SHORT_TITLES[id] ?? `${id.toUpperCase()}, ${category} (criterion text: AICPA TSC 2017)`);

const TSC_GROUPS: Json[] = [
  ...SERIES.map(([id, title, numbers]) => ({
    id,
    title,
    controls: numbers.map((n) => criterion(`${id}.${n}`, title.slice(title.indexOf(" ") + 1))),
  })),
  {
    id: "p",
    title: "P Additional Criteria for Privacy",
    controls: PRIVACY.flatMap(([id, numbers]) => numbers.map((n) => criterion(`${id}.${n}`, "Privacy"))),
  },
];
const TSC_IDS = new Set(TSC_GROUPS.flatMap((group) => (group.controls as Json[]).map((c) => c.id as string)));

/** The catalog for this package: the 2017 TSC ids, plus a group for any configured control id that is not one. */
export function catalogDocument(pkg: EvidencePackage): Json {
  const local = pkg.controls.filter((c) => !TSC_IDS.has(oscalControlId(c.id)));
  return {
    catalog: {
      uuid: nameUuid(`catalog|tsc-2017|${local.map((c) => c.id).join("|")}`),
      metadata: {
        title: "SOC 2 Trust Services Criteria (2017): identifiers and short titles",
        "last-modified": "2026-12-01T00:00:00Z",
        version: `tsc-2017-ids-1${local.length > 0 ? "+local" : ""}`,
        "oscal-version": OSCAL_VERSION,
        remarks:
          "Identifiers of the AICPA 2017 Trust Services Criteria (revised points of focus 2022), with category names and short titles written for soc2-evidence. The criteria text is the AICPA's and is not reproduced here; read it in TSP section 100. The group 'local' holds control ids from controls.yaml that are not TSC identifiers, titled as configured.",
      },
      groups: [
        ...TSC_GROUPS,
        ...(local.length > 0
          ? [{ id: "local", title: "Controls named in controls.yaml", controls: local.map((c) => control(oscalControlId(c.id), c.title)) }]
          : []),
      ],
    },
  };
}
