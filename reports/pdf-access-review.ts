// The access review section of report.pdf: the open actions first, then per secret a compact can/did matrix.
import type { EvidencePackage } from "../src/core/package-model.js";
import { reviewItems, reviewRowsOf, type AccessReviewRow } from "./access-review-csv.js";
import { MUTED, STATUS_COLORS, style, type PdfWriter } from "./pdf-layout.js";
import { table, type Cell } from "./pdf-table.js";

const short = (arn: string): string => arn.split(":").slice(5).join(":") || arn;
const yesNo = (value: boolean, alarm: boolean): Cell | string => (alarm ? { text: value ? "yes" : "no", bold: true, color: STATUS_COLORS.fail } : value ? "yes" : "no");

export function accessReviewSection(writer: PdfWriter, pkg: EvidencePackage): void {
  const seen = new Set<string>();
  const items = reviewItems(pkg.items).filter((item) => !seen.has(`${item.account}|${item.resource.arn}`) && seen.add(`${item.account}|${item.resource.arn}`));
  if (items.length === 0) return;
  writer.newPage();
  writer.heading("6 Access review of secrets", 1);
  writer.paragraph(
    "Who can read each secret (secretsmanager:GetSecretValue and kms:Decrypt on its key both allowed, after identity policies, permission boundaries, the resource and key policies, and SCPs where readable) against who did (CloudTrail GetSecretValue events, within its 90-day event history). The reviewer marks keep or revoke in access-review.csv and signs it.",
    style("Helvetica", 9),
  );
  const open = items.flatMap((item) => reviewRowsOf(item).filter((row) => row.action).map((row) => ({ item, row })));
  writer.heading("Open actions", 2);
  if (open.length === 0) writer.paragraph("None: every grant was used and every read was granted.", style("Helvetica", 9));
  else
    table(
      writer,
      [
        { header: "Secret", share: 0.24 },
        { header: "Principal", share: 0.3 },
        { header: "Action", share: 0.3 },
        { header: "Exception", share: 0.16 },
      ],
      open.map(({ item, row }) => [item.resource.name, short(row.principal), { text: row.action, bold: true }, item.exception ? `${item.exception.approvedBy} until ${item.exception.expires}` : "none"]),
      { size: 7.5, caption: "Open actions" },
    );
  writer.heading("Matrix per secret", 2);
  for (const item of items) {
    const rows = reviewRowsOf(item);
    writer.heading(`${item.resource.name} (${item.account}, ${item.region})`, 3);
    const notRead = Array.isArray(item.observed.notRead) ? (item.observed.notRead as string[]) : [];
    if (notRead.length) writer.paragraph(`Could not read: ${notRead.join("; ")}.`, style("Helvetica-Oblique", 7.5, MUTED));
    if (rows.length === 0) {
      writer.paragraph("Nobody can read it and nobody did.", style("Helvetica", 8.5));
      continue;
    }
    table(
      writer,
      [
        { header: "Principal", share: 0.3 },
        { header: "Type", share: 0.13 },
        { header: "Can", share: 0.06 },
        { header: "Did", share: 0.06 },
        { header: "Reads", share: 0.07, align: "right" },
        { header: "Last read", share: 0.12 },
        { header: "Granted by", share: 0.26 },
      ],
      rows.map((row: AccessReviewRow) => [
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
