// `publish --to vanta|drata`: sends a rendered package through the platform's public API (SPEC section 8).
// The package is a folder (--package DIR or s3://...) or the latest complete one of --period in the configured store.
// Credentials come from the environment and are never printed.
import { resolve } from "node:path";
import { defaultRegion } from "../aws/clients.js";
import { UsageError } from "../core/errors.js";
import { latestPointerKey, packagePrefix } from "../core/store-layout.js";
import { parsePeriod } from "../core/period.js";
import { createDrataConnection, listDrataControls, publishToDrata, type DrataSettings } from "../publish/drata.js";
import { openPackageFolder } from "../publish/package-folder.js";
import { listVantaControls, publishToVanta, type PublishOutcome, type VantaSettings } from "../publish/vanta.js";
import { LocalStore } from "../store/local.js";
import { openS3Store } from "../store/open.js";
import type { Store } from "../store/store.js";
import { parseS3Location } from "../integrity/verify-s3.js";
import { configFrom, loggerFor, parse, storeFrom, type Values } from "./options.js";

type Env = Record<string, string | undefined>;

const OPTIONS = {
  to: { type: "string" },
  package: { type: "string" },
  period: { type: "string" },
  "dry-run": { type: "boolean", default: false },
  "list-controls": { type: "boolean", default: false },
  "create-connection": { type: "boolean", default: false },
  "evidence-base-url": { type: "string" },
  "secret-owner-tag": { type: "string" },
} as const;

type Mapping = Record<string, { vanta?: string[]; drata?: string[] }>;

/** controls.yaml `platforms` per control id, when a config is given (--config, or --period which reads it). */
async function platformMapping(values: Values, now: () => Date): Promise<Mapping> {
  if (typeof values.config !== "string" && typeof values.period !== "string") return {};
  const loaded = await configFrom(values, now(), loggerFor(values));
  return Object.fromEntries(loaded.config.controls.flatMap((control) => (control.platforms ? [[control.id, control.platforms]] : [])));
}

function perControl(mapping: Mapping, platform: "vanta" | "drata", override: Record<string, string[]>) {
  const ids: Record<string, string[]> = {};
  for (const [control, platforms] of Object.entries(mapping)) if (platforms[platform]) ids[control] = platforms[platform];
  return { ...ids, ...override };
}

function required(env: Env, names: readonly string[]): string[] {
  const missing = names.filter((name) => !env[name]?.trim());
  if (missing.length > 0) throw new UsageError(`publish needs ${missing.join(", ")} in the environment`);
  return names.map((name) => (env[name] as string).trim());
}

/** https only, except to a loopback stand-in: credentials never travel in clear text. */
function baseUrl(env: Env, name: string, fallback: string): string {
  const value = env[name]?.trim() || fallback;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${name} is not a URL`);
  }
  if (
    url.protocol !== "https:" &&
    !(url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname))
  ) {
    throw new UsageError(`${name} must be an https URL (http is allowed only to localhost)`);
  }
  return value.replace(/\/$/, "");
}

function jsonMap(env: Env, name: string): Record<string, unknown> {
  const text = env[name]?.trim();
  if (!text) return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new UsageError(`${name} must be a JSON object, e.g. {"CC6.1": "..."}`);
}

export function vantaSettings(env: Env, values: Values = {}, mapping: Mapping = {}): VantaSettings {
  const [clientId, clientSecret] = required(env, ["VANTA_CLIENT_ID", "VANTA_CLIENT_SECRET"]) as [
    string,
    string,
  ];
  const own = Boolean(env.VANTA_RESOURCES_CLIENT_ID?.trim() || env.VANTA_RESOURCES_CLIENT_SECRET?.trim());
  const [resourcesClientId, resourcesClientSecret] = own
    ? (required(env, ["VANTA_RESOURCES_CLIENT_ID", "VANTA_RESOURCES_CLIENT_SECRET"]) as [string, string])
    : [clientId, clientSecret];
  const documentIds = Object.fromEntries(
    Object.entries(jsonMap(env, "VANTA_DOCUMENT_IDS")).map(([control, id]) => [control, String(id)]),
  );
  return {
    baseUrl: baseUrl(env, "VANTA_API_URL", "https://api.vanta.com"),
    clientId,
    clientSecret,
    resourcesClientId,
    resourcesClientSecret,
    ...(env.VANTA_RESOURCE_ID?.trim() ? { resourceId: env.VANTA_RESOURCE_ID.trim() } : {}),
    ...(env.VANTA_SECRET_RESOURCE_ID?.trim() ? { secretResourceId: env.VANTA_SECRET_RESOURCE_ID.trim() } : {}),
    ...(typeof values["evidence-base-url"] === "string"
      ? { evidenceBaseUrl: httpsUrl(values["evidence-base-url"], "--evidence-base-url") }
      : {}),
    ...(typeof values["secret-owner-tag"] === "string" ? { ownerTag: values["secret-owner-tag"] } : {}),
    documentIds,
    controlIds: perControl(mapping, "vanta", {}),
  };
}

export function drataSettings(env: Env, mapping: Mapping = {}): DrataSettings {
  const [apiKey, workspaceId] = required(env, ["DRATA_API_KEY", "DRATA_WORKSPACE_ID"]) as [string, string];
  const controlCodes = Object.fromEntries(
    Object.entries(jsonMap(env, "DRATA_CONTROL_CODES")).map(([control, codes]) => [
      control,
      (Array.isArray(codes) ? codes : [codes]).map(String),
    ]),
  );
  return {
    baseUrl: baseUrl(env, "DRATA_API_URL", "https://public-api.drata.com/public/v2"),
    apiKey,
    workspaceId,
    ...(env.DRATA_CONNECTION_ID?.trim() ? { connectionId: env.DRATA_CONNECTION_ID.trim() } : {}),
    ...(env.DRATA_RESOURCE_ID?.trim() ? { resourceId: env.DRATA_RESOURCE_ID.trim() } : {}),
    controlCodes: perControl(mapping, "drata", controlCodes),
  };
}

/** Vanta resources need "a HTTPS URL" (connectors-v1.json): the base the package folder is served under. */
function httpsUrl(value: string, name: string): string {
  if (!URL.canParse(value) || new URL(value).protocol !== "https:")
    throw new UsageError(`${name} must be an https URL (Vanta accepts only HTTPS links to evidence)`);
  return value;
}

/**
 * The package to publish: --package DIR or s3://bucket/prefix/packages/<period>/<runId>, or for --period P the
 * package latest.json names in the configured store (local folder or S3 bucket).
 */
async function packageSource(values: Values, now: () => Date): Promise<{ store: Store; prefix: string }> {
  if (typeof values.package === "string") {
    if (!values.package.startsWith("s3://")) return { store: new LocalStore(resolve(values.package)), prefix: "" };
    const { bucket, folder } = parseS3Location(values.package);
    return { store: await openS3Store({ bucket, prefix: folder, store: { prefix: folder }, region: defaultRegion() }), prefix: "" };
  }
  if (typeof values.period !== "string")
    throw new UsageError(
      "publish needs --package DIR|s3://... (a package folder) or --period P (its latest package in the store)",
    );
  const loaded = await configFrom(values, now(), loggerFor(values));
  const fiscal = loaded.config.fiscalYearStartMonth;
  const label = parsePeriod(values.period, now(), fiscal ? { fiscalYearStartMonth: fiscal } : {}).label;
  const store = await storeFrom(values, loaded);
  const pointer = latestPointerKey(label);
  const latest = await store.get(pointer).catch(() => {
    throw new UsageError(
      `no complete package for ${label} in ${store.location} (no ${pointer}); run collect --period ${values.period} first, or pass --package`,
    );
  });
  const { runId } = JSON.parse(latest.toString("utf8")) as { runId: string };
  return { store, prefix: packagePrefix(label, runId) };
}

export async function publishCommand(args: string[], now: () => Date): Promise<number> {
  const { values } = parse(args, OPTIONS);
  const to = values.to;
  if (to !== "vanta" && to !== "drata") throw new UsageError("publish needs --to vanta or --to drata");
  if (values["list-controls"]) {
    const log = loggerFor(values);
    const lines =
      to === "vanta"
        ? await listVantaControls(vantaSettings(process.env, values), log)
        : await listDrataControls(drataSettings(process.env), log);
    process.stdout.write(lines.join("\n") + "\n");
    return 0;
  }
  if (values["create-connection"]) {
    if (to !== "drata") throw new UsageError("--create-connection is for --to drata (Vanta resource types are set up in its Developer Console)");
    const { store, prefix } = await packageSource(values, now);
    const source = await openPackageFolder(store, prefix);
    const lines = await createDrataConnection(source, drataSettings(process.env), loggerFor(values));
    process.stdout.write(lines.join("\n") + "\n");
    return 0;
  }
  const mapping = await platformMapping(values, now);
  const { store, prefix } = await packageSource(values, now);
  const dryRun = Boolean(values["dry-run"]);
  const settings = dryRun
    ? undefined
    : to === "vanta"
      ? vantaSettings(process.env, values, mapping)
      : drataSettings(process.env, mapping);
  const source = await openPackageFolder(store, prefix);
  const folder = source.folder;
  const log = loggerFor(values);
  let outcome: PublishOutcome;
  if (dryRun) {
    const manifest = await source.json<{ documents?: { file: string }[]; evidence?: { file: string }[] }>(
      `${to}/${to}.json`,
    );
    const files = (manifest.documents ?? manifest.evidence ?? []).map((entry) => `${to}/${entry.file}`);
    for (const file of files) await source.read(file);
    outcome = {
      actions: files.map((file) => `would upload ${file} (matches manifest.json)`),
      skipped: ["dry run: nothing was sent"],
    };
  } else if (to === "vanta") {
    outcome = await publishToVanta(source, settings as VantaSettings, log);
  } else {
    outcome = await publishToDrata(source, settings as DrataSettings, log);
  }
  if (values.json) {
    process.stdout.write(
      JSON.stringify({
        platform: to,
        package: folder,
        runId: source.manifest.runId,
        period: source.manifest.period,
        ...outcome,
      }) + "\n",
    );
  } else if (!values.quiet) {
    const lines = [
      `${dryRun ? "checked" : "published"} ${folder} to ${to}`,
      ...outcome.actions.map((action) => `  ${action}`),
    ];
    if (outcome.skipped.length > 0) lines.push("skipped:", ...outcome.skipped.map((entry) => `  ${entry}`));
    process.stdout.write(lines.join("\n") + "\n");
  }
  return 0;
}
