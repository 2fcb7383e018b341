// SIGTERM and a call in flight: the run must not wait for an answer that may never come (a hung connection).
import { DescribeKeyCommand } from "@aws-sdk/client-kms";
import { describe, expect, it } from "vitest";
import { AwsClients } from "../src/aws/clients.js";

/** An endpoint that never answers: every request stays in flight. */
function hungEndpoint() {
  let received = 0;
  let arrived: () => void = () => {};
  const first = new Promise<void>((resolve) => (arrived = resolve));
  return {
    get received() {
      return received;
    },
    first,
    handle: () => {
      received += 1;
      arrived();
      return new Promise<never>(() => {});
    },
  };
}

function clientsWith(handler: ReturnType<typeof hungEndpoint>, signal: AbortSignal) {
  return new AwsClients({
    callerAccount: "123456789012",
    partition: "aws",
    requestHandler: handler,
    signal,
    credentials: () => Promise.resolve({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "example" }),
  });
}

describe("a call in flight when the run is stopped", () => {
  it("is given up at once with the stop's reason, and nothing is sent again", async () => {
    const handler = hungEndpoint();
    const stop = new AbortController();
    const clients = clientsWith(handler, stop.signal);
    const call = clients.kms("123456789012", "us-east-1").send(new DescribeKeyCommand({ KeyId: "k" }));
    await handler.first;
    stop.abort(new Error("stopped by SIGTERM"));
    await expect(call).rejects.toThrow("stopped by SIGTERM");
    expect(handler.received).toBe(1);
    expect(clients.ledger.totals()).toMatchObject({ calls: 1, failures: 1, throttles: 0 });
    clients.destroy();
  });

  it("is never sent when the run was stopped before it", async () => {
    const handler = hungEndpoint();
    const stop = new AbortController();
    stop.abort(new Error("stopped by SIGTERM"));
    const clients = clientsWith(handler, stop.signal);
    await expect(clients.kms("123456789012", "us-east-1").send(new DescribeKeyCommand({ KeyId: "k" }))).rejects.toThrow("stopped by SIGTERM");
    expect(handler.received).toBe(0);
    clients.destroy();
  });
});

describe("many calls in flight under one stop signal", () => {
  it("are all given up by one stop, with one listener on the signal, so Node warns of no leak", async () => {
    const handler = hungEndpoint();
    const stop = new AbortController();
    let listeners = 0;
    const add = stop.signal.addEventListener.bind(stop.signal);
    stop.signal.addEventListener = ((...args: Parameters<typeof add>) => ((listeners += 1), add(...args))) as typeof add;
    const warnings: Error[] = [];
    const hear = (warning: Error) => warnings.push(warning);
    process.on("warning", hear);
    try {
      const clients = clientsWith(handler, stop.signal);
      const kms = clients.kms("123456789012", "us-east-1");
      const calls = Array.from({ length: 20 }, (_, index) => kms.send(new DescribeKeyCommand({ KeyId: `k${index}` })));
      while (handler.received < 20) await new Promise((resolve) => setImmediate(resolve));
      stop.abort(new Error("stopped by SIGTERM"));
      const outcomes = await Promise.allSettled(calls);
      expect(outcomes.map((outcome) => (outcome.status === "rejected" ? (outcome.reason as Error).message : "answered"))).toEqual(Array(20).fill("stopped by SIGTERM"));
      expect(listeners).toBe(1);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      expect(warnings.filter((warning) => warning.name === "MaxListenersExceededWarning")).toEqual([]);
      clients.destroy();
    } finally {
      process.off("warning", hear);
    }
  });

  it("leave the signal when the clients are destroyed", () => {
    const stop = new AbortController();
    let removed = 0;
    const remove = stop.signal.removeEventListener.bind(stop.signal);
    stop.signal.removeEventListener = ((...args: Parameters<typeof remove>) => ((removed += 1), remove(...args))) as typeof remove;
    clientsWith(hungEndpoint(), stop.signal).destroy();
    expect(removed).toBe(1);
  });
});
