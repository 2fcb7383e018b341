// access-review.csv: the quarterly access review for the reviewer to mark keep/revoke and sign; one row per
// (secret, principal) from secrets-access-review items. RFC 4180 quoting; cells that a spreadsheet would run as a
// formula (starting with = + - @, or a tab or carriage return) get a leading apostrophe (OWASP "CSV Injection").
import type { EvidenceItem } from "../src/core/model.js";
import type { Renderer } from "./renderer.js";

export const ACCESS_REVIEW_COLLECTOR = "secrets-access-review";
export const ACCESS_REVIEW_FILE = "access-review.csv";

/** One review row as secrets-access-review records it in `observed.review`. */
export interface AccessReviewRow {
  secret: string;
  principal: string;
  principalType: string;
  taskFamilies?: string[];
  canRead: boolean;
  didRead: boolean;
  reads: number;
  lastRead?: string;
  grantedBy: string[];
  sourceRegions: string[];
  sourceIps: string[];
  action: string;
  note?: string;
}

const COLUMNS = ["account", "secret", "principal", "principal_type", "task_families", "can_read", "did_read", "reads", "last_read", "source_regions", "source_ips", "granted_by", "action", "exception", "note", "decision", "reviewer"] as const;

/** RFC 4180 field: quoted when it holds a comma, quote or line break; formula starts neutralised first. */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export const reviewRowsOf = (item: EvidenceItem): AccessReviewRow[] => (Array.isArray(item.observed.review) ? (item.observed.review as AccessReviewRow[]) : []);

export const reviewItems = (items: readonly EvidenceItem[]): EvidenceItem[] => items.filter((item) => item.collector === ACCESS_REVIEW_COLLECTOR && item.controlIds.length > 0);

/** Secrets reviewed under several controls appear once: the first item per (account, secret) wins. */
function* reviewCsv(items: readonly EvidenceItem[]): Generator<string> {
  yield `${COLUMNS.join(",")}\r\n`;
  const seen = new Set<string>();
  for (const item of reviewItems(items)) {
    const key = `${item.account}|${item.resource.arn}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const exception = item.exception ? `${item.exception.approvedBy} until ${item.exception.expires}` : "";
    for (const row of reviewRowsOf(item)) {
      const cells = [item.account, row.secret, row.principal, row.principalType, (row.taskFamilies ?? []).join(" "), row.canRead ? "yes" : "no", row.didRead ? "yes" : "no", String(row.reads), row.lastRead ?? "", row.sourceRegions.join(" "), row.sourceIps.join(" "), row.grantedBy.join("; "), row.action, row.action ? exception : "", row.note ?? "", "", ""];
      yield `${cells.map(csvCell).join(",")}\r\n`;
    }
  }
}

export const accessReviewCsvRenderer: Renderer = {
  format: "access-review",
  render: (pkg, target) => target.writeStream(ACCESS_REVIEW_FILE, reviewCsv(pkg.items)),
};
