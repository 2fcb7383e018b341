// Reads two collectors of a run need alike are made once, and each collector's evidence still names the calls.
import { describe, expect, it } from "vitest";
import { SharedReads, sharedRead } from "../src/core/shared-reads.js";
import { CallTrace } from "../src/core/trace.js";

const NOW = () => new Date("2026-12-01T06:00:00Z");
const answer = (requestId: string) => ({ $metadata: { requestId } });

describe("shared reads", () => {
  it("reads once for concurrent callers, and gives each caller's trace the calls behind the answer", async () => {
    const shared = new SharedReads().read;
    let reads = 0;
    const read = async (trace: CallTrace) => {
      reads += 1;
      trace.record("ListSecrets", answer("r-1")).record("GetResourcePolicy", answer("r-2"));
      return ["secret-a"];
    };
    const policy = new CallTrace("iam", NOW).record("GetAccountAuthorizationDetails", answer("r-0"));
    const review = new CallTrace("iam", NOW);
    const [first, second] = await Promise.all([
      sharedRead({ account: "111122223333", shared }, "secrets", policy, read),
      sharedRead({ account: "111122223333", shared }, "secrets", review, read),
    ]);
    expect(reads).toBe(1);
    expect(first).toBe(second);
    expect(policy.source()).toMatchObject({ operations: ["GetAccountAuthorizationDetails", "ListSecrets", "GetResourcePolicy"], requestIds: ["r-0", "r-1", "r-2"] });
    expect(review.source()).toMatchObject({ operations: ["ListSecrets", "GetResourcePolicy"], requestIds: ["r-1", "r-2"] });
  });

  it("keeps accounts apart, and reads directly without a run's shared reads", async () => {
    const shared = new SharedReads().read;
    let reads = 0;
    const read = async () => ++reads;
    await sharedRead({ account: "111122223333", shared }, "secrets", new CallTrace("iam", NOW), read);
    await sharedRead({ account: "444455556666", shared }, "secrets", new CallTrace("iam", NOW), read);
    await sharedRead({ account: "111122223333" }, "secrets", new CallTrace("iam", NOW), read);
    expect(reads).toBe(3);
  });

  it("fails every caller of a failed read alike", async () => {
    const shared = new SharedReads().read;
    const read = () => Promise.reject(new Error("AccessDeniedException"));
    const ctx = { account: "111122223333", shared };
    await expect(sharedRead(ctx, "iam", new CallTrace("iam", NOW), read)).rejects.toThrow("AccessDeniedException");
    await expect(sharedRead(ctx, "iam", new CallTrace("iam", NOW), read)).rejects.toThrow("AccessDeniedException");
  });
});
