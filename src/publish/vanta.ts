// publish --to vanta: uploads each control's PDF to its Vanta document and syncs the custom-resource population.
// Idempotent: an upload whose file name (control, period, run) is already on the document is skipped, and the
// resource sync is a full-state PUT, so sending it again changes nothing.
import type { VantaCustomResource, VantaDocument, VantaManifest } from "../../reports/vanta.js";
import { RESOURCE_SYNC_REFUSED, tagValue, VANTA_DOCUMENT_SCOPES, VANTA_RESOURCE_SCOPES } from "../../reports/vanta.js";
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
  /** The `secret` resource's id from the Developer Console; without it the secret sync is skipped. */
  secretResourceId?: string;
  /** Vanta document id per control id; otherwise found by title, or created. */
  documentIds: Record<string, string>;
  /** Vanta control ids per control id (controls.yaml `platforms.vanta`): each document is linked to them. */
  controlIds: Record<string, string[]>;
  /** An https base under which the package folder is served: the resources' externalUrl for a local store. */
  evidenceBaseUrl?: string;
  /** The tag whose value is a secret's owner (default: the manifest's, `owner`). */
  ownerTag?: string;
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
    expect: [201],
  });
  known.set(document.documentTitle, body.id);
  outcome.actions.push(`created Vanta document "${document.documentTitle}" (${body.id})`);
  return body.id;
}

async function uploaded(api: ApiClient, documentId: string, fileName: string): Promise<boolean> {
  for await (const upload of pages<{ fileName: string | null; deletionDate: string | null }>(
    api,
    `/v1/documents/${encodeURIComponent(documentId)}/uploads`,
  )) {
    if (upload.fileName === fileName && upload.deletionDate === null) return true;
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
    await linkControls(api.documents, documentId, settings.controlIds[document.controlId] ?? document.linkControls.controlIds ?? [], outcome, document.controlId);
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
      expect: [201],
      landed: () => uploaded(api.documents, documentId, fileName),
    });
    // SubmitDocumentCollection: no request body, 204 No content.
    await api.documents.request({
      method: "POST",
      path: `/v1/documents/${encodeURIComponent(documentId)}/submit`,
      expect: [204],
    });
    outcome.actions.push(`${document.controlId}: uploaded ${fileName} to document ${documentId}`);
  }
  const url = externalUrl(manifest, settings);
  if (!url) {
    outcome.skipped.push(`resource sync: ${manifest.resourceSync.refused ?? RESOURCE_SYNC_REFUSED}`);
    return outcome;
  }
  const withUrl = <T extends VantaCustomResource>(resource: T): T => ({ ...resource, externalUrl: url });
  const resources = manifest.customResources.resources.map(withUrl);
  if (!settings.resourceId) {
    outcome.skipped.push(
      `custom resources (${resources.length}): VANTA_RESOURCE_ID is not set; create a CustomResource type in the Developer Console and set its id`,
    );
  } else {
    // The sync replaces every record of the type: the whole population goes in this one request.
    await api.resources().request({
      method: "PUT",
      path: "/v1/resources/custom_resource",
      json: { resourceId: settings.resourceId, resources },
      expect: [200],
    });
    outcome.actions.push(`synced ${resources.length} custom resources to resource type ${settings.resourceId}`);
  }
  const ownerTag = settings.ownerTag ?? manifest.secrets.ownerTag;
  const secrets = manifest.secrets.resources.map((secret) => ({
    ...withUrl(secret),
    owner: tagValue(manifest.secrets.tags[secret.uniqueId] ?? {}, ownerTag),
  }));
  if (!settings.secretResourceId) {
    outcome.skipped.push(`secrets (${secrets.length}): VANTA_SECRET_RESOURCE_ID is not set`);
  } else {
    await api.resources().request({
      method: "PUT",
      path: "/v1/resources/secret",
      json: { resourceId: settings.secretResourceId, resources: secrets },
      expect: [200],
    });
    const unowned = secrets.filter((secret) => !secret.owner).length;
    outcome.actions.push(
      `synced ${secrets.length} secrets to resource type ${settings.secretResourceId}${unowned ? ` (${unowned} without a "${ownerTag}" tag, sent with no owner)` : ""}`,
    );
  }
  return outcome;
}

/** The resources' HTTPS link: the package's own (S3 console) or the configured base URL + the evidence key. */
function externalUrl(manifest: VantaManifest, settings: VantaSettings): string | undefined {
  if (settings.evidenceBaseUrl) {
    const base = settings.evidenceBaseUrl.endsWith("/") ? settings.evidenceBaseUrl : `${settings.evidenceBaseUrl}/`;
    return new URL(manifest.resourceSync.evidenceKey, base).href;
  }
  const url = manifest.resourceSync.externalUrl;
  return url?.startsWith("https://") ? url : undefined;
}

/** Links a document to each mapped Vanta control it is not linked to yet (ListControlsForDocument first). */
async function linkControls(
  api: ApiClient,
  documentId: string,
  controlIds: readonly string[],
  outcome: PublishOutcome,
  controlId: string,
): Promise<void> {
  if (controlIds.length === 0) return;
  const linked = new Set<string>();
  for await (const control of pages<{ id: string }>(api, `/v1/documents/${encodeURIComponent(documentId)}/controls`))
    linked.add(control.id);
  for (const id of controlIds) {
    if (linked.has(id)) {
      outcome.skipped.push(`${controlId}: document ${documentId} is already linked to Vanta control ${id}`);
      continue;
    }
    // AddControlDocumentMappingInput: { documentId } only (additionalProperties: false).
    await api.request({
      method: "POST",
      path: `/v1/controls/${encodeURIComponent(id)}/add-document-to-control`,
      json: { documentId },
      expect: [200],
    });
    outcome.actions.push(`${controlId}: linked document ${documentId} to Vanta control ${id}`);
  }
}

interface FrameworkDetail {
  requirementCategories: {
    requirements: { id: string; name: string; controls: { id: string; externalId: string | null; name: string }[] }[];
  }[];
}

/** `publish --to vanta --list-controls`: GET /v1/frameworks/{frameworkId} (FrameworkDetail), requirement → controls. */
export async function listVantaControls(settings: VantaSettings, log: Logger, frameworkId = "soc2"): Promise<string[]> {
  const api = tokens(settings, log).documents;
  const { body } = await api.request<FrameworkDetail>({
    method: "GET",
    path: `/v1/frameworks/${encodeURIComponent(frameworkId)}`,
    expect: [200],
  });
  const lines = [`Vanta ${frameworkId} controls (put the control id in controls.yaml platforms.vanta):`];
  for (const category of body.requirementCategories)
    for (const requirement of category.requirements)
      for (const control of requirement.controls)
        lines.push(`  ${requirement.id}\t${control.id}\t${control.externalId ?? ""}\t${control.name}`);
  return lines;
}
