// The HTTP client publish uses: JSON and multipart requests, retries on 429, 5xx and dropped connections with
// Retry-After honoured, one re-authentication on 401, and errors that never carry a credential.
import type { Logger } from "../core/log.js";
import { TOOL } from "../core/version.js";

export class PublishError extends Error {
  override name = "PublishError";
  readonly exitCode = 3;
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

export interface ApiRequest {
  method: "GET" | "POST" | "PUT";
  path: string;
  query?: Query;
  json?: unknown;
  form?: FormData;
  /** Statuses that mean success (default 200, 201, 204). */
  expect?: readonly number[];
  /**
   * For a request that is not idempotent (an upload, a create): before a retry, checks whether the earlier attempt
   * took effect after all (the response was lost), so a retry never makes a duplicate.
   */
  landed?: () => Promise<boolean>;
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  /** True when a retry was skipped because `landed` found the first attempt had taken effect. */
  landed?: boolean;
}

export interface ClientOptions {
  baseUrl: string;
  /** The Authorization header value, asked for on every attempt so a renewed token is used. */
  authorization?: () => Promise<string>;
  /** Forgets a cached token after a 401, so the next attempt gets a new one. */
  unauthorized?: () => void;
  /** Values that must never appear in an error message or log line (secrets, tokens). */
  secrets?: () => readonly string[];
  log: Logger;
  maxAttempts?: number;
  baseDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  timeoutMs?: number;
}

const RETRY_AFTER_CAP_MS = 300_000;

/** Retry-After as delta-seconds or an HTTP date (RFC 9110 section 10.2.3); undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, RETRY_AFTER_CAP_MS);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.min(Math.max(0, at - now), RETRY_AFTER_CAP_MS);
}

export class ApiClient {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: ClientOptions) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.baseDelayMs = options.baseDelayMs ?? 250;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Removes every known secret from a text before it is shown or logged. */
  scrub(text: string): string {
    let safe = text;
    for (const secret of this.options.secrets?.() ?? [])
      if (secret.length >= 4) safe = safe.split(secret).join("[redacted]");
    return safe.replace(/Bearer\s+[A-Za-z0-9._~+/=-]+/g, "Bearer [redacted]");
  }

  url(path: string, query: Query = {}): string {
    const url = new URL(this.options.baseUrl.replace(/\/$/, "") + path);
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const entry of value) url.searchParams.append(key, entry);
      else url.searchParams.set(key, String(value));
    }
    return url.href;
  }

  async request<T>(request: ApiRequest): Promise<ApiResponse<T>> {
    const expected = request.expect ?? [200, 201, 204];
    let reauthenticated = false;
    for (let attempt = 1; ; attempt += 1) {
      const headers: Record<string, string> = {
        Accept: "application/json",
        "User-Agent": `${TOOL.name}/${TOOL.version}`,
      };
      if (this.options.authorization) headers.Authorization = await this.options.authorization();
      if (request.json !== undefined) headers["Content-Type"] = "application/json";
      let response: Response | undefined;
      let failure = "";
      try {
        response = await fetch(this.url(request.path, request.query), {
          method: request.method,
          headers,
          body: request.form ?? (request.json === undefined ? undefined : JSON.stringify(request.json)),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 120_000),
        });
      } catch (error) {
        failure = `${(error as Error).name}: ${(error as Error).message}`;
      }
      const status = response?.status ?? 0;
      this.options.log.info("publish.call", {
        method: request.method,
        path: request.path,
        status: status || failure,
        attempt,
      });
      if (response && expected.includes(status)) {
        const text = await response.text();
        return { status, body: (text ? JSON.parse(text) : undefined) as T };
      }
      if (response && status === 401 && this.options.unauthorized && !reauthenticated) {
        await response.body?.cancel();
        this.options.unauthorized();
        reauthenticated = true;
        continue;
      }
      const retryable = !response || status === 429 || status >= 500;
      const detail = response ? await this.describe(response) : failure;
      if (!retryable || attempt >= this.maxAttempts) {
        throw new PublishError(
          this.scrub(
            `${request.method} ${request.path} failed${status ? ` with HTTP ${status}` : ""} after ${attempt} attempt(s): ${detail}`,
          ),
          status || undefined,
        );
      }
      const backoff = this.baseDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() / 2);
      await this.sleep(retryAfterMs(response?.headers.get("retry-after") ?? null) ?? backoff);
      if (request.landed && (await request.landed()))
        return { status: 0, body: undefined as T, landed: true };
    }
  }

  private async describe(response: Response): Promise<string> {
    const text = (await response.text().catch(() => "")).slice(0, 500);
    try {
      const body = JSON.parse(text) as { message?: unknown; error?: unknown };
      return String(body.message ?? body.error ?? text);
    } catch {
      return text || response.statusText;
    }
  }
}
