// Drata Custom Connections endpoints of the stand-in, after drata-custom-connections-api-openapi.yml
// (api-evangelist/drata @ 11870355): CustomConnectionCreateRequestPublicV2Dto requires name and providerTypes;
// workspaceIds is "Required for CUSTOM connections"; CUSTOM needs schema or sampleData ("not both") and a
// displayNameKey that is "a top-level key present in schema.properties". The 201 answer carries no resources;
// GET …/{connectionId}?expand[]=customResources does.
// Unknown fields are refused, a little stricter than the definition (which does not forbid them): this tool sends none.
import { checkFields, Reject, type Reply, type Route } from "./platform-stand-in.js";
import type { DrataState } from "./stand-in-drata.js";

type RouteOf = (method: string, path: string, handle: Route["handle"]) => Route;

const CREATE_FIELDS = ["name", "providerTypes", "workspaceIds", "schema", "sampleData", "description", "displayNameKey"];
const PROVIDER_TYPES = ["CUSTOM", "MDM", "HRIS"];

export interface DrataConnection {
  id: number;
  name: string;
  description: string | null;
  workspaceIds: number[];
  resource: { id: number; name: string; schema: Record<string, unknown> };
}

function checkCreate(state: DrataState, value: unknown): Omit<DrataConnection, "id" | "resource"> & { schema: Record<string, unknown> } {
  const body = checkFields(value, CREATE_FIELDS, ["name", "providerTypes"], "custom connection");
  if (typeof body.name !== "string" || body.name.length === 0) throw new Reject(400, "name must be a string");
  const types = body.providerTypes;
  if (!Array.isArray(types) || types.length === 0 || types.some((type) => !PROVIDER_TYPES.includes(String(type))))
    throw new Reject(400, `providerTypes must be a non-empty array of ${PROVIDER_TYPES.join(", ")}`);
  if (!types.includes("CUSTOM")) throw new Reject(400, "this stand-in models CUSTOM connections only");
  const workspaces = body.workspaceIds;
  if (!Array.isArray(workspaces) || workspaces.length === 0 || workspaces.some((id) => typeof id !== "number"))
    throw new Reject(400, "workspaceIds (numbers) is required for CUSTOM connections");
  if (workspaces.some((id) => id !== state.options.workspaceId)) throw new Reject(404, `no workspace ${workspaces.join(", ")}`);
  if ((body.schema === undefined) === (body.sampleData === undefined))
    throw new Reject(400, "provide either schema or sampleData, not both");
  const schema = body.schema as { properties?: Record<string, unknown> } | undefined;
  if (!schema || typeof schema !== "object") throw new Reject(400, "this stand-in expects a schema");
  if (typeof body.displayNameKey !== "string" || !(body.displayNameKey in (schema.properties ?? {})))
    throw new Reject(400, "displayNameKey must be a top-level key present in schema.properties");
  if (body.description !== undefined && body.description !== null && typeof body.description !== "string")
    throw new Reject(400, "description must be a string or null");
  return {
    name: body.name,
    description: (body.description as string | null | undefined) ?? null,
    workspaceIds: workspaces as number[],
    schema: schema as Record<string, unknown>,
  };
}

export function connectionRoutes(state: DrataState, route: RouteOf, listed: <T>(data: T[]) => Reply): Route[] {
  const at = "2026-08-20T09:00:00.000Z";
  // CustomConnectionResponsePublicV2Dto: required id, clientAlias, description, createdAt, updatedAt.
  const shown = (connection: DrataConnection, expand: boolean) => ({
    id: connection.id,
    clientAlias: null,
    description: connection.description,
    createdAt: at,
    updatedAt: at,
    providerTypes: ["CUSTOM"],
    createdById: null,
    ...(expand
      ? { customResources: [{ ...connection.resource, createdAt: at, updatedAt: at, description: null }] }
      : {}),
  });
  const expanded = (query: URLSearchParams) => query.getAll("expand[]").includes("customResources");
  return [
    route("GET", "/custom-connections", (call) =>
      listed([...state.connections.values()].map((connection) => shown(connection, expanded(call.query)))),
    ),
    route("POST", "/custom-connections", (call) => {
      const { schema, ...fields } = checkCreate(state, call.json());
      // The first connection gets the ids the record routes serve, so records can follow the setup.
      const id = state.connections.size === 0 ? state.options.connectionId : state.options.connectionId + state.connections.size;
      const connection: DrataConnection = {
        id,
        ...fields,
        resource: { id: state.options.resourceId + state.connections.size, name: fields.name, schema },
      };
      state.connections.set(id, connection);
      return { status: 201, body: shown(connection, false) };
    }),
    route("GET", "/custom-connections/(\\d+)", (call, match) => {
      const connection = state.connections.get(Number(match[1]));
      if (!connection) throw new Reject(404, `no custom connection ${match[1]}`);
      return { status: 200, body: shown(connection, expanded(call.query)) };
    }),
  ];
}
