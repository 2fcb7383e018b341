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
