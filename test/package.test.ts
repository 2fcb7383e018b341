import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AwsClients } from "../src/aws/clients.js";
import { defineCollector, type Collector, type ParamSchema } from "../src/core/collector.js";
import type { ControlsConfig } from "../src/config/types.js";
import { ExceptionBook } from "../src/config/exceptions.js";
import { silentLogger } from "../src/cli/log.js";
import type { ItemDraft, ItemStatus, StoredFile } from "../src/core/model.js";
import { buildPackage } from "../src/package/build.js";
import { readHistory, readHistoryAhead } from "../src/package/history.js";
import { HistorySpool } from "../src/package/history-spool.js";
import { writePackage } from "../src/package/write.js";
import { fileDigest } from "../src/core/file-digest.js";
import { daysOf } from "../src/core/period.js";
import { planTasks } from "../src/run/runner.js";
import { takeSnapshot } from "../src/run/snapshot.js";
import { LocalStore } from "../src/store/local.js";
import { syntheticPackage } from "./fixtures/package.js";

const CALLER = { account: "123456789012", arn: "arn:aws:iam::123456789012:user/auditor", userId: "AIDA", partition: "aws" };
const PERIOD = { label: "2026-07-01..2026-07-10", start: "2026-07-01", end: "2026-07-10" };

/** A collector whose verdicts follow a script: resource -> day -> status. */
function scripted(script: Record<string, (day: string) => ItemStatus>): Collector<ParamSchema> {
  let today = "";
  return {
    id: "scripted-check",
    title: "Scripted check",
    docsUrl: "https://example.invalid",
    criteria: ["CC6.1"],
    service: "kms",
    scope: "region",
    permissions: ["kms:ListKeys"],
    params: {},
    async *collect(ctx): AsyncIterable<ItemDraft> {
      today = ctx.now().toISOString().slice(0, 10);
      for (const [name, statusOn] of Object.entries(script)) {
        const status = statusOn(today);
        yield {
          resource: { arn: `arn:aws:kms:us-east-1:123456789012:key/${name}`, type: "AWS::KMS::Key", name },
          status,
          reason: `${name} is ${status}`,
          observed: { day: today },
          expected: {},
          source: { service: "kms", operations: ["ListKeys"], requestIds: [`req-${today}`], collectedAt: ctx.now().toISOString() },
        };
      }
    },
  };
}

const config = (exceptions: ControlsConfig["exceptions"] = []): ControlsConfig => ({
  version: 1,
  organization: "Acme",
  scope: { accounts: "current", regions: ["us-east-1"] },
  store: { prefix: "" },
  controls: [{ id: "CC6.1", title: "Keys rotate", collectors: [{ use: "scripted-check", with: {}, collector: defineCollector(scripted({})).bind({}) }] }],
  exceptions,
});

let folder: string;
let store: LocalStore;
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), "package-test-"));
  store = new LocalStore(folder);
});
afterEach(() => rm(folder, { recursive: true, force: true }));

async function snapshotOn(day: string, collector: Collector<ParamSchema>, exceptions = new ExceptionBook([], day)) {
  const planned = [{ ...defineCollector(collector).bind({}), controlIds: ["CC6.1"] }];
  const clients = new AwsClients({ callerAccount: CALLER.account, partition: "aws" });
  return takeSnapshot({
    planned,
    tasks: planTasks(planned, [CALLER.account], ["us-east-1"]),
    store,
    caller: CALLER,
    accounts: [CALLER.account],
    skippedAccounts: [],
    run: { clients, partition: "aws", regions: ["us-east-1"], now: () => new Date(`${day}T06:00:00Z`), log: silentLogger, exceptions, concurrency: 2 },
  });
}

async function packageThrough(through: string, cfg = config()) {
  const history = await readHistory(store, PERIOD, through, { collector: (id) => (id === "scripted-check" ? defineCollector(scripted({})) : undefined) });
  try {
    return buildPackage({ config: cfg, period: PERIOD, through, history, runId: "run-1", now: new Date(`${through}T07:00:00Z`), caller: CALLER, store: { kind: "local", location: folder, warnings: [] }, calls: [] });
  } finally {
    history.dispose();
  }
}

describe("a period package", () => {
  it("is effective only when every day is covered and every resource holds", async () => {
    const collector = scripted({ steady: () => "pass", retired: () => "not_applicable" });
    for (const day of daysOf(PERIOD)) await snapshotOn(day, collector);
    const pkg = await packageThrough("2026-07-10");
    expect(pkg.coverage.missing).toEqual([]);
    expect(pkg.controls[0]).toMatchObject({ status: "effective", counts: { population: 2, pass: 1, not_applicable: 1 } });
    expect(pkg.items.find((item) => item.resource.name === "steady")?.seen).toEqual({ first: "2026-07-01", last: "2026-07-10", days: 10 });
  });

  it("shows missing days as gaps and marks the control incomplete", async () => {
    const collector = scripted({ steady: () => "pass" });
    for (const day of daysOf(PERIOD)) if (!["2026-07-04", "2026-07-05", "2026-07-06"].includes(day)) await snapshotOn(day, collector);
    const pkg = await packageThrough("2026-07-10");
    expect(pkg.coverage.missing).toEqual(["2026-07-04", "2026-07-05", "2026-07-06"]);
    expect(pkg.controls[0]).toMatchObject({ status: "incomplete", coverage: { covered: 7, days: 10 } });
  });

  it("fails a resource for the period when it failed on one day, even if it passes today", async () => {
    const collector = scripted({ flaky: (day) => (day === "2026-07-02" ? "fail" : "pass") });
    for (const day of daysOf(PERIOD)) await snapshotOn(day, collector);
    const pkg = await packageThrough("2026-07-10");
    const flaky = pkg.items[0];
    expect(flaky?.status).toBe("fail");
    expect(flaky?.snapshot.status).toBe("pass");
    expect(flaky?.period?.observed.failDays).toEqual(["2026-07-02"]);
    expect(pkg.controls[0]?.status).toBe("deficient");
  });

  it("calls a control with a failure and days without a snapshot both deficient and incomplete", async () => {
    const collector = scripted({ flaky: (day) => (day === "2026-07-02" ? "fail" : "pass") });
    for (const day of daysOf(PERIOD)) if (day !== "2026-07-05") await snapshotOn(day, collector);
    const pkg = await packageThrough("2026-07-10");
    expect(pkg.controls[0]).toMatchObject({ status: "deficient", statuses: ["deficient", "incomplete"] });
    expect(pkg.controls[0]?.reason).toBe("1 of 1 resources failed; 1 of 10 days have no complete snapshot");
  });

  it("never calls a control effective when a resource could not be read", async () => {
    const collector = scripted({ denied: (day) => (day === "2026-07-08" ? "error" : "pass") });
    for (const day of daysOf(PERIOD)) await snapshotOn(day, collector);
    const pkg = await packageThrough("2026-07-10");
    expect(pkg.items[0]?.status).toBe("error");
    expect(pkg.controls[0]?.status).toBe("incomplete");
  });

  it("ignores an abandoned snapshot that has no snapshot.json", async () => {
    const collector = scripted({ steady: () => "pass" });
    await snapshotOn("2026-07-01", collector);
    await store.put("snapshots/2026/07/02/20260702T060000Z-dead00/scripted-check.jsonl", '{"broken": true}\n', "application/x-ndjson");
    const pkg = await packageThrough("2026-07-02");
    expect(pkg.coverage.missing).toEqual(["2026-07-02"]);
    expect(pkg.snapshots).toHaveLength(1);
  });

  it("applies an unexpired exception to a failing resource and records who approved it", async () => {
    const exception = { collector: "scripted-check", resource: "arn:aws:kms:*:*:key/legacy-*", reason: "HSM-bound", approvedBy: "ciso@acme.example", ticket: "SEC-1", expires: "2027-01-31", location: "exceptions[0]" };
    const collector = scripted({ "legacy-1": () => "fail", modern: () => "pass" });
    for (const day of daysOf(PERIOD)) await snapshotOn(day, collector, new ExceptionBook([exception], day));
    const pkg = await packageThrough("2026-07-10", config([exception]));
    const legacy = pkg.items.find((item) => item.resource.name === "legacy-1");
    expect(legacy).toMatchObject({ status: "excepted", exception: { approvedBy: "ciso@acme.example", ticket: "SEC-1" } });
    expect(pkg.controls[0]?.status).toBe("effective");
    expect(pkg.exceptions[0]).toMatchObject({ state: "active", matched: 1 });
  });

  it("does not apply an expired exception, and says so", async () => {
    const exception = { collector: "scripted-check", resource: "arn:aws:kms:*:*:key/legacy-*", reason: "HSM-bound", approvedBy: "ciso@acme.example", expires: "2026-06-30", location: "exceptions[0]" };
    const collector = scripted({ "legacy-1": () => "fail" });
    await snapshotOn("2026-07-01", collector, new ExceptionBook([exception], "2026-07-01"));
    const pkg = await packageThrough("2026-07-01", config([exception]));
    expect(pkg.items[0]?.status).toBe("fail");
    expect(pkg.items[0]?.reason).toContain("expired 2026-06-30 and no longer applies");
    expect(pkg.exceptions[0]?.state).toBe("expired");
  });

  it("writes the manifest last, listing every file with its SHA-256, then latest.json", async () => {
    await snapshotOn("2026-07-01", scripted({ steady: () => "pass" }));
    const pkg = await packageThrough("2026-07-01");
    const written = await writePackage(pkg, store, ["json"]);
    const manifest = JSON.parse(await readFile(join(folder, written.manifestKey), "utf8"));
    expect(manifest.files.map((file: { path: string }) => file.path)).toEqual(["access-review.csv", "evidence.json"]);
    expect(manifest.files[1].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.snapshots.map((file: { key: string }) => file.key.split("/").at(-1))).toEqual(["scripted-check.jsonl", "snapshot.json"]);
    const latest = JSON.parse(await readFile(join(folder, "packages", PERIOD.label, "latest.json"), "utf8"));
    expect(latest).toMatchObject({ runId: "run-1", manifest: written.manifestKey });
    const evidence = JSON.parse(await readFile(join(folder, written.prefix, "evidence.json"), "utf8"));
    expect(evidence.items).toHaveLength(1);
    expect(evidence.controls[0].status).toBe("effective");
  });

  it("stores each file while the next format renders, and lists them in path order", async () => {
    const events: string[] = [];
    const watching = new (class extends LocalStore {
      override async putFile(key: string, file: string, contentType: string): Promise<StoredFile> {
        events.push(`store ${key.split("/").at(-1)}`);
        return super.putFile(key, file, contentType);
      }
    })(folder);
    const written = await writePackage(syntheticPackage({ items: 50 }), watching, ["json", "pdf"], {
      progress: (format) => events.push(`render ${format}`),
    });
    // Stored one after another in the order rendered, report.pdf last, while the formats after each still render.
    expect(events.filter((event) => event.startsWith("store"))).toEqual(["store evidence.json", "store access-review.csv", "store report.pdf"]);
    expect(events.indexOf("store evidence.json")).toBeLessThan(events.indexOf("render pdf"));
    expect(written.manifest.files.map((one) => one.path)).toEqual(["access-review.csv", "evidence.json", "report.pdf"]);
  });

  it("stops rendering once a file could not be stored, and writes no manifest", async () => {
    const rendered: string[] = [];
    const full = new (class extends LocalStore {
      override async putFile(key: string, file: string, contentType: string): Promise<StoredFile> {
        if (key.endsWith("evidence.json")) throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
        return super.putFile(key, file, contentType);
      }
    })(folder);
    await expect(
      writePackage(syntheticPackage({ items: 50 }), full, ["json", "oscal", "pdf"], { progress: (format) => rendered.push(format) }),
    ).rejects.toMatchObject({ code: "ENOSPC" });
    expect(rendered, "the PDF, last, is not started once evidence.json failed").not.toContain("pdf");
    const left = await readdir(folder, { recursive: true });
    expect(left.filter((name) => String(name).endsWith("manifest.json"))).toEqual([]);
    expect(left.filter((name) => String(name).endsWith("latest.json"))).toEqual([]);
  });

  it("hashes no more of a file than the limit verify sets, across the reads' boundary", async () => {
    const body = Buffer.from(Array.from({ length: 2_621_441 }, (_, index) => (index * 7919) % 251));
    const file = join(folder, "grown.bin");
    await writeFile(file, body);
    const within = (1 << 20) + 5;
    expect(await fileDigest(file, within)).toEqual({ sha256: createHash("sha256").update(body.subarray(0, within)).digest("hex"), size: within });
    expect(await fileDigest(file, body.length + 1)).toEqual({ sha256: createHash("sha256").update(body).digest("hex"), size: body.length });
  });

  it("starts no queued upload once a format fails to render, and writes no manifest", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const stored: string[] = [];
    const slow = new (class extends LocalStore {
      override async putFile(key: string, file: string, contentType: string): Promise<StoredFile> {
        // evidence.json is still being stored when the PDF fails; access-review.csv waits behind it.
        if (key.endsWith("evidence.json")) await held;
        stored.push(key.split("/").at(-1) as string);
        return super.putFile(key, file, contentType);
      }
    })(folder);
    const pkg = syntheticPackage({ items: 20 });
    const broken = Object.assign([...pkg.items], {
      heads(): never {
        setTimeout(release, 20);
        throw new Error("the PDF renderer failed");
      },
    });
    await expect(writePackage({ ...pkg, items: broken }, slow, ["json", "pdf"])).rejects.toThrow("the PDF renderer failed");
    expect(stored).toEqual(["evidence.json"]);
    const left = await readdir(folder, { recursive: true });
    expect(left.filter((name) => String(name).endsWith("manifest.json") || String(name).endsWith("latest.json"))).toEqual([]);
  });

  it("records the SHA-256 and size of a stored file read in many pieces, and of an empty one", async () => {
    // 2.5 MB: two whole 1 MB reads and a partial one, each into the same buffer.
    const body = Buffer.from(Array.from({ length: 2_621_441 }, (_, index) => (index * 7919) % 251));
    const stored = await store.put("snapshots/big.bin", body, "application/octet-stream");
    expect(stored).toEqual({ key: "snapshots/big.bin", sha256: createHash("sha256").update(body).digest("hex"), size: body.length });
    const empty = await store.put("snapshots/empty.bin", "", "application/octet-stream");
    expect(empty).toMatchObject({ sha256: createHash("sha256").digest("hex"), size: 0 });
  });

  it("refuses to overwrite evidence already written", async () => {
    await store.put("snapshots/x.json", "first", "application/json");
    await expect(store.put("snapshots/x.json", "second", "application/json")).rejects.toThrow(/refusing to overwrite/);
    expect(await readFile(join(folder, "snapshots/x.json"), "utf8")).toBe("first");
  });

  it("streams a large file without a listener per drain (no MaxListenersExceededWarning), and writes it whole and in order across its 1 MB writes", async () => {
    const pkg = syntheticPackage({ items: 4000 });
    const warnings: Error[] = [];
    const hear = (warning: Error) => warnings.push(warning);
    process.on("warning", hear);
    try {
      const written = await writePackage(pkg, store, ["json"]);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      expect(warnings.filter((warning) => warning.name === "MaxListenersExceededWarning")).toEqual([]);
      const body = await readFile(join(folder, written.prefix, "evidence.json"), "utf8");
      expect(body.length).toBeGreaterThan(2 << 20);
      const evidence = JSON.parse(body);
      expect(evidence.items).toHaveLength(4000);
      expect(evidence.items.map((item: { resource: { arn: string } }) => item.resource.arn)).toEqual(pkg.items.map((item) => item.resource.arn));
    } finally {
      process.off("warning", hear);
    }
  });
});

describe("a snapshot", () => {
  it("stores every item of a collector whole, one JSON line each, across many batched writes", async () => {
    // 3,000 items of about 430 bytes (1.28 MB): 20 writes of the snapshot's 64 KiB batches, the last one partial.
    const names = Array.from({ length: 3000 }, (_, index) => `key-${String(index).padStart(4, "0")}`);
    const record = await snapshotOn("2026-07-01", scripted(Object.fromEntries(names.map((name) => [name, () => "pass" as const]))));
    const file = record.collectors.find((one) => one.id === "scripted-check")?.file as string;
    const text = (await store.get(file)).toString("utf8");
    expect(text.endsWith("\n")).toBe(true);
    const lines = text.slice(0, -1).split("\n");
    expect(lines).toHaveLength(names.length);
    expect(lines.map((line) => (JSON.parse(line) as { resource: { name: string } }).resource.name).sort()).toEqual(names);
    expect(record.counts.pass).toBe(names.length);
  });
});

describe("the history's spool of items", () => {
  /** A collector whose period judge records, for every day, which earlier day's item it was handed as `previous`. */
  const chained = (): Collector<ParamSchema> => ({
    ...scripted({ steady: () => "pass", other: () => "pass" }),
    period: {
      dates: (item, previous) => (previous ? [`${String(previous.observed.day)}>${String(item.observed.day)}`] : []),
      judge: (history) => ({ status: "pass", reason: history.dates.join(" "), observed: {} }),
    },
  });
  const registry = (collector: Collector<ParamSchema>) => (id: string) => (id === "scripted-check" ? defineCollector(collector) : undefined);

  it.each([
    { case: "the default limit (no compaction at this size)", garbage: undefined },
    { case: "a compaction after every snapshot", garbage: { ratio: 0, floorBytes: 0 } },
  ])("hands each day's judge the resource's item of the day before, with $case", async ({ garbage }) => {
    const collector = chained();
    for (const day of daysOf(PERIOD)) await snapshotOn(day, collector);
    const history = await readHistory(store, PERIOD, "2026-07-10", { collector: registry(collector), ...(garbage ? { garbage } : {}) });
    try {
      const pkg = buildPackage({ config: config(), period: PERIOD, through: "2026-07-10", history, runId: "run-1", now: new Date("2026-07-10T07:00:00Z"), caller: CALLER, store: { kind: "local", location: folder, warnings: [] }, calls: [] });
      const days = daysOf(PERIOD);
      const chain = days.slice(1).map((day, index) => `${days[index]}>${day}`).join(" ");
      expect(pkg.items.map((item) => [item.resource.name, item.period?.reason, item.observed.day])).toEqual([
        ["other", chain, "2026-07-10"],
        ["steady", chain, "2026-07-10"],
      ]);
    } finally {
      history.dispose();
    }
  });
});

describe("HistorySpool", () => {
  it("rewrites only the lines states point at once superseded ones outgrow the limit, and keeps every state's items", () => {
    const spool = new HistorySpool({ ratio: 1, floorBytes: 0 });
    try {
      const line = (name: string, day: number) => JSON.stringify({ name, day, pad: "x".repeat(100) });
      const states = new Map(["a", "b"].map((name) => [name, { latest: spool.add(line(name, 0)), first: -1 }]));
      for (const state of states.values()) state.first = state.latest;
      spool.compact(states);
      expect(spool.compactions).toBe(0);
      for (let day = 1; day <= 4; day += 1) for (const [name, state] of states) state.latest = spool.add(line(name, day));
      const before = spool.bytes;
      spool.compact(states);
      expect(spool.compactions).toBe(1);
      expect(spool.bytes).toBeLessThan(before / 2);
      for (const [name, state] of states) {
        expect(spool.item(state.first)).toMatchObject({ name, day: 0 });
        expect(spool.item(state.latest)).toMatchObject({ name, day: 4 });
      }
    } finally {
      spool.dispose();
    }
  });
});

describe("the history read ahead while today's snapshot is taken", () => {
  const collector = () => scripted({ steady: () => "pass", flaky: (day) => (day === "2026-07-03" ? "fail" : "pass") });
  const options = { collector: (id: string) => (id === "scripted-check" ? defineCollector(scripted({})) : undefined) };
  /** The local store, counting which snapshot files were read. */
  const counted = () => {
    const reads: string[] = [];
    const read = store.read.bind(store);
    store.read = (key: string) => {
      reads.push(key);
      return read(key);
    };
    const getFile = store.getFile.bind(store);
    store.getFile = (key: string) => {
      reads.push(key);
      return getFile(key);
    };
    return reads;
  };
  const recordReads = (reads: string[]) => reads.filter((key) => key.endsWith("/snapshot.json")).length;
  const itemsFileReads = (reads: string[], day: string) => reads.filter((key) => key.includes(`/${day.replaceAll("-", "/")}/`) && key.endsWith(".jsonl")).length;
  const packageOf = (history: Awaited<ReturnType<typeof readHistory>>, through: string) => {
    try {
      return buildPackage({ config: config(), period: PERIOD, through, history, runId: "run-1", now: new Date(`${through}T07:00:00Z`), caller: CALLER, store: { kind: "local", location: folder, warnings: [] }, calls: [] });
    } finally {
      history.dispose();
    }
  };

  it("reads the earlier days once, adds today's snapshot after them, and builds the package readHistory builds", async () => {
    for (const day of ["2026-07-01", "2026-07-02", "2026-07-03", "2026-07-04"]) await snapshotOn(day, collector());
    const reads = counted();
    const ahead = readHistoryAhead(store, PERIOD, "2026-07-05", "2026-07-05", options);
    await snapshotOn("2026-07-05", collector());
    const pkg = packageOf(await ahead.finish("2026-07-05"), "2026-07-05");
    for (const day of ["2026-07-01", "2026-07-02", "2026-07-03", "2026-07-04", "2026-07-05"]) expect(itemsFileReads(reads, day)).toBe(1);
    // Each record read once: the earlier ones ahead, today's after its snapshot; the earlier ones only listed again.
    expect(recordReads(reads)).toBe(5);
    const expected = await packageThrough("2026-07-05");
    expect(pkg.coverage).toEqual(expected.coverage);
    expect(pkg.snapshots).toEqual(expected.snapshots);
    expect([...pkg.items]).toEqual([...expected.items]);
    expect([...pkg.items].find((item) => item.resource.name === "flaky")?.period?.status).toBe("fail");
    expect(pkg.coverage.days.filter((day) => day.covered).map((day) => day.day)).toEqual(["2026-07-01", "2026-07-02", "2026-07-03", "2026-07-04", "2026-07-05"]);
  });

  it("leaves an earlier run of today to after the snapshot, and reads nothing twice", async () => {
    for (const day of ["2026-07-01", "2026-07-02"]) await snapshotOn(day, collector());
    await snapshotOn("2026-07-03", collector());
    const reads = counted();
    const ahead = readHistoryAhead(store, PERIOD, "2026-07-03", "2026-07-03", options);
    await vi.waitFor(() => expect(itemsFileReads(reads, "2026-07-02")).toBe(1));
    expect(itemsFileReads(reads, "2026-07-03")).toBe(0);
    await snapshotOn("2026-07-03", collector());
    const pkg = packageOf(await ahead.finish("2026-07-03"), "2026-07-03");
    for (const day of ["2026-07-01", "2026-07-02"]) expect(itemsFileReads(reads, day)).toBe(1);
    expect(itemsFileReads(reads, "2026-07-03")).toBe(2); // both of today's runs, once each
    expect(pkg.coverage.days.find((day) => day.day === "2026-07-03")?.runIds).toHaveLength(2);
  });

  it("reads the whole history again when an earlier day's snapshot was finished after the reading began", async () => {
    for (const day of ["2026-07-01", "2026-07-02"]) await snapshotOn(day, collector());
    const reads = counted();
    const ahead = readHistoryAhead(store, PERIOD, "2026-07-04", "2026-07-04", options);
    await vi.waitFor(() => expect(itemsFileReads(reads, "2026-07-02")).toBe(1));
    // A run of 07-03 that finishes late: the store now lists a snapshot the reading ahead did not see.
    await snapshotOn("2026-07-03", collector());
    await snapshotOn("2026-07-04", collector());
    const pkg = packageOf(await ahead.finish("2026-07-04"), "2026-07-04");
    expect(itemsFileReads(reads, "2026-07-01")).toBe(2);
    expect(pkg.coverage.days.find((day) => day.day === "2026-07-03")?.covered).toBe(true);
    expect([...pkg.items].find((item) => item.resource.name === "flaky")?.period?.status).toBe("fail");
    const expected = await packageThrough("2026-07-04");
    expect([...pkg.items]).toEqual([...expected.items]);
  });

  it("reads the whole history again when an earlier day's snapshot was removed after the reading began", async () => {
    for (const day of ["2026-07-01", "2026-07-02", "2026-07-03"]) await snapshotOn(day, collector());
    const reads = counted();
    const ahead = readHistoryAhead(store, PERIOD, "2026-07-04", "2026-07-04", options);
    await vi.waitFor(() => expect(itemsFileReads(reads, "2026-07-03")).toBe(1));
    await rm(join(folder, "snapshots/2026/07/03"), { recursive: true });
    await snapshotOn("2026-07-04", collector());
    const pkg = packageOf(await ahead.finish("2026-07-04"), "2026-07-04");
    expect(itemsFileReads(reads, "2026-07-01")).toBe(2);
    expect(pkg.coverage.missing).toEqual(["2026-07-03"]);
    expect([...pkg.items].find((item) => item.resource.name === "flaky")?.period?.status).toBe("pass");
  });

  it("reads the whole history again for another last day than the one it read for", async () => {
    for (const day of ["2026-07-01", "2026-07-02"]) await snapshotOn(day, collector());
    const reads = counted();
    const ahead = readHistoryAhead(store, PERIOD, "2026-07-03", "2026-07-03", options);
    await snapshotOn("2026-07-03", collector());
    await snapshotOn("2026-07-04", collector());
    const pkg = packageOf(await ahead.finish("2026-07-04"), "2026-07-04");
    expect(itemsFileReads(reads, "2026-07-01")).toBe(2);
    expect(pkg.period.through).toBe("2026-07-04");
    expect(pkg.coverage.covered).toBe(4);
  });

  it("reports a store's problem when packaging, as readHistory does, not while the snapshot is taken", async () => {
    await snapshotOn("2026-07-01", collector());
    const [file] = await readdir(join(folder, "snapshots/2026/07/01"));
    const record = join(folder, "snapshots/2026/07/01", String(file), "snapshot.json");
    const parsed = JSON.parse(await readFile(record, "utf8")) as { day: string };
    await writeFile(record, JSON.stringify({ ...parsed, day: "2026-07-02" }));
    const ahead = readHistoryAhead(store, PERIOD, "2026-07-03", "2026-07-03", options);
    await expect(ahead.finish("2026-07-03")).rejects.toThrow(/filed under 2026-07-01 and records day 2026-07-02/);
  });

  it("stops reading once given up, and takes nothing from the store after", async () => {
    for (const day of ["2026-07-01", "2026-07-02", "2026-07-03"]) await snapshotOn(day, collector());
    const reads = counted();
    const ahead = readHistoryAhead(store, PERIOD, "2026-07-04", "2026-07-04", options);
    await ahead.dispose();
    const itemFiles = () => reads.filter((key) => key.endsWith(".jsonl")).length;
    const after = reads.length;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(reads.length).toBe(after);
    expect(itemFiles()).toBeLessThanOrEqual(1);
  });

  it("keeps nothing of the history once it has handed it over, though the caller holds on to it while rendering", async () => {
    for (const day of ["2026-07-01", "2026-07-02"]) await snapshotOn(day, collector());
    const ahead = readHistoryAhead(store, PERIOD, "2026-07-03", "2026-07-03", options);
    await snapshotOn("2026-07-03", collector());
    // Packaged inside a function, so no reference to the history outlives it but what readHistoryAhead kept.
    const resources = await (async () => {
      const history = await ahead.finish("2026-07-03");
      expect(history.resources.size).toBeGreaterThan(0);
      packageOf(history, "2026-07-03");
      return new WeakRef(history.resources);
    })();
    await collectGarbage();
    // `ahead` is still held here, as collectJob holds it until the package is written.
    expect(resources.deref()).toBeUndefined();
    await ahead.dispose();
  });
});

/** A full garbage collection, from a test: V8's gc function, exposed for this context (no --expose-gc on the runner). */
async function collectGarbage(): Promise<void> {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  // A WeakRef's target is kept until the job that made or read it ends: let it end, then collect, twice over.
  for (let round = 0; round < 2; round += 1) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
  }
}
