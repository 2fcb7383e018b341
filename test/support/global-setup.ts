// vitest globalSetup: fail the run at once, with the fix, when moto cannot run here.
import { spawnSync } from "node:child_process";
import { MOTO_INSTALL_HINT } from "./moto.js";

export default function setup(): void {
  const check = spawnSync("python3", ["-c", "import moto.server"], { encoding: "utf8", timeout: 60_000 });
  if (check.error) {
    throw new Error(
      `python3 is required for the AWS emulator (${check.error.message}); ${MOTO_INSTALL_HINT}`,
    );
  }
  if (check.status !== 0) {
    const reason = check.stderr.trim().split("\n").pop() ?? "import failed";
    throw new Error(`moto in server mode is not installed (${reason}); ${MOTO_INSTALL_HINT}`);
  }
}
