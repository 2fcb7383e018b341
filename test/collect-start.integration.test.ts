// What waits for the package (loading the renderers, reading the earlier days back) starts once the snapshot's first
// calls are out, not before them.
import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import http from "node:http";
import { describe, expect, it, vi } from "vitest";
import { silentLogger } from "../src/cli/log.js";
import { parseConfig } from "../src/config/load.js";
import { collectJob, snapshotJob } from "../src/run/jobs.js";
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

describe("a collect run late in a period", () => {
  it("reads the earlier days' snapshots back while its own snapshot is being taken", async () => {
    await new KMSClient(clientConfig(emulator(), "us-east-1")).send(new CreateKeyCommand({}));
    const { config } = parseConfig("controls.yaml", CONFIG, new Date());
    const store = new LocalStore(scratch());
    const reads: string[] = [];
    const read = store.read.bind(store);
    store.read = (key: string) => {
      reads.push(key);
      return read(key);
    };
    const at = (day: string) => ({ config, store, log: silentLogger, now: () => new Date(`${day}T06:00:00Z`), regions: ["us-east-1"] });
    for (const day of ["2026-07-01", "2026-07-02"]) await snapshotJob(at(day));
    const period = { label: "2026-07-01..2026-07-03", start: "2026-07-01", end: "2026-07-03" };
    const earlier = () => reads.filter((key) => /snapshots\/2026\/07\/0[12]\//.test(key)).length;
    // Held before its snapshot.json is written: the earlier days must be read by then, or the wait times out.
    const hooks = async (phase: string) => {
      if (phase === "snapshot.writing") await vi.waitFor(() => expect(earlier()).toBe(2), { timeout: 20_000 });
    };
    const { pkg } = await collectJob({ ...at("2026-07-03"), hooks }, period, ["json"]);
    expect(earlier()).toBe(2);
    expect(pkg.coverage.covered).toBe(3);
    expect(pkg.snapshots.map((snapshot) => snapshot.day)).toEqual(["2026-07-01", "2026-07-02", "2026-07-03"]);
  }, 60_000);
});
