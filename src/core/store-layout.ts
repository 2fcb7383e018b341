// Where everything lives in a store (SPEC section 7): every key is built here and only here.
//   snapshots/<yyyy>/<mm>/<dd>/<runId>/<collector>.jsonl + snapshot.json (parts: part-<i>-of-<n>/part.json)
//   packages/<period>/<runId>/manifest.json, evidence.json, report.pdf, vanta/, drata/, oscal/
//   packages/<period>/latest.json
import type { Shard } from "./package-model.js";

export const MANIFEST_FILE = "manifest.json";
export const SNAPSHOT_RECORD = "snapshot.json";
export const PART_RECORD = "part.json";
export const LATEST_POINTER = "latest.json";

export const SNAPSHOTS = "snapshots/";

/** The folder of one month's snapshots, for listing a period without reading every day. */
export const snapshotMonthPrefix = (month: string): string => {
  const [year, mm] = month.split("-");
  return `${SNAPSHOTS}${year}/${mm}/`;
};

export function snapshotPrefix(day: string, runId: string): string {
  const [year, month, date] = day.split("-");
  return `${SNAPSHOTS}${year}/${month}/${date}/${runId}/`;
}

export const partPrefix = (day: string, runId: string, shard: Shard): string =>
  `${snapshotPrefix(day, runId)}part-${shard.index}-of-${shard.count}/`;

export const periodFolder = (periodLabel: string): string => `packages/${periodLabel}/`;

export const packagePrefix = (periodLabel: string, runId: string): string => `${periodFolder(periodLabel)}${runId}/`;

export const latestPointerKey = (periodLabel: string): string => `${periodFolder(periodLabel)}${LATEST_POINTER}`;

/** A path from a package's own folder (or `depth` folders below it) back to the store root. */
export const fromPackageToRoot = (depth = 0): string => "../".repeat(3 + depth);
