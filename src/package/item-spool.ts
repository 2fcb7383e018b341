// A package's items on disk while it is rendered, with an index of the fields renderers select by: held as objects,
// 42,000 items kept the heap at 125 MB halfway through the PDF; spooled, it was 31 MB as rendering began. Each walk
// parses one item at a time.
import { headOf, matchesFilter } from "../core/package-items.js";
import type { HeadSequence, ItemFilter, ItemHead, ItemSequence, PackageItem, PackageItems } from "../core/package-model.js";
import { LineSpool, type SharedLines } from "./line-spool.js";

/** What the index keeps of each item (its line id is its position), to answer `select` without reading the file. */
interface Entry {
  collector: string;
  controlIds: readonly string[];
  status: PackageItem["status"];
}

/** An ItemSpool as another thread reads it (render-beside.ts): its two files and its index, as plain data. */
export interface SharedItems {
  items: SharedLines;
  heads: SharedLines;
  entries: Entry[];
}

export class ItemSpool implements PackageItems {
  private readonly spool: LineSpool;
  /** Each item's head (ItemHead), line for line: the PDF's control tables read these instead of whole items. */
  private readonly headSpool: LineSpool;
  private readonly entries: Entry[];
  /** One copy of each controlIds list and collector id: the index would otherwise hold one per item. */
  private readonly controlLists = new Map<string, readonly string[]>();
  private readonly collectors = new Map<string, string>();

  /** A new, empty spool; or, given another's `share()`, a read-only view of its items. */
  constructor(shared?: SharedItems) {
    this.spool = new LineSpool(shared?.items);
    this.headSpool = new LineSpool(shared?.heads);
    this.entries = shared?.entries ?? [];
  }

  get length(): number {
    return this.entries.length;
  }

  /** Where the items are, for a reader on another thread (`new ItemSpool(shared)`); this spool still owns the files. */
  share(): SharedItems {
    return { items: this.spool.share(), heads: this.headSpool.share(), entries: this.entries };
  }

  /** Appends an item; the sink of buildPackage. */
  push(item: PackageItem): void {
    const listKey = item.controlIds.join("\n");
    const controlIds = this.controlLists.get(listKey) ?? [...item.controlIds];
    this.controlLists.set(listKey, controlIds);
    const collector = this.collectors.get(item.collector) ?? item.collector;
    this.collectors.set(collector, collector);
    this.spool.append(JSON.stringify(item));
    this.headSpool.append(JSON.stringify(headOf(item)));
    this.entries.push({ collector, controlIds, status: item.status });
  }

  [Symbol.iterator](): Iterator<PackageItem> {
    return parsed<PackageItem>(this.spool, this.entries.keys());
  }

  select(filter: ItemFilter): ItemSequence {
    const chosen = this.chosen(filter);
    return { length: chosen.length, [Symbol.iterator]: () => parsed<PackageItem>(this.spool, chosen.values()) };
  }

  heads(filter: ItemFilter): HeadSequence {
    const chosen = this.chosen(filter);
    return { length: chosen.length, [Symbol.iterator]: () => parsed<ItemHead>(this.headSpool, chosen.values()) };
  }

  lines(): Iterable<string> {
    return { [Symbol.iterator]: () => this.spool.lines(this.entries.keys()) };
  }

  /** Closes and deletes the file; walking it afterwards throws. */
  dispose(): void {
    this.spool.dispose();
    this.headSpool.dispose();
  }

  private chosen(filter: ItemFilter): number[] {
    const chosen: number[] = [];
    for (const [id, entry] of this.entries.entries()) if (matchesFilter(entry, filter)) chosen.push(id);
    return chosen;
  }
}

/** Each line of `ids`, parsed one at a time. */
function* parsed<T>(spool: LineSpool, ids: Iterable<number>): Generator<T> {
  for (const line of spool.lines(ids)) yield JSON.parse(line) as T;
}
