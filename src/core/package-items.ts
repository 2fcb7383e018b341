// Walking a package's items the same way whether they are an array or a spool file (PackageItems).
import type { ItemFilter, ItemSequence, PackageItem, PackageItems } from "./package-model.js";

/** Whether an item, or the fields of it a spool's index keeps, matches the filter. */
export function matchesFilter(item: { collector: string; controlIds: readonly string[]; status: PackageItem["status"] }, filter: ItemFilter): boolean {
  return (
    (filter.collector === undefined || item.collector === filter.collector) &&
    (filter.controlId === undefined || item.controlIds.includes(filter.controlId)) &&
    (filter.statuses === undefined || filter.statuses.includes(item.status))
  );
}

/** The items that match, in package order. */
export function selectItems(items: PackageItems, filter: ItemFilter): ItemSequence {
  if (items.select) return items.select(filter);
  return [...items].filter((item) => matchesFilter(item, filter));
}

/** Each item as one line of JSON. */
export function* itemLines(items: PackageItems): Generator<string> {
  if (items.lines) {
    yield* items.lines();
    return;
  }
  for (const item of items) yield JSON.stringify(item);
}

/** A sequence of `map` applied to each item as it is walked: nothing is held but the one being mapped. */
export function mapItems<T>(items: ItemSequence, map: (item: PackageItem) => T): Iterable<T> & { readonly length: number } {
  return {
    length: items.length,
    *[Symbol.iterator]() {
      for (const item of items) yield map(item);
    },
  };
}
