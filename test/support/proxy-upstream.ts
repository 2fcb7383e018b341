// The proxy's side of moto: forwards a call with its identity, buffered or streamed, and asks moto side questions.
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { newRequestId, type Reply } from "./aws-protocol.js";
import { accountOfFixtureKey, type CallInfo } from "./proxy-identify.js";

// Per-connection headers, not forwarded. The proxy already answered any `Expect: 100-continue` itself.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "expect",
]);

/** moto's answer after it went straight to the client. */
export interface Streamed extends Reply {
  streamed: true;
}

interface UpstreamRequest {
  method: string;
  path: string;
  headers: http.OutgoingHttpHeaders;
  body: Buffer | IncomingMessage;
}

export class MotoUpstream {
  private readonly moto: URL;

  constructor(motoUrl: string) {
    this.moto = new URL(motoUrl);
  }

  /** Sends the call (with `body` instead of the client's when given) and buffers moto's answer. */
  send(call: CallInfo, req: IncomingMessage, body: Buffer | undefined): Promise<Reply> {
    return this.request(call, clientRequest(req, body));
  }

  /** Sends the call and streams moto's answer straight to the client; the reply carries no body. */
  stream(
    call: CallInfo,
    req: IncomingMessage,
    body: Buffer | undefined,
    res: ServerResponse,
  ): Promise<Streamed> {
    return this.request(call, clientRequest(req, body), res) as Promise<Streamed>;
  }

  /** A side question to the call's service (awsJson), e.g. DescribeKey before EnableKeyRotation. */
  async ask(call: CallInfo, operation: string, payload: unknown): Promise<{ status: number; body: unknown }> {
    const target = String(call.headers["x-amz-target"] ?? "");
    const body = Buffer.from(JSON.stringify(payload));
    const headers: http.OutgoingHttpHeaders = {
      authorization: call.headers.authorization,
      "content-type": call.headers["content-type"] ?? "application/x-amz-json-1.1",
      "x-amz-target": `${target.slice(0, target.lastIndexOf("."))}.${operation}`,
      "content-length": String(body.length),
    };
    const reply = await this.request(call, { method: "POST", path: "/", headers, body });
    return { status: reply.status, body: parseJson(Buffer.from(reply.body)) };
  }

  private request(call: CallInfo, request: UpstreamRequest, res?: ServerResponse): Promise<Reply | Streamed> {
    const headers: http.OutgoingHttpHeaders = { ...request.headers, host: this.moto.host };
    // Fixture keys `testing-<account>` act in that account; moto reads it from this header.
    const account = accountOfFixtureKey(call.accessKeyId);
    if (account) headers["x-moto-account-id"] = account;
    const { hostname, port } = this.moto;
    return new Promise((resolve, reject) => {
      const upstream = http.request(
        { hostname, port, method: request.method, path: request.path, headers },
        (answer) => {
          const replyHeaders: Record<string, string> = {};
          for (const [name, value] of Object.entries(answer.headers)) {
            if (value !== undefined && !HOP_BY_HOP.has(name)) replyHeaders[name] = String(value);
          }
          if (!requestIdOf(replyHeaders)) replyHeaders["x-amzn-requestid"] = newRequestId();
          const status = answer.statusCode ?? 502;
          if (!res) {
            readAll(answer).then(
              (buffer) => resolve({ status, headers: replyHeaders, body: buffer }),
              reject,
            );
            return;
          }
          res.writeHead(status, replyHeaders);
          answer.pipe(res);
          answer.on("end", () => resolve({ status, headers: replyHeaders, body: "", streamed: true }));
          answer.on("error", reject);
        },
      );
      upstream.on("error", reject);
      if (Buffer.isBuffer(request.body)) upstream.end(request.body);
      else {
        // A client that aborts mid-upload must not leave the request to moto hanging.
        request.body.once("error", (error) => upstream.destroy(error));
        request.body.once("aborted", () => upstream.destroy(new Error("client aborted")));
        request.body.pipe(upstream);
      }
    });
  }
}

function clientRequest(req: IncomingMessage, body: Buffer | undefined): UpstreamRequest {
  const headers: http.OutgoingHttpHeaders = Object.fromEntries(
    Object.entries(req.headers).filter(
      ([name]) => !HOP_BY_HOP.has(name) && !(body && name === "content-length"),
    ),
  );
  if (body) headers["content-length"] = String(body.length);
  return { method: req.method ?? "GET", path: req.url ?? "/", headers, body: body ?? req };
}

export function requestIdOf(headers: Record<string, unknown>): string | undefined {
  const value = headers["x-amzn-requestid"] ?? headers["x-amz-request-id"];
  return value === undefined ? undefined : String(value);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- AWS JSON bodies are read loosely by fixes and patches
export function parseJson(body: Buffer | undefined): any {
  if (!body || body.length === 0) return {};
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return {};
  }
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}
