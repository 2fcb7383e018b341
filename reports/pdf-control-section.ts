// One control in a PDF: the criterion, what was checked and how, the counts, every failing, error and excepted
// resource with its reason, then the passing and not-applicable population in compact tables.
import { mapItems, selectHeads } from "../src/core/package-items.js";
import type { ControlResult, EvidencePackage, ExceptionUse, ItemHead } from "../src/core/package-model.js";
import { dayRanges } from "./pdf-calendar.js";
import { criterionText } from "./pdf-criteria.js";
import { MUTED, STATUS_COLORS, STATUS_LABELS, style, type PdfWriter } from "./pdf-layout.js";
import { columns, table, titledTable, type Cell } from "./pdf-table.js";

/** A control's statuses as one label: "deficient, incomplete" when both hold. */
export const controlStatusLabel = (control: Pick<ControlResult, "status" | "statuses">): string =>
  (control.statuses ?? [control.status]).join(", ");

/** The summary table's status cell for a control: every status that holds, coloured by the worst. */
export const controlStatusCell = (control: Pick<ControlResult, "status" | "statuses">): Cell => ({
  text: (control.statuses ?? [control.status]).map((status) => STATUS_LABELS[status] ?? status).join(", "),
  color: STATUS_COLORS[control.status],
});

export const statusCell = (status: string): Cell => ({
  text: STATUS_LABELS[status] ?? status,
  color: STATUS_COLORS[status],
  bold: true,
});

const paramsText = (params: Record<string, unknown>) =>
  Object.keys(params).length === 0
    ? "defaults"
    : Object.entries(params)
        .map(([key, value]) => `${key} = ${JSON.stringify(value)}`)
        .join(", ");

const instant = (iso: string) => iso.replace("T", " ").replace(/:\d\d(\.\d+)?Z$/, "Z");

function exceptionText(item: ItemHead): string {
  const exception = item.exception;
  if (!exception) return "";
  const ticket = exception.ticket ? `, ticket ${exception.ticket}` : "";
  return `\nException approved by ${exception.approvedBy}${ticket}, expires ${exception.expires}: ${exception.reason}`;
}

/**
 * The period's verdict, without repeating the reason beside it: a resource seen by one snapshot, or judged by a rule
 * that words the period as the day (the access review's open actions), has the same text twice, and an access review
 * row took nine lines where five hold it.
 */
function periodVerdict(item: ItemHead): string {
  if (!item.period) return "no period rule (daily verdicts)";
  const label = STATUS_LABELS[item.period.status] ?? item.period.status;
  return item.period.reason === item.reason ? `${label}: the same reason` : `${label}: ${item.period.reason}`;
}

export function controlSection(
  writer: PdfWriter,
  pkg: EvidencePackage,
  control: ControlResult,
  level: 1 | 2 = 2,
): void {
  writer.heading(`${control.id} ${control.title}`, level);
  writer.badgeLine(controlStatusLabel(control).toUpperCase(), STATUS_COLORS[control.status] ?? MUTED, control.reason);

  const criterion = criterionText(control);
  writer.fields([
    ["Criterion", criterion.text],
    ["Source of the text", criterion.source],
  ]);

  writer.heading("What was checked and how", 3);
  for (const collector of control.collectors) {
    writer.paragraph(`${collector.title} (collector ${collector.id})`, style("Helvetica-Bold", 9), 0, 2);
    writer.fields(
      [
        ["Parameters", paramsText(collector.params)],
        [
          "API operations",
          `${collector.permissions.join(", ")} (read-only; the IAM actions the collector is allowed to call)`,
        ],
      ],
      110,
      8.5,
    );
  }

  writer.heading("Population and results", 3);
  const { counts, coverage } = control;
  table(
    writer,
    ["Population", "Pass", "Fail", "Excepted", "Not applicable", "Error", "Days covered"].map((header) => ({
      header,
      share: 1 / 7,
      align: "right" as const,
    })),
    [
      [
        String(counts.population),
        String(counts.pass),
        String(counts.fail),
        String(counts.excepted),
        String(counts.not_applicable),
        String(counts.error),
        `${coverage.covered} of ${coverage.days}`,
      ],
    ],
    { size: 8.5 },
  );
  if (coverage.missing.length > 0) {
    writer.paragraph(
      `Days of the period without a complete snapshot for this control (${coverage.missing.length}): ${dayRanges(coverage.missing)}.`,
      style("Helvetica", 8.5, STATUS_COLORS.fail),
    );
  }

  // Read item by item as the table is laid out: a control's 15,000 rows are never all in memory. Only the heads: an
  // access review item of the bench is 100 KB on average, almost all of it review rows the table does not show.
  const exceptional = selectHeads(pkg.items, { controlId: control.id, statuses: ["fail", "error", "excepted"] });
  titledTable(
    writer,
    {
      text: `Failing, error and excepted resources (${exceptional.length})`,
      level: 3,
      empty: "None: every resource passed or was not applicable.",
    },
    columns(
      ["Resource", 0.33],
      ["Account / region", 0.13],
      ["Status", 0.08],
      ["Reason (latest snapshot and period)", 0.28],
      ["Period verdict", 0.18],
    ),
    mapItems(exceptional, (item) => [
      `${item.resource.arn}\n${item.resource.type} - ${item.collector}`,
      `${item.account}\n${item.region}`,
      statusCell(item.status),
      item.reason + exceptionText(item),
      periodVerdict(item),
    ]),
    { size: 7, caption: `${control.id} failing, error and excepted resources` },
  );

  const routine = selectHeads(pkg.items, { controlId: control.id, statuses: ["pass", "not_applicable"] });
  titledTable(
    writer,
    { text: `Passing and not applicable resources (${routine.length})`, level: 3, empty: "None." },
    columns(
      ["Resource", 0.5],
      ["Account", 0.12],
      ["Region", 0.1],
      ["Status", 0.08],
      ["Collected (UTC)", 0.2],
    ),
    mapItems(routine, (item) => [
      item.status === "not_applicable" ? `${item.resource.arn}\n${item.reason}` : item.resource.arn,
      item.account,
      item.region,
      statusCell(item.status),
      instant(item.source.collectedAt),
    ]),
    { size: 6.5, caption: `${control.id} passing and not applicable resources` },
  );
}

/** Every exception in controls.yaml with its approver, ticket, expiry, state and how many items it matched. */
export function exceptionsTable(writer: PdfWriter, exceptions: readonly ExceptionUse[]): void {
  if (exceptions.length === 0) {
    writer.paragraph("No exceptions are configured.", style("Helvetica-Oblique", 8.5, MUTED));
    return;
  }
  table(
    writer,
    [
      { header: "Collector / resource pattern", share: 0.3 },
      { header: "Reason", share: 0.22 },
      { header: "Approved by", share: 0.15 },
      { header: "Ticket", share: 0.08 },
      { header: "Expires", share: 0.1 },
      { header: "State", share: 0.07 },
      { header: "Matched", share: 0.08, align: "right" },
    ],
    exceptions.map((exception) => [
      `${exception.collector}\n${exception.resource}`,
      exception.reason,
      exception.approvedBy,
      exception.ticket ?? "-",
      exception.expires,
      statusCell(exception.state),
      String(exception.matched),
    ]),
    { size: 7.5, caption: "Exceptions" },
  );
}

/** Snapshot files with their store key, version and SHA-256; `keep` narrows them (a control's collectors). */
export function snapshotFilesTable(
  writer: PdfWriter,
  pkg: EvidencePackage,
  keep: (key: string) => boolean = () => true,
): void {
  table(
    writer,
    [
      { header: "Day / run", share: 0.16 },
      { header: "File (store key and version)", share: 0.3 },
      { header: "Bytes", share: 0.07, align: "right" },
      { header: "SHA-256", share: 0.47 },
    ],
    pkg.snapshots.flatMap((snapshot) =>
      snapshot.files
        .filter((file) => keep(file.key))
        .map((file) => [
          `${snapshot.day}\n${snapshot.runId}`,
          `${file.key}${file.versionId ? `\nversion ${file.versionId}` : ""}`,
          String(file.size),
          file.sha256,
        ]),
    ),
    { size: 6.5, caption: "Snapshot files" },
  );
}
