// The runner: every collector of an account x region cell runs at once; a throwing collector is an error item.
import { describe, expect, it } from "vitest";
import { AwsClients } from "../src/aws/clients.js";
import { defineCollector, type Collector, type ParamSchema } from "../src/core/collector.js";
import { ExceptionBook } from "../src/config/exceptions.js";
import { silentLogger } from "../src/cli/log.js";
import type { EvidenceItem, ItemDraft } from "../src/core/model.js";
import { sharedRead } from "../src/core/shared-reads.js";
import { CallTrace } from "../src/core/trace.js";
import { cellsOf, planTasks, runTasks, type PlannedCollector } from "../src/run/runner.js";

const draft = (name: string): ItemDraft => ({
  resource: { arn: `arn:aws:kms:us-east-1:123456789012:key/${name}`, type: "AWS::KMS::Key", name },
  status: "pass",
  reason: "ok",
  observed: {},
  expected: {},
  source: { service: "kms", operations: [], requestIds: [], collectedAt: "2026-11-25T00:00:00.000Z" },
});

function collector(id: string, collect: Collector<ParamSchema>["collect"]): PlannedCollector {
  const registered = defineCollector({ id, title: id, docsUrl: "", criteria: [], service: "kms", scope: "region", permissions: [], params: {}, collect });
  return { ...registered.bind({}), controlIds: ["CC6.1"] };
}

const run = (concurrency: number) => ({
  clients: new AwsClients({ callerAccount: "123456789012", partition: "aws" }),
  callerAccount: "123456789012",
  partition: "aws",
  regions: ["us-east-1", "us-east-2"],
  now: () => new Date("2026-11-25T00:00:00Z"),
  log: silentLogger,
  exceptions: new ExceptionBook([], "2026-11-25"),
  concurrency,
});

describe("runTasks", () => {
  it("groups tasks by account x region", () => {
    const planned = [collector("a", async function* () {}), collector("b", async function* () {})];
    const cells = cellsOf(planTasks(planned, ["123456789012"], ["us-east-2", "us-east-1"]));
    expect(cells.map((cell) => cell.map((task) => `${task.region}:${task.collector.id}`))).toEqual([
      ["us-east-1:a", "us-east-1:b"],
      ["us-east-2:a", "us-east-2:b"],
    ]);
  });

  it("reads what an account's collectors share once for all its regions, one cell in flight or several", async () => {
    for (const concurrency of [1, 4]) {
      let reads = 0;
      const planned = [
        collector("a", async function* (ctx) {
          await sharedRead(ctx, "iam", new CallTrace("iam", ctx.now), async () => ++reads);
          yield draft(`a-${ctx.region}`);
        }),
      ];
      const items: EvidenceItem[] = [];
      await runTasks(planTasks(planned, ["123456789012"], ["us-east-1", "us-east-2"]), run(concurrency), (item) => void items.push(item));
      expect(items.map((item) => item.resource.name).sort()).toEqual(["a-us-east-1", "a-us-east-2"]);
      expect(reads, `concurrency ${concurrency}`).toBe(1);
    }
  });

  it("starts every collector of a cell at once, even with one cell in flight", async () => {
    let started!: () => void;
    const bStarted = new Promise<void>((resolve) => (started = resolve));
    // `a` finishes only once `b` has started: with one task at a time this would never end.
    const planned = [
      collector("a", async function* () {
        await bStarted;
        yield draft("a");
      }),
      collector("b", async function* () {
        started();
        yield draft("b");
      }),
    ];
    const items: EvidenceItem[] = [];
    const populations = await runTasks(planTasks(planned, ["123456789012"], ["us-east-1"]), run(1), (item) => {
      items.push(item);
    });
    expect(items.map((item) => item.collector).sort()).toEqual(["a", "b"]);
    expect(populations.every((population) => population.paginationComplete)).toBe(true);
  }, 10_000);

  it("turns a collector that throws into an error item and an incomplete population, and goes on", async () => {
    const failing = collector("failing", async function* () {
      yield draft("first");
      throw Object.assign(new Error("denied"), { name: "AccessDeniedException", $metadata: { requestId: "req-1" } });
    });
    const items: EvidenceItem[] = [];
    const populations = await runTasks(planTasks([failing, collector("fine", async function* () { yield draft("x"); })], ["123456789012"], ["us-east-1"]), run(2), (item) => {
      items.push(item);
    });
    const error = items.find((item) => item.status === "error");
    expect(error).toMatchObject({ collector: "failing", resource: { type: "Population" }, observed: { errorCode: "AccessDeniedException" }, source: { requestIds: ["req-1"] } });
    expect(populations.find((population) => population.collector === "failing")).toMatchObject({ paginationComplete: false, enumerated: 2, errors: 1 });
    expect(populations.find((population) => population.collector === "fine")?.paginationComplete).toBe(true);
  });
});
