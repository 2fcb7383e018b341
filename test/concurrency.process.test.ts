// Two `collect` processes at once on one local store: two complete packages, distinct run ids, and a latest.json
// that points at one of them, whole. A third run after them reaches the same verdicts (re-running is idempotent).
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "./support/cli.js";
import { useEmulator } from "./support/emulator.js";
import { ESTATE_SIZE, latestOf, REGIONS, SMALL_ESTATE_CONFIG, seedSmallEstate, verifyEveryPackage } from "./support/fault-run.js";
import { useReliabilityLog } from "./support/reliability.js";

const emulator = useEmulator();
const record = useReliabilityLog("concurrency");

let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), "concurrency-"));
  await writeFile(join(folder, "controls.yaml"), SMALL_ESTATE_CONFIG);
  await seedSmallEstate(emulator(), new Date());
});
afterEach(() => rm(folder, { recursive: true, force: true }));

interface Summary {
  runId: string;
  status: string;
  items: Record<string, number>;
  manifest: string;
  package: string;
}

describe("concurrent runs on one store", () => {
  it("writes two complete packages and a latest.json that points at the newer one", async () => {
    const out = join(folder, "evidence");
    const today = new Date().toISOString().slice(0, 10);
    const collect = async (): Promise<Summary> => {
      const args = [
        "collect",
        "--period",
        `${today}..${today}`,
        "--config",
        join(folder, "controls.yaml"),
        "--out",
        out,
        "--format",
        "json",
        "--json",
      ];
      const result = await runCli(args, emulator().env);
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as Summary;
    };
    // Each run lists the first region's keys once: both are held there until both are in flight, so they overlap
    // however the machine schedules them.
    const held = emulator().proxy.hold({ service: "kms", operation: "ListKeys", region: REGIONS[0] });
    const runs = Promise.all([collect(), collect()]);
    await held.arrived(2);
    held.release();
    const [first, second] = await runs;

    expect(first.runId).not.toBe(second.runId);
    // Each run's own snapshot record: when it started and finished collecting.
    const [a, b] = await Promise.all(
      [first, second].map(async (run) => {
        const evidence = JSON.parse(await readFile(join(run.package, "evidence.json"), "utf8"));
        const own = (evidence.snapshots as { runId: string; startedAt: string; finishedAt: string }[]).find(
          (snapshot) => snapshot.runId === run.runId,
        );
        return { startedAt: String(own?.startedAt), finishedAt: String(own?.finishedAt) };
      }),
    );
    expect(
      a && b && a.startedAt < b.finishedAt && b.startedAt < a.finishedAt,
      "the two runs overlapped",
    ).toBe(true);

    const latest = await latestOf(out, `${today}..${today}`);
    expect([first.runId, second.runId]).toContain(latest?.runId);
    const pointed = [first, second].find((run) => run.runId === latest?.runId) as Summary;
    // Whichever finishes uploading last, latest.json names the package generated last.
    const generated = await Promise.all(
      [first, second].map(
        async (run) => JSON.parse(await readFile(run.manifest, "utf8")).generatedAt as string,
      ),
    );
    expect(JSON.parse(await readFile(pointed.manifest, "utf8")).generatedAt).toBe(generated.sort().at(-1));
    expect(join(out, latest?.manifest ?? "")).toBe(pointed.manifest);
    expect(JSON.parse(await readFile(pointed.manifest, "utf8")).runId).toBe(latest?.runId);

    const third = await collect();
    for (const run of [first, second, third])
      expect(run.items).toMatchObject({ pass: ESTATE_SIZE, error: 0 });
    const reports = await verifyEveryPackage(out);
    expect(reports.map((report) => [report.runId, report.ok]).sort()).toEqual(
      [first, second, third].map((run) => [run.runId, true]).sort(),
    );
    expect((await latestOf(out, `${today}..${today}`))?.runId).toBe(third.runId);
    record({
      id: "two-collects-one-store",
      area: "concurrency",
      case: "two collect processes started together on one local store, held at the proxy until both are in flight; then a third",
      outcome:
        "both exit 0 with distinct run ids and complete, verifying packages; latest.json names the newer of them and its manifest, whichever finished last; the third run has the same verdicts and becomes latest",
      measured: `latest.json named the newer run id`,
    });
  });
});
