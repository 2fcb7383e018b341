// elb-listener-tls against the emulator through the real SDK: verdicts per listener, throttling and denied calls.
import { describe, expect, it } from "vitest";
import elbListenerTls from "../collectors/elb-listener-tls.js";
import type { ItemDraft } from "../src/core/model.js";
import { CERTIFICATE, seedLoadBalancers } from "./fixtures/load-balancers.js";
import { useEmulator } from "./support/emulator.js";
import { collectAll, testContext } from "./support/context.js";

const emulator = useEmulator();
const byName = (items: ItemDraft[]) => Object.fromEntries(items.map((item) => [item.resource.name, item]));

describe("elb-listener-tls against the emulator", () => {
  it("judges every ALB and NLB listener and reads the security policies once", async () => {
    const seeded = await seedLoadBalancers(emulator());
    const items = byName(await collectAll(elbListenerTls, testContext(emulator())));
    expect(Object.keys(items).sort()).toEqual(Object.keys(seeded.listeners).sort());
    expect(items["web:443/HTTPS"]).toMatchObject({
      status: "pass",
      resource: { arn: seeded.listeners["web:443/HTTPS"], type: "AWS::ElasticLoadBalancingV2::Listener" },
      observed: {
        policyProtocols: ["TLSv1.3", "TLSv1.2"],
        certificates: [CERTIFICATE],
        scheme: "internet-facing",
      },
    });
    expect(items["web:8443/HTTPS"]).toMatchObject({
      status: "fail",
      reason: "ELBSecurityPolicy-2016-08 allows TLSv1, TLSv1.1",
    });
    expect(items["web:80/HTTP"]).toMatchObject({ status: "pass", observed: { redirect: true } });
    expect(items["web:8080/HTTP"]).toMatchObject({ status: "fail", observed: { redirect: false } });
    expect(items["edge:443/TLS"]).toMatchObject({
      status: "pass",
      observed: { type: "network", policyProtocols: ["TLSv1.3"] },
    });
    expect(items["edge:5432/TCP"]).toMatchObject({ status: "fail", observed: { scheme: "internal" } });
    expect(items["web:443/HTTPS"]?.source.operations).toEqual([
      "DescribeLoadBalancers",
      "DescribeListeners",
      "DescribeSSLPolicies",
    ]);
    expect(items["web:443/HTTPS"]?.source.requestIds.length).toBeGreaterThanOrEqual(3);
    expect(emulator().proxy.count("DescribeSSLPolicies")).toBe(1);
    expect(emulator().proxy.count("DescribeListeners")).toBe(3);
  });

  it("holds TLS listeners to a TLSv1.3 minimum when asked", async () => {
    await seedLoadBalancers(emulator());
    const items = byName(
      await collectAll(elbListenerTls, testContext(emulator()), { minTlsVersion: "TLSv1.3" }),
    );
    expect(items["web:443/HTTPS"]).toMatchObject({
      status: "fail",
      reason: "ELBSecurityPolicy-TLS13-1-2-2021-06 allows TLSv1.2",
    });
    expect(items["edge:443/TLS"]?.status).toBe("pass");
  });

  it("rides out throttling with retries and loses no listener", async () => {
    const seeded = await seedLoadBalancers(emulator());
    emulator().proxy.inject({
      service: "elasticloadbalancing",
      operation: "DescribeListeners",
      kind: "throttle",
      times: 2,
    });
    const items = await collectAll(elbListenerTls, testContext(emulator(), { maxAttempts: 4 }));
    expect(items).toHaveLength(Object.keys(seeded.listeners).length);
    expect(items.filter((item) => item.status === "error")).toEqual([]);
    const throttled = emulator().proxy.calls.filter(
      (call) => call.operation === "DescribeListeners" && call.status === 400,
    );
    expect(throttled.length).toBe(2);
  });

  it("turns denied DescribeListeners into one error item per load balancer and goes on", async () => {
    const seeded = await seedLoadBalancers(emulator());
    emulator().proxy.inject({
      service: "elasticloadbalancing",
      operation: "DescribeListeners",
      kind: "deny",
    });
    const items = await collectAll(elbListenerTls, testContext(emulator()));
    expect(items.map((item) => item.resource.arn).sort()).toEqual(Object.values(seeded.loadBalancers).sort());
    for (const item of items) {
      expect(item).toMatchObject({
        status: "error",
        resource: { type: "AWS::ElasticLoadBalancingV2::LoadBalancer" },
      });
      expect(item.observed.errorCode).toMatch(/AccessDenied/);
    }
  });

  it("marks only the TLS listeners as errors when the security policies cannot be read", async () => {
    await seedLoadBalancers(emulator());
    emulator().proxy.inject({
      service: "elasticloadbalancing",
      operation: "DescribeSSLPolicies",
      kind: "deny",
    });
    const items = byName(await collectAll(elbListenerTls, testContext(emulator())));
    const errors = Object.values(items)
      .filter((item) => item.status === "error")
      .map((item) => item.resource.name);
    expect(errors.sort()).toEqual(["edge:443/TLS", "web:443/HTTPS", "web:8443/HTTPS"]);
    expect(items["web:80/HTTP"]?.status).toBe("pass");
    expect(items["edge:5432/TCP"]?.status).toBe("fail");
  });
});
