// Manifest signatures: KMS signs the SHA-256 of the canonical manifest; anyone checks it offline with the public key.
import type { KMSClient, SigningAlgorithmSpec } from "@aws-sdk/client-kms";
import { constants, createHash, createPublicKey, verify } from "node:crypto";
import { ConfigError, StoreError } from "../core/errors.js";
import { canonicalJson, manifestDigest, type Manifest } from "./manifest.js";
import { sdk } from "../core/sdk.js";

const { DescribeKeyCommand, GetPublicKeyCommand, SignCommand, VerifyCommand } = sdk("@aws-sdk/client-kms");

export const SIGNATURE_FILE = "manifest.sig.json";

export interface ManifestSignature {
  keyId: string;
  keyArn: string;
  algorithm: "ECDSA_SHA_256" | "RSASSA_PSS_SHA_256";
  /** KMS signed this SHA-256 (hex) of canonicalJson(manifest) as a DIGEST message. */
  digest: string;
  /** Base64; DER-encoded ECDSA, or the raw RSASSA-PSS block. */
  signature: string;
  /** SubjectPublicKeyInfo, DER base64, as KMS GetPublicKey returned it. */
  publicKey: string;
  publicKeyPem: string;
  signedAt: string;
}

export interface ManifestSigner {
  /** Resolves and checks the key before anything is written; safe to call more than once. */
  prepare(): Promise<void>;
  sign(manifest: Manifest): Promise<ManifestSignature>;
}

/** The signer a store carries, if its configuration names a signing key. */
export const signerOf = (store: { signer?: ManifestSigner }): ManifestSigner | undefined => store.signer;

const ALGORITHMS: Record<string, ManifestSignature["algorithm"]> = {
  ECC_NIST_P256: "ECDSA_SHA_256",
  ECC_SECG_P256K1: "ECDSA_SHA_256",
  RSA_2048: "RSASSA_PSS_SHA_256",
  RSA_3072: "RSASSA_PSS_SHA_256",
  RSA_4096: "RSASSA_PSS_SHA_256",
};

export const createKmsClient = (region: string) =>
  new (sdk("@aws-sdk/client-kms").KMSClient)({ region, retryMode: "standard", maxAttempts: 4 });

/** The signer for `store.signingKey`: its KMS client in the key's own region when the key is an ARN. */
export const manifestSignerFor = (signingKey: string, region: string): KmsManifestSigner =>
  new KmsManifestSigner(createKmsClient(kmsRegionOf(signingKey, region)), signingKey);

/** KMS region of a key ARN, else the given default (alias or key id). */
export const kmsRegionOf = (keyId: string, fallback: string) =>
  keyId.startsWith("arn:") ? (keyId.split(":")[3] ?? fallback) : fallback;

const toPem = (der: Buffer) =>
  `-----BEGIN PUBLIC KEY-----\n${
    der
      .toString("base64")
      .match(/.{1,64}/g)
      ?.join("\n") ?? ""
  }\n-----END PUBLIC KEY-----\n`;

export class KmsManifestSigner implements ManifestSigner {
  private key?: Promise<{ keyArn: string; algorithm: ManifestSignature["algorithm"]; publicKey: Buffer }>;

  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async prepare(): Promise<void> {
    this.key ??= this.resolve();
    await this.key;
  }

  async sign(manifest: Manifest): Promise<ManifestSignature> {
    await this.prepare();
    const { keyArn, algorithm, publicKey } = await (this.key as NonNullable<typeof this.key>);
    const digest = manifestDigest(manifest);
    try {
      const signed = await this.kms.send(
        new SignCommand({
          KeyId: keyArn,
          Message: Buffer.from(digest, "hex"),
          MessageType: "DIGEST",
          SigningAlgorithm: algorithm,
        }),
      );
      if (!signed.Signature) throw new StoreError(`KMS returned no signature for ${this.keyId}`);
      return {
        keyId: this.keyId,
        keyArn,
        algorithm,
        digest,
        signature: Buffer.from(signed.Signature).toString("base64"),
        publicKey: publicKey.toString("base64"),
        publicKeyPem: toPem(publicKey),
        signedAt: this.now().toISOString(),
      };
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw new StoreError(
        `cannot sign the manifest with ${this.keyId}: ${(error as Error).name} (the role needs kms:Sign)`,
        { cause: error },
      );
    }
  }

  private async resolve() {
    try {
      const { KeyMetadata: key } = await this.kms.send(new DescribeKeyCommand({ KeyId: this.keyId }));
      const algorithm = ALGORITHMS[key?.KeySpec ?? ""];
      if (!key?.Arn || key.KeyUsage !== "SIGN_VERIFY" || !algorithm) {
        throw new ConfigError(
          `store.signingKey ${this.keyId} is a ${key?.KeySpec ?? "?"} ${key?.KeyUsage ?? "?"} key; ` +
            "manifests need an asymmetric SIGN_VERIFY key, ECC_NIST_P256 or RSA",
        );
      }
      if (key.KeyState !== "Enabled")
        throw new StoreError(
          `store.signingKey ${this.keyId} is ${key.KeyState}; enable it or change the key`,
        );
      const { PublicKey } = await this.kms.send(new GetPublicKeyCommand({ KeyId: key.Arn }));
      if (!PublicKey) throw new StoreError(`KMS returned no public key for ${this.keyId}`);
      return { keyArn: key.Arn, algorithm, publicKey: Buffer.from(PublicKey) };
    } catch (error) {
      if (error instanceof ConfigError || error instanceof StoreError) throw error;
      const name = (error as Error).name;
      const hint =
        name === "NotFoundException"
          ? "no such key or alias in this account and region"
          : "the role needs kms:DescribeKey, kms:GetPublicKey and kms:Sign on it";
      throw new StoreError(`cannot use store.signingKey ${this.keyId}: ${name} (${hint})`, { cause: error });
    }
  }
}

export type SignatureCheck =
  { valid: true; fingerprint: string } | { valid: false; fingerprint?: string; reason: string };

/** SHA-256 of the DER public key, the value an auditor compares with the one the company published. */
export const keyFingerprint = (der: Buffer) => `sha256:${createHash("sha256").update(der).digest("hex")}`;

/** Checks a signature against the manifest with node:crypto alone; `pinnedKey` (PEM or DER) must then be the signer. */
export function checkSignature(
  manifest: Manifest,
  signature: ManifestSignature,
  pinnedKey?: string | Buffer,
): SignatureCheck {
  const digest = manifestDigest(manifest);
  if (signature.digest !== digest) {
    return {
      valid: false,
      reason: `manifest.json was changed after signing: its SHA-256 is ${digest}, the signature covers ${signature.digest}`,
    };
  }
  let key;
  let der: Buffer;
  try {
    der = Buffer.from(signature.publicKey, "base64");
    key = createPublicKey({ key: der, format: "der", type: "spki" });
  } catch {
    return { valid: false, reason: "the signature's public key cannot be read" };
  }
  const fingerprint = keyFingerprint(der);
  if (pinnedKey !== undefined) {
    const pinned = createPublicKey(pinnedKey).export({ format: "der", type: "spki" });
    if (!pinned.equals(der))
      return {
        valid: false,
        fingerprint,
        reason: `signed by key ${fingerprint}, not the expected ${keyFingerprint(pinned)}`,
      };
  }
  // A DIGEST signature over SHA-256(m) is the ordinary signature over m; PSS salt length is read from the signature.
  const options =
    signature.algorithm === "RSASSA_PSS_SHA_256"
      ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }
      : { key, dsaEncoding: "der" as const };
  const ok = verify(
    "sha256",
    Buffer.from(canonicalJson(manifest)),
    options,
    Buffer.from(signature.signature, "base64"),
  );
  return ok
    ? { valid: true, fingerprint }
    : {
        valid: false,
        fingerprint,
        reason: `the ${signature.algorithm} signature does not match the manifest`,
      };
}

export type KmsCheck = { state: "valid" | "invalid" } | { state: "unavailable"; reason: string };

/** Asks KMS itself (kms:Verify) whether the key named in the signature signed this digest. */
export async function checkWithKms(kms: KMSClient, signature: ManifestSignature): Promise<KmsCheck> {
  try {
    const result = await kms.send(
      new VerifyCommand({
        KeyId: signature.keyArn,
        Message: Buffer.from(signature.digest, "hex"),
        MessageType: "DIGEST",
        Signature: Buffer.from(signature.signature, "base64"),
        SigningAlgorithm: signature.algorithm as SigningAlgorithmSpec,
      }),
    );
    return { state: result.SignatureValid ? "valid" : "invalid" };
  } catch (error) {
    if ((error as Error).name === "KMSInvalidSignatureException") return { state: "invalid" };
    return { state: "unavailable", reason: (error as Error).name };
  }
}
