// Whether the evidence bucket itself enforces TLS: the store records its policy, and tls-in-transit's rule judges it.
import { judgeBucket } from "../../collectors/tls-in-transit.judge.js";
import type { StoreFacts } from "../core/package-model.js";
import { partitionOf } from "../store/preflight.js";

/** The store facts with `tlsEnforced` set and a warning when the bucket policy does not deny non-TLS requests. */
export function judgeStoreTransport(facts: StoreFacts): StoreFacts {
  if (facts.kind !== "s3" || facts.bucketPolicy === undefined || !facts.bucket) return facts;
  const verdict = judgeBucket(
    {
      bucket: facts.bucket,
      arn: `arn:${partitionOf(facts.region ?? "")}:s3:::${facts.bucket}`,
      region: facts.region ?? "us-east-1",
      evidenceBucket: true,
      ...(facts.bucketPolicy !== null ? { policy: facts.bucketPolicy } : {}),
    },
    { minTlsVersion: "TLSv1.2" },
  );
  const tlsEnforced = verdict.status === "pass";
  return { ...facts, tlsEnforced, warnings: tlsEnforced ? facts.warnings : [...facts.warnings, verdict.reason] };
}
