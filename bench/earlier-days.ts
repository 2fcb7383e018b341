// Fills a local store with earlier days: today's snapshot copied to each of the days before it, its record's day,
// times, run id and file keys moved with it, so the store holds what a daily schedule would have left by now.
import { copyFile, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SnapshotRecord } from "../src/core/package-model.js";
import { snapshotPrefix } from "../src/core/store-layout.js";

const DAY_MS = 86_400_000;

/** Copies the one snapshot under `root` to each of the `days` days before its own; returns the days written. */
export async function copyToEarlierDays(root: string, days: number): Promise<string[]> {
  const { folder, record } = await onlySnapshot(root);
  const text = JSON.stringify(record);
  const written: string[] = [];
  for (let back = 1; back <= days; back += 1) {
    const startedAt = new Date(Date.parse(record.startedAt) - back * DAY_MS).toISOString();
    const runId = `${startedAt.slice(0, 19).replace(/[-:]/g, "")}Z-${record.runId.slice(-6)}`;
    const day = startedAt.slice(0, 10);
    const prefix = snapshotPrefix(day, runId);
    await mkdir(join(root, prefix), { recursive: true });
    for (const file of await readdir(join(root, folder))) {
      if (file !== "snapshot.json") await copyFile(join(root, folder, file), join(root, prefix, file));
    }
    const moved = JSON.parse(text.replaceAll(folder, prefix.replace(/\/$/, "")).replaceAll(record.runId, runId)) as SnapshotRecord;
    const finishedAt = new Date(Date.parse(record.finishedAt) - back * DAY_MS).toISOString();
    await writeFile(join(root, prefix, "snapshot.json"), JSON.stringify({ ...moved, day, startedAt, finishedAt }));
    written.push(day);
  }
  return written;
}

async function onlySnapshot(root: string): Promise<{ folder: string; record: SnapshotRecord }> {
  const found: string[] = [];
  const walk = async (folder: string, depth: number): Promise<void> => {
    for (const entry of await readdir(join(root, folder))) {
      if (depth === 0) found.push(`${folder}/${entry}`);
      else await walk(`${folder}/${entry}`, depth - 1);
    }
  };
  await walk("snapshots", 3);
  if (found.length !== 1) throw new Error(`${root} holds ${found.length} snapshots; the earlier days are copied from exactly one`);
  const folder = found[0] as string;
  return { folder, record: JSON.parse(await readFile(join(root, folder, "snapshot.json"), "utf8")) as SnapshotRecord };
}
