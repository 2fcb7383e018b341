// The registry: every collector the tool ships, in one explicit sorted list.
import type { Collector, ParamSchema } from "../src/collector.js";
import accessAnalyzerFindings from "./access-analyzer-findings.js";
import cloudtrailDataEvents from "./cloudtrail-data-events.js";
import elbListenerTls from "./elb-listener-tls.js";
import kmsKeyRotation from "./kms-key-rotation.js";
import secretsRotation from "./secrets-rotation.js";
import tlsInTransit from "./tls-in-transit.js";

export const COLLECTORS = [accessAnalyzerFindings, cloudtrailDataEvents, elbListenerTls, kmsKeyRotation, secretsRotation, tlsInTransit] as const satisfies readonly Collector<ParamSchema>[];

export type CollectorId = (typeof COLLECTORS)[number]["id"];

const byId = new Map<string, Collector<ParamSchema>>(
  COLLECTORS.map((collector) => [collector.id, collector as unknown as Collector<ParamSchema>]),
);

export function findCollector(id: string): Collector<ParamSchema> | undefined {
  return byId.get(id);
}

export const collectorIds = (): string[] => [...byId.keys()];
