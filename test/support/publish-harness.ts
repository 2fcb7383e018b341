// The publish tests' world: a package written to a temporary local store, the platform stand-in, the
// environment publish reads (restored afterwards), and stdout/stderr captured so tests can look for secrets.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, vi } from "vitest";
import { recordSchema } from "../../reports/drata.js";
import { FORMATS } from "../../reports/renderer.js";
import { main } from "../../src/cli/main.js";
import type { EvidencePackage } from "../../src/core/package-model.js";
import { writePackage } from "../../src/package/write.js";
import { LocalStore } from "../../src/store/local.js";
import { syntheticPackage } from "../fixtures/package.js";
import { startPlatformStandIn, type StandIn } from "./platform-stand-in.js";

export const NOW = () => new Date("2026-08-20T09:00:00Z");
export const SECRETS = { vanta: "vanta-secret-7Qk2Lw9Xp4", drata: "drata-key-R8m3Nc6Vt1" };
/** controls.yaml `platforms` of the test config: what publish links each control's evidence to. */
export const MAPPING = {
  "CC6.1": { vanta: ["crypto-key-rotation", "crypto-secrets"], drata: ["DCF-37", "DCF-38"] },
  "CC6.3": { vanta: ["access-review"], drata: ["DCF-12"] },
};
export const EVIDENCE_BASE = "https://evidence.example.com/soc2/";
export const VANTA_CONTROLS = [
  { id: "crypto-key-rotation", externalId: "CRY-104", name: "Keys rotate", requirement: "CC6.1" },
  { id: "crypto-secrets", externalId: "CRY-105", name: "Secrets rotate", requirement: "CC6.1" },
  { id: "access-review", externalId: "IAC-12", name: "Access reviewed", requirement: "CC6.3" },
  { id: "logging", externalId: "LOG-1", name: "Logs kept", requirement: "CC7.2" },
];

/** The shipped controls.yaml with the test mapping in place of its sample one. */
async function configWithMapping(path: string): Promise<void> {
  const shipped = await readFile(new URL("../../controls.yaml", import.meta.url), "utf8");
  let text = shipped.replace(/^ {4}platforms:.*\n/gm, "");
  for (const [control, platforms] of Object.entries(MAPPING))
    text = text.replace(
      new RegExp(`(  - id: ${control.replace(".", "\\.")}\\n    title: .*\\n)`),
      `$1    platforms: { vanta: [${platforms.vanta.join(", ")}], drata: [${platforms.drata.join(", ")}] }\n`,
    );
  await writeFile(path, text);
}
const ENV_NAMES = [
  "VANTA_CLIENT_ID",
  "VANTA_CLIENT_SECRET",
  "VANTA_RESOURCE_ID",
  "VANTA_SECRET_RESOURCE_ID",
  "VANTA_DOCUMENT_IDS",
  "VANTA_API_URL",
  "DRATA_API_KEY",
  "DRATA_WORKSPACE_ID",
  "DRATA_CONNECTION_ID",
  "DRATA_RESOURCE_ID",
  "DRATA_CONTROL_CODES",
  "DRATA_API_URL",
];

export let folder: string;
export let config: string;
export let root: string;
export let standIn: StandIn;
export let output: string[];
const saved: Record<string, string | undefined> = {};

export async function packageOf(pkg: EvidencePackage): Promise<string> {
  const store = new LocalStore(root, "soc2/");
  const written = await writePackage(pkg, store, [...FORMATS]);
  return join(store.location, written.prefix);
}

/** publish as the CLI runs it, with the test controls.yaml (its platform mapping) unless a test names another. */
export async function publish(...args: string[]): Promise<number> {
  return main(["publish", ...args, ...(args.includes("--config") ? [] : ["--config", config])], NOW);
}

export const uploads = () => [...standIn.vanta.documents.values()].flatMap((document) => document.uploads);
export const calls = (method: string, pattern: RegExp) =>
  standIn.requests.filter((request) => request.method === method && pattern.test(request.path));

/** Registers the hooks that build and tear down this world around every test of the calling file. */
export function usePublishHarness(): void {
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "soc2-publish-"));
    folder = await packageOf(syntheticPackage({ items: 60 }));
    config = join(root, "mapped-controls.yaml");
    await configWithMapping(config);
    standIn = await startPlatformStandIn({
      vanta: {
        clientId: "vanta-client-id",
        clientSecret: SECRETS.vanta,
        resourceIds: ["custom-resource-type-1"],
        secretResourceIds: ["secret-type-1"],
        controls: VANTA_CONTROLS,
        documents: [
          { id: "access-reviews", title: "Proof of completed access review" },
          { id: "keys-doc", title: "SOC 2 CC6.1: Encryption keys rotate" },
          { id: "logging-doc", title: "Logging evidence" },
        ],
        pageSize: 2,
      },
      drata: {
        apiKey: SECRETS.drata,
        workspaceId: 7,
        controls: { "DCF-37": 1037, "DCF-38": 1038, "DCF-12": 1012 },
        requirements: { "CC6.1": ["DCF-37", "DCF-38"], "CC6.3": ["DCF-12"] },
        connectionId: 55,
        resourceId: 66,
        recordSchema: recordSchema(),
      },
    });
    for (const name of ENV_NAMES) saved[name] = process.env[name];
    Object.assign(process.env, {
      VANTA_CLIENT_ID: "vanta-client-id",
      VANTA_CLIENT_SECRET: SECRETS.vanta,
      VANTA_RESOURCE_ID: "custom-resource-type-1",
      VANTA_SECRET_RESOURCE_ID: "secret-type-1",
      VANTA_DOCUMENT_IDS: JSON.stringify({ "CC7.2": "logging-doc" }),
      VANTA_API_URL: standIn.vantaUrl,
      DRATA_API_KEY: SECRETS.drata,
      DRATA_WORKSPACE_ID: "7",
      DRATA_CONNECTION_ID: "55",
      DRATA_RESOURCE_ID: "66",
      DRATA_API_URL: standIn.drataUrl,
    });
    output = [];
    const capture = (chunk: string | Uint8Array) => (output.push(String(chunk)), true);
    vi.spyOn(process.stdout, "write").mockImplementation(capture);
    vi.spyOn(process.stderr, "write").mockImplementation(capture);
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    for (const name of ENV_NAMES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
    await standIn.close();
    await rm(root, { recursive: true, force: true });
  });
}
