// Identity keys, built here and only here: a collector use, and a resource as one use (or any use) of it sees it.
// Keys are JSON arrays, so no part can collide with another's separator and nothing ever splits them apart.
import type { EvidenceItem } from "./model.js";

type Keyed = Pick<EvidenceItem, "collector" | "controlIds" | "account" | "region" | "resource">;

/** One collector serving one set of controls (the same collector with other parameters is another use). */
export const useKey = (collector: string, controlIds: readonly string[]): string =>
  JSON.stringify([collector, [...controlIds].sort()]);

/** A resource as one collector use sees it across snapshots; the name separates several findings on one ARN. */
export const resourceKey = (item: Keyed): string =>
  JSON.stringify([item.collector, [...item.controlIds].sort(), item.account, item.region, item.resource.arn, item.resource.name]);

/** A resource as its collector sees it, whichever controls it serves (one platform record per resource). */
export const resourceIdentity = (item: Keyed): string =>
  JSON.stringify([item.collector, item.account, item.region, item.resource.arn, item.resource.name]);

/** Population owner: one collector in one account (enumeration errors are superseded per owner). */
export const ownerKey = (collector: string, account: string): string => JSON.stringify([collector, account]);
