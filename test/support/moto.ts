// Runs moto in server mode as a child process on a free loopback port; it never outlives the test run.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export const MOTO_INSTALL_HINT = "run: python3 -m pip install 'moto[server]>=5'";

export class MotoUnavailableError extends Error {
  override readonly name = "MotoUnavailableError";
}

export interface MotoServer {
  readonly url: string;
  readonly port: number;
  readonly pid: number | undefined;
  /** Forgets every resource in every account and region (`POST /moto-api/reset`). */
  reset(): Promise<void>;
  /** Kills moto and waits for it to exit; safe to call twice. */
  stop(): Promise<void>;
}

export interface MotoOptions {
  python?: string;
  /** How long to wait for moto to answer after it starts (default 30 s: a loaded machine imports slowly). */
  startTimeoutMs?: number;
}

// Starts moto.server's main behind a thread that exits when stdin closes, i.e. when this process dies in any way,
// SIGKILL included. Werkzeug's per-request log line is silenced: it costs CPU and nobody reads it.
// moto makes an RSA-2048 private key for every CreateKey, symmetric keys included (~70 ms of CPU each), though only
// Sign, Verify and GetPublicKey use it; it is made on first use instead, so seeding thousands of keys stays fast.
const LAUNCHER = `
import logging, os, sys, threading
def _watch_parent():
    sys.stdin.read()
    os._exit(0)
threading.Thread(target=_watch_parent, daemon=True).start()
logging.getLogger("werkzeug").setLevel(logging.ERROR)
import moto.kms.models as _kms_models
_generate_private_key = _kms_models.generate_private_key
class _PrivateKeyOnFirstUse:
    def __init__(self, key_spec):
        self._key_spec = key_spec
        self._key = None
    def __getattr__(self, name):
        if self._key is None:
            self._key = _generate_private_key(self._key_spec)
        return getattr(self._key, name)
_kms_models.generate_private_key = _PrivateKeyOnFirstUse
from moto.server import main
main(sys.argv[1:])
`;

const running = new Set<ChildProcess>();
let exitHooksInstalled = false;

export async function startMoto(options: MotoOptions = {}): Promise<MotoServer> {
  installExitHooks();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      return await launch(options, await freePort());
    } catch (error) {
      // Another process can take the port between freePort() and moto's bind; only that is worth a retry.
      if (!(error instanceof PortTakenError)) throw error;
      lastError = error;
    }
  }
  throw lastError;
}

class PortTakenError extends Error {}

async function launch(options: MotoOptions, port: number): Promise<MotoServer> {
  const python = options.python ?? "python3";
  const child = spawn(python, ["-c", LAUNCHER, "-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["pipe", "ignore", "pipe"],
  });
  running.add(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exited.then(() => running.delete(child));
  const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  for (;;) {
    const failure = await Promise.race([
      spawnError,
      exited.then(() => undefined),
      sleep(100, "pending" as const),
    ]);
    if (failure instanceof Error) {
      running.delete(child);
      throw new MotoUnavailableError(`cannot start ${python} (${failure.message}); ${MOTO_INSTALL_HINT}`);
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      if (/address already in use/i.test(stderr)) throw new PortTakenError(`port ${port} taken`);
      const hint = /No module named/.test(stderr) ? MOTO_INSTALL_HINT : "see its output above";
      throw new MotoUnavailableError(
        `moto exited with code ${child.exitCode} before answering; ${hint}\n${stderr}`,
      );
    }
    if (await answers(url)) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new MotoUnavailableError(`moto did not answer on ${url} within the start timeout\n${stderr}`);
    }
  }

  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    pid: child.pid,
    async reset() {
      const response = await fetch(`${url}/moto-api/reset`, { method: "POST" });
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill("SIGTERM");
        const gone = await Promise.race([exited.then(() => true), sleep(3000, false)]);
        if (!gone) {
          child.kill("SIGKILL");
          await exited;
        }
      })();
      return stopping;
    },
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/moto-api/data.json`, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A crashed or interrupted run must not leave moto behind: kill every child on exit and on SIGINT/SIGTERM. */
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const killAll = () => {
    for (const child of running) child.kill("SIGKILL");
  };
  process.once("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const onSignal = () => {
      killAll();
      // Re-raise only when nobody else handles the signal, so the process still ends as it would have.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.once(signal, onSignal);
  }
}
