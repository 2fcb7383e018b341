// The scheduler without real time: ticks are method calls, the grace period is a wait the test ends by hand.
import { describe, expect, it } from "vitest";
import { ConfigError, StoreError } from "../src/core/errors.js";
import { createLogger } from "../src/cli/log.js";
import { checkCron, runOnce, Scheduler, serve, type RunOutcome, type TickSource, type Wait } from "../src/run/scheduler.js";

interface Event {
  event: string;
  [field: string]: unknown;
}

/** A run the test finishes (or fails) by hand, and that sees its abort signal. */
function controllableRuns() {
  const runs: {
    tick: Date;
    signal: AbortSignal;
    finish: (outcome: RunOutcome) => void;
    fail: (error: unknown) => void;
  }[] = [];
  const run = (tick: Date, signal: AbortSignal) =>
    new Promise<RunOutcome>((resolve, reject) => {
      const entry = { tick, signal, finish: resolve, fail: reject };
      runs.push(entry);
      // Like collectJob: an aborted run stops at its next check and throws the signal's reason.
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
  return { runs, run };
}

/** Waits that end only when the test says so (or their signal aborts). */
function manualWaits() {
  const waits: { ms: number; end: () => void }[] = [];
  const wait: Wait = (ms, signal) =>
    new Promise((resolve) => {
      waits.push({ ms, end: resolve });
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
  return { waits, wait };
}

function setup(graceMs = 60_000) {
  const events: Event[] = [];
  const log = createLogger({
    json: true,
    quiet: false,
    write: (line) => events.push(JSON.parse(line) as Event),
  });
  const { runs, run } = controllableRuns();
  const { waits, wait } = manualWaits();
  let now = 0;
  const scheduler = new Scheduler({ run, log, graceMs, unwindMs: 5_000, wait, clock: () => now });
  return {
    scheduler,
    runs,
    waits,
    events,
    log,
    advance: (ms: number) => (now += ms),
    named: (name: string) => events.filter((e) => e.event === name),
  };
}

const at = (second: number) => new Date(Date.UTC(2026, 6, 1, 6, 0, second));
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe("overlap", () => {
  it("skips a tick that arrives while a run is in flight and logs schedule.skipped", async () => {
    const { scheduler, runs, named } = setup();
    const first = scheduler.tick(at(0));
    await flush();
    expect(scheduler.tick(at(1))).toBeUndefined();
    expect(scheduler.tick(at(2))).toBeUndefined();
    expect(runs).toHaveLength(1);
    expect(named("schedule.skipped").map((e) => [e.tick, e.running])).toEqual([
      [at(1).toISOString(), at(0).toISOString()],
      [at(2).toISOString(), at(0).toISOString()],
    ]);
    runs[0]?.finish({ exitCode: 0, fields: {} });
    await first;
    expect(scheduler.tick(at(3))).toBeDefined();
    await flush();
    expect(runs).toHaveLength(2);
    expect(scheduler.stats).toEqual({ runs: 2, skipped: 2, abandoned: 0 });
  });

  it("logs one summary line per run with its counts, duration, package and exit code", async () => {
    const { scheduler, runs, named, advance } = setup();
    const done = scheduler.tick(at(0));
    await flush();
    advance(1234);
    const fields = { runId: "r1", items: { pass: 3, fail: 1 }, package: "/tmp/e/packages/2026-Q3/r1/" };
    runs[0]?.finish({ exitCode: 1, fields });
    await expect(done).resolves.toMatchObject({ exitCode: 1 });
    expect(named("schedule.run")).toEqual([
      expect.objectContaining({
        outcome: "complete",
        ...fields,
        durationMs: 1234,
        exitCode: 1,
        tick: at(0).toISOString(),
      }),
    ]);
  });

  it.each([
    ["a store that cannot be written", new StoreError("bucket gone"), 3],
    ["a config that went bad", new ConfigError("controls.yaml: 1 problem"), 2],
  ])(
    "reports a run that fails on %s with that exit code and keeps scheduling",
    async (_name, error, code) => {
      const { scheduler, runs, named } = setup();
      const done = scheduler.tick(at(0));
      await flush();
      runs[0]?.fail(error);
      await expect(done).resolves.toMatchObject({ exitCode: code });
      expect(named("schedule.run")[0]).toMatchObject({ outcome: "failed", exitCode: code });
      expect(scheduler.tick(at(1))).toBeDefined();
    },
  );
});

describe("stop (SIGTERM/SIGINT)", () => {
  it("lets the run in flight finish within the grace period, without aborting it", async () => {
    const { scheduler, runs, waits, named } = setup(30_000);
    const done = scheduler.tick(at(0));
    await flush();
    const stopped = scheduler.stop("stopped by SIGTERM");
    await flush();
    expect(waits.map((w) => w.ms)).toEqual([30_000]);
    expect(scheduler.tick(at(1))).toBeUndefined();
    runs[0]?.finish({ exitCode: 0, fields: { runId: "r1" } });
    await expect(stopped).resolves.toBe("finished");
    await expect(done).resolves.toMatchObject({ exitCode: 0 });
    expect(runs[0]?.signal.aborted).toBe(false);
    expect(named("schedule.run")[0]).toMatchObject({ outcome: "complete", runId: "r1" });
  });

  it("abandons a run still going when the grace period ends: its signal aborts and it reports exit 3", async () => {
    const { scheduler, runs, waits, named } = setup(30_000);
    const done = scheduler.tick(at(0));
    await flush();
    const stopped = scheduler.stop("stopped by SIGTERM");
    await flush();
    waits[0]?.end();
    await expect(stopped).resolves.toBe("abandoned");
    expect(runs[0]?.signal.aborted).toBe(true);
    await expect(done).resolves.toMatchObject({ exitCode: 3 });
    expect(named("schedule.abandoning")).toHaveLength(1);
    expect(named("schedule.run")[0]).toMatchObject({ outcome: "abandoned", exitCode: 3 });
    expect(scheduler.stats.abandoned).toBe(1);
  });

  it("gives up on a run that ignores its abort after the unwind time, so the process can still exit", async () => {
    const events: Event[] = [];
    const log = createLogger({
      json: true,
      quiet: false,
      write: (line) => events.push(JSON.parse(line) as Event),
    });
    const { waits, wait } = manualWaits();
    const scheduler = new Scheduler({
      run: () => new Promise<RunOutcome>(() => {}),
      log,
      graceMs: 1000,
      unwindMs: 2000,
      wait,
    });
    void scheduler.tick(at(0));
    const stopped = scheduler.stop("stopped by SIGINT");
    await flush();
    waits[0]?.end();
    await flush();
    expect(waits.map((w) => w.ms)).toEqual([1000, 2000]);
    waits[1]?.end();
    await expect(stopped).resolves.toBe("abandoned");
  });

  it("returns at once when no run is in flight, and takes no tick after", async () => {
    const { scheduler, runs } = setup();
    await expect(scheduler.stop("stopped by SIGTERM")).resolves.toBe("idle");
    expect(scheduler.tick(at(0))).toBeUndefined();
    expect(runs).toHaveLength(0);
  });
});

describe("serve and --once", () => {
  it("serve ticks until the signal aborts, then stops the tick source and drains the run", async () => {
    const { scheduler, runs, named, log } = setup();
    let tick: ((at: Date) => void) | undefined;
    let stoppedTicks = false;
    const ticks: TickSource = {
      start(onTick) {
        tick = onTick;
        return () => (stoppedTicks = true);
      },
    };
    const controller = new AbortController();
    const served = serve(ticks, scheduler, controller.signal, log);
    tick?.(at(0));
    tick?.(at(1));
    await flush();
    expect(runs).toHaveLength(1);
    controller.abort(new Error("stopped by SIGTERM"));
    await flush();
    expect(stoppedTicks).toBe(true);
    runs[0]?.finish({ exitCode: 0, fields: {} });
    await served;
    expect(named("schedule.stopped")[0]).toMatchObject({
      reason: "stopped by SIGTERM",
      inFlight: "finished",
      runs: 1,
      skipped: 1,
    });
  });

  it("--once returns the run's exit code", async () => {
    const { scheduler, runs } = setup();
    const code = runOnce(scheduler, at(0), new AbortController().signal);
    await flush();
    runs[0]?.finish({ exitCode: 1, fields: {} });
    await expect(code).resolves.toBe(1);
  });

  it("--once abandoned by SIGTERM after the grace period exits 3 (no package was completed)", async () => {
    const { scheduler, runs, waits } = setup(10_000);
    const controller = new AbortController();
    const code = runOnce(scheduler, at(0), controller.signal);
    await flush();
    controller.abort(new Error("stopped by SIGTERM"));
    await flush();
    waits[0]?.end();
    await expect(code).resolves.toBe(3);
    expect(runs[0]?.signal.aborted).toBe(true);
  });
});

describe("checkCron", () => {
  it.each(["0 6 * * *", "* * * * * *", "*/5 * * * *", "0 0 6 * * 1-5"])("accepts %s", (expression) => {
    expect(checkCron(expression)).toBeUndefined();
  });

  it.each([
    ["0 6 * *", "4 fields"],
    ["0 0 6 * * * 2026", "7 fields"],
    ["0 25 * * *", "not a valid cron"],
    ["every day", "2 fields"],
  ])("rejects %s (%s)", (expression, why) => {
    expect(checkCron(expression)).toContain(why);
  });
});
