// The live half of tls-in-transit: a TLS handshake to each AWS endpoint the tool uses, and one capped below the floor.
import type { CollectContext } from "../src/core/collector.js";
import type { ItemDraft } from "../src/core/model.js";
import { TlsProbeError, type ProbeOptions } from "../src/core/tls.js";
import { judgeEndpoint, type EndpointFacts } from "./tls-in-transit.judge.js";

const PROBE_TIMEOUT_MS = 5_000;
/** The services this tool's collectors call: the endpoints whose TLS carries the evidence. */
const PROBED_SERVICES = ["kms", "secretsmanager", "cloudtrail", "access-analyzer", "s3", "sts"] as const;

export interface Endpoint {
  url: URL;
  service: string;
  region: string;
}

/** The endpoint the SDK is pointed at (AWS_ENDPOINT_URL), else each probed service in each scope region. */
export function probeTargets(ctx: CollectContext): Endpoint[] {
  if (ctx.endpoint) return [{ url: new URL(ctx.endpoint), service: "endpoint", region: ctx.region }];
  const suffix = ctx.partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
  const regions = ctx.regions.length > 0 ? ctx.regions : [ctx.region];
  return regions.flatMap((region) =>
    PROBED_SERVICES.map((service) => ({
      url: new URL(`https://${service}.${region}.${suffix}`),
      service,
      region,
    })),
  );
}

export async function probeEndpoint(
  ctx: CollectContext,
  { url, service, region }: Endpoint,
  minVersion: ProbeOptions["minVersion"],
): Promise<ItemDraft> {
  const facts: EndpointFacts = { url: url.origin };
  const plainHttp = url.protocol === "http:";
  if (!plainHttp) {
    try {
      facts.probe = await ctx.probeTls(url.hostname.replace(/^\[(.*)\]$/, "$1"), Number(url.port || 443), {
        minVersion,
        timeoutMs: PROBE_TIMEOUT_MS,
      });
    } catch (error) {
      if (!(error instanceof TlsProbeError)) throw error;
      facts.errorCode = error.code;
    }
  }
  const verdict = judgeEndpoint(facts, { minTlsVersion: minVersion });
  const operations = plainHttp ? [] : ["TLS handshake", `TLS handshake capped below ${minVersion}`];
  return {
    resource: { arn: url.origin, type: "AWS::Endpoint", name: url.host },
    region,
    ...verdict,
    observed: {
      endpoint: url.origin,
      service,
      ...(facts.probe ?? {}),
      ...(facts.errorCode ? { errorCode: facts.errorCode } : {}),
    },
    expected: { minTlsVersion: minVersion },
    source: { service: "tls", operations, requestIds: [], collectedAt: ctx.now().toISOString() },
  };
}
