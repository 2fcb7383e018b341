// A list that fills while it is read: the access review walks secrets as their resource policies arrive.
import { describe, expect, it } from "vitest";
import { Replay } from "../src/core/replay.js";

const walk = async <T>(list: AsyncIterable<T>, seen: T[]) => {
  for await (const value of list) seen.push(value);
  return seen;
};

describe("Replay", () => {
  it("gives every walk every value in push order, early walks waiting for later values", async () => {
    const list = new Replay<number>();
    const early: number[] = [];
    const walking = walk(list, early);
    list.push(1);
    list.push(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(early).toEqual([1, 2]);
    list.push(3);
    list.end();
    expect(await walking).toEqual([1, 2, 3]);
    expect(await walk(list, [])).toEqual([1, 2, 3]);
    expect(await list.all()).toEqual([1, 2, 3]);
  });

  it("lets a walk see the values pushed before a failure, then throws it, to every walk", async () => {
    const list = new Replay<string>();
    const seen: string[] = [];
    const walking = walk(list, seen);
    list.push("a");
    list.fail(new Error("AccessDeniedException"));
    await expect(walking).rejects.toThrow("AccessDeniedException");
    expect(seen).toEqual(["a"]);
    await expect(list.all()).rejects.toThrow("AccessDeniedException");
    expect(() => list.push("b")).toThrow(/after the list ended/);
  });
});
