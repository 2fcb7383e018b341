// Runs one collector against the emulator the way the runner does, for integration tests.
import { AwsClients } from "../../src/aws/clients.js";
import { probeTls } from "../../src/aws/tls-probe.js";
import type { CollectContext, RegisteredCollector } from "../../src/core/collector.js";
import { expectDeclaredCalls } from "./permissions.js";
import { silentLogger } from "../../src/cli/log.js";
import type { ItemDraft } from "../../src/core/model.js";
import { DEFAULT_ACCOUNT, type Emulator } from "./emulator.js";

export interface TestContextOptions {
  account?: string;
  region?: string;
  regions?: string[];
  now?: Date;
  evidenceBucket?: string;
  period?: CollectContext["period"];
  maxAttempts?: number;
  /** Epoch ms after which a throttled call is not retried (the item says RunDeadlineExceeded). */
  deadline?: number;
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
      ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
    }),
    now: () => now,
    log: silentLogger,
    probeTls,
    ...(emulator.env.AWS_ENDPOINT_URL ? { endpoint: emulator.env.AWS_ENDPOINT_URL } : {}),
    ...(options.evidenceBucket ? { evidenceBucket: options.evidenceBucket } : {}),
    ...(options.period ? { period: options.period } : {}),
  };
}

/** Collects every item a collector yields, with its default parameters unless given. */
export async function collectAll(
  collector: RegisteredCollector,
  ctx: CollectContext,
  params: Readonly<Record<string, unknown>> = {},
): Promise<ItemDraft[]> {
  const items: ItemDraft[] = [];
  try {
    for await (const item of collector.bind(params).collect(ctx)) items.push(item);
  } finally {
    // Every integration test that collects checks the calls it saw against the declared permissions.
    if (ctx.clients instanceof AwsClients) expectDeclaredCalls(collector, ctx.clients.ledger);
  }
  return items;
}
