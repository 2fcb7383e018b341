// Drata endpoints of the stand-in, shaped after Drata's public API v2 OpenAPI (Evidence, Controls): bearer API key,
// numeric ids, evidence-files multipart, evidence create/update DTOs; record sessions are in stand-in-drata-records.ts.
import { checkFields, Reject, type Call, type Reply, type Route } from "./platform-stand-in.js";
import { connectionRoutes, type DrataConnection } from "./stand-in-drata-connections.js";
import { recordRoutes } from "./stand-in-drata-records.js";

export interface DrataOptions {
  apiKey: string;
  workspaceId: number;
  /** Drata control codes that exist, with their numeric ids. */
  controls: Record<string, number>;
  connectionId: number;
  resourceId: number;
  /** SOC 2 requirement codes with the control codes mapped to them (framework requirements with their controls). */
  requirements?: Record<string, string[]>;
  /** The JSON Schema the custom resource validates records against. */
  recordSchema: Record<string, unknown>;
}

interface Artifact {
  id: number;
  artifactName: string;
  versions: string[];
  archived: boolean;
}

export interface DrataState {
  options: DrataOptions;
  files: Map<string, { name: string; mimeType: string; size: number }>;
  evidence: Map<
    number,
    {
      id: number;
      name: string;
      controlIds: number[];
      renewalScheduleType?: string;
      renewalDate?: string;
      artifacts: Artifact[];
    }
  >;
  sessions: Map<string, { status: string; records: Map<string, Record<string, unknown>> }>;
  records: Map<string, Record<string, unknown>>;
  connections: Map<number, DrataConnection>;
}

const SCHEDULES = ["ONE_MONTH", "TWO_MONTHS", "THREE_MONTHS", "SIX_MONTHS", "ONE_YEAR", "CUSTOM", "NONE"];
const EXTENSIONS =
  /\.(pdf|docx|odt|doc|xlsx|ods|pptx|odp|gif|jpg|jpeg|png|json|csv|md|markdown|txt|html|log|zip|msg|mp4)$/i;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
let nextId = 100;

export function newDrataState(options: DrataOptions): DrataState {
  return { options, files: new Map(), evidence: new Map(), sessions: new Map(), records: new Map(), connections: new Map() };
}

function artifactFile(state: DrataState, artifact: Record<string, unknown>, where: string): string {
  const type = artifact.type ?? artifact.artifactType;
  if (type !== "S3_FILE")
    throw new Reject(400, `${where}: only S3_FILE artifacts are expected from this tool`);
  if (typeof artifact.filedAt !== "string" || !DAY.test(artifact.filedAt))
    throw new Reject(400, `${where}.filedAt must be YYYY-MM-DD`);
  if (typeof artifact.artifactName === "string" && artifact.artifactName.length > 191)
    throw new Reject(400, `${where}.artifactName is over 191 characters`);
  if (typeof artifact.fileKey !== "string" || !state.files.has(artifact.fileKey))
    throw new Reject(400, `${where}.fileKey was not uploaded through evidence-files`);
  return artifact.fileKey;
}

function checkCommon(state: DrataState, body: Record<string, unknown>): void {
  if (
    body.name !== undefined &&
    (typeof body.name !== "string" || body.name.length === 0 || body.name.length > 191)
  )
    throw new Reject(400, "name must be 1..191 characters");
  for (const key of ["description", "stepsToReproduce", "implementationGuidance"]) {
    if (body[key] !== undefined && (typeof body[key] !== "string" || (body[key] as string).length > 30000))
      throw new Reject(400, `${key} must be a string of at most 30000 characters`);
  }
  if (body.renewalScheduleType !== undefined && !SCHEDULES.includes(String(body.renewalScheduleType)))
    throw new Reject(400, "renewalScheduleType is not a RenewalScheduleTypeEnum value");
  if (body.renewalDate !== undefined && !DAY.test(String(body.renewalDate)))
    throw new Reject(400, "renewalDate must be YYYY-MM-DD");
  if (body.controlIds !== undefined) {
    const ids = body.controlIds as unknown[];
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== "number"))
      throw new Reject(400, "controlIds must be numbers (Drata control ids)");
    const known = new Set(Object.values(state.options.controls));
    if (ids.some((id) => !known.has(id as number))) throw new Reject(404, "unknown control id");
  }
}

/** Every list: `size` is a number from 1 to 500 (pagination of the v2 definitions). */
function sized(call: Call): void {
  const size = call.query.get("size");
  if (size !== null && !(Number.isInteger(Number(size)) && Number(size) >= 1 && Number(size) <= 500))
    throw new Reject(400, "size must be 1..500");
}

export function drataRoutes(state: DrataState): Route[] {
  const { options } = state;
  const ws = `/workspaces/${options.workspaceId}`;
  const authorized = (call: Call) => {
    if (call.headers.authorization !== `Bearer ${options.apiKey}`)
      throw new Reject(401, "Invalid Authorization");
  };
  const route = (method: string, path: string, handle: Route["handle"]): Route => ({
    method,
    path: new RegExp(`^${path}$`),
    handle: (call, match) => (authorized(call), handle(call, match)),
  });
  const evidenceOf = (id: string) => {
    const evidence = state.evidence.get(Number(id));
    if (!evidence) throw new Reject(404, `no evidence ${id}`);
    return evidence;
  };
  const mutation = (
    evidence: DrataState["evidence"] extends Map<number, infer E> ? E : never,
    requested: number,
  ) => ({
    id: evidence.id,
    name: evidence.name,
    description: null,
    implementationGuidance: null,
    evidenceTemplateCode: null,
    renewalDate: evidence.renewalDate ?? null,
    renewalScheduleType: evidence.renewalScheduleType ?? "NONE",
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    artifactsRequested: requested,
    artifactsCreated: requested,
    controls: [],
    linkedWorkspaces: [],
    artifacts: [],
  });
  const listed = <T>(data: T[]): Reply => ({ status: 200, body: { data, pagination: { cursor: null } } });
  return [
    route("GET", `${ws}/controls/code:([^/]+)`, (_call, match) => {
      const code = decodeURIComponent(match[1] as string);
      const id = options.controls[code];
      if (id === undefined) throw new Reject(404, `no control ${code}`);
      // ControlResponsePublicV2Dto's required properties.
      const at = "2026-01-01T00:00:00.000Z";
      return {
        status: 200,
        body: { id, name: code, code, slug: null, description: null, question: null, activity: null, archivedAt: null, rationale: null, createdAt: at, updatedAt: at, controlTemplateId: null },
      };
    }),
    route("GET", `${ws}/frameworks`, (call) => {
      sized(call);
      const at = "2026-01-01T00:00:00.000Z";
      return listed([
        { id: 2, name: "ISO 27001", tag: "ISO27001", slug: "iso-27001", createdAt: at, updatedAt: at },
        { id: 1, name: "SOC 2", tag: "SOC_2", slug: "soc-2", createdAt: at, updatedAt: at },
      ]);
    }),
    route("GET", `${ws}/frameworks/1/requirements`, (call) => {
      sized(call);
      if (call.query.getAll("expand[]").some((value) => !["controls", "customFields", "framework"].includes(value)))
        throw new Reject(400, "expand[] must be a FrameworkRequirementsExpandEnum value");
      const expand = call.query.getAll("expand[]").includes("controls");
      return listed(
        Object.entries(options.requirements ?? {}).map(([code, controls], index) => ({
          id: index + 1,
          code,
          name: `Requirement ${code}`,
          ...(expand
            ? { controls: controls.slice(0, 10).map((control, number) => ({ id: options.controls[control], code: control, isReady: true, controlNumber: number, archivedAt: null })) }
            : {}),
        })),
      );
    }),
    route("GET", `${ws}/frameworks/1/requirements/(\\d+)/controls`, (call, match) => {
      sized(call);
      const controls = Object.values(options.requirements ?? {})[Number(match[1]) - 1];
      if (!controls) throw new Reject(404, `no requirement ${match[1]}`);
      return listed(controls.map((control, number) => ({ id: options.controls[control], code: control, isReady: true, controlNumber: number, archivedAt: null })));
    }),
    route("POST", `${ws}/evidence-files`, (call) => {
      const parts = call.parts();
      const files = parts.filter((part) => part.name === "file" || part.name === "base64File");
      if (parts.length !== 1 || files.length !== 1)
        throw new Reject(400, "exactly one of file or base64File is required");
      const file = files[0] as (typeof parts)[number];
      if (!file.filename || !EXTENSIONS.test(file.filename))
        throw new Reject(400, `file extension not accepted: ${file.filename ?? "no file name"}`);
      if (file.body.length > 25 * 1024 * 1024) throw new Reject(413, "file is over 25 MB");
      const fileKey = `${options.workspaceId}/evidence-library/${nextId++}/${file.filename}`;
      state.files.set(fileKey, {
        name: file.filename,
        mimeType: file.contentType ?? "application/octet-stream",
        size: file.body.length,
      });
      return {
        status: 201,
        body: {
          fileKey,
          originalFilename: file.filename,
          mimeType: file.contentType,
          fileSize: file.body.length,
        },
      };
    }),
    route("GET", `${ws}/evidence`, (call) => {
      const prefix = call.query.get("name") ?? "";
      return listed(
        [...state.evidence.values()]
          .filter((entry) => entry.name.startsWith(prefix))
          .map(({ id, name }) => ({ id, name })),
      );
    }),
    route("POST", `${ws}/evidence`, (call) => {
      const body = checkFields(
        call.json(),
        [
          "name",
          "description",
          "implementationGuidance",
          "stepsToReproduce",
          "artifacts",
          "ownerId",
          "controlIds",
          "renewalDate",
          "renewalScheduleType",
        ],
        ["name", "artifacts"],
        "evidence",
      );
      checkCommon(state, body);
      if (!Array.isArray(body.artifacts) || body.artifacts.length === 0)
        throw new Reject(400, "artifacts must be a non-empty array");
      const artifacts = body.artifacts.map((artifact, index) => {
        const entry = checkFields(
          artifact,
          ["type", "artifactName", "url", "fileKey", "ticketUrl", "filedAt"],
          ["type", "filedAt"],
          `artifacts[${index}]`,
        );
        return {
          id: nextId++,
          artifactName: String(entry.artifactName ?? ""),
          versions: [artifactFile(state, entry, `artifacts[${index}]`)],
          archived: false,
        };
      });
      const evidence = {
        id: nextId++,
        name: String(body.name),
        controlIds: (body.controlIds as number[]) ?? [],
        renewalScheduleType: body.renewalScheduleType as string,
        renewalDate: body.renewalDate as string,
        artifacts,
      };
      state.evidence.set(evidence.id, evidence);
      return { status: 201, body: mutation(evidence, artifacts.length) };
    }),
    route("GET", `${ws}/evidence/(\\d+)/artifacts`, (call, match) => {
      const prefix = call.query.get("name") ?? "";
      const archived = call.query.get("isArchived");
      return listed(
        evidenceOf(match[1] as string)
          .artifacts.filter(
            (entry) =>
              entry.artifactName.startsWith(prefix) &&
              (archived === null || String(entry.archived) === archived),
          )
          .map(({ id, artifactName, versions, archived: isArchived }) => ({
            id,
            artifactName,
            artifactVersion: versions.length,
            archivedAt: isArchived ? new Date().toISOString() : null,
          })),
      );
    }),
    route("PUT", `${ws}/evidence/(\\d+)`, (call, match) => {
      const evidence = evidenceOf(match[1] as string);
      const body = checkFields(
        call.json(),
        [
          "name",
          "description",
          "implementationGuidance",
          "stepsToReproduce",
          "renewalDate",
          "renewalScheduleType",
          "ownerId",
          "controlIds",
          "newArtifacts",
          "pastArtifacts",
          "currentArtifacts",
          "replaceArtifacts",
        ],
        [],
        "evidence update",
      );
      checkCommon(state, body);
      let requested = 0;
      for (const [index, artifact] of ((body.newArtifacts as unknown[]) ?? []).entries()) {
        const entry = checkFields(
          artifact,
          ["artifactName", "artifactType", "fileKey", "url", "ticketUrl", "filedAt"],
          ["artifactType", "filedAt"],
          `newArtifacts[${index}]`,
        );
        evidence.artifacts.push({
          id: nextId++,
          artifactName: String(entry.artifactName ?? ""),
          versions: [artifactFile(state, entry, `newArtifacts[${index}]`)],
          archived: false,
        });
        requested += 1;
      }
      for (const [index, artifact] of ((body.replaceArtifacts as unknown[]) ?? []).entries()) {
        const entry = checkFields(
          artifact,
          ["artifactName", "artifactType", "fileKey", "url", "ticketUrl", "filedAt", "existingArtifactId"],
          ["artifactType", "filedAt", "existingArtifactId"],
          `replaceArtifacts[${index}]`,
        );
        const existing = evidence.artifacts.find((candidate) => candidate.id === entry.existingArtifactId);
        if (!existing)
          throw new Reject(
            404,
            `replaceArtifacts[${index}].existingArtifactId is not an artifact of evidence ${evidence.id}`,
          );
        existing.versions.push(artifactFile(state, entry, `replaceArtifacts[${index}]`));
        if (typeof entry.artifactName === "string") existing.artifactName = entry.artifactName;
        requested += 1;
      }
      if (body.controlIds)
        evidence.controlIds = [...new Set([...evidence.controlIds, ...(body.controlIds as number[])])];
      if (body.renewalDate) evidence.renewalDate = String(body.renewalDate);
      return { status: 200, body: mutation(evidence, requested) };
    }),
    ...recordRoutes(state, route, listed),
    ...connectionRoutes(state, route, listed),
  ];
}
