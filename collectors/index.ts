// The registry: every collector the tool ships, in one explicit sorted list.
import type { RegisteredCollector } from "../src/core/collector.js";
import accessAnalyzerFindings from "./access-analyzer-findings.js";
import cloudtrailDataEvents from "./cloudtrail-data-events.js";
import ecsTaskSecrets from "./ecs-task-secrets.js";
import elbListenerTls from "./elb-listener-tls.js";
import kmsKeyRotation from "./kms-key-rotation.js";
import secretsAccessPolicy from "./secrets-access-policy.js";
import secretsAccessReview from "./secrets-access-review.js";
import secretsEncryption from "./secrets-encryption.js";
import secretsHygiene from "./secrets-hygiene.js";
import secretsMonitoring from "./secrets-monitoring.js";
import secretsRotation from "./secrets-rotation.js";
import tlsInTransit from "./tls-in-transit.js";

export const COLLECTORS = [
  accessAnalyzerFindings,
  cloudtrailDataEvents,
  ecsTaskSecrets,
  elbListenerTls,
  kmsKeyRotation,
  secretsAccessPolicy,
  secretsAccessReview,
  secretsEncryption,
  secretsHygiene,
  secretsMonitoring,
  secretsRotation,
  tlsInTransit,
] as const satisfies readonly RegisteredCollector[];

export type CollectorId = (typeof COLLECTORS)[number]["id"];

const byId = new Map<string, RegisteredCollector>(COLLECTORS.map((collector) => [collector.id, collector]));

export function findCollector(id: string): RegisteredCollector | undefined {
  return byId.get(id);
}

export const collectorIds = (): string[] => [...byId.keys()];
