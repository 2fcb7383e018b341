// The shapes of the IAM policies the tool prints, and what a policy is built for.
import type { ControlsConfig } from "../config/types.js";

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

export interface PolicyTarget {
  config: ControlsConfig;
  partition?: string;
  /** Only these controls' collectors (--controls). */
  controls?: readonly string[];
  /** The evidence bucket (--bucket, else store.bucket); none means the local folder store. */
  bucket?: string;
  /** Key prefix inside the bucket, ending in "/" or empty. */
  prefix?: string;
  /** The bucket's region, for kms:ViaService (default: the first scope region, as the store uses). */
  storeRegion?: string;
  /** ARN of the customer-managed KMS key the bucket encrypts with (SSE-KMS); absent: SSE-S3. */
  bucketKmsKey?: string;
  /** Manifest signing key: ARN, key id, alias name or alias ARN (default store.signingKey). */
  signingKey?: string;
  /** Where the container reads controls.yaml from, when it is an S3 object. */
  configObject?: { bucket: string; key: string };
}
