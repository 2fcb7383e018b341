// A test file's AWS environment pointed at its emulator for each test, and a scratch folder for its store.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach } from "vitest";
import type { Emulator } from "./emulator.js";

/** Sets process.env to the emulator's before each test and back after; the folder getter names this test's scratch folder. */
export function useEmulatorEnv(emulator: () => Emulator, prefix: string): () => string {
  let folder = "";
  let saved: NodeJS.ProcessEnv;
  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), prefix));
    saved = { ...process.env };
    Object.assign(process.env, emulator().env);
  });
  afterEach(async () => {
    process.env = saved;
    await rm(folder, { recursive: true, force: true });
  });
  return () => folder;
}
