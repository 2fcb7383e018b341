// Vanta endpoints of the stand-in, enforcing Vanta's published OpenAPI definitions (dpupek/vanta-manage-mcp@6b1227d,
// openapi/manage-v1.json and openapi/connectors-v1.json): OAuth client credentials (JSON body, scopes, 5 mints a
// minute), documents (list, create, uploads, submit), control links, the SOC 2 framework, and the custom_resource and
// secret syncs. Bodies are checked for required fields, enums, types and unknown fields; answers have the
// definitions' shapes (Document, UploadedFileT, Control, FrameworkDetail). The definitions declare no error statuses,
// so a rejected body is a 400 and an unknown id a 404.
import { checkFields, Reject, type Call, type Route } from "./platform-stand-in.js";

export interface VantaOptions {
  clientId: string;
  clientSecret: string;
  resourcesClientId?: string;
  resourcesClientSecret?: string;
  /** CustomResource type ids that exist in the tenant. */
  resourceIds: string[];
  /** `secret` resource ids that exist in the tenant. */
  secretResourceIds?: string[];
  /** The tenant's SOC 2 controls: Control.id with the requirement (criterion) it serves. */
  controls?: { id: string; externalId: string; name: string; requirement: string }[];
  /** Documents that already exist (id, title). */
  documents?: { id: string; title: string }[];
  /** Page size the stand-in uses for listings, small so paging is exercised. */
  pageSize?: number;
}

/** manage-v1.json components.schemas.UploadedFileT: eleven required properties, no others. */
export interface VantaUpload {
  id: string;
  fileName: string | null;
  title: string;
  description: string | null;
  mimeType: string;
  uploadedBy: { type: "USER" | "APPLICATION"; id: string } | null;
  creationDate: string;
  updatedDate: string;
  deletionDate: string | null;
  effectiveDate: string | null;
  url: string;
}

export interface VantaState {
  options: VantaOptions;
  mints: number;
  mintTimes: number[];
  tokens: Map<string, Set<string>>;
  documents: Map<
    string,
    { id: string; title: string; uploads: VantaUpload[]; submitted: number; created: boolean; body?: Record<string, unknown> }
  >;
  /** Control ids linked to each document id. */
  links: Map<string, Set<string>>;
  resources: Map<string, Record<string, unknown>[]>;
  syncs: number;
}

const SCOPES = new Set([
  "vanta-api.all:read",
  "vanta-api.all:write",
  "vanta-api.documents:upload",
  "connectors.self:write-resource",
  "connectors.self:read-resource",
]);

export function newVantaState(options: VantaOptions): VantaState {
  const documents = new Map(
    (options.documents ?? []).map((document) => [
      document.id,
      { ...document, uploads: [], submitted: 0, created: false },
    ]),
  );
  return { options, mints: 0, mintTimes: [], tokens: new Map(), documents, links: new Map(), resources: new Map(), syncs: 0 };
}

function requireScopes(state: VantaState, call: Call, scopes: string[]): void {
  const token = /^Bearer (\S+)$/.exec(call.headers.authorization ?? "")?.[1];
  const granted = token ? state.tokens.get(token) : undefined;
  if (!granted) throw new Reject(401, "missing or unknown bearer token");
  const lacking = scopes.filter((scope) => !granted.has(scope));
  if (lacking.length > 0) throw new Reject(403, `token lacks scope ${lacking.join(" ")}`);
}

function page<T>(state: VantaState, call: Call, items: T[]) {
  const requested = Number(call.query.get("pageSize") ?? "10");
  if (!Number.isInteger(requested) || requested < 1 || requested > 100)
    throw new Reject(400, "pageSize must be 1..100");
  const size = Math.min(requested, state.options.pageSize ?? requested);
  const start = Number(call.query.get("pageCursor") ?? "0");
  const data = items.slice(start, start + size);
  const end = start + data.length;
  return {
    results: {
      data,
      pageInfo: {
        hasNextPage: end < items.length,
        hasPreviousPage: start > 0,
        startCursor: String(start),
        endCursor: String(end),
      },
    },
  };
}

const CADENCES = ["P0D", "P1D", "P1W", "P1M", "P3M", "P6M", "P1Y"]; // RecurrenceDuration
const REMINDERS = ["P0D", "P1D", "P1W", "P1M", "P3M"]; // ReminderWindow
const RANK: Record<string, number> = { P0D: 0, P1D: 1, P1W: 2, P1M: 3, P3M: 4, P6M: 5, P1Y: 6 };
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** manage-v1.json components.schemas.Document: nine required properties, no others. */
function documentOut(document: { id: string; title: string; body?: Record<string, unknown> }) {
  return {
    id: document.id,
    ownerId: null,
    category: "Custom",
    description: String(document.body?.description ?? ""),
    isSensitive: Boolean(document.body?.isSensitive ?? false),
    title: document.title,
    uploadStatus: "Needs document",
    uploadStatusDate: null,
    url: `https://app.vanta.com/documents/${document.id}`,
  };
}

/** manage-v1.json components.schemas.Control: required properties (role is optional). */
function controlOut(control: { id: string; externalId: string; name: string }) {
  return {
    id: control.id,
    externalId: control.externalId,
    name: control.name,
    description: control.name,
    source: "Vanta",
    domains: [],
    owner: null,
    customFields: [],
    creationDate: null,
    modificationDate: null,
  };
}

/** A resource sync item: the properties the connectors definition lists, the required ones present, HTTPS links. */
function checkResource(
  resource: unknown,
  where: string,
  allowed: readonly string[],
  required: readonly string[],
  dates: readonly string[],
): Record<string, unknown> {
  const entry = checkFields(resource, allowed, required, where);
  for (const key of allowed)
    if (entry[key] !== undefined && typeof entry[key] !== "string")
      throw new Reject(400, `${where}.${key} must be a string`);
  for (const key of ["displayName", "uniqueId"])
    if (entry[key] === "") throw new Reject(400, `${where}.${key} must not be empty`);
  const url = String(entry.externalUrl);
  if (!URL.canParse(url) || new URL(url).protocol !== "https:")
    throw new Reject(400, `${where}.externalUrl must be a HTTPS URL`);
  for (const key of dates)
    if (entry[key] !== undefined && !DATE_TIME.test(String(entry[key])))
      throw new Reject(400, `${where}.${key} must be a date-time`);
  return entry;
}

function sync(
  state: VantaState,
  call: Call,
  ids: readonly string[],
  item: (resource: unknown, where: string) => Record<string, unknown>,
) {
  requireScopes(state, call, ["connectors.self:write-resource"]);
  const body = checkFields(call.json(), ["resourceId", "resources"], ["resourceId", "resources"], "sync");
  if (typeof body.resourceId !== "string") throw new Reject(400, "resourceId must be a string");
  if (!ids.includes(body.resourceId)) throw new Reject(404, `no resource type ${body.resourceId}`);
  if (!Array.isArray(body.resources)) throw new Reject(400, "resources must be an array");
  const seen = new Set<string>();
  body.resources.forEach((resource, index) => {
    const entry = item(resource, `resources[${index}]`);
    if (seen.has(String(entry.uniqueId))) throw new Reject(400, `duplicate uniqueId ${String(entry.uniqueId)}`);
    seen.add(String(entry.uniqueId));
  });
  state.resources.set(body.resourceId, body.resources as Record<string, unknown>[]);
  state.syncs += 1;
  return { status: 200, body: { success: true } };
}

export function vantaRoutes(state: VantaState): Route[] {
  const documentOf = (id: string) => {
    const document = state.documents.get(decodeURIComponent(id));
    if (!document) throw new Reject(404, `no document ${id}`);
    return document;
  };
  return [
    {
      method: "POST",
      path: /^\/oauth\/token$/,
      handle(call) {
        const body = checkFields(
          call.json(),
          ["client_id", "client_secret", "scope", "grant_type"],
          ["client_id", "client_secret", "scope", "grant_type"],
          "token request",
        );
        if (body.grant_type !== "client_credentials")
          throw new Reject(400, "grant_type must be client_credentials");
        const { clientId, clientSecret, resourcesClientId, resourcesClientSecret } = state.options;
        const known =
          (body.client_id === clientId && body.client_secret === clientSecret) ||
          (body.client_id === resourcesClientId && body.client_secret === resourcesClientSecret);
        if (!known) throw new Reject(401, "invalid client credentials");
        const scopes = String(body.scope).split(" ");
        if (scopes.some((scope) => !SCOPES.has(scope)))
          throw new Reject(400, `unknown scope in "${String(body.scope)}"`);
        const now = Date.now();
        const recent = state.mintTimes.filter((time) => now - time < 60_000);
        if (recent.length >= 5) {
          const wait = Math.ceil((60_000 - (now - (recent[0] as number))) / 1000);
          return {
            status: 429,
            body: { message: "token endpoint allows 5 requests a minute" },
            headers: { "Retry-After": String(wait) },
          };
        }
        state.mintTimes.push(now);
        state.mints += 1;
        const token = `vanta-token-${state.mints}`;
        state.tokens.set(token, new Set(scopes));
        return { status: 200, body: { access_token: token, expires_in: 3600, token_type: "Bearer" } };
      },
    },
    {
      method: "GET",
      path: /^\/v1\/documents$/,
      handle(call) {
        requireScopes(state, call, ["vanta-api.all:read"]);
        return {
          status: 200,
          body: page(
            state,
            call,
            [...state.documents.values()].map(documentOut),
          ),
        };
      },
    },
    {
      method: "POST",
      path: /^\/v1\/documents$/,
      handle(call) {
        requireScopes(state, call, ["vanta-api.all:write"]);
        // CreateDocumentInput: all six required, additionalProperties false.
        const fields = ["title", "description", "timeSensitivity", "cadence", "reminderWindow", "isSensitive"];
        const body = checkFields(call.json(), fields, fields, "document");
        for (const key of ["title", "description"])
          if (typeof body[key] !== "string") throw new Reject(400, `${key} must be a string`);
        if (typeof body.isSensitive !== "boolean") throw new Reject(400, "isSensitive must be a boolean");
        if (!["MOST_RECENT", "DURING_AUDIT_WINDOW"].includes(String(body.timeSensitivity)))
          throw new Reject(400, "timeSensitivity must be MOST_RECENT or DURING_AUDIT_WINDOW");
        if (!CADENCES.includes(String(body.cadence)))
          throw new Reject(400, `cadence must be one of ${CADENCES.join(", ")}`);
        if (!REMINDERS.includes(String(body.reminderWindow)))
          throw new Reject(400, `reminderWindow must be one of ${REMINDERS.join(", ")}`);
        if (body.cadence !== "P0D" && (RANK[String(body.reminderWindow)] as number) >= (RANK[String(body.cadence)] as number))
          throw new Reject(400, "reminderWindow must be smaller than the cadence");
        const id = `doc-${state.documents.size + 1}`;
        const document = { id, title: String(body.title), uploads: [], submitted: 0, created: true, body };
        state.documents.set(id, document);
        return { status: 201, body: documentOut(document) };
      },
    },
    {
      method: "GET",
      path: /^\/v1\/documents\/([^/]+)\/uploads$/,
      handle(call, match) {
        requireScopes(state, call, ["vanta-api.all:read"]);
        return { status: 200, body: page(state, call, documentOf(match[1] as string).uploads) };
      },
    },
    {
      method: "POST",
      path: /^\/v1\/documents\/([^/]+)\/uploads$/,
      handle(call, match) {
        requireScopes(state, call, ["vanta-api.documents:upload", "vanta-api.all:write"]);
        const document = documentOf(match[1] as string);
        const parts = call.parts();
        const unknown = parts.filter(
          (part) => !["file", "effectiveAtDate", "description"].includes(part.name),
        );
        if (unknown.length > 0)
          throw new Reject(400, `unknown form fields ${unknown.map((part) => part.name).join(", ")}`);
        const files = parts.filter((part) => part.name === "file");
        if (files.length !== 1 || !files[0]?.filename)
          throw new Reject(400, "exactly one file part with a file name is required");
        const file = files[0];
        if (!file.contentType || file.contentType === "application/octet-stream")
          throw new Reject(415, "the file part needs its real media type");
        if (file.contentType === "application/pdf" && file.body.subarray(0, 5).toString() !== "%PDF-")
          throw new Reject(400, "file is not a PDF");
        const field = (name: string) => parts.find((part) => part.name === name)?.body.toString("utf8");
        const effectiveAtDate = field("effectiveAtDate");
        if (effectiveAtDate !== undefined && Number.isNaN(Date.parse(effectiveAtDate)))
          throw new Reject(400, "effectiveAtDate is not a date");
        const now = new Date().toISOString();
        const upload: VantaUpload = {
          id: `upload-${document.uploads.length + 1}`,
          fileName: file.filename as string,
          title: document.title,
          description: field("description") ?? null,
          mimeType: file.contentType,
          uploadedBy: { type: "APPLICATION", id: "soc2-evidence" },
          creationDate: now,
          updatedDate: now,
          deletionDate: null,
          effectiveDate: effectiveAtDate ? new Date(effectiveAtDate).toISOString() : null,
          url: `https://app.vanta.com/documents/${document.id}/uploads/${document.uploads.length + 1}`,
        };
        document.uploads.push(upload);
        return { status: 201, body: upload };
      },
    },
    {
      method: "POST",
      path: /^\/v1\/documents\/([^/]+)\/submit$/,
      handle(call, match) {
        requireScopes(state, call, ["vanta-api.all:write"]);
        const document = documentOf(match[1] as string);
        if (call.raw.length > 0 && call.raw.toString().trim() !== "{}")
          throw new Reject(400, "submit takes no body");
        document.submitted += 1;
        return { status: 204 }; // SubmitDocumentCollection: 204 No content
      },
    },
    {
      method: "GET",
      path: /^\/v1\/documents\/([^/]+)\/controls$/,
      handle(call, match) {
        requireScopes(state, call, ["vanta-api.all:read"]);
        const document = documentOf(match[1] as string);
        const linked = state.links.get(document.id) ?? new Set();
        const controls = (state.options.controls ?? []).filter((control) => linked.has(control.id));
        return { status: 200, body: page(state, call, controls.map(controlOut)) };
      },
    },
    {
      method: "POST",
      path: /^\/v1\/controls\/([^/]+)\/add-document-to-control$/,
      handle(call, match) {
        requireScopes(state, call, ["vanta-api.all:write"]);
        const control = (state.options.controls ?? []).find((entry) => entry.id === decodeURIComponent(match[1] as string));
        if (!control) throw new Reject(404, `no control ${match[1]}`);
        // AddControlDocumentMappingInput: documentId only, additionalProperties false.
        const body = checkFields(call.json(), ["documentId"], ["documentId"], "mapping");
        if (typeof body.documentId !== "string") throw new Reject(400, "documentId must be a string");
        const document = documentOf(body.documentId);
        const linked = state.links.get(document.id) ?? new Set<string>();
        if (linked.has(control.id)) throw new Reject(400, `document ${document.id} is already linked to ${control.id}`);
        linked.add(control.id);
        state.links.set(document.id, linked);
        return { status: 200, body: { document: documentOut(document), control: controlOut(control) } };
      },
    },
    {
      method: "GET",
      path: /^\/v1\/frameworks\/([^/]+)$/,
      handle(call, match) {
        requireScopes(state, call, ["vanta-api.all:read"]);
        if (decodeURIComponent(match[1] as string) !== "soc2") throw new Reject(404, `no framework ${match[1]}`);
        const requirements = [...new Set((state.options.controls ?? []).map((control) => control.requirement))];
        return {
          status: 200,
          body: {
            id: "soc2",
            displayName: "SOC 2",
            shorthandName: "SOC 2",
            description: "SOC 2",
            numControlsCompleted: 0,
            numControlsTotal: state.options.controls?.length ?? 0,
            numDocumentsPassing: 0,
            numDocumentsTotal: 0,
            numTestsPassing: 0,
            numTestsTotal: 0,
            requirementCategories: [
              {
                id: "CC",
                name: "Common criteria",
                shorthand: null,
                requirements: requirements.map((requirement) => ({
                  id: requirement,
                  name: requirement,
                  shorthand: null,
                  description: null,
                  controls: (state.options.controls ?? [])
                    .filter((control) => control.requirement === requirement)
                    .map(({ id, externalId, name }) => ({ id, externalId, name, description: name })),
                })),
              },
            ],
          },
        };
      },
    },
    {
      method: "PUT",
      path: /^\/v1\/resources\/custom_resource$/,
      handle(call) {
        // put-CustomResource items: displayName, uniqueId, externalUrl (all required; HTTPS).
        const fields = ["displayName", "uniqueId", "externalUrl"];
        return sync(state, call, state.options.resourceIds, (resource, where) =>
          checkResource(resource, where, fields, fields, []),
        );
      },
    },
    {
      method: "PUT",
      path: /^\/v1\/resources\/secret$/,
      handle(call) {
        // put-Secret items: eight required, three optional timestamps.
        const required = ["displayName", "uniqueId", "externalUrl", "name", "description", "createdTimestamp", "creator", "owner"];
        const dates = ["createdTimestamp", "updatedTimestamp", "lastAccessedTimestamp", "expiresTimestamp"];
        return sync(state, call, state.options.secretResourceIds ?? [], (resource, where) =>
          checkResource(resource, where, [...required, ...dates.slice(1)], required, dates),
        );
      },
    },
  ];
}
