// publish reads a package straight from the S3 evidence bucket: by s3:// location, or as --period's latest package.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FORMATS } from "../reports/renderer.js";
import { writePackage } from "../src/package/write.js";
import { openS3Store } from "../src/store/open.js";
import { kmsOnlyConfig } from "./fixtures/controls.js";
import { createEvidenceBucket, fixtureS3 } from "./fixtures/evidence-bucket.js";
import { syntheticPackage } from "./fixtures/package.js";
import { useEmulatorEnv } from "./support/context.js";
import { useEmulator } from "./support/emulator.js";
import { publish, root, standIn, uploads, usePublishHarness } from "./support/publish-harness.js";

const emulator = useEmulator();
usePublishHarness();
const BUCKET = "acme-soc2-evidence";

async function packageInBucket(): Promise<string> {
  useEmulatorEnv(emulator());
  await createEvidenceBucket(fixtureS3(emulator()), BUCKET);
  const store = await openS3Store({ bucket: BUCKET, prefix: "soc2/", store: { prefix: "soc2/" }, region: "us-east-1" });
  await store.preflight();
  const written = await writePackage(syntheticPackage({ items: 60 }), store, [...FORMATS]);
  return `s3://${BUCKET}/soc2/${written.prefix}`;
}

describe("publish from the S3 store", () => {
  it("publishes a package by its s3:// location, checking every file against the manifest", async () => {
    const location = await packageInBucket();
    expect(await publish("--to", "vanta", "--package", location)).toBe(0);
    expect(standIn.rejections).toEqual([]);
    expect(uploads()).toHaveLength(4);
    const reads = emulator().proxy.calls.filter((call) => call.service === "s3" && call.operation === "GetObject");
    expect(reads.length).toBeGreaterThanOrEqual(5);
  });

  it("publishes the latest package of --period from the bucket named in controls.yaml", async () => {
    await packageInBucket();
    const config = join(root, "controls.yaml");
    await writeFile(
      config,
      kmsOnlyConfig({ store: `bucket: ${BUCKET}, prefix: soc2/` }),
    );
    expect(await publish("--to", "drata", "--period", "2026-Q3", "--config", config)).toBe(0);
    expect(standIn.rejections).toEqual([]);
    expect(standIn.requests.some((request) => request.method === "POST")).toBe(true);
  });
});
