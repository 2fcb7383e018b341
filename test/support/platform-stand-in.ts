// A local stand-in for the Vanta and Drata APIs: checks every request's shape against the vendors' published API
// (method, path, auth, content type, multipart parts, JSON fields), rejects malformed ones with the status the
// vendor documents, records every request, and injects faults (429 with Retry-After, 5xx, dropped connections).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { drataRoutes, newDrataState, type DrataOptions, type DrataState } from "./stand-in-drata.js";
import { newVantaState, vantaRoutes, type VantaOptions, type VantaState } from "./stand-in-vanta.js";

export class Reject extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  body: Buffer;
}

export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  raw: Buffer;
  json(): Record<string, unknown>;
  parts(): Part[];
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Route {
  method: string;
  path: RegExp;
  handle(call: Call, match: RegExpExecArray): Reply;
}

export interface RecordedRequest {
  platform: "vanta" | "drata";
  method: string;
  path: string;
  query: string;
  status: number;
  authorization: boolean;
  json?: unknown;
  parts?: { name: string; filename?: string; contentType?: string; size: number }[];
  rejected?: string;
}

export interface Fault {
  method: string;
  path: RegExp;
  status?: number;
  retryAfter?: string;
  /** Close the connection without a response, before handling the request. */
  drop?: boolean;
  /** Handle the request, then close the connection without the response: it landed, the client cannot know. */
  lose?: boolean;
}

/** Fails with 400 naming every unknown and missing field, as both APIs do for a malformed body. */
export function checkFields(
  value: unknown,
  allowed: readonly string[],
  required: readonly string[],
  where: string,
): Record<string, unknown> {
  if (!value || typeof value !== "object" || Array.isArray(value))
    throw new Reject(400, `${where} must be an object`);
  const record = value as Record<string, unknown>;
  const unknown = Object.keys(record).filter((key) => !allowed.includes(key));
  const missing = required.filter((key) => record[key] === undefined || record[key] === null);
  if (unknown.length > 0 || missing.length > 0) {
    throw new Reject(
      400,
      `${where}: ${unknown.length > 0 ? `unknown ${unknown.join(", ")}` : ""}${unknown.length > 0 && missing.length > 0 ? "; " : ""}${missing.length > 0 ? `missing ${missing.join(", ")}` : ""}`,
    );
  }
  return record;
}

function multipart(headers: IncomingMessage["headers"], raw: Buffer): Part[] {
  const type = headers["content-type"] ?? "";
  const boundary = /^multipart\/form-data;\s*boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (!boundary) throw new Reject(415, `expected multipart/form-data with a boundary, got "${type}"`);
  const parts: Part[] = [];
  const delimiter = Buffer.from(`--${boundary}`);
  let at = raw.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (raw.subarray(start, start + 2).toString() === "--") break;
    const next = raw.indexOf(delimiter, start);
    if (next < 0) throw new Reject(400, "multipart body is not terminated");
    const chunk = raw.subarray(start + 2, next - 2);
    const split = chunk.indexOf("\r\n\r\n");
    const head = chunk.subarray(0, split).toString("utf8");
    const disposition = /content-disposition:\s*form-data;([^\r\n]*)/i.exec(head)?.[1] ?? "";
    const name = /\bname="([^"]*)"/.exec(disposition)?.[1];
    if (name === undefined) throw new Reject(400, "multipart part without a name");
    const filename = /\bfilename="([^"]*)"/.exec(disposition)?.[1];
    const contentType = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1]?.trim();
    parts.push({
      name,
      ...(filename !== undefined ? { filename } : {}),
      ...(contentType ? { contentType } : {}),
      body: chunk.subarray(split + 4),
    });
    at = next;
  }
  return parts;
}

export interface StandIn {
  vantaUrl: string;
  drataUrl: string;
  vanta: VantaState;
  drata: DrataState;
  requests: RecordedRequest[];
  rejections: RecordedRequest[];
  inject(fault: Fault): void;
  close(): Promise<void>;
}

export async function startPlatformStandIn(options: {
  vanta: VantaOptions;
  drata: DrataOptions;
}): Promise<StandIn> {
  const vanta = newVantaState(options.vanta);
  const drata = newDrataState(options.drata);
  const routes = { vanta: vantaRoutes(vanta), drata: drataRoutes(drata) };
  const requests: RecordedRequest[] = [];
  const faults: Fault[] = [];

  const serve = (request: IncomingMessage, response: ServerResponse, raw: Buffer) => {
    const url = new URL(request.url ?? "/", "http://stand-in");
    const platform = url.pathname.startsWith("/public/v2/") ? "drata" : "vanta";
    const path = platform === "drata" ? url.pathname.slice("/public/v2".length) : url.pathname;
    const method = request.method ?? "GET";
    const recorded: RecordedRequest = {
      platform,
      method,
      path,
      query: url.search,
      status: 0,
      authorization: Boolean(request.headers.authorization),
    };
    requests.push(recorded);
    const fault = faults.findIndex((entry) => entry.method === method && entry.path.test(path));
    const lost = fault >= 0 && faults[fault]?.lose === true;
    if (fault >= 0 && !lost) {
      const [entry] = faults.splice(fault, 1) as [Fault];
      if (entry.drop) return request.socket.destroy();
      recorded.status = entry.status ?? 500;
      response.writeHead(recorded.status, {
        "Content-Type": "application/json",
        ...(entry.retryAfter ? { "Retry-After": entry.retryAfter } : {}),
      });
      return response.end(JSON.stringify({ message: "injected fault" }));
    }
    const call: Call = {
      method,
      path,
      query: url.searchParams,
      headers: request.headers,
      raw,
      json() {
        if (!/^application\/json\b/i.test(request.headers["content-type"] ?? ""))
          throw new Reject(415, "expected Content-Type: application/json");
        try {
          recorded.json = JSON.parse(raw.toString("utf8"));
        } catch {
          throw new Reject(400, "body is not JSON");
        }
        return recorded.json as Record<string, unknown>;
      },
      parts() {
        const parts = multipart(request.headers, raw);
        recorded.parts = parts.map(({ name, filename, contentType, body }) => ({
          name,
          ...(filename !== undefined ? { filename } : {}),
          ...(contentType ? { contentType } : {}),
          size: body.length,
        }));
        return parts;
      },
    };
    let reply: Reply;
    try {
      const route = routes[platform]
        .map((entry) => ({ entry, match: entry.method === method ? entry.path.exec(path) : null }))
        .find(({ match }) => match);
      if (!route?.match) throw new Reject(404, `no ${platform} endpoint ${method} ${path}`);
      reply = route.entry.handle(call, route.match);
    } catch (error) {
      if (!(error instanceof Reject)) throw error;
      recorded.rejected = error.message;
      reply = { status: error.status, body: { statusCode: error.status, message: error.message } };
    }
    recorded.status = reply.status;
    if (lost) {
      faults.splice(fault, 1);
      return request.socket.destroy();
    }
    response.writeHead(reply.status, {
      ...(reply.body === undefined ? {} : { "Content-Type": "application/json" }),
      ...reply.headers,
    });
    response.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
  };

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => serve(request, response, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    vantaUrl: `http://127.0.0.1:${port}`,
    drataUrl: `http://127.0.0.1:${port}/public/v2`,
    vanta,
    drata,
    requests,
    get rejections() {
      return requests.filter((entry) => entry.rejected !== undefined);
    },
    inject: (fault) => faults.push(fault),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
