// drata/: one PDF per control and drata.json, the evidence records and custom-connection records that
// `publish --to drata` sends. Field names follow Drata's public API v2 (Evidence, Custom Data Records); what the docs
// leave open is listed under unconfirmedFields.
import type { EvidencePackage } from "../src/core/package-model.js";
import { collectedAt, controlFiles, cut, evidenceKey, nextPeriod, type RenewalSchedule, type UnconfirmedField } from "./platform.js";
import { resourceIdentity } from "../src/core/resource-key.js";
import { selectHeads } from "../src/core/package-items.js";
import { prettyJsonStreaming } from "./json-stream.js";
import type { Renderer, RenderTarget } from "./renderer.js";

/** drata-evidence-api-openapi.yml, EvidenceCreateRequestPublicV2Dto: name and artifactName maxLength 191. */
export const DRATA_NAME_MAX = 191;
/** Same DTO: description, implementationGuidance and stepsToReproduce maxLength 30000. */
export const DRATA_TEXT_MAX = 30_000;

export const DRATA_API = "https://public-api.drata.com/public/v2";
export const RECORD_BATCH = 500;

export interface DrataEvidence {
  controlId: string;
  status: string;
  file: string;
  sha256: string;
  size: number;
  /** Drata control codes (DCF-…, tenant-specific) from controls.yaml platforms.drata; publish's config or DRATA_CONTROL_CODES override. */
  controlCodes: string[];
  upload: {
    method: "POST";
    path: "/workspaces/{workspaceId}/evidence-files";
    contentType: "multipart/form-data";
    fields: { file: { fileName: string; mimeType: "application/pdf" } };
  };
  /** Body of POST /workspaces/{workspaceId}/evidence, except the fields `fill` names, which only publish can know. */
  record: {
    name: string;
    description: string;
    stepsToReproduce: string;
    renewalScheduleType: RenewalSchedule;
    renewalDate: string;
    controlIds: number[];
    artifacts: { type: "S3_FILE"; artifactName: string; filedAt: string }[];
  };
  fill: DrataFill[];
}

/** A field of a request body that the package cannot know, and where publish takes it from. */
export interface DrataFill {
  field: string;
  from: string;
}

export type DrataRecord = Record<string, string | number | boolean | string[]>;

export interface DrataManifest {
  schemaVersion: 1;
  platform: "drata";
  organization: string;
  runId: string;
  generatedAt: string;
  period: { label: string; start: string; end: string; through: string };
  api: { baseUrl: string; auth: "Authorization: Bearer <API key>"; docs: string[] };
  evidence: DrataEvidence[];
  customConnection: {
    /** One-time setup (UI or POST /custom-connections); publish needs the resulting DRATA_CONNECTION_ID and DRATA_RESOURCE_ID. */
    setup: {
      method: "POST";
      path: "/custom-connections";
      body: {
        name: string;
        providerTypes: ["CUSTOM"];
        description: string;
        displayNameKey: "name";
        schema: Record<string, unknown>;
      };
      fill: DrataFill[];
    };
    sessionId: string;
    batchSize: number;
    records: DrataRecord[];
  };
  unconfirmedFields: UnconfirmedField[];
}

// drata-evidence-api-openapi.yml, EvidenceArtifactRequestPublicV2Dto.fileKey: "Required when type is S3_FILE", and
// known only once POST …/evidence-files has answered; controlIds are the tenant's numeric ids of the mapped codes.
const EVIDENCE_FILL: DrataFill[] = [
  { field: "artifacts[0].fileKey", from: "the fileKey that POST /workspaces/{workspaceId}/evidence-files answers for `upload`" },
  {
    field: "controlIds",
    from: "the ids GET /workspaces/{workspaceId}/controls/code:{code} answers for controlCodes (controls.yaml platforms.drata)",
  },
];

const UNCONFIRMED: UnconfirmedField[] = [
  {
    field: "evidence[].record.controlIds",
    note: "Drata takes its own numeric control ids. SOC 2 criteria map to Drata controls (DCF-… codes) per tenant, so publish resolves the codes of controls.yaml platforms.drata (DRATA_CONTROL_CODES overrides) with GET /workspaces/{id}/controls/code:{code}; without a mapping the evidence is created unlinked.",
  },
  {
    field: "evidence[].record.renewalDate",
    note: "Optional in the create DTO and possibly recalculated by Drata from renewalScheduleType; sent as the last day of the next period.",
  },
  {
    field: "customConnection.setup.body.schema",
    note: "The create-connection example shows a draft-07 style JSON Schema; which keywords Drata enforces is not documented.",
  },
  {
    field: "customConnection.batchSize",
    note: "No documented limit on records per request; 500 follows a third-party connector.",
  },
  {
    field: "api.baseUrl (custom connections)",
    note: "Drata's help article shows custom-connection paths without /v2, the v2 spec lists them under /public/v2; v2 is used.",
  },
];

/**
 * The custom-connection records, one per collector x account x region x resource with the control ids of every
 * control it serves merged, made as drata.json is written. Keyed by resource ARN; an ARN several collectors report gets
 * "#<collector>" so each id stays unique. The items' heads are read first, for the merged control ids and the
 * collectors of each ARN, then each item once for its rotation facts: 42,000 whole items held for the records took
 * Drata's rendering of the large estate's store to 657 MB peak RSS, and the records listed rather than walked 357 MB
 * against 334 (a packaging-only probe).
 */
function* records(pkg: EvidencePackage): Generator<DrataRecord> {
  const controlIdsOf = new Map<string, string[]>();
  const collectorsOf = new Map<string, Set<string>>();
  for (const head of selectHeads(pkg.items, {})) {
    const key = resourceIdentity(head);
    const known = controlIdsOf.get(key);
    controlIdsOf.set(key, known ? [...new Set([...known, ...head.controlIds])] : [...head.controlIds]);
    collectorsOf.set(head.resource.arn, (collectorsOf.get(head.resource.arn) ?? new Set()).add(head.collector));
  }
  const now = Date.parse(pkg.generatedAt);
  for (const item of pkg.items) {
    const key = resourceIdentity(item);
    const controlIds = controlIdsOf.get(key);
    if (!controlIds) continue; // its resource's record was made from an earlier item
    controlIdsOf.delete(key);
    const observed = item.observed;
    const rotations = Array.isArray(observed.rotations)
      ? observed.rotations.filter((date): date is string => typeof date === "string").sort()
      : [];
    const lastRotated = typeof observed.lastRotatedDate === "string" ? observed.lastRotatedDate : rotations.at(-1);
    const rotatedAt = lastRotated ? Date.parse(lastRotated) : Number.NaN;
    yield {
      id: (collectorsOf.get(item.resource.arn)?.size ?? 1) > 1 ? `${item.resource.arn}#${item.collector}` : item.resource.arn,
      name: `${item.resource.type} ${item.resource.name || item.resource.arn}`,
      arn: item.resource.arn,
      resourceType: item.resource.type,
      collector: item.collector,
      controlIds,
      account: item.account,
      region: item.region,
      status: item.status,
      withinPolicy: item.status === "pass" || item.status === "excepted" || item.status === "not_applicable",
      reason: item.reason,
      ...(item.period ? { periodStatus: item.period.status, periodReason: item.period.reason } : {}),
      ...(typeof observed.rotationEnabled === "boolean" ? { rotationEnabled: observed.rotationEnabled } : {}),
      ...(Number.isNaN(rotatedAt) ? {} : { daysSinceRotation: Math.max(0, Math.floor((now - rotatedAt) / 86_400_000)) }),
      ...(item.exception?.ticket ? { exceptionTicket: item.exception.ticket } : {}),
      ...(item.exception
        ? { exceptionApprovedBy: item.exception.approvedBy, exceptionExpires: item.exception.expires }
        : {}),
      collectedAt: item.source.collectedAt,
      period: pkg.period.label,
      runId: pkg.runId,
    };
  }
}

/** The JSON Schema the custom connection validates records against (also used by the tests on every record). */
export function recordSchema(): Record<string, unknown> {
  const text = { type: "string" };
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    type: "object",
    additionalProperties: false,
    required: [
      "id",
      "name",
      "arn",
      "resourceType",
      "collector",
      "controlIds",
      "account",
      "region",
      "status",
      "withinPolicy",
      "reason",
      "collectedAt",
      "period",
      "runId",
    ],
    properties: {
      id: text,
      name: text,
      arn: text,
      resourceType: text,
      collector: text,
      controlIds: { type: "array", items: text },
      account: text,
      region: text,
      status: { type: "string", enum: ["pass", "fail", "excepted", "not_applicable", "error"] },
      withinPolicy: { type: "boolean" },
      reason: text,
      periodStatus: { type: "string", enum: ["pass", "fail", "excepted", "not_applicable", "error"] },
      periodReason: text,
      rotationEnabled: { type: "boolean" },
      daysSinceRotation: { type: "integer", minimum: 0 },
      exceptionTicket: text,
      exceptionApprovedBy: text,
      exceptionExpires: text,
      collectedAt: text,
      period: text,
      runId: text,
    },
  };
}

/** The drata.json manifest; the control PDFs it names are written to `target` under drata/ first. */
export async function drataManifest(pkg: EvidencePackage, target: RenderTarget): Promise<DrataManifest> {
  const { manifest, records } = await drataParts(pkg, target);
  return { ...manifest, customConnection: { ...manifest.customConnection, records: [...records] } };
}

/** The manifest with no records, and its records as they are made: the renderer writes them one at a time. */
async function drataParts(pkg: EvidencePackage, target: RenderTarget): Promise<{ manifest: DrataManifest; records: Iterable<DrataRecord> }> {
  const files = await controlFiles(pkg, target, "drata");
  const next = nextPeriod(pkg.period);
  const filedAt = collectedAt(pkg).slice(0, 10);
  const fullText = `full text in ${evidenceKey(pkg)} (scope, collectors and their permissions)`;
  const manifest: DrataManifest = {
    schemaVersion: 1,
    platform: "drata",
    organization: pkg.organization,
    runId: pkg.runId,
    generatedAt: pkg.generatedAt,
    period: {
      label: pkg.period.label,
      start: pkg.period.start,
      end: pkg.period.end,
      through: pkg.period.through,
    },
    api: {
      baseUrl: DRATA_API,
      auth: "Authorization: Bearer <API key>",
      docs: [
        "https://developers.drata.com/openapi/reference/v2/overview/",
        "https://help.drata.com/en/articles/11117161-custom-connections-and-tests",
      ],
    },
    evidence: files.map(({ control, file, uploadName, size, sha256 }) => ({
      controlId: control.id,
      status: control.status,
      file,
      sha256,
      size,
      controlCodes: control.platforms?.drata ?? [],
      upload: {
        method: "POST",
        path: "/workspaces/{workspaceId}/evidence-files",
        contentType: "multipart/form-data",
        fields: { file: { fileName: uploadName, mimeType: "application/pdf" } },
      },
      record: {
        name: cut(`SOC 2 ${control.id}: ${control.title}`, DRATA_NAME_MAX, "see drata.json"),
        description: cut(`${control.status.toUpperCase()} for ${pkg.period.label} (${pkg.period.start} to ${pkg.period.end}, evidence through ${pkg.period.through}): ${control.reason}. ${control.counts.population} resources, ${control.coverage.covered} of ${control.coverage.days} days covered.`, DRATA_TEXT_MAX, fullText),
        stepsToReproduce: cut(
          `Produced by ${pkg.tool.name} ${pkg.tool.version}, run ${pkg.runId}, as ${pkg.scope.caller.arn}, with read-only AWS calls: ` +
          control.collectors
            .map(
              (collector) =>
                `${collector.id} (${collector.permissions.join(", ")}; parameters ${JSON.stringify(collector.params)})`,
            )
            .join("; ") +
          `. Accounts ${pkg.scope.accounts.join(", ")}; regions ${pkg.scope.regions.join(", ")}. Artifact SHA-256 ${sha256}; every package file's hash is in manifest.json.`,
          DRATA_TEXT_MAX,
          fullText,
        ),
        renewalScheduleType: next.schedule,
        renewalDate: next.end,
        controlIds: [],
        artifacts: [{ type: "S3_FILE", artifactName: cut(uploadName, DRATA_NAME_MAX, ""), filedAt }],
      },
      fill: EVIDENCE_FILL,
    })),
    customConnection: {
      setup: {
        method: "POST",
        path: "/custom-connections",
        body: {
          name: `${pkg.tool.name} AWS resources`,
          providerTypes: ["CUSTOM"],
          description: "Per-resource SOC 2 verdicts from AWS, one record per resource ARN.",
          displayNameKey: "name",
          schema: recordSchema(),
        },
        fill: [
          {
            field: "workspaceIds",
            from: "[DRATA_WORKSPACE_ID], which CUSTOM connections require; publish --to drata --create-connection sends it",
          },
        ],
      },
      sessionId: `soc2-${pkg.runId}`.slice(0, 64),
      batchSize: RECORD_BATCH,
      records: [],
    },
    unconfirmedFields: UNCONFIRMED,
  };
  return { manifest, records: { [Symbol.iterator]: () => records(pkg) } };
}

export const drataRenderer: Renderer = {
  format: "drata",
  async render(pkg, target) {
    const { manifest, records } = await drataParts(pkg, target);
    await target.writeStream("drata/drata.json", prettyJsonStreaming(manifest, [{ path: ["customConnection", "records"], items: records }]));
  },
};
