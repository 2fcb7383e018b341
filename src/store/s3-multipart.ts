// Large evidence files as multipart uploads: every part carries its SHA-256, and completion is If-None-Match: *.
import type { CompletedPart, CompleteMultipartUploadOutput, CreateMultipartUploadRequest, S3Client } from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { sdk } from "../core/sdk.js";

const { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, UploadPartCommand } = sdk("@aws-sdk/client-s3");

export interface PartsUploaded {
  result: CompleteMultipartUploadOutput;
  /** SHA-256 of the whole file, hex: what the manifest records. */
  sha256: string;
  /** The composite checksum S3 should report: base64 SHA-256 of the part digests. */
  checksum: string;
}

/** A body's SHA-256, raw: S3 takes it base64 (ChecksumSHA256), the manifest hex. */
export const sha256 = (body: Buffer) => createHash("sha256").update(body).digest();

/** S3 takes at most 10,000 parts of 5 MiB to 5 GiB (AmazonS3/latest/userguide/qfacts.html). */
const MAX_PARTS = 10_000;

/** The part size for a file: the preferred one, unless its parts would then number more than S3 takes. */
export const partSizeFor = (size: number, preferred: number): number => Math.max(preferred, Math.ceil(size / MAX_PARTS));

/** Uploads `file` in parts of `partSize`; on any failure the upload is aborted so no parts linger. */
export async function uploadInParts(
  client: S3Client,
  create: CreateMultipartUploadRequest & { Bucket: string; Key: string },
  file: string,
  size: number,
  partSize: number,
): Promise<PartsUploaded> {
  const target = { Bucket: create.Bucket, Key: create.Key };
  let uploadId: string | undefined;
  const handle = await open(file);
  try {
    ({ UploadId: uploadId } = await client.send(
      new CreateMultipartUploadCommand({ ...create, ChecksumAlgorithm: "SHA256" }),
    ));
    const whole = createHash("sha256");
    const parts: CompletedPart[] = [];
    const digests: Buffer[] = [];
    // One buffer for every part, each sent and answered before the next is read into it: packaging uploads a file
    // while the next format renders, and a new 16 MB buffer per part would lie beside that renderer's heap as garbage.
    const buffer = Buffer.allocUnsafe(Math.min(partSize, size));
    for (let offset = 0, number = 1; offset < size; offset += partSize, number += 1) {
      const chunk = buffer.subarray(0, Math.min(partSize, size - offset));
      for (let filled = 0; filled < chunk.length; ) {
        const { bytesRead } = await handle.read(chunk, filled, chunk.length - filled, offset + filled);
        // A file that shrank under us must not be uploaded with the previous part's bytes in its tail.
        if (bytesRead === 0) throw new Error(`${file} ended at ${offset + filled} bytes, not the ${size} it had when the upload began`);
        filled += bytesRead;
      }
      whole.update(chunk);
      const digest = sha256(chunk);
      digests.push(digest);
      const checksum = digest.toString("base64");
      const part = await client.send(
        new UploadPartCommand({
          ...target,
          UploadId: uploadId,
          PartNumber: number,
          Body: chunk,
          ContentLength: chunk.length,
          ChecksumAlgorithm: "SHA256",
          ChecksumSHA256: checksum,
        }),
      );
      parts.push({ PartNumber: number, ETag: part.ETag, ChecksumSHA256: checksum });
    }
    const result = await client.send(
      new CompleteMultipartUploadCommand({
        ...target,
        UploadId: uploadId,
        IfNoneMatch: "*",
        MultipartUpload: { Parts: parts },
      }),
    );
    return {
      result,
      sha256: whole.digest("hex"),
      checksum: sha256(Buffer.concat(digests)).toString("base64"),
    };
  } catch (error) {
    if (uploadId) {
      await client
        .send(new AbortMultipartUploadCommand({ ...target, UploadId: uploadId }))
        .catch(() => undefined);
    }
    throw error;
  } finally {
    await handle.close();
  }
}
