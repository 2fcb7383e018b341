// publish --to vanta: uploads each control's PDF to its Vanta document and syncs the custom-resource population.
// Idempotent: an upload whose file name (control, period, run) is already on the document is skipped, and the
// resource sync is a full-state PUT, so sending it again changes nothing.
import type { VantaDocument, VantaManifest } from "../../reports/vanta.js";
import { VANTA_DOCUMENT_SCOPES, VANTA_RESOURCE_SCOPES } from "../../reports/vanta.js";
import type { Logger } from "../core/log.js";
import { ApiClient, PublishError } from "./http.js";
import type { PackageFolder } from "./package-folder.js";

export interface VantaSettings {
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** The Build Integrations app's credentials, when they differ from the Manage Vanta app's. */
  resourcesClientId: string;
  resourcesClientSecret: string;
  /** The CustomResource type id from the Developer Console; without it the resource sync is skipped. */
  resourceId?: string;
  /** Vanta document id per control id; otherwise found by title, or created. */
  documentIds: Record<string, string>;
}

export interface PublishOutcome {
  actions: string[];
  skipped: string[];
}

interface Page<T> {
  results: { data: T[]; pageInfo: { hasNextPage: boolean; endCursor?: string | null } };
}

function tokens(settings: VantaSettings, log: Logger) {
  const cache = new Map<string, { token: string; expires: number }>();
  const secrets = () => [
    settings.clientSecret,
    settings.resourcesClientSecret,
    ...[...cache.values()].map((entry) => entry.token),
  ];
  const auth = new ApiClient({ baseUrl: settings.baseUrl, log, secrets });
  const client = (scope: string, id: string, secret: string) =>
    new ApiClient({
      baseUrl: settings.baseUrl,
      log,
      secrets,
      unauthorized: () => cache.delete(scope),
      authorization: async () => {
        const cached = cache.get(scope);
        if (cached && cached.expires > Date.now()) return `Bearer ${cached.token}`;
        const { body } = await auth.request<{ access_token: string; expires_in?: number }>({
          method: "POST",
          path: "/oauth/token",
          json: { client_id: id, client_secret: secret, scope, grant_type: "client_credentials" },
        });
        // Tokens last an hour; minting is limited (5 a minute), so one token per scope serves the whole run.
        cache.set(scope, {
          token: body.access_token,
          expires: Date.now() + Math.max(60, (body.expires_in ?? 3600) - 300) * 1000,
        });
        return `Bearer ${body.access_token}`;
      },
    });
  return {
    documents: client(VANTA_DOCUMENT_SCOPES, settings.clientId, settings.clientSecret),
    resources: () =>
      client(VANTA_RESOURCE_SCOPES, settings.resourcesClientId, settings.resourcesClientSecret),
  };
}

async function* pages<T>(
  api: ApiClient,
  path: string,
  query: Record<string, string> = {},
): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const { body } = await api.request<Page<T>>({
      method: "GET",
      path,
      query: { ...query, pageSize: "100", pageCursor: cursor },
    });
    yield* body.results.data;
    cursor = body.results.pageInfo.hasNextPage ? (body.results.pageInfo.endCursor ?? undefined) : undefined;
  } while (cursor);
}

async function documentIdFor(
  api: ApiClient,
  document: VantaDocument,
  settings: VantaSettings,
  known: Map<string, string>,
  outcome: PublishOutcome,
): Promise<string> {
  const configured = settings.documentIds[document.controlId];
  if (configured) return configured;
  if (known.size === 0)
    for await (const entry of pages<{ id: string; title: string }>(api, "/v1/documents"))
      known.set(entry.title, entry.id);
  const found = known.get(document.documentTitle);
  if (found) return found;
  const { body } = await api.request<{ id: string }>({
    method: "POST",
    path: "/v1/documents",
    json: document.createDocument,
  });
  known.set(document.documentTitle, body.id);
  outcome.actions.push(`created Vanta document "${document.documentTitle}" (${body.id})`);
  return body.id;
}

async function uploaded(api: ApiClient, documentId: string, fileName: string): Promise<boolean> {
  for await (const upload of pages<{ fileName: string | null }>(
    api,
    `/v1/documents/${encodeURIComponent(documentId)}/uploads`,
  )) {
    if (upload.fileName === fileName) return true;
  }
  return false;
}

export async function publishToVanta(
  source: PackageFolder,
  settings: VantaSettings,
  log: Logger,
): Promise<PublishOutcome> {
  const manifest = await source.json<VantaManifest>("vanta/vanta.json");
  if (manifest.platform !== "vanta") throw new PublishError("vanta/vanta.json is not a Vanta manifest");
  const outcome: PublishOutcome = { actions: [], skipped: [] };
  const api = tokens(settings, log);
  const known = new Map<string, string>();
  for (const document of manifest.documents) {
    const body = await source.read(`vanta/${document.file}`);
    const documentId = await documentIdFor(api.documents, document, settings, known, outcome);
    const { fileName, mimeType } = document.upload.fields.file;
    const path = `/v1/documents/${encodeURIComponent(documentId)}/uploads`;
    if (await uploaded(api.documents, documentId, fileName)) {
      outcome.skipped.push(`${document.controlId}: ${fileName} is already on document ${documentId}`);
      continue;
    }
    const form = new FormData();
    form.append("file", new Blob([Uint8Array.from(body)], { type: mimeType }), fileName);
    form.append("effectiveAtDate", document.upload.fields.effectiveAtDate);
    form.append("description", document.upload.fields.description);
    await api.documents.request({
      method: "POST",
      path,
      form,
      expect: [200, 201],
      landed: () => uploaded(api.documents, documentId, fileName),
    });
    await api.documents.request({
      method: "POST",
      path: `/v1/documents/${encodeURIComponent(documentId)}/submit`,
      expect: [200, 201, 204],
    });
    outcome.actions.push(`${document.controlId}: uploaded ${fileName} to document ${documentId}`);
  }
  const { resources } = manifest.customResources;
  if (!settings.resourceId) {
    outcome.skipped.push(
      `custom resources (${resources.length}): VANTA_RESOURCE_ID is not set; create a CustomResource type with vanta.json's customPropertiesSchema and set its id`,
    );
    return outcome;
  }
  // The sync replaces every record of the type: the whole population goes in this one request.
  await api.resources().request({
    method: "PUT",
    path: "/v1/resources/custom_resource",
    json: { resourceId: settings.resourceId, resources },
    expect: [200, 201, 202, 204],
  });
  outcome.actions.push(`synced ${resources.length} custom resources to resource type ${settings.resourceId}`);
  return outcome;
}
