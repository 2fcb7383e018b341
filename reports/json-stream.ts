// JSON text exactly as JSON.stringify(value, null, 2) writes it, with some arrays taken from iterables as the text is
// written: a package's per-resource arrays (Drata records, Vanta resources, OSCAL inventory and observations) are
// never all in memory, as objects or as one string. Streaming Drata's 42,000 records took its rendering of the large
// estate's store from 511 to 367 MB peak RSS (a packaging-only probe).

export interface StreamedArray {
  /** Where the array sits in the value: keys, and indexes of arrays on the way. */
  path: readonly (string | number)[];
  items: Iterable<unknown>;
  /** Each item as compact JSON on its own line (OSCAL's observations) instead of indented. */
  compact?: boolean;
}

/** The text of `value` with each streamed array in place of what is at its path, then a newline. */
export function* prettyJsonStreaming(value: unknown, arrays: readonly StreamedArray[]): Generator<string> {
  const copy = structuredClone(value);
  const markers = arrays.map((_, index) => JSON.stringify(`\u0000streamed array ${index}\u0000`));
  arrays.forEach(({ path }, index) => {
    let parent = copy as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    parent[path.at(-1) as string | number] = JSON.parse(markers[index] as string);
  });
  const text = JSON.stringify(copy, null, 2);
  const found = markers
    .map((marker, index) => ({ index, at: text.indexOf(marker), length: marker.length }))
    .sort((left, right) => left.at - right.at);
  const lost = found.find(({ at }) => at < 0);
  if (lost) throw new Error(`no array at ${JSON.stringify(arrays[lost.index]?.path)} to stream into`);
  let from = 0;
  for (const { index, at, length } of found) {
    const { items, compact } = arrays[index] as StreamedArray;
    yield text.slice(from, at);
    const lineStart = text.lastIndexOf("\n", at) + 1;
    const indent = `${/^ */.exec(text.slice(lineStart, at))?.[0] ?? ""}  `;
    let first = true;
    for (const item of items) {
      const json = compact ? JSON.stringify(item) : JSON.stringify(item, null, 2).replace(/\n/g, `\n${indent}`);
      yield `${first ? "[" : ","}\n${indent}${json}`;
      first = false;
    }
    yield first ? "[]" : `\n${indent.slice(2)}]`;
    from = at + length;
  }
  yield `${text.slice(from)}\n`;
}
