// What waits for the package (loading the renderers) starts once the snapshot's first calls are out, not before them.
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import http from "node:http";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../src/cli/log.js";
import { parseConfig } from "../src/config/load.js";
import { snapshotJob } from "../src/run/jobs.js";
import { LocalStore } from "../src/store/local.js";
import { useEmulatorEnv } from "./support/emulator-env.js";
import { clientConfig, useEmulator } from "./support/emulator.js";

const emulator = useEmulator();

const CONFIG = `version: 1
organization: Acme
scope: { accounts: current, regions: [us-east-1, us-east-2] }
controls:
  - id: CC6.1
    title: Keys rotate
    collectors: [{ use: kms-key-rotation }]
`;

const scratch = useEmulatorEnv(emulator, "collect-start-");

/** Each AWS request this process sends, as "Target region", heard at node:http (the SDK's transport). */
function watchSends(): { sent: string[]; stop: () => void } {
  const sent: string[] = [];
  const original = http.request;
  const watched = function (this: unknown, ...args: Parameters<typeof http.request>) {
    const options = args[0] as http.RequestOptions;
    const headers = (options.headers ?? {}) as Record<string, string>;
    const region = /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\//.exec(headers.authorization ?? "")?.[1] ?? "?";
    sent.push(`${headers["x-amz-target"] ?? options.path} ${region}`);
    return original.apply(this, args);
  } as typeof http.request;
  http.request = watched;
  return { sent, stop: () => void (http.request = original) };
}

describe("a snapshot's start", () => {
  it("calls whenCollecting once, when a collector call is answered, with every region's first call already sent", async () => {
    for (const region of ["us-east-1", "us-east-2"]) await new KMSClient(clientConfig(emulator(), region)).send(new CreateKeyCommand({}));
    const seen: string[][] = [];
    const { config } = parseConfig("controls.yaml", CONFIG, new Date());
    const sends = watchSends();
    try {
      await snapshotJob({
        config,
        store: new LocalStore(scratch()),
        log: silentLogger,
        now: () => new Date(),
        whenCollecting: () => seen.push([...sends.sent]),
      });
    } finally {
      sends.stop();
    }
    expect(seen).toHaveLength(1);
    const [atStart = []] = seen;
    expect(atStart[0]).toMatch(/ us-east-1$/); // the caller's identity (STS, a query API: no target header)
    // Both regions' first KMS calls were sent before the first answer was heard, and more followed it.
    for (const region of ["us-east-1", "us-east-2"]) expect(atStart.some((sent) => sent.startsWith("TrentService.") && sent.endsWith(region)), region).toBe(true);
    expect(atStart.length).toBeLessThan(sends.sent.length);
  });
});
