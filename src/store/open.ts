// Opens the S3 store; kept apart so the local path never loads the S3 code.
import type { StoreConfig } from "../config/types.js";
import { UsageError } from "../errors.js";
import type { Store } from "./store.js";

export interface S3StoreOptions {
  bucket: string;
  prefix: string;
  store: StoreConfig;
  region: string;
}

export async function openS3Store(options: S3StoreOptions): Promise<Store> {
  throw new UsageError(`S3 store (bucket ${options.bucket}) is not available in this build; use --out DIR`);
}
