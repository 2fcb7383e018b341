// Walking a package's items the same way whether they are an array or a spool file (PackageItems).
import type { HeadSequence, ItemFilter, ItemHead, ItemSequence, PackageItem, PackageItems, Sequence } from "./package-model.js";

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

/** The heads of the items that match, in package order: a spool reads only them, an array's items are their own. */
export function selectHeads(items: PackageItems, filter: ItemFilter): HeadSequence {
  return items.heads ? items.heads(filter) : selectItems(items, filter);
}

/** An item's head: the fields ItemHead names, optional ones only when the item has them. */
export function headOf(item: PackageItem): ItemHead {
  return {
    collector: item.collector,
    controlIds: item.controlIds,
    account: item.account,
    region: item.region,
    resource: item.resource,
    status: item.status,
    reason: item.reason,
    ...(item.exception ? { exception: item.exception } : {}),
    ...(item.period ? { period: item.period } : {}),
    source: { collectedAt: item.source.collectedAt },
  };
}

/** A sequence of `map` applied to each item as it is walked: nothing is held but the one being mapped. */
export function mapItems<I, T>(items: Sequence<I>, map: (item: I) => T): Sequence<T> {
  return {
    length: items.length,
    *[Symbol.iterator]() {
      for (const item of items) yield map(item);
    },
  };
}
