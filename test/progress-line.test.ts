// The live progress line as a pure object: fed run events and a clock, it says what a person would read.
import { describe, expect, it } from "vitest";
import { estimateLeft, formatDuration, ProgressLine } from "../src/cli/progress.js";

function line(columns?: number) {
  // A wall clock, as Date.now() is: far from zero.
  const origin = 1_800_000_000_000;
  let clock = origin;
  const writes: string[] = [];
  const progress = new ProgressLine({ write: (text) => writes.push(text), now: () => clock, columns: () => columns });
  return { progress, writes, at: (ms: number) => (clock = origin + ms) };
}

describe("ProgressLine", () => {
  it("counts cells, resources and calls per second, and estimates what is left from the cells done", () => {
    const { progress, at } = line();
    progress.observe("snapshot.start", { tasks: 4 });
    for (let i = 0; i < 30; i += 1) progress.observe("aws.call", {});
    for (let i = 0; i < 7; i += 1) progress.observe("collector.item", {});
    at(10_000);
    progress.observe("collector.done", {});
    expect(progress.text()).toBe("[1/4] 7 resources | 3.0 calls/s | 10s elapsed | ~30s left");
  });

  it("says it is estimating until the first cell is done", () => {
    const { progress, at } = line();
    progress.observe("snapshot.start", { tasks: 2 });
    at(65_000);
    expect(progress.text()).toBe("[0/2] 0 resources | 0.0 calls/s | 1m05s elapsed | estimating");
  });

  it.each([
    [1_000, "2 throttled, backing off"],
    [9_000, "2 throttled"],
  ])("shows throttling, and backing off only while the last throttle is recent (%i ms later)", (later, shown) => {
    const { progress, at } = line();
    progress.observe("snapshot.start", { tasks: 1 });
    progress.observe("aws.call", { throttled: true });
    progress.observe("aws.call", { throttled: true });
    at(later);
    expect(progress.text().split(" | ")[2]).toBe(shown);
  });

  it("shows packaging phases, then clears the line when the package is done", () => {
    const { progress, writes } = line();
    progress.observe("package.read", { done: 3, total: 92 });
    expect(progress.text()).toBe("reading snapshots 3/92");
    progress.observe("package.render", { format: "pdf", done: 0, total: 0 });
    expect(progress.text()).toBe("rendering pdf");
    progress.observe("package.done", {});
    expect(progress.text()).toBe("");
    expect(writes.at(-1)).toBe("\r\x1b[2K");
  });

  it("redraws in place, at most every 200 ms between finished cells, and never past the terminal width", () => {
    const { progress, writes, at } = line(20);
    progress.observe("snapshot.start", { tasks: 3 });
    expect(writes).toHaveLength(1);
    expect(writes[0]?.startsWith("\r\x1b[2K")).toBe(true);
    expect(writes[0]?.length).toBeLessThanOrEqual("\r\x1b[2K".length + 19);
    at(100);
    progress.observe("collector.item", {});
    expect(writes).toHaveLength(1);
    at(250);
    progress.observe("collector.item", {});
    expect(writes).toHaveLength(2);
    at(260);
    progress.observe("collector.done", {});
    expect(writes).toHaveLength(3);
  });

  it("ignores events it does not show, and calls before a run starts", () => {
    const { progress, writes } = line();
    progress.observe("aws.call", {});
    progress.observe("node.warning", { message: "x" });
    expect(writes).toEqual([]);
    expect(progress.text()).toBe("");
  });
});

describe("formatDuration and estimateLeft", () => {
  it.each([
    [0, "0s"],
    [59_400, "59s"],
    [60_000, "1m00s"],
    [3_723_000, "62m03s"],
    [-5, "0s"],
  ])("%i ms reads %s", (ms, text) => expect(formatDuration(ms)).toBe(text));

  it.each([
    [10_000, 0, 4, undefined],
    [10_000, 1, 4, 30_000],
    [10_000, 4, 4, 0],
    [10_000, 5, 4, 0],
  ])("after %i ms with %i of %i cells done, %s ms are left", (elapsed, done, total, left) =>
    expect(estimateLeft(elapsed, done, total)).toBe(left),
  );
});
