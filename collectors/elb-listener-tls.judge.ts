// Verdicts on ELBv2 listener facts, pure: does the listener encrypt, and with no protocol older than the minimum.
import type { Listener, LoadBalancer } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { Verdict } from "../src/core/model.js";

export const MIN_TLS_VERSIONS = ["TLSv1.2", "TLSv1.3"] as const;

/** Oldest first: the order ELB security policies name their protocols in `SslProtocols`. */
const PROTOCOL_ORDER = ["SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

export interface ListenerParams {
  minTlsVersion: string;
}

export interface ListenerFacts {
  loadBalancerArn: string;
  loadBalancerName: string;
  type?: string;
  scheme?: string;
  port?: number;
  protocol?: string;
  sslPolicy?: string;
  /** Protocols the listener's security policy allows (DescribeSSLPolicies); absent when not a TLS listener. */
  policyProtocols?: string[];
  /** True when every default action redirects to HTTPS. */
  redirect: boolean;
  certificates: string[];
}

const TLS_PROTOCOLS = new Set(["HTTPS", "TLS"]);

export const isTlsListener = (listener: Listener): boolean => TLS_PROTOCOLS.has(String(listener.Protocol));

export function listenerFacts(
  loadBalancer: LoadBalancer,
  listener: Listener,
  policies: ReadonlyMap<string, string[]>,
): ListenerFacts {
  const actions = listener.DefaultActions ?? [];
  const redirect =
    actions.length > 0 &&
    actions.every((action) => action.Type === "redirect" && action.RedirectConfig?.Protocol === "HTTPS");
  // Only HTTPS and TLS listeners negotiate TLS (moto also reports a default policy on plain listeners).
  const sslPolicy = isTlsListener(listener) ? listener.SslPolicy : undefined;
  return {
    loadBalancerArn: String(loadBalancer.LoadBalancerArn),
    loadBalancerName: String(loadBalancer.LoadBalancerName),
    type: loadBalancer.Type,
    scheme: loadBalancer.Scheme,
    port: listener.Port,
    protocol: listener.Protocol,
    ...(sslPolicy ? { sslPolicy } : {}),
    ...(sslPolicy && policies.has(sslPolicy) ? { policyProtocols: policies.get(sslPolicy) } : {}),
    redirect,
    certificates: (listener.Certificates ?? []).flatMap((cert) =>
      cert.CertificateArn ? [cert.CertificateArn] : [],
    ),
  };
}

/** Protocols a policy allows that are older than the minimum, oldest first. */
export function protocolsBelow(protocols: readonly string[], minTlsVersion: string): string[] {
  const floor = PROTOCOL_ORDER.indexOf(minTlsVersion);
  return PROTOCOL_ORDER.filter((name, rank) => rank < floor && protocols.includes(name));
}

export function judgeListener(facts: ListenerFacts, params: ListenerParams): Verdict {
  const protocol = facts.protocol ?? "unknown";
  if (TLS_PROTOCOLS.has(protocol)) {
    if (!facts.sslPolicy) return { status: "fail", reason: `${protocol} listener has no security policy` };
    if (!facts.policyProtocols) {
      return {
        status: "error",
        reason: `security policy ${facts.sslPolicy} not returned by DescribeSSLPolicies`,
      };
    }
    const old = protocolsBelow(facts.policyProtocols, params.minTlsVersion);
    if (old.length > 0) return { status: "fail", reason: `${facts.sslPolicy} allows ${old.join(", ")}` };
    return {
      status: "pass",
      reason: `${protocol} with ${facts.sslPolicy}: ${facts.policyProtocols.join(", ")}, none below ${params.minTlsVersion}`,
    };
  }
  if (protocol === "HTTP" && facts.redirect) return { status: "pass", reason: "redirects to HTTPS" };
  // CC6.7 asks for encryption in transit everywhere: an internal listener fails too, with its scheme named.
  const where = facts.scheme === "internal" ? " (internal load balancer)" : "";
  const what = protocol === "HTTP" ? "plain HTTP listener" : `${protocol} listener without TLS`;
  return { status: "fail", reason: `${what}${where}` };
}
