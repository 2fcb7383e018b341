import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { readLines } from "../src/package/read-lines.js";

const collect = async (chunks: (Buffer | string)[]) => {
  const lines: string[] = [];
  for await (const line of readLines(Readable.from(chunks))) lines.push(line);
  return lines;
};

describe("readLines", () => {
  it.each([
    ["one chunk, a newline after the last line", ["a\nb\n"], ["a", "b"]],
    ["no newline after the last line", ["a\nb"], ["a", "b"]],
    ["CRLF line ends", ["a\r\nb\r\n"], ["a", "b"]],
    ["a line across three chunks", ["{\"na", "me\":\"x", "\"}\nz\n"], ['{"name":"x"}', "z"]],
    ["a CRLF split between chunks", ["a\r", "\nb"], ["a", "b"]],
    ["empty lines kept for the caller to skip", ["a\n\n\nb\n"], ["a", "", "", "b"]],
    ["nothing", [], []],
  ])("splits %s", async (_, chunks, expected) => {
    expect(await collect(chunks)).toEqual(expected);
  });

  it("reads a character whose bytes fall in two chunks whole", async () => {
    const bytes = Buffer.from('{"owner":"Zoë 名前"}\n', "utf8");
    const cut = bytes.indexOf(Buffer.from("ë", "utf8")) + 1; // inside the two bytes of ë
    expect(await collect([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(['{"owner":"Zoë 名前"}']);
  });

  it("keeps a carried line whole when the stream reuses its buffer for the next chunk", async () => {
    const shared = Buffer.alloc(4);
    async function* reused() {
      shared.write("abcd");
      yield shared;
      shared.write("ef\ng");
      yield shared;
    }
    const lines: string[] = [];
    for await (const line of readLines(reused())) lines.push(line);
    expect(lines).toEqual(["abcdef", "g"]);
  });
});
