// Which environment entries look like credentials, by name and by value shape; the value itself never leaves here.
import { createHash } from "node:crypto";

/** Glob name patterns (case-insensitive, `*` any run of characters): the defaults. */
export const DEFAULT_NAME_PATTERNS: readonly string[] = [
  "*PASSWORD*",
  "*PASSWD*",
  "*SECRET*",
  "*TOKEN*",
  "*API_KEY*",
  "*APIKEY*",
  "*PRIVATE_KEY*",
  "*CREDENTIAL*",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
];

/** NAME=value pairs that are settings, not credentials (MYSQL_ALLOW_EMPTY_PASSWORD=yes is an instruction). */
export const DEFAULT_ALLOW: readonly string[] = [
  "MYSQL_ALLOW_EMPTY_PASSWORD=*",
  "MYSQL_RANDOM_ROOT_PASSWORD=*",
  "*_SECRET_ARN=arn:*",
  "*_SECRET_NAME=*",
  "*_SECRET_ID=*",
  "*_TOKEN_URL=http*",
  "*_PASSWORD_FILE=/*",
];

/** Value shapes of well-known credentials. Sources: AWS IAM identifiers (AKIA/ASIA), RFC 7468 PEM labels, RFC 7519 JWT. */
const VALUE_SHAPES: readonly { rule: string; pattern: RegExp }[] = [
  { rule: "value:aws-access-key-id", pattern: /\b(AKIA|ASIA)[A-Z0-9]{16}\b/ },
  { rule: "value:private-key-header", pattern: /-----BEGIN ([A-Z]+ )?PRIVATE KEY-----/ },
  { rule: "value:jwt", pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/ },
  // scheme://user:password@host, the password non-empty and not a ${PLACEHOLDER}.
  { rule: "value:url-with-password", pattern: /^[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:(?!\$\{)[^@\s]+@/i },
  { rule: "value:password-in-connection-string", pattern: /(^|;)\s*(password|pwd)\s*=\s*[^;\s]+/i },
];

/** Values that carry no credential whatever the name says. */
const EMPTY_OR_FLAG = /^(|true|false|yes|no|on|off|0|1|none|null|changeme-in-secrets)$/i;

/** A value longer than this is judged by its first part only: shapes sit at the start or within it. */
const MAX_VALUE_SCANNED = 16_384;

export interface PatternSet {
  names: RegExp[];
  allow: { name: RegExp; value: RegExp }[];
}

export class PatternError extends Error {
  constructor(readonly pattern: string, why: string) {
    super(`pattern ${JSON.stringify(pattern)}: ${why}`);
    this.name = "PatternError";
  }
}

/** A glob of letters, digits, `_`, `-`, `.`, `/`, `:`, `=` and `*`; anything else is a configuration error. */
function glob(pattern: string): RegExp {
  if (pattern === "" || pattern.length > 256 || !/^[\w*./:=@+-]+$/.test(pattern)) {
    throw new PatternError(pattern, "use letters, digits, _ - . / : = @ + and * only, at most 256 characters");
  }
  const source = pattern.split("*").map((part) => part.replace(/[.+/]/g, "\\$&")).join(".*");
  return new RegExp(`^${source}$`, "is");
}

export function patternSet(names: readonly string[], allow: readonly string[]): PatternSet {
  return {
    names: names.map(glob),
    allow: allow.map((entry) => {
      const at = entry.indexOf("=");
      if (at <= 0) throw new PatternError(entry, "an allow entry is NAME=value (globs)");
      return { name: glob(entry.slice(0, at)), value: glob(entry.slice(at + 1) || "*") };
    }),
  };
}

export interface CredentialFinding {
  /** Variable name: recorded. */
  name: string;
  /** Which rule matched: `name:<glob>` or `value:<shape>`. */
  rules: string[];
  /** First 12 hex digits of SHA-256 of the value: lets an auditor tell two revisions' values apart, reveals nothing. */
  valueSha256Prefix: string;
  valueLength: number;
}

export const sha256Prefix = (value: string): string => createHash("sha256").update(value).digest("hex").slice(0, 12);

/** The rules one NAME=value pair matches, or undefined when it does not look like a credential. */
export function credentialFinding(name: string, value: string, patterns: PatternSet): CredentialFinding | undefined {
  const trimmed = value.trim();
  if (patterns.allow.some((allow) => allow.name.test(name) && allow.value.test(trimmed))) return undefined;
  const rules: string[] = [];
  if (!EMPTY_OR_FLAG.test(trimmed)) {
    for (const [index, pattern] of patterns.names.entries()) {
      if (pattern.test(name)) rules.push(`name:${patternSource(patterns, index)}`);
    }
  }
  const scanned = trimmed.slice(0, MAX_VALUE_SCANNED);
  for (const shape of VALUE_SHAPES) if (shape.pattern.test(scanned)) rules.push(shape.rule);
  if (rules.length === 0) return undefined;
  return { name, rules, valueSha256Prefix: sha256Prefix(value), valueLength: value.length };
}

const patternSource = (patterns: PatternSet, index: number): string =>
  String(patterns.names[index]?.source.slice(1, -1).replace(/\.\*/g, "*").replace(/\\/g, ""));
