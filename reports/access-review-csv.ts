// access-review.csv: the quarterly access review for the reviewer to mark keep/revoke and sign; one row per
// (secret, principal) from secrets-access-review items. RFC 4180 quoting; cells that a spreadsheet would run as a
// formula (starting with = + - @, or a tab or carriage return) get a leading apostrophe (OWASP "CSV Injection").
import { ACCESS_REVIEW_COLLECTOR, overlayReview, type ReadSources, type ReviewRow } from "../src/core/access-review.js";
import type { EvidenceItem } from "../src/core/model.js";
import { selectItems } from "../src/core/package-items.js";
import type { PackageItems } from "../src/core/package-model.js";
import type { Renderer } from "./renderer.js";

export const ACCESS_REVIEW_FILE = "access-review.csv";

const COLUMNS = ["account", "secret", "principal", "principal_type", "task_families", "can_read", "did_read", "reads", "last_read", "source_regions", "source_ips", "granted_by", "reads_from_snapshots", "action", "exception", "note", "decision", "reviewer"] as const;

/** RFC 4180 field: quoted when it holds a comma, quote or line break; formula starts neutralised first. */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The period review when the package judged one (the snapshot's rows with the period's changes laid over), else the snapshot's rows. */
export function reviewRowsOf(item: EvidenceItem): ReviewRow[] {
  const rows = Array.isArray(item.observed.review) ? (item.observed.review as ReviewRow[]) : [];
  const changes = item.period?.observed.reviewChanges;
  return Array.isArray(changes) ? overlayReview(rows, changes as ReviewRow[]) : rows;
}

/** Which days' reads came from CloudTrail and which from earlier snapshots, as one sentence ("" without a period review). */
export function readSourcesText(item: EvidenceItem): string {
  const sources = item.period?.observed.readSources as ReadSources | undefined;
  if (!sources) return "";
  const earlier = sources.snapshotDays.length ? `earlier snapshots for ${sources.snapshotDays.join(", ")}` : "no earlier snapshot added reads";
  return `Reads: CloudTrail event history ${sources.cloudTrail.from} to ${sources.cloudTrail.to}; ${earlier}.`;
}

/**
 * The review items, once per (account, secret): a secret reviewed under several controls appears once, the first
 * wins. Each walk reads them again (from the package's spool at scale), so none is held between walks.
 */
export function reviewItems(items: PackageItems): Iterable<EvidenceItem> {
  const review = selectItems(items, { collector: ACCESS_REVIEW_COLLECTOR });
  return {
    *[Symbol.iterator]() {
      const seen = new Set<string>();
      for (const item of review) {
        const key = `${item.account}|${item.resource.arn}`;
        if (item.controlIds.length === 0 || seen.has(key)) continue;
        seen.add(key);
        yield item;
      }
    },
  };
}

/** The exception covering an item's open actions, as the CSV and the PDF name it ("" when there is none). */
export const exceptionLabel = (item: EvidenceItem): string => (item.exception ? `${item.exception.approvedBy} until ${item.exception.expires}` : "");

function* reviewCsv(items: PackageItems): Generator<string> {
  yield `${COLUMNS.join(",")}\r\n`;
  for (const item of reviewItems(items)) {
    const exception = exceptionLabel(item);
    for (const row of reviewRowsOf(item)) {
      const cells = [item.account, row.secret, row.principal, row.principalType, (row.taskFamilies ?? []).join(" "), row.canRead ? "yes" : "no", row.didRead ? "yes" : "no", String(row.reads), row.lastRead ?? "", row.sourceRegions.join(" "), row.sourceIps.join(" "), row.grantedBy.join("; "), (row.snapshotReadDays ?? []).join(" "), row.action, row.action ? exception : "", row.note ?? "", "", ""];
      yield `${cells.map(csvCell).join(",")}\r\n`;
    }
  }
}

export const accessReviewCsvRenderer: Renderer = {
  format: "access-review",
  render: (pkg, target) => target.writeStream(ACCESS_REVIEW_FILE, reviewCsv(pkg.items)),
};
