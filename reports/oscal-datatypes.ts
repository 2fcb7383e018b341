// OSCAL datatypes as this tool writes them: name-based UUIDs, control ids as tokens, one-line markup, and props
// (empty values dropped, since OSCAL strings may not be empty or padded).
import { createHash } from "node:crypto";
import type { EvidencePackage } from "../src/core/package-model.js";

/** The OSCAL release every document is written for and validated against (schemas/oscal/). */
export const OSCAL_VERSION = "1.2.1";

type Json = Record<string, unknown>;

/**
 * Namespace of this tool's own property names (OSCAL requires `ns` on props it does not define). An https URL, as
 * strict consumers (compliance-trestle) accept only `scheme://` namespaces; docs/OSCAL.md defines every name in it.
 */
export const PROP_NS = "https://soc2-evidence.dev/ns/oscal";
const UUID_NAMESPACE = Buffer.from("8b3f6c2a4e1d5f7a9c0b1d2e3f4a5b6c", "hex");

/** A name-based (version 5 layout) UUID: SHA-1 of a fixed namespace and the name, as RFC 4122 section 4.3 describes. */
export function nameUuid(name: string): string {
  const hash = createHash("sha1").update(UUID_NAMESPACE).update(name).digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** OSCAL writes control ids as lowercase tokens: "CC6.1" becomes "cc6.1". */
export function oscalControlId(id: string): string {
  const token = id
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}._-]+/gu, "-");
  return /^(\p{L}|_)/u.test(token) ? token : `c-${token}`;
}

export const sha256Hex = (text: string) => createHash("sha256").update(text).digest("hex");
export const json = (value: unknown) => JSON.stringify(value, null, 2) + "\n";

export const line = (text: string) => text.replace(/\s+/g, " ").trim() || "-";
export const prop = (
  name: string,
  value: string | number | undefined,
  ns: string | undefined = PROP_NS,
): Json[] => {
  const text = value === undefined ? "" : String(value).replace(/\s+/g, " ").trim();
  return text === "" ? [] : [{ name, ...(ns ? { ns } : {}), value: text }];
};
export const nonEmpty = <T>(key: string, list: T[]): Record<string, T[]> =>
  list.length > 0 ? { [key]: list } : {};

/** The metadata a package's own OSCAL documents share: the run is the version, the package's time the last change. */
export function packageMetadata(pkg: EvidencePackage, title: string): Json {
  return {
    title: line(title),
    "last-modified": pkg.generatedAt,
    version: pkg.runId,
    "oscal-version": OSCAL_VERSION,
    props: [...prop("tool", `${pkg.tool.name} ${pkg.tool.version}`)],
  };
}
