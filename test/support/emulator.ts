// The AWS emulator every integration test and the demo use: moto behind the test proxy, one per test file.
import { afterAll, beforeAll, beforeEach } from "vitest";
import { startMoto, type MotoServer } from "./moto.js";
import { startProxy, type TestProxy } from "./proxy.js";
import { DEFAULT_ACCOUNT, SEED_USER_AGENT, accessKeyForAccount } from "./proxy-identify.js";

export { DEFAULT_ACCOUNT } from "./proxy-identify.js";

export interface Emulator {
  /** The proxy's URL: what AWS_ENDPOINT_URL points at. */
  readonly endpoint: string;
  readonly moto: MotoServer;
  readonly proxy: TestProxy;
  /** Environment for a CLI process run against the emulator; merge it over process.env. */
  readonly env: Record<string, string>;
  /** Empties moto and forgets every call, fault, quota, patch and seed. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startEmulator(): Promise<Emulator> {
  const moto = await startMoto();
  let proxy: TestProxy;
  try {
    proxy = await startProxy(moto.url);
  } catch (error) {
    await moto.stop();
    throw error;
  }
  const endpoint = proxy.url;
  return {
    endpoint,
    moto,
    proxy,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: "testing",
      AWS_SECRET_ACCESS_KEY: "testing",
      AWS_SESSION_TOKEN: "",
      AWS_REGION: "us-east-1",
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_MAX_ATTEMPTS: "3",
      AWS_RETRY_MODE: "standard",
      // Pinned so the SDK's announced retry change cannot alter test behaviour silently (aws-quotas.md).
      AWS_NEW_RETRIES_2026: "false",
      AWS_REQUEST_CHECKSUM_CALCULATION: "when_required",
      AWS_RESPONSE_CHECKSUM_VALIDATION: "when_required",
    },
    async reset() {
      await moto.reset();
      proxy.reset();
    },
    async stop() {
      await proxy.close().finally(() => moto.stop());
    },
  };
}

/**
 * One emulator for the test file: started before all tests, reset before each, stopped after all.
 * Returns a getter to call inside tests and hooks.
 */
export function useEmulator(): () => Emulator {
  let emulator: Emulator | undefined;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  beforeEach(async () => {
    await emulator?.reset();
  });
  afterAll(async () => {
    await emulator?.stop();
  });
  return () => {
    if (!emulator)
      throw new Error("useEmulator(): the emulator is not running; use the getter inside tests or hooks");
    return emulator;
  };
}

export interface ClientConfigOptions {
  /**
   * Fixture traffic (the default) is tagged so the proxy neither records nor faults it. Pass false for a client
   * that stands in for the code under test: its calls are recorded, faulted and throttled like the CLI's.
   */
  fixture?: boolean;
}

/**
 * SDK client config for talking to the emulator (seeding and reading back state). Calls go through the proxy, so
 * moto fixes and patches apply. `account` acts in another account without an AssumeRole round trip. S3 needs
 * path-style addressing and no default checksums against moto.
 */
export function clientConfig(
  emulator: Pick<Emulator, "endpoint">,
  region = "us-east-1",
  account = DEFAULT_ACCOUNT,
  { fixture = true }: ClientConfigOptions = {},
) {
  return {
    endpoint: emulator.endpoint,
    region,
    credentials: { accessKeyId: accessKeyForAccount(account), secretAccessKey: "testing" },
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED" as const,
    responseChecksumValidation: "WHEN_REQUIRED" as const,
    ...(fixture ? { customUserAgent: SEED_USER_AGENT } : {}),
  };
}
