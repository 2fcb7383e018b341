// vanta/: one PDF per control and vanta.json, the uploads and custom-resource sync that `publish --to vanta` sends.
// Every field is checked against Vanta's published OpenAPI definitions (dpupek/vanta-manage-mcp@6b1227d,
// openapi/manage-v1.json: CreateDocumentInput, RecurrenceDuration, ReminderWindow, AddControlDocumentMappingInput,
// UploadFileForDocument; openapi/connectors-v1.json: put-CustomResource, put-Secret); docs/PLATFORM-FIELDS.md lists
// them. What the definitions leave open is listed in vanta.json under unconfirmedFields rather than guessed silently.
import type { EvidencePackage } from "../src/core/package-model.js";
import { resourceIdentity } from "../src/core/resource-key.js";
import { selectHeads, selectItems } from "../src/core/package-items.js";
import { collectedAt, controlFiles, evidenceKey, nextPeriod, packageUrl, type UnconfirmedField } from "./platform.js";
import { prettyJsonStreaming } from "./json-stream.js";
import type { Renderer, RenderTarget } from "./renderer.js";

export const VANTA_API = "https://api.vanta.com";
export const VANTA_DOCUMENT_SCOPES = "vanta-api.all:read vanta-api.all:write vanta-api.documents:upload";
export const VANTA_RESOURCE_SCOPES = "connectors.self:write-resource connectors.self:read-resource";

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
    cadence: VantaCadence;
    reminderWindow: VantaReminderWindow;
    isSensitive: boolean;
  };
  /** The Vanta controls the document is linked to (POST /v1/controls/{controlId}/add-document-to-control). */
  linkControls: {
    method: "POST";
    path: "/v1/controls/{controlId}/add-document-to-control";
    body: { documentId: "{documentId}" };
    /** Vanta control ids from controls.yaml platforms.vanta at packaging time; publish's config overrides. */
    controlIds: string[];
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

/** connectors-v1.json, PUT /v1/resources/custom_resource, `resources` items: these three, all required. */
export interface VantaCustomResource {
  displayName: string;
  uniqueId: string;
  /** HTTPS only; null when the store has no HTTPS address (publish fills it from --evidence-base-url). */
  externalUrl: string | null;
}

/** connectors-v1.json, PUT /v1/resources/secret, `resources` items (required: all but the timestamps after owner). */
export interface VantaSecret extends VantaCustomResource {
  name: string;
  description: string;
  createdTimestamp: string;
  creator: string;
  owner: string;
  expiresTimestamp?: string;
}

/** manage-v1.json components.schemas.RecurrenceDuration. */
export const VANTA_CADENCES = ["P0D", "P1D", "P1W", "P1M", "P3M", "P6M", "P1Y"] as const;
export type VantaCadence = (typeof VANTA_CADENCES)[number];
/** manage-v1.json components.schemas.ReminderWindow; "should be smaller than the cadence" (CreateDocumentInput). */
export const VANTA_REMINDER_WINDOWS = ["P0D", "P1D", "P1W", "P1M", "P3M"] as const;
export type VantaReminderWindow = (typeof VANTA_REMINDER_WINDOWS)[number];

/** Longest cadence not longer than the period: month count for month-aligned periods, else inclusive day count. */
const CADENCE_STEPS: { cadence: VantaCadence; months: number; days: number; reminder: VantaReminderWindow }[] = [
  { cadence: "P1Y", months: 12, days: 365, reminder: "P1M" },
  { cadence: "P6M", months: 6, days: 181, reminder: "P1M" },
  { cadence: "P3M", months: 3, days: 90, reminder: "P1W" },
  { cadence: "P1M", months: 1, days: 28, reminder: "P1W" },
  { cadence: "P1W", months: 0, days: 7, reminder: "P1D" },
  { cadence: "P1D", months: 0, days: 1, reminder: "P0D" },
];

export interface CadenceChoice {
  cadence: VantaCadence;
  reminderWindow: VantaReminderWindow;
  exact: boolean;
  note: string;
}

/** The document's renewal: Vanta has no value for e.g. a 2-month period, so the nearest shorter one is taken. */
export function vantaCadence(period: { start: string; end: string; days: number }): CadenceChoice {
  const { months } = nextPeriod(period);
  const step =
    CADENCE_STEPS.find((entry) => (months ? entry.months > 0 && months >= entry.months : period.days >= entry.days)) ??
    (CADENCE_STEPS.at(-1) as (typeof CADENCE_STEPS)[number]);
  const length = months ? `${months} month(s)` : `${period.days} day(s)`;
  const exact = months ? months === step.months : period.days === step.days && step.months === 0;
  return {
    cadence: step.cadence,
    reminderWindow: step.reminder,
    exact,
    note: exact
      ? `The period (${length}) is exactly ${step.cadence}.`
      : `The period is ${length}; Vanta's cadence (RecurrenceDuration) has no such value, so the nearest shorter one, ${step.cadence}, is used: Vanta asks for a renewal no later than the next period needs one.`,
  };
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
  /** How the period maps onto Vanta's renewal cadence, said here because it may not be exact. */
  renewal: CadenceChoice;
  documents: VantaDocument[];
  /** The link every synced resource carries, and why a sync is refused when there is none. */
  resourceSync: { externalUrl: string | null; evidenceKey: string; refused?: string };
  customResources: {
    request: { method: "PUT"; path: "/v1/resources/custom_resource" };
    /** Set in Vanta's Developer Console (a CustomResource type's id); `publish` reads it from VANTA_RESOURCE_ID. */
    resourceId: null;
    resources: VantaCustomResource[];
  };
  secrets: {
    request: { method: "PUT"; path: "/v1/resources/secret" };
    /** The secret resource's id from the Developer Console; `publish` reads it from VANTA_SECRET_RESOURCE_ID. */
    resourceId: null;
    /** The tag whose value is each secret's owner; publish --secret-owner-tag chooses another from `tags`. */
    ownerTag: string;
    resources: VantaSecret[];
    /** Each secret's tags as ListSecrets returned them, by uniqueId: not sent. */
    tags: Record<string, Record<string, string>>;
  };
  unconfirmedFields: UnconfirmedField[];
}

const UNCONFIRMED: UnconfirmedField[] = [
  {
    field: "documents[].upload.fields.effectiveAtDate",
    note: "UploadFileForDocument declares it only as a string, 'Date indicating when the document is effective from' (no format); sent as an ISO 8601 date-time (the newest snapshot's finish), the format UploadedFileT.effectiveDate uses.",
  },
  {
    field: "documents[].upload.fields.file",
    note: "Accepted file types and size limit are not in the definition; PDF is sent with an explicit application/pdf part type.",
  },
  {
    field: "documents[].documentTitle",
    note: "Vanta has no idempotency keys: publish finds a control's document by this exact title (or VANTA_DOCUMENT_IDS) and skips an upload whose file name is already listed on it (ListFilesForDocument).",
  },
  {
    field: "secrets.resources[].creator",
    note: "Required by the Secret resource; Secrets Manager's ListSecrets does not say who created a secret, so the owning service (or 'not recorded') is sent.",
  },
  {
    field: "secrets.resources[].owner",
    note: "'Vanta will check that every secret has a valid owner'; what counts as valid is not in the definition. The owner tag's value is sent, or '' when the secret has no such tag so Vanta flags it.",
  },
  {
    field: "customResources.resources",
    note: "No limit on resources or payload size per sync in the definition; the whole population goes in one request because a sync replaces every record not in it.",
  },
  {
    field: "api.token",
    note: "POST /oauth/token is named only as a tokenUrl; its body (client_id, client_secret, grant_type, scope as JSON) follows the published third-party client. Which scope each Manage operation needs is not in the definition.",
  },
];

/** One custom resource per collector x account x region x resource, in package order, made as vanta.json is written. */
function customResources(pkg: EvidencePackage, url: string | null): Iterable<VantaCustomResource> {
  return {
    *[Symbol.iterator]() {
      const seen = new Set<string>();
      for (const item of selectHeads(pkg.items, {})) {
        const uniqueId = resourceIdentity(item);
        if (seen.has(uniqueId)) continue;
        seen.add(uniqueId);
        yield { displayName: `${item.resource.type} ${item.resource.name || item.resource.arn}`, uniqueId, externalUrl: url };
      }
    },
  };
}

export const DEFAULT_OWNER_TAG = "owner";

/** A tag's value by key, compared without case (Owner, owner and OWNER are one tag to a reader). */
export const tagValue = (tags: Record<string, string>, key: string) =>
  Object.entries(tags).find(([name]) => name.toLowerCase() === key.toLowerCase())?.[1] ?? "";

/** Secrets Manager secrets as Vanta `secret` resources: one per secret ARN, whichever controls it serves. */
function secrets(pkg: EvidencePackage, url: string | null): VantaManifest["secrets"] {
  const resources: VantaSecret[] = [];
  const tags: Record<string, Record<string, string>> = {};
  for (const item of selectItems(pkg.items, { collector: "secrets-rotation" })) {
    if (tags[item.resource.arn]) continue;
    const observed = item.observed;
    const text = (key: string) => (typeof observed[key] === "string" ? (observed[key] as string) : undefined);
    const secretTags =
      observed.tags && typeof observed.tags === "object"
        ? Object.fromEntries(Object.entries(observed.tags as Record<string, unknown>).map(([k, v]) => [k, String(v)]))
        : {};
    tags[item.resource.arn] = secretTags;
    const next = text("nextRotationDate");
    resources.push({
      displayName: `Secret ${text("name") ?? item.resource.name}`,
      uniqueId: item.resource.arn,
      externalUrl: url,
      name: text("name") ?? item.resource.name,
      description: "",
      createdTimestamp: text("createdDate") ?? item.source.collectedAt,
      creator: text("owningService") ?? "not recorded",
      owner: tagValue(secretTags, DEFAULT_OWNER_TAG),
      ...(next ? { expiresTimestamp: next } : {}),
    });
  }
  return {
    request: { method: "PUT", path: "/v1/resources/secret" },
    resourceId: null,
    ownerTag: DEFAULT_OWNER_TAG,
    resources,
    tags,
  };
}

export const RESOURCE_SYNC_REFUSED =
  "Vanta resources need an HTTPS externalUrl and a local store has none: pass publish --evidence-base-url https://... (where the package folder is served) or publish from an S3 store.";

/** The vanta.json manifest; the control PDFs it names are written to `target` under vanta/ first. */
export async function vantaManifest(pkg: EvidencePackage, target: RenderTarget): Promise<VantaManifest> {
  const { manifest, resources } = await vantaParts(pkg, target);
  return { ...manifest, customResources: { ...manifest.customResources, resources: [...resources] } };
}

/** The manifest with no custom resources, and those as they are made: the renderer writes them one at a time. */
async function vantaParts(pkg: EvidencePackage, target: RenderTarget): Promise<{ manifest: VantaManifest; resources: Iterable<VantaCustomResource> }> {
  const files = await controlFiles(pkg, target, "vanta");
  const effective = collectedAt(pkg);
  const renewal = vantaCadence(pkg.period);
  const url = packageUrl(pkg) ?? null;
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
        "https://developer.vanta.com/api-reference/custom-resources/sync-all-custom-resources",
        "https://developer.vanta.com/docs/concepts/authentication",
      ],
    },
    renewal,
    documents: files.map(({ control, file, uploadName, size, sha256 }) => {
      const description = `SOC 2 evidence for ${control.id} ${control.title}, ${pkg.period.label} (${pkg.period.start} to ${pkg.period.end}, evidence through ${pkg.period.through}): ${control.status.toUpperCase()}, ${control.reason}. ${pkg.tool.name} ${pkg.tool.version}, run ${pkg.runId}, SHA-256 ${sha256}.`;
      const documentTitle = `SOC 2 ${control.id}: ${control.title}`;
      return {
        controlId: control.id,
        controlTitle: control.title,
        status: control.status,
        file,
        sha256,
        size,
        documentTitle,
        createDocument: {
          title: documentTitle,
          description: `System-generated evidence for ${control.id} from ${pkg.tool.name}, renewed every period.`,
          timeSensitivity: "MOST_RECENT",
          cadence: renewal.cadence,
          reminderWindow: renewal.reminderWindow,
          isSensitive: false,
        },
        linkControls: {
          method: "POST",
          path: "/v1/controls/{controlId}/add-document-to-control",
          body: { documentId: "{documentId}" },
          controlIds: control.platforms?.vanta ?? [],
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
    resourceSync: { externalUrl: url, evidenceKey: evidenceKey(pkg), ...(url ? {} : { refused: RESOURCE_SYNC_REFUSED }) },
    customResources: {
      request: { method: "PUT", path: "/v1/resources/custom_resource" },
      resourceId: null,
      resources: [],
    },
    secrets: secrets(pkg, url),
    unconfirmedFields: UNCONFIRMED,
  };
  return { manifest, resources: customResources(pkg, url) };
}

export const vantaRenderer: Renderer = {
  format: "vanta",
  async render(pkg, target) {
    const { manifest, resources } = await vantaParts(pkg, target);
    await target.writeStream("vanta/vanta.json", prettyJsonStreaming(manifest, [{ path: ["customResources", "resources"], items: resources }]));
  },
};
