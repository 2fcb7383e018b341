// Live handshakes against local TLS servers whose certificates the test issues from its own CA (openssl CLI).
import { ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type TlsOptions } from "node:tls";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import tlsInTransit from "../collectors/tls-in-transit.js";
import { judgeEndpoint } from "../collectors/tls-in-transit.judge.js";
import type { AwsClients } from "../src/aws/clients.js";
import { silentLogger } from "../src/cli/log.js";
import type { ItemDraft } from "../src/core/model.js";
import { probeTls } from "../src/aws/tls-probe.js";
import { TlsProbeError } from "../src/core/tls.js";

const HOST = "127.0.0.1";
let dir: string;
let ca: Buffer;
let leafCert: Buffer;
const servers: Server[] = [];
/** Connections the silent server accepted and never answers. */
const held: Socket[] = [];
const ports: Record<"modern" | "legacy" | "tls12" | "wrongName" | "silent" | "closed", number> = {
  modern: 0,
  legacy: 0,
  tls12: 0,
  wrongName: 0,
  silent: 0,
  closed: 0,
};

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

/** A leaf for 127.0.0.1 (or another name), signed by the test CA; EC keys keep this fast. */
function issueLeaf(name: string, san: string): { key: Buffer; cert: Buffer } {
  openssl(
    ...["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
    ...["-keyout", `${name}.key`, "-subj", `/CN=${name}`, "-out", `${name}.csr`],
  );
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\n`);
  openssl(
    ...["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial"],
    ...["-days", "2", "-sha256", "-extfile", `${name}.ext`, "-out", `${name}.pem`],
  );
  return { key: readFileSync(join(dir, `${name}.key`)), cert: readFileSync(join(dir, `${name}.pem`)) };
}

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return (server.address() as AddressInfo).port;
}

const tlsServer = (options: TlsOptions) =>
  listen(createServer(options, (socket) => socket.end()).on("tlsClientError", () => {}));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tls-probe-"));
  openssl(
    ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
    ...["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=soc2-evidence test CA"],
  );
  ca = readFileSync(join(dir, "ca.pem"));
  const leaf = issueLeaf("localhost", "DNS:localhost,IP:127.0.0.1");
  leafCert = leaf.cert;
  const wrong = issueLeaf("elsewhere", "DNS:elsewhere.example");
  ports.modern = await tlsServer({ ...leaf, minVersion: "TLSv1.2" });
  // Old clients only: OpenSSL 3 needs security level 0 before it will speak TLS 1.0/1.1.
  ports.legacy = await tlsServer({ ...leaf, minVersion: "TLSv1", ciphers: "DEFAULT@SECLEVEL=0" });
  ports.tls12 = await tlsServer({ ...leaf, minVersion: "TLSv1.2", maxVersion: "TLSv1.2" });
  ports.wrongName = await tlsServer({ ...wrong, minVersion: "TLSv1.2" });
  ports.silent = await listen(createTcpServer((socket) => void held.push(socket)));
  const closed = createTcpServer();
  ports.closed = await new Promise<number>((resolve) =>
    closed.listen(0, HOST, () => {
      const { port } = closed.address() as AddressInfo;
      closed.close(() => resolve(port));
    }),
  );
});

afterAll(async () => {
  held.forEach((socket) => socket.destroy());
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("probeTls", () => {
  it("reads a modern server: TLS 1.3, its certificate, trusted through the given CA, downgrade refused", async () => {
    const result = await probeTls(HOST, ports.modern, { minVersion: "TLSv1.2", ca, timeoutMs: 5_000 });
    expect(result).toMatchObject({
      protocol: "TLSv1.3",
      authorized: true,
      authorizationError: null,
      downgradeMaxVersion: "TLSv1.1",
      downgradeRefused: true,
    });
    expect(result.downgradeError).toMatch(/^ERR_SSL_/);
    expect(result.cipher).toMatch(/^TLS_/);
    expect(result.certificate?.subject).toBe("CN=localhost");
    expect(result.certificate?.fingerprint256).toBe(new X509Certificate(leafCert).fingerprint256);
    expect(
      judgeEndpoint({ url: `https://${HOST}:${ports.modern}`, probe: result }, { minTlsVersion: "TLSv1.2" })
        .status,
    ).toBe("pass");
  });

  it("reports a certificate from an unknown CA as not authorized, with OpenSSL's reason", async () => {
    const result = await probeTls(HOST, ports.modern, { minVersion: "TLSv1.2" });
    expect(result.protocol).toBe("TLSv1.3");
    expect(result.authorized).toBe(false);
    expect(result.authorizationError).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    expect(judgeEndpoint({ url: "https://x", probe: result }, { minTlsVersion: "TLSv1.2" }).status).toBe(
      "fail",
    );
  });

  it("reports a certificate for another name as not authorized", async () => {
    const result = await probeTls(HOST, ports.wrongName, { minVersion: "TLSv1.2", ca });
    expect(result.authorized).toBe(false);
    expect(result.authorizationError).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
  });

  it("catches a server that still accepts TLS 1.1", async () => {
    const result = await probeTls(HOST, ports.legacy, { minVersion: "TLSv1.2", ca });
    expect(result.protocol).toBe("TLSv1.3");
    expect(result.downgradeRefused).toBe(false);
    expect(result.downgradeProtocol).toBe("TLSv1.1");
    expect(judgeEndpoint({ url: "https://x", probe: result }, { minTlsVersion: "TLSv1.2" }).status).toBe(
      "fail",
    );
  });

  it("holds a TLS 1.2-only server to a TLS 1.3 minimum: negotiates 1.2 and accepts the capped handshake", async () => {
    const result = await probeTls(HOST, ports.tls12, { minVersion: "TLSv1.3", ca });
    expect(result).toMatchObject({
      protocol: "TLSv1.2",
      downgradeMaxVersion: "TLSv1.2",
      downgradeRefused: false,
    });
    expect(judgeEndpoint({ url: "https://x", probe: result }, { minTlsVersion: "TLSv1.3" }).status).toBe(
      "fail",
    );
  });

  it.each([
    ["a closed port", "closed", "ECONNREFUSED"],
    ["a server that never answers the ClientHello", "silent", "ETIMEDOUT"],
  ] as const)("throws with the errno code for %s, never a verdict", async (_name, port, code) => {
    const failure = await probeTls(HOST, ports[port], { minVersion: "TLSv1.2", timeoutMs: 300 }).catch(
      (error) => error,
    );
    expect(failure).toBeInstanceOf(TlsProbeError);
    expect(failure.code).toBe(code);
  });
});

describe("tls-in-transit probes the endpoint the SDK uses", () => {
  const saved = process.env.AWS_ENDPOINT_URL;
  afterEach(() => {
    if (saved === undefined) delete process.env.AWS_ENDPOINT_URL;
    else process.env.AWS_ENDPOINT_URL = saved;
  });

  async function endpointItem(endpoint: string): Promise<ItemDraft | undefined> {
    process.env.AWS_ENDPOINT_URL = endpoint;
    const s3 = new S3Client({ region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
    mockClient(s3).on(ListBucketsCommand).resolves({ Buckets: [] });
    const ctx = {
      account: "123456789012",
      region: "us-east-1",
      regions: ["us-east-1"],
      partition: "aws",
      clients: { s3: () => s3 } as unknown as AwsClients,
      now: () => new Date("2026-08-15T12:00:00.000Z"),
      log: silentLogger,
      probeTls,
      ...(process.env.AWS_ENDPOINT_URL ? { endpoint: process.env.AWS_ENDPOINT_URL } : {}),
    };
    const items: ItemDraft[] = [];
    for await (const item of tlsInTransit.collect(ctx, { minTlsVersion: "TLSv1.2" })) items.push(item);
    expect(items).toHaveLength(1);
    return items[0];
  }

  it("fails an HTTPS endpoint whose certificate the system does not trust, with the handshake facts", async () => {
    const item = await endpointItem(`https://${HOST}:${ports.modern}`);
    expect(item).toMatchObject({
      status: "fail",
      resource: { arn: `https://${HOST}:${ports.modern}`, type: "AWS::Endpoint" },
      observed: { protocol: "TLSv1.3", authorized: false, downgradeRefused: true },
    });
  });

  it("fails an endpoint that accepts TLS 1.1", async () => {
    const item = await endpointItem(`https://${HOST}:${ports.legacy}`);
    expect(item).toMatchObject({
      status: "fail",
      observed: { downgradeRefused: false, downgradeProtocol: "TLSv1.1" },
    });
  });

  it("makes an unreachable endpoint an error item with the errno code", async () => {
    const item = await endpointItem(`https://${HOST}:${ports.closed}`);
    expect(item).toMatchObject({ status: "error", observed: { errorCode: "ECONNREFUSED" } });
  });

  it("marks a plain-HTTP emulator endpoint not applicable", async () => {
    const item = await endpointItem(`http://${HOST}:${ports.closed}`);
    expect(item).toMatchObject({ status: "not_applicable", source: { operations: [] } });
  });
});
