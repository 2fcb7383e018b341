// moto's lifecycle: a clear error when it cannot start, a reset that empties it, and no orphan process ever.
import { CreateKeyCommand, GetPublicKeyCommand, KMSClient, ListKeysCommand, SignCommand, VerifyCommand } from "@aws-sdk/client-kms";
import { spawn } from "node:child_process";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MotoUnavailableError, startMoto } from "./moto.js";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function gone(pid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  return !alive(pid);
}

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "moto-test-"));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe("startMoto", () => {
  it("says how to install moto when python3 is missing", async () => {
    const error = await startMoto({ python: join(folder, "no-such-python") }).catch(
      (caught: Error) => caught,
    );
    expect(error).toBeInstanceOf(MotoUnavailableError);
    expect((error as Error).message).toContain("python3 -m pip install 'moto[server]>=5'");
  });

  it("says how to install moto when the module is missing", async () => {
    const fakePython = join(folder, "python-without-moto");
    await writeFile(
      fakePython,
      "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'moto'\" >&2\nexit 1\n",
    );
    await chmod(fakePython, 0o755);
    const error = await startMoto({ python: fakePython }).catch((caught: Error) => caught);
    expect(error).toBeInstanceOf(MotoUnavailableError);
    expect((error as Error).message).toContain("pip install 'moto[server]>=5'");
  });

  it("starts, resets to empty, and stops for good", async () => {
    const moto = await startMoto();
    try {
      const kms = new KMSClient({
        endpoint: moto.url,
        region: "us-east-1",
        credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
      });
      await kms.send(new CreateKeyCommand({}));
      expect((await kms.send(new ListKeysCommand({}))).Keys).toHaveLength(1);
      await moto.reset();
      expect((await kms.send(new ListKeysCommand({}))).Keys).toHaveLength(0);
    } finally {
      await moto.stop();
    }
    expect(await gone(moto.pid ?? 0, 5000)).toBe(true);
    await moto.stop();
  });

  it("still signs and verifies with asymmetric keys, whose private key it makes on first use", async () => {
    const moto = await startMoto();
    try {
      const kms = new KMSClient({
        endpoint: moto.url,
        region: "us-east-1",
        credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
      });
      const { KeyMetadata } = await kms.send(
        new CreateKeyCommand({ KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY" }),
      );
      const KeyId = KeyMetadata?.KeyId;
      const SigningAlgorithm = "RSASSA_PSS_SHA_256";
      const Message = Buffer.from("manifest");
      const { Signature } = await kms.send(new SignCommand({ KeyId, Message, SigningAlgorithm }));
      const verified = await kms.send(new VerifyCommand({ KeyId, Message, Signature, SigningAlgorithm }));
      expect(verified.SignatureValid).toBe(true);
      const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId }));
      expect(PublicKey?.length).toBeGreaterThan(200);
    } finally {
      await moto.stop();
    }
  });

  it("dies with the process that started it, even one killed with SIGKILL", async () => {
    const script = join(folder, "start-moto.mts");
    const motoModule = fileURLToPath(new URL("./moto.ts", import.meta.url));
    await writeFile(
      script,
      `import { startMoto } from ${JSON.stringify(motoModule)};\n` +
        "const moto = await startMoto();\nconsole.log(moto.pid);\nsetInterval(() => {}, 1000);\n",
    );
    const parent = spawn(process.execPath, ["--import", "tsx", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      parent.stdout.once("data", (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
      parent.once("exit", (code) => reject(new Error(`parent exited early with ${code}`)));
    });
    expect(alive(pid)).toBe(true);
    parent.kill("SIGKILL");
    expect(await gone(pid, 10_000)).toBe(true);
  });
});
