// A live TLS handshake against an endpoint: what it negotiates, the certificate it shows, and whether it refuses an older protocol.
import { isIP } from "node:net";
import { connect, type ConnectionOptions, type PeerCertificate, type SecureVersion, type TLSSocket } from "node:tls";
import { TlsProbeError, type CertificateSummary, type ProbeOptions, type TlsProbeResult } from "../core/tls.js";

const DOWNGRADE_CAP: Record<ProbeOptions["minVersion"], SecureVersion> = {
  "TLSv1.2": "TLSv1.1",
  "TLSv1.3": "TLSv1.2",
};

interface Negotiated {
  protocol: string | null;
  cipher: string | null;
  certificate: CertificateSummary | null;
  authorized: boolean;
  authorizationError: string | null;
}

interface Handshake {
  /** The TCP connection was established, so a failure is the server's TLS answer rather than the network's. */
  connected: boolean;
  negotiated?: Negotiated;
  error?: NodeJS.ErrnoException;
}

function handshake(options: ConnectionOptions, timeoutMs: number): Promise<Handshake> {
  return new Promise((resolve) => {
    let connected = false;
    const socket = connect(options);
    socket.setTimeout(timeoutMs, () => {
      socket.destroy(Object.assign(new Error(`no TLS answer within ${timeoutMs} ms`), { code: "ETIMEDOUT" }));
    });
    socket.once("connect", () => {
      connected = true;
    });
    socket.once("secureConnect", () => {
      const negotiated = describe(socket);
      socket.destroy();
      resolve({ connected, negotiated });
    });
    // Kept for the socket's whole life: a late reset after the verdict must not become an unhandled error.
    socket.on("error", (error: NodeJS.ErrnoException) => {
      socket.destroy();
      resolve({ connected, error });
    });
  });
}

const codeOf = (error: NodeJS.ErrnoException | undefined): string => error?.code ?? error?.name ?? "Error";

/** Refusals are TLS alerts or the peer closing the connection; timeouts and unreachable hosts prove nothing. */
function inconclusive(attempt: Handshake): boolean {
  return !attempt.connected || codeOf(attempt.error) === "ETIMEDOUT";
}

function distinguishedName(name: PeerCertificate["subject"] | undefined): string {
  return Object.entries(name ?? {})
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join("+") : String(value)}`)
    .join(", ");
}

function describe(socket: TLSSocket): Negotiated {
  const certificate = socket.getPeerCertificate();
  const present = certificate && Object.keys(certificate).length > 0;
  return {
    protocol: socket.getProtocol(),
    cipher: socket.getCipher()?.standardName ?? null,
    certificate: present
      ? {
          subject: distinguishedName(certificate.subject),
          issuer: distinguishedName(certificate.issuer),
          validTo: new Date(certificate.valid_to).toISOString(),
          fingerprint256: certificate.fingerprint256,
        }
      : null,
    authorized: socket.authorized,
    authorizationError: socket.authorizationError ? String(socket.authorizationError) : null,
  };
}

/** Two handshakes: a modern client's, then one capped below `minVersion` that a compliant server must refuse. */
export async function probeTls(host: string, port: number, options: ProbeOptions): Promise<TlsProbeResult> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const base: ConnectionOptions = {
    host,
    port,
    // An IP address is not a valid SNI name (RFC 6066); the certificate is still checked against it.
    ...(isIP(host) ? {} : { servername: host }),
    ...(options.ca ? { ca: options.ca } : {}),
    // The verdict records trust instead of aborting on it.
    rejectUnauthorized: false,
  };
  const modern = await handshake({ ...base, minVersion: "TLSv1.2", maxVersion: "TLSv1.3" }, timeoutMs);
  if (inconclusive(modern))
    throw new TlsProbeError(codeOf(modern.error), host, port, { cause: modern.error });
  const cap = DOWNGRADE_CAP[options.minVersion];
  // TLS 1.0/1.1 need security level 0 in OpenSSL 3 before the client will even offer them.
  const downgrade = await handshake(
    { ...base, minVersion: "TLSv1", maxVersion: cap, ciphers: "DEFAULT@SECLEVEL=0" },
    timeoutMs,
  );
  if (inconclusive(downgrade))
    throw new TlsProbeError(codeOf(downgrade.error), host, port, { cause: downgrade.error });
  const negotiated = modern.negotiated;
  return {
    host,
    port,
    protocol: negotiated?.protocol ?? null,
    cipher: negotiated?.cipher ?? null,
    certificate: negotiated?.certificate ?? null,
    authorized: negotiated?.authorized ?? false,
    authorizationError: negotiated?.authorizationError ?? null,
    handshakeError: modern.error ? codeOf(modern.error) : null,
    downgradeMaxVersion: cap,
    downgradeRefused: !downgrade.negotiated,
    downgradeProtocol: downgrade.negotiated?.protocol ?? null,
    downgradeError: downgrade.error ? codeOf(downgrade.error) : null,
  };
}
