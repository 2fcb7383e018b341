// Passes an ALB/NLB listener that speaks TLS with no protocol below the minimum, or that only redirects HTTP to HTTPS.
// Minimum calls for L load balancers in a region: ceil(L / 400) DescribeLoadBalancers pages, DescribeListeners pages
// per ALB/NLB, and DescribeSSLPolicies once for every policy in use together (not one per listener).
import type { ElasticLoadBalancingV2Client, Listener, LoadBalancer } from "@aws-sdk/client-elastic-load-balancing-v2";
import { errorItem } from "../src/core/evidence.js";
import { CallTrace } from "../src/core/trace.js";
import { defineCollector } from "../src/core/collector.js";
import { mapConcurrent } from "../src/core/concurrency.js";
import type { ItemDraft } from "../src/core/model.js";
import { isTlsListener, judgeListener, listenerFacts, MIN_TLS_VERSIONS } from "./elb-listener-tls.judge.js";
import { sdk } from "../src/core/sdk.js";

const { DescribeSSLPoliciesCommand, paginateDescribeListeners, paginateDescribeLoadBalancers } = sdk("@aws-sdk/client-elastic-load-balancing-v2");

const PER_LOAD_BALANCER_CONCURRENCY = 8;
const JUDGED_TYPES = new Set(["application", "network"]);

const params = {
  minTlsVersion: {
    type: "string",
    default: "TLSv1.2",
    enum: MIN_TLS_VERSIONS,
    description: "Oldest TLS version a listener's security policy may allow.",
  },
} as const;

type Listed = { loadBalancer: LoadBalancer; listeners: Listener[]; trace: CallTrace } | ItemDraft;

export default defineCollector({
  id: "elb-listener-tls",
  title: "Load balancer listeners encrypt traffic in transit",
  docsUrl: "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html",
  criteria: ["CC6.7"],
  service: "elasticloadbalancing",
  scope: "region",
  permissions: [
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeSSLPolicies",
  ],
  params,
  async *collect(ctx, { minTlsVersion }) {
    const expected = { minTlsVersion };
    const client = ctx.clients.elbv2(ctx.account, ctx.region);
    const listing = new CallTrace("elasticloadbalancing", ctx.now);
    const loadBalancers: LoadBalancer[] = [];
    for await (const page of paginateDescribeLoadBalancers({ client, pageSize: 400 }, {})) {
      listing.record("DescribeLoadBalancers", page);
      // Gateway Load Balancers carry GENEVE, which has no TLS setting to judge.
      loadBalancers.push(...(page.LoadBalancers ?? []).filter((lb) => JUDGED_TYPES.has(String(lb.Type))));
    }
    // Every listener first: the security policies in use are then described in one call, not one per listener.
    const listed: Listed[] = [];
    const each = mapConcurrent(
      loadBalancers,
      PER_LOAD_BALANCER_CONCURRENCY,
      async (loadBalancer): Promise<Listed> => {
        const trace = listing.fork();
        try {
          return { loadBalancer, listeners: await listenersOf(client, loadBalancer, trace), trace };
        } catch (error) {
          const resource = {
            arn: String(loadBalancer.LoadBalancerArn),
            type: "AWS::ElasticLoadBalancingV2::LoadBalancer",
            name: String(loadBalancer.LoadBalancerName),
          };
          return errorItem(resource, error, trace, expected);
        }
      },
    );
    for await (const entry of each) listed.push(entry);
    const names = new Set<string>();
    for (const entry of listed) {
      if (!("listeners" in entry)) continue;
      for (const listener of entry.listeners)
        if (isTlsListener(listener) && listener.SslPolicy) names.add(listener.SslPolicy);
    }
    const responses: unknown[] = [];
    let policies = new Map<string, string[]>();
    let policyError: unknown;
    try {
      policies = await describePolicies(client, [...names], responses);
    } catch (error) {
      policyError = error;
    }
    for (const entry of listed) {
      if (!("listeners" in entry)) {
        yield entry;
        continue;
      }
      for (const listener of entry.listeners) {
        const facts = listenerFacts(entry.loadBalancer, listener, policies);
        const trace = entry.trace.fork();
        const resource = {
          arn: String(listener.ListenerArn),
          type: "AWS::ElasticLoadBalancingV2::Listener",
          name: `${facts.loadBalancerName}:${facts.port}/${facts.protocol}`,
        };
        if (facts.sslPolicy) {
          trace.record("DescribeSSLPolicies", undefined);
          for (const response of responses) trace.record("DescribeSSLPolicies", response);
          if (policyError) {
            yield errorItem(resource, policyError, trace, expected);
            continue;
          }
        }
        yield {
          resource,
          ...judgeListener(facts, expected),
          observed: { ...facts },
          expected,
          source: trace.source(),
        };
      }
    }
  },
});

async function listenersOf(
  client: ElasticLoadBalancingV2Client,
  loadBalancer: LoadBalancer,
  trace: CallTrace,
): Promise<Listener[]> {
  const listeners: Listener[] = [];
  const input = { LoadBalancerArn: loadBalancer.LoadBalancerArn };
  for await (const page of paginateDescribeListeners({ client, pageSize: 400 }, input)) {
    trace.record("DescribeListeners", page);
    listeners.push(...(page.Listeners ?? []));
  }
  return listeners;
}

/** The protocols of each named security policy; the SDK has no paginator for this call, so follow the marker. */
async function describePolicies(
  client: ElasticLoadBalancingV2Client,
  names: string[],
  responses: unknown[],
): Promise<Map<string, string[]>> {
  const policies = new Map<string, string[]>();
  if (names.length === 0) return policies;
  let marker: string | undefined;
  do {
    const page = await client.send(new DescribeSSLPoliciesCommand({ Names: names, Marker: marker }));
    responses.push(page);
    for (const policy of page.SslPolicies ?? []) {
      if (policy.Name) policies.set(policy.Name, policy.SslProtocols ?? []);
    }
    marker = page.NextMarker || undefined;
  } while (marker);
  return policies;
}
