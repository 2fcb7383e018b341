// AWS-side faults against moto through the proxy (SPEC section 10, reliability): the run ends, exactly the affected
// items are `error` with the AWS code, the control is never `effective` while one is, earlier packages still
// verify, and a run after the fault clears is whole again.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CollectedPackage } from "./support/read-back.js";
import { LocalStore } from "../src/store/local.js";
import { useEmulatorEnv } from "./support/context.js";
import { useEmulator } from "./support/emulator.js";
import { ESTATE_SIZE, latestOf, onlyFaultedItemsChanged, runCollect, seedSmallEstate, verdicts, verifyEveryPackage } from "./support/fault-run.js";
import type { FaultRule } from "./support/proxy-faults.js";
import { useReliabilityLog } from "./support/reliability.js";

const emulator = useEmulator();
const record = useReliabilityLog("faults");
const THROTTLING = ["ThrottlingException", "Throttling", "TooManyRequestsException"];

let root: string;
let restoreEnv: () => void;
beforeEach(async () => {
  restoreEnv = useEmulatorEnv(emulator());
  root = await mkdtemp(join(tmpdir(), "faults-"));
  await seedSmallEstate(emulator(), new Date());
});
afterEach(async () => {
  restoreEnv();
  await rm(root, { recursive: true, force: true });
});

interface Drill {
  baseline: CollectedPackage;
  faulted: CollectedPackage;
  rerun: CollectedPackage;
  errors: CollectedPackage["pkg"]["items"];
  seconds: number;
  calls: { total: number; faulted: number };
}

/** A clean run, the faulted run, then a clean run again, all into one store; checks what every fault must keep. */
async function drill(faults: FaultRule[], codes: readonly string[], deadline?: number): Promise<Drill> {
  const store = new LocalStore(root);
  const baseline = await runCollect({ store });
  expect(baseline.pkg.summary.status).toBe("effective");
  emulator().proxy.clearCalls();
  for (const fault of faults) emulator().proxy.inject(fault);
  const started = Date.now();
  const faulted = await runCollect({ store, ...(deadline !== undefined ? { deadline } : {}) });
  const seconds = (Date.now() - started) / 1000;
  const calls = {
    total: emulator().proxy.calls.length,
    faulted: emulator().proxy.calls.filter((call) => call.fault).length,
  };
  emulator().proxy.clearFaults();

  const { errors, problems } = onlyFaultedItemsChanged(verdicts(baseline), faulted, codes);
  expect(problems).toEqual([]);
  // Never effective while an item could not be read; errors are counted where the auditor looks.
  const control = faulted.pkg.controls[0];
  expect(control?.status).toBe(errors.length > 0 ? "incomplete" : "effective");
  expect(control?.counts.error).toBe(errors.length);
  expect(faulted.snapshot.counts.error).toBe(
    errors.filter((item) => item.snapshot.runId === faulted.snapshot.runId).length,
  );

  const rerun = await runCollect({ store });
  // The run after the fault reads every resource again.
  expect(rerun.snapshot.counts).toMatchObject({ pass: ESTATE_SIZE, error: 0 });
  expect((await latestOf(root, rerun.pkg.period.label))?.runId).toBe(rerun.snapshot.runId);
  // Nothing written before or during the fault was lost or changed.
  const reports = await verifyEveryPackage(root);
  expect(reports.map((report) => report.runId).sort()).toEqual(
    [baseline, faulted, rerun].map((run) => run.snapshot.runId).sort(),
  );
  expect(reports.filter((report) => !report.ok)).toEqual([]);
  return { baseline, faulted, rerun, errors, seconds, calls };
}

const errorsIn = (errors: Drill["errors"]) =>
  errors.map((item) => `${item.collector}@${item.region}:${String(item.observed.errorCode)}`).sort();

describe("AWS faults during a run", () => {
  it("rides out a throttling storm on half of all calls and marks only what stayed throttled", async () => {
    const storm = ["kms", "secretsmanager", "cloudtrail"].map((service): FaultRule => ({
      service,
      kind: "throttle",
      rate: 0.5,
    }));
    const run = await drill(storm, THROTTLING);
    expect(run.calls.faulted).toBeGreaterThan(0);
    record({
      id: "throttle-storm",
      area: "fault",
      case: "50% of KMS, Secrets Manager and CloudTrail calls throttled for the whole run (the 'storm for a minute' scaled to the run)",
      outcome:
        "run completed; every item kept its fault-free verdict or is error with a throttling code; control incomplete exactly when an item is error; earlier packages verify; next run whole",
      measured: `${run.calls.faulted} of ${run.calls.total} calls throttled, ${run.errors.length} error items, ${run.seconds.toFixed(1)} s`,
    });
  });

  it.each([
    {
      id: "throttled-past-retries",
      case: "every KMS GetKeyRotationStatus in us-east-2 throttled",
      fault: {
        service: "kms",
        operation: "GetKeyRotationStatus",
        region: "us-east-2",
        kind: "throttle",
      } as FaultRule,
      // Throttled calls are retried until answered; only the run deadline stops them, and the items say so.
      deadline: true,
      expected: [
        "kms-key-rotation@us-east-2:RunDeadlineExceeded",
        "kms-key-rotation@us-east-2:RunDeadlineExceeded",
      ],
      rerun: "effective",
    },
    {
      id: "error500",
      case: "every KMS DescribeKey in us-east-2 answered 500",
      fault: { service: "kms", operation: "DescribeKey", region: "us-east-2", kind: "error500" } as FaultRule,
      expected: ["kms-key-rotation@us-east-2:InternalFailure", "kms-key-rotation@us-east-2:InternalFailure"],
      rerun: "effective",
    },
    {
      id: "dropped-connections",
      case: "every Secrets Manager ListSecrets connection in us-east-1 dropped",
      fault: {
        service: "secretsmanager",
        operation: "ListSecrets",
        region: "us-east-1",
        kind: "drop",
      } as FaultRule,
      // The SDK names a reset connection TimeoutError (its code, ECONNRESET, is not kept).
      expected: ["secrets-rotation@us-east-1:TimeoutError"],
      rerun: "effective",
    },
    {
      id: "denied-service-region",
      case: "AccessDenied on every Secrets Manager call in us-east-2",
      fault: { service: "secretsmanager", region: "us-east-2", kind: "deny" } as FaultRule,
      expected: ["secrets-rotation@us-east-2:AccessDeniedException"],
      rerun: "effective",
    },
  ])("marks exactly the affected items when $case", async ({ id, case: what, fault, expected, rerun, ...rest }) => {
    const run = await drill(
      [fault],
      expected.map((entry) => entry.split(":")[1] as string),
      "deadline" in rest ? Date.now() : undefined,
    );
    expect(errorsIn(run.errors)).toEqual(expected);
    expect(run.rerun.pkg.summary.status).toBe(rerun);
    record({
      id,
      area: "fault",
      case: what,
      outcome: `run completed; only ${[...new Set(expected)].join(", ")} (${expected.length} item${expected.length > 1 ? "s" : ""}); control incomplete; earlier packages verify; next run reads everything, its package ${rerun}`,
      measured: `${run.calls.faulted} faulted calls of ${run.calls.total}, ${run.seconds.toFixed(1)} s`,
    });
  });

  it.each([
    {
      id: "error500-transient",
      fault: { service: "kms", kind: "error500", times: 3 } as FaultRule,
      what: "the first 3 KMS calls answered 500",
    },
    {
      id: "dropped-transient",
      fault: { service: "secretsmanager", kind: "drop", times: 2 } as FaultRule,
      what: "the first 2 Secrets Manager connections dropped",
    },
  ])("retries $what and loses nothing", async ({ id, fault, what }) => {
    const run = await drill([fault], []);
    expect(run.errors).toEqual([]);
    expect(run.faulted.pkg.summary.status).toBe("effective");
    expect(run.calls.faulted).toBe(fault.times);
    record({
      id,
      area: "fault",
      case: what,
      outcome: "retried; no error item; control effective; earlier packages verify",
      measured: `${run.calls.total} calls, ${run.seconds.toFixed(1)} s`,
    });
  });

  it("waits out slow calls that complete", async () => {
    const slow: FaultRule = { service: "kms", operation: "DescribeKey", kind: "latency", ms: 1_500 };
    const run = await drill([slow], []);
    expect(run.errors).toEqual([]);
    expect(run.faulted.pkg.summary.status).toBe("effective");
    expect(run.seconds).toBeGreaterThanOrEqual(1.5);
    record({
      id: "slow-calls",
      area: "fault",
      case: "every KMS DescribeKey delayed 1.5 s (below the SDK's fixed 30 s requestTimeout, which cannot be lowered from outside)",
      outcome: "run waited; no error item; control effective",
      measured: `${run.seconds.toFixed(1)} s for the run`,
    });
  });

  // When a whole enumeration fails (ListSecrets denied), its error item stands for the population; a later complete
  // listing of the same collector, account and region supersedes it, so a clean re-run the same day clears it.
  it("lets a clean re-run the same day supersede an enumeration that was denied", async () => {
    const store = new LocalStore(root);
    emulator().proxy.inject({ service: "secretsmanager", region: "us-east-2", kind: "deny" });
    const denied = await runCollect({ store });
    expect(denied.pkg.controls[0]?.status).toBe("incomplete");
    emulator().proxy.clearFaults();
    const rerun = await runCollect({ store });
    expect(rerun.snapshot.counts).toMatchObject({ pass: ESTATE_SIZE, error: 0 });
    const stale = rerun.pkg.items.filter((item) => item.status === "error").map((item) => item.resource.name);
    record({
      id: "denied-enumeration-rerun",
      area: "fault",
      case: "ListSecrets denied in us-east-2, then a clean re-run the same day",
      outcome: `the re-run reads all ${rerun.snapshot.counts.pass} resources and supersedes the denied listing; package ${rerun.pkg.summary.status}${
        stale.length > 0 ? ` (stale: ${stale.join(", ")})` : ""
      }`,
    });
    expect(rerun.pkg.summary.status).toBe("effective");
  });
});
