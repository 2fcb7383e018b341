// The four AWS wire protocols the harness speaks: how each one spells an error, a request id and a timestamp.
import { randomBytes, randomUUID } from "node:crypto";

export type Protocol = "awsJson" | "query" | "restJson" | "restXml";

/** A complete HTTP answer the proxy sends instead of, or after rewriting, moto's. */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

export const newRequestId = (): string => randomUUID();

/** An AWS error in the shape the SDK's deserializer for that protocol reads (`error.name` becomes `code`). */
export function errorReply(protocol: Protocol, status: number, code: string, message: string): Reply {
  const requestId = newRequestId();
  switch (protocol) {
    case "awsJson":
      return jsonReply(status, { __type: code, message }, "application/x-amz-json-1.1", requestId);
    case "restJson":
      return {
        ...jsonReply(status, { message }, "application/json", requestId),
        headers: {
          "content-type": "application/json",
          "x-amzn-requestid": requestId,
          "x-amzn-errortype": code,
        },
      };
    case "query": {
      const type = status >= 500 ? "Receiver" : "Sender";
      const body =
        `<ErrorResponse><Error><Type>${type}</Type><Code>${xml(code)}</Code><Message>${xml(message)}</Message>` +
        `</Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
      return { status, headers: { "content-type": "text/xml", "x-amzn-requestid": requestId }, body };
    }
    case "restXml": {
      const hostId = randomBytes(32).toString("base64");
      const body =
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xml(code)}</Code><Message>${xml(message)}</Message>` +
        `<RequestId>${requestId}</RequestId><HostId>${hostId}</HostId></Error>`;
      return {
        status,
        headers: { "content-type": "application/xml", "x-amz-request-id": requestId, "x-amz-id-2": hostId },
        body,
      };
    }
  }
}

export function jsonReply(
  status: number,
  value: unknown,
  contentType: string,
  requestId = newRequestId(),
): Reply {
  return {
    status,
    headers: { "content-type": contentType, "x-amzn-requestid": requestId },
    body: JSON.stringify(value),
  };
}

export type DateFormat = "epoch-seconds" | "date-time";

/** awsJson reads timestamps as epoch seconds; Access Analyzer's restJson members are ISO 8601 date-time. */
export const dateFormatOf = (protocol: Protocol): DateFormat =>
  protocol === "restJson" ? "date-time" : "epoch-seconds";

/** Deep copy of `value` with every Date written the way the protocol's deserializer expects. */
export function withWireDates(value: unknown, format: DateFormat): unknown {
  if (value instanceof Date) return format === "date-time" ? value.toISOString() : value.getTime() / 1000;
  if (Array.isArray(value)) return value.map((item) => withWireDates(item, format));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withWireDates(item, format)]));
  }
  return value;
}

/** A timestamp as a fixture or a request gives it: Date, ISO string, or epoch seconds. */
export function toDate(value: Date | string | number): Date {
  if (value instanceof Date) return value;
  if (typeof value === "number") return new Date(value * 1000);
  const numeric = Number(value);
  return Number.isFinite(numeric) && value.trim() !== "" ? new Date(numeric * 1000) : new Date(value);
}

const xml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
