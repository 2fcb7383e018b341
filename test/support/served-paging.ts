// Opaque page tokens for the APIs the proxy serves: bound to the query they came from, like AWS's.
import { createHash } from "node:crypto";

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/**
 * One page of `items` after `nextToken`. Returns undefined for a token that is malformed or was issued for a
 * different query (other filters, time range or analyzer), which AWS rejects too.
 */
export function paginate<T>(items: T[], maxResults: number, nextToken: string | undefined, query: unknown) {
  const fingerprint = createHash("sha256")
    .update(JSON.stringify(query ?? null))
    .digest("hex")
    .slice(0, 16);
  let offset = 0;
  if (nextToken !== undefined) {
    const decoded = decodeToken(nextToken);
    if (!decoded || decoded.q !== fingerprint || decoded.o > items.length) return undefined;
    offset = decoded.o;
  }
  const end = offset + maxResults;
  const page: Page<T> = { items: items.slice(offset, end) };
  if (end < items.length)
    page.nextToken = Buffer.from(JSON.stringify({ o: end, q: fingerprint })).toString("base64url");
  return page;
}

function decodeToken(token: string): { o: number; q: string } | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (!value || typeof value !== "object") return undefined;
    const { o, q } = value as { o?: unknown; q?: unknown };
    return Number.isInteger(o) && (o as number) >= 0 && typeof q === "string"
      ? { o: o as number, q }
      : undefined;
  } catch {
    return undefined;
  }
}
