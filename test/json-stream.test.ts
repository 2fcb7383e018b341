// Package files with per-resource arrays are written as they are made, and read exactly as JSON.stringify writes.
import { describe, expect, it } from "vitest";
import { prettyJsonStreaming } from "../reports/json-stream.js";

const text = (value: unknown, arrays: Parameters<typeof prettyJsonStreaming>[1]) => [...prettyJsonStreaming(value, arrays)].join("");

describe("prettyJsonStreaming", () => {
  it.each([
    { name: "an empty array", items: [] },
    { name: "one item", items: [{ a: 1 }] },
    { name: "nested items with quotes and line breaks", items: [{ a: [1, { b: 'say "hi"\n' }] }, "text", 3, null] },
  ])("writes $name at any depth as JSON.stringify does", ({ items }) => {
    const value = { before: 1, deep: { deeper: { list: [] as unknown[], after: "x" } }, last: [1, 2] };
    expect(text(value, [{ path: ["deep", "deeper", "list"], items }])).toBe(
      JSON.stringify({ ...value, deep: { deeper: { list: items, after: "x" } } }, null, 2) + "\n",
    );
    expect(value.deep.deeper.list).toEqual([]);
  });

  it("streams several arrays, through array indexes, in the order the text has them, whatever order they are given", () => {
    const value = { results: [{ inventory: [] as unknown[], title: "t", observations: [] as unknown[] }] };
    const inventory = [{ id: "i1" }, { id: "i2" }];
    const observations = [{ id: "o1", props: [{ name: "n" }] }];
    const written = text(value, [
      { path: ["results", 0, "observations"], items: observations, compact: true },
      { path: ["results", 0, "inventory"], items: inventory },
    ]);
    expect(JSON.parse(written)).toEqual({ results: [{ inventory, title: "t", observations }] });
    // Compact items keep one line each, indented as their array's elements.
    expect(written).toContain('"observations": [\n        {"id":"o1","props":[{"name":"n"}]}\n      ]');
    expect(written).toBe(
      JSON.stringify({ results: [{ inventory, title: "t", observations: ["@"] }] }, null, 2).replace('"@"', JSON.stringify(observations[0])) + "\n",
    );
  });

  it("walks each array's items only while writing", () => {
    let walked = 0;
    const items = { *[Symbol.iterator]() { walked += 1; yield 1; } };
    const chunks = prettyJsonStreaming({ list: [] }, [{ path: ["list"], items }]);
    expect(walked).toBe(0);
    expect([...chunks].join("")).toBe('{\n  "list": [\n    1\n  ]\n}\n');
    expect(walked).toBe(1);
  });

  it("refuses a path whose array the text would not hold, rather than write the text without it", () => {
    // A Date is written as its toJSON string: a property set on it never reaches the text.
    expect(() => text({ when: new Date(0) }, [{ path: ["when", "list"], items: [1] }])).toThrow(/no array at \["when","list"\]/);
  });
});
