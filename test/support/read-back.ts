// A collect run's package as the auditor reads it: the job's result with evidence.json read back from the store
// (checked against manifest.json by openPackageFolder), so tests look at the items that were written; the job itself
// spools them and keeps none.
import type { EvidenceDocument } from "../../src/core/package-model.js";
import { openPackageFolder } from "../../src/publish/package-folder.js";
import type { PackageResult } from "../../src/run/jobs.js";
import type { Store } from "../../src/store/store.js";

export type CollectedPackage = Omit<PackageResult, "pkg"> & { pkg: EvidenceDocument };

export async function readBack(store: Store, result: PackageResult | Promise<PackageResult>): Promise<CollectedPackage> {
  const done = await result;
  const folder = await openPackageFolder(store, done.written.prefix);
  return { ...done, pkg: await folder.json<EvidenceDocument>("evidence.json") };
}
