// What a live TLS handshake reports, and the probe a collector is handed (ctx.probeTls) to make one.
import type { SecureVersion } from "node:tls";

export interface CertificateSummary {
  subject: string;
  issuer: string;
  validTo: string;
  fingerprint256: string;
}

export interface TlsProbeResult {
  host: string;
  port: number;
  /** Protocol negotiated by a default modern client (TLSv1.2..TLSv1.3); null when that handshake was refused. */
  protocol: string | null;
  cipher: string | null;
  certificate: CertificateSummary | null;
  /** The certificate chains to a trusted CA and names the host. */
  authorized: boolean;
  authorizationError: string | null;
  /** Why the modern handshake failed after the TCP connection was made, when it did. */
  handshakeError: string | null;
  /** The highest protocol the downgrade attempt offered. */
  downgradeMaxVersion: SecureVersion;
  downgradeRefused: boolean;
  /** Protocol the server accepted in the downgrade attempt, when it did not refuse. */
  downgradeProtocol: string | null;
  /** How the server refused the downgrade (TLS alert or reset). */
  downgradeError: string | null;
}

export interface ProbeOptions {
  /** The lowest protocol policy allows; the downgrade attempt is capped just below it. */
  minVersion: "TLSv1.2" | "TLSv1.3";
  timeoutMs?: number;
  /** Extra trust anchors (tests with a private CA); the system store otherwise. */
  ca?: string | Buffer | (string | Buffer)[];
}

/** The endpoint could not be reached, or a handshake neither completed nor was refused (timeout): no verdict possible. */
export class TlsProbeError extends Error {
  constructor(
    readonly code: string,
    readonly host: string,
    readonly port: number,
    options?: { cause?: unknown },
  ) {
    super(`TLS probe of ${host}:${port} failed: ${code}`, options);
    this.name = "TlsProbeError";
  }
}

/** Two handshakes against host:port: a default modern one, and one capped below `minVersion` that must be refused. */
export type TlsProbe = (host: string, port: number, options: ProbeOptions) => Promise<TlsProbeResult>;
