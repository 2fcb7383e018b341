// publish --to drata: each control's PDF becomes (or renews) a Drata evidence item, and the resource records are
// replaced through a custom-data session. Drata has no idempotency keys, so every write is preceded by a lookup:
// evidence by name, the artifact by its file name (control, period, run), the session by its id (the run id).
import type { DrataEvidence, DrataManifest } from "../../reports/drata.js";
import type { Logger } from "../core/log.js";
import { ApiClient, PublishError } from "./http.js";
import type { PackageFolder } from "./package-folder.js";
import type { PublishOutcome } from "./vanta.js";

export interface DrataSettings {
  baseUrl: string;
  apiKey: string;
  workspaceId: string;
  connectionId?: string;
  resourceId?: string;
  /** Drata control codes (DCF-…) per control id of controls.yaml. */
  controlCodes: Record<string, string[]>;
}

interface Listed<T> {
  data: T[];
  pagination?: { cursor?: string | null };
}
interface Evidence {
  id: number;
  name: string;
}
interface Artifact {
  id: number;
  artifactName: string | null;
}
interface Mutation {
  id: number;
  artifactsRequested: number;
  artifactsCreated: number;
}

async function all<T>(api: ApiClient, path: string, query: Record<string, string> = {}): Promise<T[]> {
  const found: T[] = [];
  let cursor: string | undefined;
  do {
    const { body } = await api.request<Listed<T>>({
      method: "GET",
      path,
      query: { ...query, size: "500", cursor },
    });
    found.push(...body.data);
    cursor = body.pagination?.cursor ?? undefined;
  } while (cursor);
  return found;
}

function client(settings: DrataSettings, log: Logger): ApiClient {
  return new ApiClient({
    baseUrl: settings.baseUrl,
    log,
    secrets: () => [settings.apiKey],
    authorization: async () => `Bearer ${settings.apiKey}`,
  });
}

interface RequirementControl {
  id: number;
  code: string;
}
interface Requirement {
  id: number;
  code: string;
  name: string;
  controls?: RequirementControl[];
}

/**
 * `publish --to drata --list-controls`: the workspace's SOC 2 framework (drata-frameworks-api-openapi.yml,
 * FrameworkResponsePublicV2Dto.tag SOC_2), its requirements with `expand[]=controls` (at most 10 each), and the full
 * `…/requirements/{id}/controls` list for any requirement that hit that cap.
 */
export async function listDrataControls(settings: DrataSettings, log: Logger): Promise<string[]> {
  const api = client(settings, log);
  const workspace = `/workspaces/${encodeURIComponent(settings.workspaceId)}`;
  const frameworks = await all<{ id: number; tag: string; name: string }>(api, `${workspace}/frameworks`);
  const soc2 = frameworks.find((framework) => framework.tag === "SOC_2");
  if (!soc2) throw new PublishError(`workspace ${settings.workspaceId} has no SOC 2 framework (tag SOC_2)`);
  const base = `${workspace}/frameworks/${soc2.id}/requirements`;
  const lines = [`Drata ${soc2.name} controls (put the code in controls.yaml platforms.drata):`];
  for (const requirement of await all<Requirement>(api, base, { "expand[]": "controls" })) {
    const controls =
      (requirement.controls?.length ?? 0) >= 10
        ? await all<RequirementControl>(api, `${base}/${requirement.id}/controls`)
        : (requirement.controls ?? []);
    for (const control of controls) lines.push(`  ${requirement.code}\t${control.code}\t${control.id}\t${requirement.name}`);
  }
  return lines;
}

export async function publishToDrata(
  source: PackageFolder,
  settings: DrataSettings,
  log: Logger,
): Promise<PublishOutcome> {
  const manifest = await source.json<DrataManifest>("drata/drata.json");
  if (manifest.platform !== "drata") throw new PublishError("drata/drata.json is not a Drata manifest");
  const api = client(settings, log);
  const workspace = `/workspaces/${encodeURIComponent(settings.workspaceId)}`;
  const outcome: PublishOutcome = { actions: [], skipped: [] };
  // The config's mapping (or DRATA_CONTROL_CODES) wins; otherwise the one controls.yaml had when the package was made.
  const codesOf = (evidence: DrataEvidence) => settings.controlCodes[evidence.controlId] ?? evidence.controlCodes ?? [];
  const controlIds = new Map<string, number>();
  for (const code of new Set(manifest.evidence.flatMap(codesOf))) {
    const { body } = await api.request<{ id: number }>({
      method: "GET",
      path: `${workspace}/controls/code:${encodeURIComponent(code)}`,
    });
    controlIds.set(code, body.id);
  }

  const findEvidence = async (name: string) =>
    (await all<Evidence>(api, `${workspace}/evidence`, { name })).find((entry) => entry.name === name);
  const artifacts = (evidenceId: number, prefix: string) =>
    all<Artifact>(api, `${workspace}/evidence/${evidenceId}/artifacts`, {
      name: prefix,
      isArchived: "false",
    });

  for (const evidence of manifest.evidence) {
    const { record } = evidence;
    const artifact = record.artifacts[0];
    if (!artifact) throw new PublishError(`drata.json: evidence ${evidence.controlId} has no artifact`);
    const linked = codesOf(evidence).map((code) => controlIds.get(code) as number);
    const existing = await findEvidence(record.name);
    // Every period's file of this control starts the same way (uploadName in reports/platform.ts): one artifact chain.
    const chainPrefix = `soc2-evidence_${evidence.file.replace(/\.pdf$/, "")}_`;
    const current = existing ? await artifacts(existing.id, chainPrefix) : [];
    if (current.some((entry) => entry.artifactName === artifact.artifactName)) {
      outcome.skipped.push(
        `${evidence.controlId}: ${artifact.artifactName} is already on evidence ${existing?.id}`,
      );
      continue;
    }
    const fileKey = await upload(api, workspace, source, evidence);
    const file = { artifactName: artifact.artifactName, fileKey, filedAt: artifact.filedAt };
    let mutation: Mutation | undefined;
    if (!existing) {
      const created = await api.request<Mutation>({
        method: "POST",
        path: `${workspace}/evidence`,
        json: { ...record, controlIds: linked, artifacts: [{ ...file, type: "S3_FILE" }] },
        expect: [200, 201],
        landed: async () => (await findEvidence(record.name)) !== undefined,
      });
      mutation = created.body;
      outcome.actions.push(
        `${evidence.controlId}: created evidence "${record.name}" with ${artifact.artifactName}`,
      );
    } else {
      // A new period's file becomes a new version of the control's artifact, so Drata keeps the history.
      const previous = current.find((entry) => entry.artifactName?.startsWith(chainPrefix));
      const update = {
        description: record.description,
        stepsToReproduce: record.stepsToReproduce,
        renewalScheduleType: record.renewalScheduleType,
        renewalDate: record.renewalDate,
        ...(linked.length > 0 ? { controlIds: linked } : {}),
        ...(previous
          ? { replaceArtifacts: [{ ...file, artifactType: "S3_FILE", existingArtifactId: previous.id }] }
          : { newArtifacts: [{ ...file, artifactType: "S3_FILE" }] }),
      };
      mutation = (
        await api.request<Mutation>({
          method: "PUT",
          path: `${workspace}/evidence/${existing.id}`,
          json: update,
          expect: [200],
        })
      ).body;
      outcome.actions.push(
        `${evidence.controlId}: added ${artifact.artifactName} to evidence ${existing.id}${previous ? ` as a new version of artifact ${previous.id}` : ""}`,
      );
    }
    if (mutation && mutation.artifactsCreated < mutation.artifactsRequested) {
      throw new PublishError(
        `Drata created ${mutation.artifactsCreated} of ${mutation.artifactsRequested} artifacts for evidence ${mutation.id} (${evidence.controlId})`,
      );
    }
  }
  await publishRecords(api, manifest, settings, outcome);
  return outcome;
}

async function upload(
  api: ApiClient,
  workspace: string,
  source: PackageFolder,
  evidence: DrataEvidence,
): Promise<string> {
  const body = await source.read(`drata/${evidence.file}`);
  const form = new FormData();
  const { fileName, mimeType } = evidence.upload.fields.file;
  form.append("file", new Blob([Uint8Array.from(body)], { type: mimeType }), fileName);
  // A pre-uploaded file that is never referenced is harmless, so this upload may simply be retried.
  const { body: uploaded } = await api.request<{ fileKey: string }>({
    method: "POST",
    path: `${workspace}/evidence-files`,
    form,
    expect: [200, 201],
  });
  return uploaded.fileKey;
}

async function publishRecords(
  api: ApiClient,
  manifest: DrataManifest,
  settings: DrataSettings,
  outcome: PublishOutcome,
): Promise<void> {
  const { records, sessionId, batchSize } = manifest.customConnection;
  if (!settings.connectionId || !settings.resourceId) {
    outcome.skipped.push(
      `custom-connection records (${records.length}): DRATA_CONNECTION_ID and DRATA_RESOURCE_ID are not set; create the connection from drata.json customConnection.setup and set both`,
    );
    return;
  }
  const base = `/custom-connections/${encodeURIComponent(settings.connectionId)}/resources/${encodeURIComponent(settings.resourceId)}`;
  const sessions = await all<{ sessionId: string; status: string }>(api, `${base}/sessions`);
  const session = sessions.find((entry) => entry.sessionId === sessionId);
  if (session && session.status !== "IN_PROGRESS" && session.status !== "CANCELED") {
    outcome.skipped.push(`custom-connection records: session ${sessionId} is already ${session.status}`);
    return;
  }
  for (let from = 0; from < records.length; from += batchSize) {
    const { body } = await api.request<{ id?: string; statusCode: number; error?: { message?: string } }[]>({
      method: "POST",
      path: `${base}/sessions/${encodeURIComponent(sessionId)}`,
      json: { data: records.slice(from, from + batchSize) },
      expect: [200, 201],
    });
    const rejected = (Array.isArray(body) ? body : [body]).filter(
      (result) => result.statusCode !== 200 && result.statusCode !== 201,
    );
    if (rejected.length > 0) {
      throw new PublishError(
        `Drata rejected ${rejected.length} records of session ${sessionId}, first ${rejected[0]?.id ?? "?"}: ${rejected[0]?.error?.message ?? rejected[0]?.statusCode}`,
      );
    }
  }
  // Completing the session activates these records and deletes every record not in it: the full population.
  await api.request({
    method: "POST",
    path: `${base}/sessions/${encodeURIComponent(sessionId)}/actions`,
    json: { action: "complete" },
    expect: [200, 201],
  });
  outcome.actions.push(
    `replaced custom-connection records with ${records.length} records (session ${sessionId})`,
  );
}

interface Connection {
  id: number;
  description: string | null;
  customResources?: { id: number; name: string }[];
}

/**
 * `publish --to drata --create-connection`: the one-time setup of the custom connection the records go to
 * (drata-custom-connections-api-openapi.yml, POST /custom-connections; `workspaceIds` "Required for CUSTOM
 * connections"). The response carries no resources, so GET …/{id}?expand[]=customResources gives the resource id.
 * Drata has no idempotency key and connections have no name in their response: a connection whose description is
 * this package's is reused rather than created twice.
 */
export async function createDrataConnection(
  source: PackageFolder,
  settings: DrataSettings,
  log: Logger,
): Promise<string[]> {
  const manifest = await source.json<DrataManifest>("drata/drata.json");
  if (manifest.platform !== "drata") throw new PublishError("drata/drata.json is not a Drata manifest");
  const workspaceId = Number(settings.workspaceId);
  if (!Number.isInteger(workspaceId) || workspaceId < 1)
    throw new PublishError(`DRATA_WORKSPACE_ID must be Drata's numeric workspace id, not "${settings.workspaceId}"`);
  const api = client(settings, log);
  const { body } = manifest.customConnection.setup;
  const existing = (await all<Connection>(api, "/custom-connections", { "expand[]": "customResources" })).find(
    (connection) => connection.description === body.description,
  );
  const id =
    existing?.id ??
    (
      await api.request<Connection>({
        method: "POST",
        path: "/custom-connections",
        json: { ...body, workspaceIds: [workspaceId] },
        expect: [201],
      })
    ).body.id;
  const { body: connection } = await api.request<Connection>({
    method: "GET",
    path: `/custom-connections/${id}`,
    query: { "expand[]": "customResources" },
  });
  const resource = connection.customResources?.[0];
  if (!resource) throw new PublishError(`Drata custom connection ${id} has no custom resource to send records to`);
  return [
    `${existing ? "reusing" : "created"} Drata custom connection ${id} (resource ${resource.id}, ${resource.name}); set these for publish:`,
    `DRATA_CONNECTION_ID=${id}`,
    `DRATA_RESOURCE_ID=${resource.id}`,
  ];
}
