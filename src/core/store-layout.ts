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

/** Longest key accepted from a manifest or a command line (S3's own limit is 1024 bytes). */
export const MAX_KEY_LENGTH = 1024;

/**
 * Why a key read from a manifest, a run id or a prefix could leave its root, or undefined when it is a plain relative
 * key: no absolute path, no `.` or `..` segment, no backslash, NUL or empty segment.
 */
export function unsafeKeyReason(key: unknown): string | undefined {
  if (typeof key !== "string" || key === "") return "not a non-empty path";
  if (key.length > MAX_KEY_LENGTH) return `longer than ${MAX_KEY_LENGTH} characters`;
  if (key.includes("\0")) return "contains a NUL character";
  if (key.includes("\\")) return "contains a backslash";
  if (key.startsWith("/") || /^[A-Za-z]:/.test(key)) return "is an absolute path";
  const segments = key.split("/");
  if (segments.some((segment) => segment === ".." || segment === ".")) return "has a . or .. segment that leaves its folder";
  if (segments.some((segment) => segment === "")) return "has an empty segment (//)";
  return undefined;
}
