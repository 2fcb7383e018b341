// One pass over controls.yaml: every problem found, located, with a fix; a valid file becomes a ControlsConfig.
import { validate as validCron } from "node-cron";
import { isScalar, type Document, type YAMLMap } from "yaml";
import { collectorIds, findCollector } from "../../collectors/index.js";
import type { ParamSchema } from "../core/collector.js";
import { parseDay } from "../core/period.js";
import { Checker, join, suggest, type YamlNode } from "./checker.js";
import { checkParams } from "./params.js";
import { isBlanketGlob, MAX_GLOB_LENGTH } from "./exceptions.js";
import type { ControlConfig, ControlsConfig, ExceptionConfig, PlatformControls, StoreConfig } from "./types.js";

const TOP_KEYS = ["version", "organization", "scope", "store", "schedule", "fiscalYearStartMonth", "controls", "exceptions", "maxExceptionShare"];
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
const ACCOUNT = /^\d{12}$/;
const BUCKET = /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** Most controls one config may declare: every control is a PDF section and a judged population. */
export const MAX_CONTROLS = 1000;
/** Longest organization name: it heads every page of the PDF. */
export const MAX_ORGANIZATION_LENGTH = 256;
const CONTROL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkConfig(doc: Document, checker: Checker, today: string): ControlsConfig | undefined {
  const root = checker.map(doc.contents as YamlNode, "", TOP_KEYS);
  if (!root) return undefined;
  const versionNode = root.get("version", true) as YamlNode;
  if (!isScalar(versionNode) || versionNode.value !== 1) {
    checker.report(versionNode ?? root, "version", "version", `"version: 1" is required (the only format version)`);
  }
  const organization = checker.string(root, "organization", "", true, MAX_ORGANIZATION_LENGTH);
  const scope = checkScope(root.get("scope", true) as YamlNode, checker);
  const store = checkStore(root.get("store", true) as YamlNode, checker);
  const schedule = checker.string(root, "schedule", "", false);
  if (schedule !== undefined && !validCron(schedule)) {
    checker.report(root.get("schedule", true) as YamlNode, "schedule", "cron", `invalid cron expression "${schedule}"`);
  }
  const fiscalYearStartMonth = checker.integer(root, "fiscalYearStartMonth", "", 1, 12);
  const controls = checkControls(root.get("controls", true) as YamlNode, checker, root);
  const exceptions = checkExceptions(root.get("exceptions", true) as YamlNode, checker, today);
  const shareNode = root.get("maxExceptionShare", true) as YamlNode;
  const maxExceptionShare = isScalar(shareNode) ? shareNode.value : undefined;
  if (shareNode !== undefined && (typeof maxExceptionShare !== "number" || !(maxExceptionShare > 0 && maxExceptionShare <= 1))) {
    checker.report(shareNode, "maxExceptionShare", "type", "expected a number greater than 0 and at most 1 (the share of a collector's items one exception may cover)");
  }
  if (checker.problems.some((problem) => problem.severity === "error")) return undefined;
  return {
    version: 1,
    organization: organization as string,
    scope: scope as ControlsConfig["scope"],
    store,
    ...(schedule ? { schedule } : {}),
    ...(fiscalYearStartMonth ? { fiscalYearStartMonth } : {}),
    controls,
    exceptions,
    ...(typeof maxExceptionShare === "number" ? { maxExceptionShare } : {}),
  };
}

function checkScope(node: YamlNode, checker: Checker): ControlsConfig["scope"] | undefined {
  const map = checker.map(node, "scope", ["accounts", "assumeRole", "regions"]);
  if (!map) return undefined;
  const accountsNode = map.get("accounts", true) as YamlNode;
  let accounts: ControlsConfig["scope"]["accounts"] = "current";
  if (isScalar(accountsNode)) {
    if (accountsNode.value === "current" || accountsNode.value === "organization") accounts = accountsNode.value;
    else checker.report(accountsNode, "scope.accounts", "accounts", `expected "current", "organization" or a list of account IDs`);
  } else if (accountsNode) {
    const list = checker.seq(accountsNode, "scope.accounts", "12-digit account IDs");
    accounts = (list?.items ?? []).flatMap((item, index) => {
      const value = isScalar(item) ? item.value : undefined;
      if (typeof value === "string" && (ACCOUNT.test(value) || value === "current")) return [value];
      if (typeof value === "number" && ACCOUNT.test(String(value))) return [String(value)];
      const hint = typeof value === "number" ? ` (quote it: '${String(value).padStart(12, "0")}', or leading zeros are lost)` : "";
      checker.report(item as YamlNode, join("scope.accounts", index), "account", `"${String(value)}" is not a 12-digit account ID or "current"${hint}`);
      return [];
    });
  }
  const assumeRole = checker.string(map, "assumeRole", "scope", false);
  const regionsNode = map.get("regions", true) as YamlNode;
  const regions = (checker.seq(regionsNode, "scope.regions", "region names such as us-east-1")?.items ?? []).flatMap(
    (item, index) => {
      const value = isScalar(item) ? item.value : undefined;
      if (typeof value === "string" && REGION.test(value)) return [value];
      checker.report(item as YamlNode, join("scope.regions", index), "region", `"${String(value)}" is not an AWS region name (like us-east-1)`);
      return [];
    },
  );
  if (regionsNode && regions.length === 0 && !checker.problems.some((problem) => problem.path.startsWith("scope.regions"))) {
    checker.report(regionsNode, "scope.regions", "region", "list at least one region");
  }
  if (!regionsNode) checker.report(map, "scope.regions", "missing", `"regions" is required: the regions to collect, e.g. [us-east-1]`);
  if (Array.isArray(accounts) && accounts.length === 0 && accountsNode && !checker.problems.some((problem) => problem.path.startsWith("scope.accounts"))) {
    checker.report(accountsNode, "scope.accounts", "accounts", 'list at least one account ID, or use "current" or "organization"');
  }
  const needsRole = accounts === "organization" || (Array.isArray(accounts) && accounts.some((account) => account !== "current"));
  if (needsRole && !assumeRole) {
    checker.report(map, "scope.assumeRole", "missing", `"assumeRole" is required to read other accounts: the role name to assume in each`);
  }
  return { accounts, ...(assumeRole ? { assumeRole } : {}), regions: [...new Set(regions)] };
}

function checkStore(node: YamlNode, checker: Checker): StoreConfig {
  if (node === undefined || node === null) return { prefix: "" };
  const map = checker.map(node, "store", ["bucket", "prefix", "retainDays", "signingKey"]);
  if (!map) return { prefix: "" };
  const bucket = checker.string(map, "bucket", "store", false);
  if (bucket !== undefined && !BUCKET.test(bucket)) {
    checker.report(map.get("bucket", true) as YamlNode, "store.bucket", "bucket", `"${bucket}" is not a valid S3 bucket name`);
  }
  const rawPrefix = checker.string(map, "prefix", "store", false) ?? "";
  const prefix = rawPrefix === "" || rawPrefix.endsWith("/") ? rawPrefix : `${rawPrefix}/`;
  const retainDays = checker.integer(map, "retainDays", "store", 1, 36_500);
  const signingKey = checker.string(map, "signingKey", "store", false);
  return {
    prefix: prefix.replace(/^\/+/, ""),
    ...(bucket ? { bucket } : {}),
    ...(retainDays ? { retainDays } : {}),
    ...(signingKey ? { signingKey } : {}),
  };
}

function checkControls(node: YamlNode, checker: Checker, root: YAMLMap): ControlConfig[] {
  if (node === undefined) {
    checker.report(root, "controls", "missing", `"controls" is required: a list of controls, each with collectors`);
    return [];
  }
  const seen = new Map<string, number>();
  const list = checker.seq(node, "controls", "controls");
  if (list && list.items.length === 0) checker.report(node, "controls", "empty", "list at least one control: an empty config would prove nothing");
  if (list && list.items.length > MAX_CONTROLS) {
    checker.report(node, "controls", "limit", `${list.items.length} controls is more than the limit of ${MAX_CONTROLS}; split the config`);
    return [];
  }
  return (list?.items ?? []).flatMap((item, index) => {
    const path = join("controls", index);
    const map = checker.map(item as YamlNode, path, ["id", "title", "description", "collectors", "platforms"]);
    if (!map) return [];
    const id = checker.string(map, "id", path, true);
    if (id !== undefined && !CONTROL_ID.test(id)) {
      checker.report(map.get("id", true) as YamlNode, join(path, "id"), "control-id", `"${id}" is not a control id like CC6.1`);
    }
    if (id !== undefined && seen.has(id)) {
      checker.report(map.get("id", true) as YamlNode, join(path, "id"), "duplicate", `duplicate control id "${id}" (also controls[${seen.get(id)}])`);
    }
    if (id !== undefined && !seen.has(id)) seen.set(id, index);
    const title = checker.string(map, "title", path, true, 512);
    const description = checker.string(map, "description", path, false);
    const collectorsNode = map.get("collectors", true) as YamlNode;
    const uses = (checker.seq(collectorsNode, join(path, "collectors"), "collectors")?.items ?? []).flatMap(
      (use, position) => checkUse(use as YamlNode, join(join(path, "collectors"), position), checker),
    );
    if (collectorsNode && uses.length === 0 && isSeqEmpty(collectorsNode)) {
      checker.report(collectorsNode, join(path, "collectors"), "empty", "list at least one collector");
    }
    const platforms = checkPlatforms(map.get("platforms", true) as YamlNode, join(path, "platforms"), checker);
    return id && title
      ? [{ id, title, ...(description ? { description } : {}), collectors: uses, ...(platforms ? { platforms } : {}) }]
      : [];
  });
}

/** Vanta control ids are opaque strings (GET /v1/controls `Control.id`); Drata codes look like DCF-37. */
const PLATFORM_ID: Record<keyof PlatformControls, { pattern: RegExp; like: string }> = {
  vanta: { pattern: /^[A-Za-z0-9][A-Za-z0-9._:-]*$/, like: "a Vanta control id such as crypto-key-rotation" },
  drata: { pattern: /^[A-Z][A-Z0-9]*-\d+$/, like: "a Drata control code such as DCF-37" },
};

function checkPlatforms(node: YamlNode, path: string, checker: Checker): PlatformControls | undefined {
  if (node === undefined || node === null) return undefined;
  const map = checker.map(node, path, ["vanta", "drata"]);
  if (!map) return undefined;
  const platforms: PlatformControls = {};
  for (const platform of ["vanta", "drata"] as const) {
    const listNode = map.get(platform, true) as YamlNode;
    if (listNode === undefined) continue;
    const at = join(path, platform);
    const list = checker.seq(listNode, at, `${platform} control ids`);
    if (!list) continue;
    const ids: string[] = [];
    list.items.forEach((entry, index) => {
      const value = isScalar(entry) ? entry.value : undefined;
      const { pattern, like } = PLATFORM_ID[platform];
      if (typeof value !== "string" || !pattern.test(value)) {
        checker.report(entry as YamlNode, join(at, index), "platform-control", `expected ${like}`);
      } else if (ids.includes(value)) {
        checker.report(entry as YamlNode, join(at, index), "duplicate", `"${value}" is listed twice`);
      } else ids.push(value);
    });
    if (ids.length > 0) platforms[platform] = ids;
  }
  return Object.keys(platforms).length > 0 ? platforms : undefined;
}

const isSeqEmpty = (node: YamlNode): boolean => !!node && "items" in node && (node.items as unknown[]).length === 0;

function checkUse(node: YamlNode, path: string, checker: Checker) {
  const map = checker.map(node, path, ["use", "with"]);
  if (!map) return [];
  const id = checker.string(map, "use", path, true);
  if (id === undefined) return [];
  const collector = findCollector(id);
  if (!collector) {
    const hint = suggest(id, collectorIds());
    checker.report(
      map.get("use", true) as YamlNode,
      join(path, "use"),
      "unknown-collector",
      `unknown collector "${id}" ${hint ? `(did you mean "${hint}"?)` : `(known: ${collectorIds().join(", ")})`}`,
    );
    return [];
  }
  const params = checkParams(map.get("with", true) as YamlNode, join(path, "with"), collector.params as ParamSchema, checker);
  return [{ use: id, with: params, collector: collector.bind(params) }];
}

function checkExceptions(node: YamlNode, checker: Checker, today: string): ExceptionConfig[] {
  if (node === undefined || node === null) return [];
  const keys = ["collector", "resource", "reason", "approvedBy", "ticket", "expires", "scope"];
  return (checker.seq(node, "exceptions", "exceptions")?.items ?? []).flatMap((item, index) => {
    const path = join("exceptions", index);
    const map = checker.map(item as YamlNode, path, keys);
    if (!map) return [];
    const collector = checker.string(map, "collector", path, true);
    if (collector !== undefined && !findCollector(collector)) {
      const hint = suggest(collector, collectorIds());
      checker.report(map.get("collector", true) as YamlNode, join(path, "collector"), "unknown-collector", `unknown collector "${collector}"${hint ? ` (did you mean "${hint}"?)` : ""}`);
    }
    const resource = checker.string(map, "resource", path, true);
    const scopeNode = map.get("scope", true) as YamlNode;
    const scope = isScalar(scopeNode) ? scopeNode.value : undefined;
    if (scopeNode !== undefined && scope !== "all") {
      checker.report(scopeNode, join(path, "scope"), "scope", `expected "scope: all" (an exception that deliberately covers every resource), or no scope`);
    }
    if (resource !== undefined && resource.length > MAX_GLOB_LENGTH) {
      checker.report(map.get("resource", true) as YamlNode, join(path, "resource"), "length", `the resource pattern is ${resource.length} characters; at most ${MAX_GLOB_LENGTH} (an ARN's limit)`);
    } else if (resource !== undefined && scope !== "all" && isBlanketGlob(resource)) {
      checker.report(
        map.get("resource", true) as YamlNode,
        join(path, "resource"),
        "blanket-exception",
        `"${resource}" matches every resource of ${collector ?? "the collector"}: name the resources, or mark it "scope: all" and say why in the reason`,
      );
    }
    const reason = checker.string(map, "reason", path, true);
    const approvedBy = checker.string(map, "approvedBy", path, true);
    const ticket = checker.string(map, "ticket", path, false);
    const expiresNode = map.get("expires", true) as YamlNode;
    const expires = isScalar(expiresNode) ? String(expiresNode.value) : undefined;
    if (expires === undefined) checker.report(map, join(path, "expires"), "missing", `"expires" is required (YYYY-MM-DD): exceptions must end`);
    else if (!parseDay(expires)) checker.report(expiresNode, join(path, "expires"), "date", `"${expires}" is not a date (YYYY-MM-DD)`);
    else if (expires < today) checker.warn(expiresNode, join(path, "expires"), "expired", `exception expired on ${expires}; it no longer applies and is reported as expired`);
    if (!collector || !resource || !reason || !approvedBy || !expires) return [];
    return [{ collector, resource, reason, approvedBy, ...(ticket ? { ticket } : {}), expires, ...(scope === "all" ? { scope: "all" as const } : {}), location: path }];
  });
}
