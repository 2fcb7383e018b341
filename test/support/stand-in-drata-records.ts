// Drata Custom Data Records endpoints of the stand-in: record sessions (upsert by id, schema-validated, 3-64 character
// session ids) and session actions (complete activates the session and drops every record not in it).
import { Ajv } from "ajv";
import { checkFields, Reject, type Reply, type Route } from "./platform-stand-in.js";
import type { DrataState } from "./stand-in-drata.js";

type RouteOf = (method: string, path: string, handle: Route["handle"]) => Route;

export function recordRoutes(state: DrataState, route: RouteOf, listed: <T>(data: T[]) => Reply): Route[] {
  const { options } = state;
  const records = `/custom-connections/${options.connectionId}/resources/${options.resourceId}`;
  const validate = new Ajv({ allErrors: true, strict: false }).compile(options.recordSchema);
  return [
    route("GET", `${records}/sessions`, () =>
      listed(
        [...state.sessions.entries()].map(([sessionId, session], index) => ({
          id: index + 1,
          sessionId,
          status: session.status,
        })),
      ),
    ),
    route("POST", `${records}/sessions/([^/]+)`, (call, match) => {
      const sessionId = decodeURIComponent(match[1] as string);
      if (sessionId.length < 3 || sessionId.length > 64)
        throw new Reject(400, "sessionId must be 3..64 characters");
      const body = checkFields(call.json(), ["data"], ["data"], "session records");
      const data = Array.isArray(body.data) ? body.data : [body.data];
      const session = state.sessions.get(sessionId) ?? { status: "IN_PROGRESS", records: new Map() };
      if (session.status !== "IN_PROGRESS")
        throw new Reject(422, `session ${sessionId} is ${session.status}`);
      state.sessions.set(sessionId, session);
      return {
        status: 200,
        body: data.map((record: Record<string, unknown>) => {
          if (!validate(record))
            return {
              statusCode: 400,
              data: record,
              error: { message: `Schema validation failed: ${JSON.stringify(validate.errors)}`, code: 28022 },
            };
          const id = String(record.id);
          const statusCode = session.records.has(id) ? 200 : 201;
          session.records.set(id, record);
          return { id, statusCode, data: record };
        }),
      };
    }),
    route("POST", `${records}/sessions/([^/]+)/actions`, (call, match) => {
      const sessionId = decodeURIComponent(match[1] as string);
      const body = checkFields(call.json(), ["action"], ["action"], "session action");
      const session = state.sessions.get(sessionId);
      if (!session) throw new Reject(404, `no session ${sessionId}`);
      if (body.action !== "complete" && body.action !== "cancel")
        throw new Reject(400, "action must be complete or cancel");
      if (session.status !== "IN_PROGRESS")
        throw new Reject(422, `session ${sessionId} is ${session.status}`);
      session.status = body.action === "complete" ? "ACTIVE" : "CANCELED";
      if (body.action === "complete") {
        for (const other of state.sessions.values())
          if (other !== session && other.status === "ACTIVE") other.status = "ARCHIVED";
        state.records = new Map(session.records);
      }
      return {
        status: 200,
        body: {
          sessionId,
          status: session.status,
          action: body.action,
          connectionId: options.connectionId,
          resourceId: options.resourceId,
        },
      };
    }),
  ];
}
