// Vanta endpoints of the stand-in, shaped after developer.vanta.com: OAuth client credentials (JSON body, scopes,
// 5 mints a minute), documents (list, create, list uploads, multipart upload, submit) and the custom-resource sync.
import { checkFields, Reject, type Call, type Route } from "./platform-stand-in.js";

export interface VantaOptions {
  clientId: string;
  clientSecret: string;
  resourcesClientId?: string;
  resourcesClientSecret?: string;
  /** CustomResource type ids that exist in the tenant. */
  resourceIds: string[];
  /** Documents that already exist (id, title). */
  documents?: { id: string; title: string }[];
  /** Page size the stand-in uses for listings, small so paging is exercised. */
  pageSize?: number;
}

export interface VantaUpload {
  id: string;
  fileName: string;
  mimeType: string;
  effectiveAtDate: string;
  description: string;
  size: number;
}

export interface VantaState {
  options: VantaOptions;
  mints: number;
  mintTimes: number[];
  tokens: Map<string, Set<string>>;
  documents: Map<
    string,
    { id: string; title: string; uploads: VantaUpload[]; submitted: number; created: boolean }
  >;
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
  return { options, mints: 0, mintTimes: [], tokens: new Map(), documents, resources: new Map(), syncs: 0 };
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

const isInt32 = (value: unknown) =>
  Number.isInteger(value) && (value as number) >= -(2 ** 31) && (value as number) < 2 ** 31;

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
            [...state.documents.values()].map(({ id, title }) => ({
              id,
              title,
              category: "Custom",
              url: `https://app.vanta.com/documents/${id}`,
            })),
          ),
        };
      },
    },
    {
      method: "POST",
      path: /^\/v1\/documents$/,
      handle(call) {
        requireScopes(state, call, ["vanta-api.all:write"]);
        const body = checkFields(
          call.json(),
          ["title", "description", "timeSensitivity", "cadence", "reminderWindow", "isSensitive"],
          ["title", "description", "timeSensitivity", "cadence"],
          "document",
        );
        if (!["MOST_RECENT", "DURING_AUDIT_WINDOW"].includes(String(body.timeSensitivity)))
          throw new Reject(400, "timeSensitivity must be MOST_RECENT or DURING_AUDIT_WINDOW");
        for (const key of ["cadence", "reminderWindow"])
          if (body[key] !== undefined && !/^P\d+[DWMY]$/.test(String(body[key])))
            throw new Reject(400, `${key} must be an ISO 8601 duration`);
        const id = `doc-${state.documents.size + 1}`;
        state.documents.set(id, { id, title: String(body.title), uploads: [], submitted: 0, created: true });
        return { status: 201, body: { id, title: body.title } };
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
        const effectiveAtDate = field("effectiveAtDate") ?? "";
        if (effectiveAtDate && Number.isNaN(Date.parse(effectiveAtDate)))
          throw new Reject(400, "effectiveAtDate is not a date");
        const upload = {
          id: `upload-${document.uploads.length + 1}`,
          fileName: file.filename as string,
          mimeType: file.contentType,
          effectiveAtDate,
          description: field("description") ?? "",
          size: file.body.length,
        };
        document.uploads.push(upload);
        return {
          status: 201,
          body: {
            ...upload,
            title: document.title,
            url: "https://app.vanta.com",
            creationDate: new Date().toISOString(),
            deletionDate: null,
          },
        };
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
        return { status: 200, body: { id: document.id, status: "OK" } };
      },
    },
    {
      method: "PUT",
      path: /^\/v1\/resources\/custom_resource$/,
      handle(call) {
        requireScopes(state, call, ["connectors.self:write-resource"]);
        const body = checkFields(
          call.json(),
          ["resourceId", "resources"],
          ["resourceId", "resources"],
          "sync",
        );
        if (!state.options.resourceIds.includes(String(body.resourceId)))
          throw new Reject(404, `no resource type ${String(body.resourceId)}`);
        if (!Array.isArray(body.resources)) throw new Reject(400, "resources must be an array");
        const ids = new Set<string>();
        let keys: string | undefined;
        body.resources.forEach((resource, index) => {
          const entry = checkFields(
            resource,
            ["displayName", "uniqueId", "externalUrl", "customProperties"],
            ["displayName", "uniqueId", "externalUrl", "customProperties"],
            `resources[${index}]`,
          );
          for (const key of ["displayName", "uniqueId", "externalUrl"])
            if (typeof entry[key] !== "string" || entry[key] === "")
              throw new Reject(400, `resources[${index}].${key} must be a non-empty string`);
          if (!URL.canParse(String(entry.externalUrl)))
            throw new Reject(400, `resources[${index}].externalUrl is not a URL`);
          if (ids.has(String(entry.uniqueId)))
            throw new Reject(400, `duplicate uniqueId ${String(entry.uniqueId)}`);
          ids.add(String(entry.uniqueId));
          const properties = checkFields(
            entry.customProperties,
            Object.keys(entry.customProperties as object),
            [],
            `resources[${index}].customProperties`,
          );
          for (const [key, value] of Object.entries(properties)) {
            if (!(typeof value === "boolean" || typeof value === "string" || isInt32(value)))
              throw new Reject(400, `customProperties.${key} must be boolean, int32 or string (flat)`);
          }
          const signature = Object.keys(properties).sort().join(",");
          if (keys !== undefined && signature !== keys)
            throw new Reject(400, `resources[${index}] does not carry every custom property of the schema`);
          keys = signature;
        });
        state.resources.set(String(body.resourceId), body.resources as Record<string, unknown>[]);
        state.syncs += 1;
        return { status: 200, body: { success: true } };
      },
    },
  ];
}
