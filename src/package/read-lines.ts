// The lines of a stored JSON-lines file, decoded one at a time from the bytes as they arrive.

/**
 * Each line of `input` (split on "\n", a "\r" before it dropped), the last one too when it has no newline. Only whole
 * lines are decoded, so a character split between two chunks is read whole. Reading and parsing the access review
 * bench's 97 MB snapshot took 0.35 to 0.54 s this way against 0.61 to 0.75 s through node:readline, which spent about
 * 0.1 s splitting and joining strings (three alternating rounds; CPU profile of packaging).
 */
export async function* readLines(input: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  let carried: Buffer[] = [];
  for await (const piece of input) {
    const chunk = typeof piece === "string" ? Buffer.from(piece, "utf8") : piece;
    let start = 0;
    for (let newline = chunk.indexOf(10); newline !== -1; newline = chunk.indexOf(10, start)) {
      const bytes = carried.length > 0 ? Buffer.concat([...carried, chunk.subarray(start, newline)]) : chunk.subarray(start, newline);
      carried = [];
      yield decode(bytes);
      start = newline + 1;
    }
    // A stream may reuse its buffers: the unfinished line is copied.
    if (start < chunk.length) carried.push(Buffer.from(chunk.subarray(start)));
  }
  if (carried.length > 0) yield decode(Buffer.concat(carried));
}

const decode = (bytes: Buffer): string =>
  bytes.length > 0 && bytes[bytes.length - 1] === 13 ? bytes.toString("utf8", 0, bytes.length - 1) : bytes.toString("utf8");
