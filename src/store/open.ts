// Opens the S3 store; kept apart so the local path never loads the S3 code.
import type { StoreConfig } from "../config/types.js";
import type { Store } from "./store.js";

export interface S3StoreOptions {
  bucket: string;
  prefix: string;
  store: StoreConfig;
  region: string;
}

/** An S3Store for the bucket, signing manifests with store.signingKey when one is configured. Nothing is called yet. */
export async function openS3Store(options: S3StoreOptions): Promise<Store> {
  const [{ S3Store, createS3Client }, { manifestSignerFor }] = await Promise.all([
    import("./s3.js"),
    import("../integrity/sign.js"),
  ]);
  const { signingKey, retainDays } = options.store;
  return new S3Store({
    client: createS3Client(options.region),
    bucket: options.bucket,
    prefix: options.prefix,
    region: options.region,
    ...(retainDays !== undefined ? { retainDays } : {}),
    ...(signingKey ? { signer: manifestSignerFor(signingKey, options.region) } : {}),
  });
}
