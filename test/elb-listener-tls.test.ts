// elb-listener-tls verdicts, table-driven without AWS.
import type { Listener, LoadBalancer } from "@aws-sdk/client-elastic-load-balancing-v2";
import { describe, expect, it } from "vitest";
import { judgeListener, listenerFacts, protocolsBelow } from "../collectors/elb-listener-tls.judge.js";

const POLICIES = new Map([
  ["ELBSecurityPolicy-TLS13-1-2-2021-06", ["TLSv1.3", "TLSv1.2"]],
  ["ELBSecurityPolicy-2016-08", ["TLSv1", "TLSv1.1", "TLSv1.2"]],
  ["ELBSecurityPolicy-TLS13-1-3-2021-06", ["TLSv1.3"]],
]);
const ALB: LoadBalancer = {
  LoadBalancerArn: "arn:alb",
  LoadBalancerName: "web",
  Type: "application",
  Scheme: "internet-facing",
};
const NLB: LoadBalancer = {
  LoadBalancerArn: "arn:nlb",
  LoadBalancerName: "edge",
  Type: "network",
  Scheme: "internal",
};
const forward = [{ Type: "forward" as const, TargetGroupArn: "arn:tg" }];
const redirect = (Protocol: string) => [
  { Type: "redirect" as const, RedirectConfig: { Protocol, StatusCode: "HTTP_301" as const } },
];

const verdict = (lb: LoadBalancer, listener: Listener, minTlsVersion = "TLSv1.2") => {
  const facts = listenerFacts(lb, { DefaultActions: forward, ...listener }, POLICIES);
  return { facts, ...judgeListener(facts, { minTlsVersion }) };
};

describe("judgeListener", () => {
  it.each([
    [
      "passes HTTPS with a modern policy",
      ALB,
      { Protocol: "HTTPS", SslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" },
      "TLSv1.2",
      "pass",
      /none below TLSv1.2/,
    ],
    [
      "fails HTTPS with the 2016-08 policy, naming the old protocols",
      ALB,
      { Protocol: "HTTPS", SslPolicy: "ELBSecurityPolicy-2016-08" },
      "TLSv1.2",
      "fail",
      /^ELBSecurityPolicy-2016-08 allows TLSv1, TLSv1.1$/,
    ],
    [
      "passes a TLS 1.3-only policy against a TLSv1.3 minimum",
      ALB,
      { Protocol: "HTTPS", SslPolicy: "ELBSecurityPolicy-TLS13-1-3-2021-06" },
      "TLSv1.3",
      "pass",
      /TLSv1.3/,
    ],
    [
      "fails a policy allowing TLS 1.2 against a TLSv1.3 minimum",
      ALB,
      { Protocol: "HTTPS", SslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06" },
      "TLSv1.3",
      "fail",
      /allows TLSv1.2$/,
    ],
    [
      "passes HTTP that redirects to HTTPS",
      ALB,
      { Protocol: "HTTP", DefaultActions: redirect("HTTPS") },
      "TLSv1.2",
      "pass",
      /redirects to HTTPS/,
    ],
    [
      "fails HTTP that redirects to HTTP",
      ALB,
      { Protocol: "HTTP", DefaultActions: redirect("HTTP") },
      "TLSv1.2",
      "fail",
      /plain HTTP listener/,
    ],
    ["fails HTTP that forwards", ALB, { Protocol: "HTTP" }, "TLSv1.2", "fail", /^plain HTTP listener$/],
    [
      "passes an NLB TLS listener with a modern policy",
      NLB,
      { Protocol: "TLS", SslPolicy: "ELBSecurityPolicy-TLS13-1-3-2021-06" },
      "TLSv1.2",
      "pass",
      /^TLS with/,
    ],
    [
      "fails an NLB TLS listener with the 2016-08 policy",
      NLB,
      { Protocol: "TLS", SslPolicy: "ELBSecurityPolicy-2016-08" },
      "TLSv1.2",
      "fail",
      /allows TLSv1, TLSv1.1/,
    ],
    [
      "fails an internal NLB TCP listener, naming the scheme",
      NLB,
      { Protocol: "TCP" },
      "TLSv1.2",
      "fail",
      /^TCP listener without TLS \(internal load balancer\)$/,
    ],
    [
      "fails an internet-facing UDP listener",
      { ...NLB, Scheme: "internet-facing" },
      { Protocol: "UDP" },
      "TLSv1.2",
      "fail",
      /^UDP listener without TLS$/,
    ],
    [
      "reports an error when the policy was not described",
      ALB,
      { Protocol: "HTTPS", SslPolicy: "Custom" },
      "TLSv1.2",
      "error",
      /not returned/,
    ],
  ] as const)("%s", (_name, lb, listener, min, status, reason) => {
    const result = verdict(lb, listener as Listener, min);
    expect(result.status).toBe(status);
    expect(result.reason).toMatch(reason);
  });

  it("records the facts an auditor needs, certificates as ARNs only", () => {
    const { facts } = verdict(ALB, {
      ListenerArn: "arn:listener",
      Port: 443,
      Protocol: "HTTPS",
      SslPolicy: "ELBSecurityPolicy-2016-08",
      Certificates: [{ CertificateArn: "arn:cert", IsDefault: true }],
    });
    expect(facts).toEqual({
      loadBalancerArn: "arn:alb",
      loadBalancerName: "web",
      type: "application",
      scheme: "internet-facing",
      port: 443,
      protocol: "HTTPS",
      sslPolicy: "ELBSecurityPolicy-2016-08",
      policyProtocols: ["TLSv1", "TLSv1.1", "TLSv1.2"],
      redirect: false,
      certificates: ["arn:cert"],
    });
  });

  it("ignores a security policy reported on a plain listener", () => {
    const { facts, status } = verdict(ALB, {
      Protocol: "HTTP",
      SslPolicy: "ELBSecurityPolicy-TLS13-1-3-2021-06",
    });
    expect(facts.sslPolicy).toBeUndefined();
    expect(status).toBe("fail");
  });

  it("does not count an empty action list as a redirect", () => {
    expect(verdict(ALB, { Protocol: "HTTP", DefaultActions: [] }).facts.redirect).toBe(false);
  });
});

describe("protocolsBelow", () => {
  it.each([
    [["SSLv3", "TLSv1", "TLSv1.2"], "TLSv1.2", ["SSLv3", "TLSv1"]],
    [["TLSv1.2", "TLSv1.3"], "TLSv1.2", []],
    [["TLSv1.2", "TLSv1.3"], "TLSv1.3", ["TLSv1.2"]],
  ])("in %j below %s: %j", (protocols, min, below) => {
    expect(protocolsBelow(protocols, min)).toEqual(below);
  });
});
