// The test proxy in front of moto: records every AWS call, injects faults, serves what moto lacks, patches answers.
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dateFormatOf, errorReply, withWireDates, type Reply } from "./aws-protocol.js";
import { MotoFixes, type FixContext } from "./moto-fixes.js";
import { Faults, type FaultRule, type Hold, type HoldRule, type QuotaRule } from "./proxy-faults.js";
import { DEFAULT_ACCOUNT, identify, type CallInfo } from "./proxy-identify.js";
import { AccessAnalyzerService, type AccessAnalyzerSeed } from "./served-access-analyzer.js";
import { MotoUpstream, parseJson, readAll, requestIdOf, type Streamed } from "./proxy-upstream.js";
import { LookupEventsService, type SeedEvent } from "./served-lookup-events.js";

export interface RecordedCall {
  service: string;
  operation: string;
  account: string;
  region: string;
  /** HTTP status the client saw; 0 when the connection was dropped. */
  status: number;
  time: Date;
  /** Set when the proxy answered instead of moto: deny, throttle, error500, drop, or quota (token bucket). */
  fault?: string;
  requestId?: string;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- fixtures reshape arbitrary AWS JSON */
/**
 * Rewrites a successful JSON answer (mutate it, or return a replacement). Dates in the result are written in the
 * protocol's wire format, so fixtures can set `LastRotatedDate: new Date(...)`.
 */
export type ResponsePatch = (
  responseBody: any,
  request: { body: any; account: string; region: string },
) => any;
/* eslint-enable @typescript-eslint/no-explicit-any */

export class TestProxy {
  private readonly recorded: RecordedCall[] = [];
  private readonly patches = new Map<string, ResponsePatch[]>();
  private readonly faults = new Faults();
  private readonly fixes = new MotoFixes();
  private readonly accessAnalyzer = new AccessAnalyzerService();
  private readonly lookupEvents = new LookupEventsService();
  /** Access keys issued by STS AssumeRole through this proxy, and the account of the role. */
  private readonly assumedKeys = new Map<string, string>();
  private readonly upstream: MotoUpstream;
  /** The served APIs' clock (CloudTrail's 90 days are counted back from it): a test that injects the tool's clock sets it alike. */
  clock: () => Date = () => new Date();

  readonly seed = {
    accessAnalyzer: (account: string, region: string, seed: AccessAnalyzerSeed) =>
      this.accessAnalyzer.seed(account, region, seed),
    cloudTrailEvents: (account: string, region: string, events: SeedEvent[]) =>
      this.lookupEvents.seed(account, region, events),
    updateFinding: (account: string, region: string, id: string, change: { status: string; updatedAt: Date }) =>
      this.accessAnalyzer.update(account, region, id, change),
  };

  private constructor(
    private readonly server: http.Server,
    motoUrl: string,
  ) {
    this.upstream = new MotoUpstream(motoUrl);
  }

  static async start(motoUrl: string): Promise<TestProxy> {
    const server = http.createServer();
    const proxy = new TestProxy(server, motoUrl);
    // Longer than any client keeps an idle socket, so a reused connection is never closed under a request.
    server.keepAliveTimeout = 10 * 60_000;
    server.on("request", (req, res) => void proxy.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", resolve);
    });
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Every AWS call the code under test made (fixture traffic from `clientConfig` is left out), oldest first. */
  get calls(): readonly RecordedCall[] {
    return this.recorded;
  }

  count(operation?: string, where: Partial<Omit<RecordedCall, "time">> = {}): number {
    const wanted = { ...where, ...(operation === undefined ? {} : { operation }) };
    return this.recorded.filter((call) =>
      Object.entries(wanted).every(([key, value]) => call[key as keyof RecordedCall] === value),
    ).length;
  }

  clearCalls(): void {
    this.recorded.length = 0;
  }

  patch(service: string, operation: string, patch: ResponsePatch): void {
    const key = `${service}|${operation}`;
    this.patches.set(key, [...(this.patches.get(key) ?? []), patch]);
  }

  clearPatches(): void {
    this.patches.clear();
  }

  inject(rule: FaultRule): void {
    this.faults.inject(rule);
  }

  /** Keeps matching calls waiting here until the hold is released: "in flight" without a latency to outlast. */
  hold(rule: HoldRule): Hold {
    return this.faults.hold(rule);
  }

  quota(rule: QuotaRule): void {
    this.faults.quota(rule);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Forgets calls, faults, quotas, patches, seeds and what it learnt from moto; pair it with a moto reset. */
  reset(): void {
    this.clearCalls();
    this.clearFaults();
    this.clearPatches();
    this.fixes.reset();
    this.accessAnalyzer.reset();
    this.lookupEvents.reset();
    this.assumedKeys.clear();
    this.clock = () => new Date();
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private readonly accountOf = (accessKeyId: string): string =>
    this.assumedKeys.get(accessKeyId) ?? DEFAULT_ACCOUNT;

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const time = new Date();
    let call = identify(req, undefined, this.accountOf);
    // S3 bodies stream through; every other request is small and buffered to find its operation (query protocol).
    if (call.service !== "s3" && !call.internal) {
      const body = await readAll(req).catch(() => undefined);
      if (!body) return; // the client went away mid-request
      call = identify(req, body, this.accountOf);
    }
    const record = (status: number, fault?: string, requestId?: string) => {
      if (call.seed || call.internal) return;
      const { service, operation, account, region } = call;
      this.recorded.push({ service, operation, account, region, status, time, fault, requestId });
    };
    try {
      const outcome = call.seed || call.internal ? undefined : await this.faults.decide(call);
      if (outcome?.fault === "drop") {
        req.socket.destroy();
        return record(0, "drop");
      }
      if (outcome) {
        send(res, outcome.reply);
        return record(outcome.reply.status, outcome.fault, requestIdOf(outcome.reply.headers));
      }
      const reply = await this.answer(call, req, res);
      if (!("streamed" in reply)) send(res, reply);
      record(reply.status, undefined, requestIdOf(reply.headers));
    } catch (error) {
      if (res.headersSent) res.destroy();
      else send(res, errorReply(call.protocol, 502, "BadGateway", `test proxy: ${(error as Error).message}`));
      record(502);
    }
  }

  /** The answer to send, or what was streamed straight from moto to the client. */
  private async answer(call: CallInfo, req: IncomingMessage, res: ServerResponse): Promise<Reply | Streamed> {
    const request = call.protocol === "awsJson" || call.protocol === "restJson" ? parseJson(call.body) : {};
    const patches = this.patches.get(`${call.service}|${call.operation}`) ?? [];
    let reply: Reply;
    if (call.service === "access-analyzer") {
      reply = this.accessAnalyzer.handle(call, request);
    } else if (call.service === "cloudtrail" && call.operation === "LookupEvents") {
      reply = this.lookupEvents.handle(call.account, call.region, request, this.clock());
    } else {
      const fix = this.fixes.for(call);
      const context: FixContext = {
        call,
        request,
        ask: (operation, body) => this.upstream.ask(call, operation, body),
      };
      let body = call.body;
      const early = await fix?.before?.(context);
      if (early && "status" in early) return early;
      if (early) body = Buffer.from(JSON.stringify(early.request));
      const assumesRole = call.service === "sts" && call.operation.startsWith("AssumeRole");
      if (!fix?.after && patches.length === 0 && !assumesRole) {
        return this.upstream.stream(call, req, body, res);
      }
      reply = await this.upstream.send(call, req, body);
      if (assumesRole) this.learnAssumedRole(String(reply.body));
      if (fix?.after && isSuccess(reply))
        reply = rewriteJson(reply, call, (json) => fix.after?.(context, json));
    }
    for (const patch of patches) {
      if (isSuccess(reply)) {
        reply = rewriteJson(reply, call, (json) =>
          patch(json, { body: request, account: call.account, region: call.region }),
        );
      }
    }
    return reply;
  }

  private learnAssumedRole(xml: string): void {
    const accessKeyId = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(xml)?.[1];
    const account = /<Arn>arn:[^:]+:sts::(\d{12}):assumed-role\//.exec(xml)?.[1];
    if (accessKeyId && account) this.assumedKeys.set(accessKeyId, account);
  }
}

export const startProxy = (motoUrl: string): Promise<TestProxy> => TestProxy.start(motoUrl);

function rewriteJson(reply: Reply, call: CallInfo, rewrite: (json: unknown) => unknown): Reply {
  const json = parseJson(Buffer.from(reply.body));
  const result = rewrite(json) ?? json;
  return { ...reply, body: JSON.stringify(withWireDates(result, dateFormatOf(call.protocol))) };
}

function send(res: ServerResponse, reply: Reply): void {
  const body = Buffer.from(reply.body);
  res.writeHead(reply.status, { ...reply.headers, "content-length": String(body.length) });
  res.end(body);
}

const isSuccess = (reply: Reply) => reply.status >= 200 && reply.status < 300;
