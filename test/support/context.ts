// Runs one collector against the emulator the way the runner does, for integration tests.
import { AwsClients } from "../../src/aws/clients.js";
import { defaultsOf, type CollectContext, type Collector, type ParamSchema } from "../../src/collector.js";
import { silentLogger } from "../../src/log.js";
import type { ItemDraft } from "../../src/model.js";
import { DEFAULT_ACCOUNT, type Emulator } from "./emulator.js";

export interface TestContextOptions {
  account?: string;
  region?: string;
  regions?: string[];
  now?: Date;
  evidenceBucket?: string;
  period?: CollectContext["period"];
  maxAttempts?: number;
}

/** Points the SDK's default credential chain and endpoint at the emulator for this process. */
export function useEmulatorEnv(emulator: Emulator): () => void {
  const saved = { ...process.env };
  Object.assign(process.env, emulator.env);
  return () => {
    process.env = saved;
  };
}

export function testContext(
  emulator: Emulator,
  options: TestContextOptions = {},
): CollectContext & { clients: AwsClients } {
  useEmulatorEnv(emulator);
  const now = options.now ?? new Date();
  const region = options.region ?? "us-east-1";
  return {
    account: options.account ?? DEFAULT_ACCOUNT,
    region,
    regions: options.regions ?? [region],
    partition: "aws",
    clients: new AwsClients({
      callerAccount: DEFAULT_ACCOUNT,
      partition: "aws",
      assumeRole: "soc2-evidence-reader",
      maxAttempts: options.maxAttempts ?? 3,
    }),
    now: () => now,
    log: silentLogger,
    ...(options.evidenceBucket ? { evidenceBucket: options.evidenceBucket } : {}),
    ...(options.period ? { period: options.period } : {}),
  };
}

/** Collects every item a collector yields, with its default parameters unless given. */
export async function collectAll<S extends ParamSchema>(
  collector: Collector<S>,
  ctx: CollectContext,
  params: Partial<Record<keyof S, unknown>> = {},
): Promise<ItemDraft[]> {
  const items: ItemDraft[] = [];
  for await (const item of collector.collect(ctx, { ...defaultsOf(collector.params), ...params } as never))
    items.push(item);
  return items;
}
