// The access review section of report.pdf: the open actions first, then per secret a compact can/did matrix.
import type { EvidencePackage } from "../src/core/package-model.js";
import type { ReviewRow } from "../src/core/access-review.js";
import { exceptionLabel, readSourcesText, reviewItems, reviewRowsOf } from "./access-review-csv.js";
import { STATUS_COLORS, style, type PdfWriter } from "./pdf-layout.js";
import { columns, titledTable, type Cell } from "./pdf-table.js";

const short = (arn: string): string => arn.split(":").slice(5).join(":") || arn;
const yesNo = (value: boolean, alarm: boolean): Cell | string => (alarm ? { text: value ? "yes" : "no", bold: true, color: STATUS_COLORS.fail } : value ? "yes" : "no");

export function accessReviewSection(writer: PdfWriter, pkg: EvidencePackage): void {
  const items = reviewItems(pkg.items);
  if (items.length === 0) return;
  writer.newPage();
  writer.heading("6 Access review of secrets", 1);
  writer.paragraph(
    "Who can read each secret (secretsmanager:GetSecretValue and kms:Decrypt on its key both allowed, after identity policies, permission boundaries, the resource and key policies, and SCPs where readable) against who did (CloudTrail GetSecretValue events within its 90-day event history, and for earlier days of the period what earlier snapshots recorded). The reviewer marks keep or revoke in access-review.csv and signs it.",
    style("Helvetica", 9),
  );
  const open = items.flatMap((item) => reviewRowsOf(item).filter((row) => row.action).map((row) => ({ item, row })));
  titledTable(
    writer,
    { text: "Open actions", level: 2, empty: "None: every grant was used and every read was granted.", emptyStyle: style("Helvetica", 9) },
    columns(["Secret", 0.24], ["Principal", 0.3], ["Action", 0.3], ["Exception", 0.16]),
    open.map(({ item, row }) => [item.resource.name, short(row.principal), { text: row.action, bold: true }, exceptionLabel(item) || "none"]),
    { size: 7.5, caption: "Open actions" },
  );
  writer.heading("Matrix per secret", 2);
  for (const item of items) {
    const rows = reviewRowsOf(item);
    const notRead = Array.isArray(item.observed.notRead) ? (item.observed.notRead as string[]) : [];
    titledTable(
      writer,
      {
        text: `${item.resource.name} (${item.account}, ${item.region})`,
        level: 3,
        note: [notRead.length ? `Could not read: ${notRead.join("; ")}.` : "", readSourcesText(item)].filter(Boolean).join(" "),
        empty: "Nobody can read it and nobody did.",
        emptyStyle: style("Helvetica", 8.5),
      },
      columns(["Principal", 0.3], ["Type", 0.13], ["Can", 0.06], ["Did", 0.06], ["Reads", 0.07, "right"], ["Last read", 0.12], ["Granted by", 0.26]),
      rows.map((row: ReviewRow) => [
        short(row.principal),
        row.taskFamilies?.length ? `${row.principalType} (${row.taskFamilies.join(", ")})` : row.principalType,
        yesNo(row.canRead, !row.canRead && row.didRead),
        yesNo(row.didRead, row.canRead && !row.didRead),
        String(row.reads),
        row.lastRead?.slice(0, 10) ?? "",
        row.grantedBy.map((ref) => short(ref)).join("; "),
      ]),
      { size: 7, caption: item.resource.name },
    );
  }
}
