// vanta/: one PDF per control and vanta.json, the uploads and custom-resource sync that `publish --to vanta` sends.
// Field names follow developer.vanta.com (Manage Vanta documents API, Build Integrations custom resources); what the
// docs leave open is listed in vanta.json under unconfirmedFields rather than guessed silently.
import type { EvidencePackage } from "../src/core/package-model.js";
import { collectedAt, controlFiles, nextPeriod, packageUrl, resourceFacts, type ResourceFacts, type UnconfirmedField } from "./platform.js";
import type { Renderer } from "./renderer.js";

export const VANTA_API = "https://api.vanta.com";
export const VANTA_DOCUMENT_SCOPES = "vanta-api.all:read vanta-api.all:write vanta-api.documents:upload";
export const VANTA_RESOURCE_SCOPES = "connectors.self:write-resource connectors.self:read-resource";

export type VantaPropertyType = "boolean" | "int32" | "string";

/** The custom properties every record carries; Vanta's console cannot make them optional, so absent facts get sentinels. */
export const VANTA_PROPERTIES: Record<string, VantaPropertyType> = {
  controlIds: "string",
  collector: "string",
  resourceArn: "string",
  resourceType: "string",
  account: "string",
  region: "string",
  status: "string",
  withinPolicy: "boolean",
  excepted: "boolean",
  reason: "string",
  periodStatus: "string",
  rotationRecorded: "boolean",
  rotationEnabled: "boolean",
  daysSinceRotation: "int32",
  exceptionTicket: "string",
  exceptionExpires: "string",
  collectedAt: "string",
  period: "string",
  runId: "string",
};

export interface VantaDocument {
  controlId: string;
  controlTitle: string;
  status: string;
  file: string;
  sha256: string;
  size: number;
  /** Title used to find (GET /v1/documents) or create (POST /v1/documents) the Vanta document for this control. */
  documentTitle: string;
  createDocument: {
    title: string;
    description: string;
    timeSensitivity: "MOST_RECENT";
    cadence: string;
    reminderWindow: string;
    isSensitive: boolean;
  };
  upload: {
    method: "POST";
    path: "/v1/documents/{documentId}/uploads";
    contentType: "multipart/form-data";
    fields: {
      file: { fileName: string; mimeType: "application/pdf" };
      effectiveAtDate: string;
      description: string;
    };
  };
}

export interface VantaCustomResource {
  displayName: string;
  uniqueId: string;
  externalUrl: string;
  customProperties: Record<string, string | number | boolean>;
}

export interface VantaManifest {
  schemaVersion: 1;
  platform: "vanta";
  organization: string;
  runId: string;
  generatedAt: string;
  period: { label: string; start: string; end: string; through: string };
  api: {
    baseUrl: string;
    token: {
      method: "POST";
      path: "/oauth/token";
      grantType: "client_credentials";
      documentScopes: string;
      resourceScopes: string;
    };
    docs: string[];
  };
  documents: VantaDocument[];
  customResources: {
    request: { method: "PUT"; path: "/v1/resources/custom_resource" };
    /** Set in Vanta's Developer Console (a CustomResource type's id); `publish` reads it from VANTA_RESOURCE_ID. */
    resourceId: null;
    /** JSON Type Definition to paste as the resource type's Custom Properties. */
    customPropertiesSchema: { properties: Record<string, { type: VantaPropertyType }> };
    resources: VantaCustomResource[];
  };
  unconfirmedFields: UnconfirmedField[];
}

const UNCONFIRMED: UnconfirmedField[] = [
  {
    field: "documents[].upload.fields.effectiveAtDate",
    note: "Documented only as a string, 'Date indicating when the document is effective from'; sent as an ISO 8601 date-time (the newest snapshot's finish), the format the upload response uses for effectiveDate.",
  },
  {
    field: "documents[].upload.fields.file",
    note: "Accepted file types and size limit for document uploads are not documented; PDF is sent with an explicit application/pdf part type.",
  },
  {
    field: "documents[].createDocument.reminderWindow",
    note: "Whether reminderWindow and isSensitive are required when creating a custom document is not documented; both are sent. The create response is taken to carry the new document's id.",
  },
  {
    field: "documents[].documentTitle",
    note: "Vanta has no idempotency keys: publish finds a control's document by this exact title (or VANTA_DOCUMENT_IDS) and skips an upload whose file name is already listed on it.",
  },
  {
    field: "customResources.resources[].customProperties",
    note: "boolean, int32 and string are the documented property types. Properties cannot be optional in the console (third-party report), so absent facts are sent as '' or -1; rotationRecorded says whether rotationEnabled was observed.",
  },
  {
    field: "customResources.resources[].externalUrl",
    note: "Expected by the base schema (third-party code); whether Vanta accepts file:// links for a local store is not documented.",
  },
  {
    field: "customResources.resources",
    note: "No documented limit on resources or payload size per sync; the whole population goes in one request because a sync replaces every record not in it.",
  },
  { field: "customResources.resources[].uniqueId", note: "No documented maximum length." },
  {
    field: "api.token",
    note: "A third party reports one active token per application (a new one revokes the old); publish mints one token per scope set and uses them one after the other.",
  },
];

function customResource(fact: ResourceFacts, pkg: EvidencePackage, url: string): VantaCustomResource {
  const { item } = fact;
  const properties: Record<string, string | number | boolean> = {
    controlIds: fact.controlIds.join(" "),
    collector: item.collector,
    resourceArn: item.resource.arn,
    resourceType: item.resource.type,
    account: item.account,
    region: item.region,
    status: item.status,
    withinPolicy: fact.withinPolicy,
    excepted: item.status === "excepted",
    reason: item.reason,
    periodStatus: item.period?.status ?? "",
    rotationRecorded: fact.rotationEnabled !== undefined,
    rotationEnabled: fact.rotationEnabled ?? false,
    daysSinceRotation: fact.daysSinceRotation ?? -1,
    exceptionTicket: item.exception?.ticket ?? "",
    exceptionExpires: item.exception?.expires ?? "",
    collectedAt: item.source.collectedAt,
    period: pkg.period.label,
    runId: pkg.runId,
  };
  return {
    displayName: `${item.resource.type} ${item.resource.name || item.resource.arn}`,
    uniqueId: fact.key,
    externalUrl: url,
    customProperties: properties,
  };
}

export async function vantaManifest(
  pkg: EvidencePackage,
): Promise<{ manifest: VantaManifest; files: { path: string; body: Buffer }[] }> {
  const files = await controlFiles(pkg);
  const effective = collectedAt(pkg);
  const next = nextPeriod(pkg.period);
  const url = packageUrl(pkg);
  const manifest: VantaManifest = {
    schemaVersion: 1,
    platform: "vanta",
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
      baseUrl: VANTA_API,
      token: {
        method: "POST",
        path: "/oauth/token",
        grantType: "client_credentials",
        documentScopes: VANTA_DOCUMENT_SCOPES,
        resourceScopes: VANTA_RESOURCE_SCOPES,
      },
      docs: [
        "https://developer.vanta.com/api-reference/documents/upload-file-for-document",
        "https://developer.vanta.com/api-reference/documents/list-documents-uploads",
        "https://developer.vanta.com/api-reference/custom-resources/sync-all-custom-resources",
        "https://developer.vanta.com/docs/concepts/authentication",
      ],
    },
    documents: files.map(({ control, file, uploadName, body, sha256 }) => {
      const description = `SOC 2 evidence for ${control.id} ${control.title}, ${pkg.period.label} (${pkg.period.start} to ${pkg.period.end}, evidence through ${pkg.period.through}): ${control.status.toUpperCase()}, ${control.reason}. ${pkg.tool.name} ${pkg.tool.version}, run ${pkg.runId}, SHA-256 ${sha256}.`;
      const documentTitle = `SOC 2 ${control.id}: ${control.title}`;
      return {
        controlId: control.id,
        controlTitle: control.title,
        status: control.status,
        file,
        sha256,
        size: body.length,
        documentTitle,
        createDocument: {
          title: documentTitle,
          description: `System-generated evidence for ${control.id} from ${pkg.tool.name}, renewed every period.`,
          timeSensitivity: "MOST_RECENT",
          cadence: next.months ? `P${next.months}M` : `P${pkg.period.days}D`,
          reminderWindow: "P14D",
          isSensitive: false,
        },
        upload: {
          method: "POST",
          path: "/v1/documents/{documentId}/uploads",
          contentType: "multipart/form-data",
          fields: {
            file: { fileName: uploadName, mimeType: "application/pdf" },
            effectiveAtDate: effective,
            description,
          },
        },
      };
    }),
    customResources: {
      request: { method: "PUT", path: "/v1/resources/custom_resource" },
      resourceId: null,
      customPropertiesSchema: {
        properties: Object.fromEntries(
          Object.entries(VANTA_PROPERTIES).map(([name, type]) => [name, { type }]),
        ),
      },
      resources: resourceFacts(pkg).map((fact) => customResource(fact, pkg, url)),
    },
    unconfirmedFields: UNCONFIRMED,
  };
  return { manifest, files: files.map(({ file, body }) => ({ path: file, body })) };
}

export const vantaRenderer: Renderer = {
  format: "vanta",
  async render(pkg, target) {
    const { manifest, files } = await vantaManifest(pkg);
    for (const file of files) await target.write(`vanta/${file.path}`, file.body);
    await target.write("vanta/vanta.json", JSON.stringify(manifest, null, 2) + "\n");
  },
};
