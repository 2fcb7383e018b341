// report.pdf: the auditor's reading copy of the package (cover, contents, summary, coverage calendar, one section
// per control, exceptions, population completeness, snapshot hashes). Embedded Arimo, tagged; streamed to the target.
import type { EvidencePackage } from "../src/core/package-model.js";
import { accessReviewSection } from "./pdf-access-review.js";
import { coverageCalendar, dayRanges, dayStates } from "./pdf-calendar.js";
import { controlSection, controlStatusCell, exceptionsTable, snapshotFilesTable } from "./pdf-control-section.js";
import { cover, coverFields, integrityNote, objectLockText, reportWriter } from "./pdf-cover.js";
import { collect, MUTED, produce, produceInto, STATUS_COLORS, style, type PdfWriter } from "./pdf-layout.js";
import { table } from "./pdf-table.js";
import type { Renderer } from "./renderer.js";

function summary(writer: PdfWriter, pkg: EvidencePackage): void {
  writer.newPage();
  writer.heading("1 Summary", 1);
  const items = pkg.summary.items;
  writer.paragraph(
    `Overall status ${pkg.summary.status.toUpperCase()}. ${pkg.items.length} resources: ${items.pass} pass, ${items.fail} fail, ${items.excepted} excepted, ${items.not_applicable} not applicable, ${items.error} error.`,
    style("Helvetica", 9.5),
  );
  table(
    writer,
    [
      { header: "Control", share: 0.08 },
      { header: "Title", share: 0.24 },
      { header: "Status", share: 0.1 },
      { header: "Population", share: 0.1, align: "right" },
      { header: "Pass", share: 0.07, align: "right" },
      { header: "Fail", share: 0.07, align: "right" },
      { header: "Excepted", share: 0.09, align: "right" },
      { header: "N/A", share: 0.06, align: "right" },
      { header: "Error", share: 0.07, align: "right" },
      { header: "Days covered", share: 0.12, align: "right" },
    ],
    pkg.controls.map((control) => [
      { text: control.id, bold: true },
      control.title,
      controlStatusCell(control),
      String(control.counts.population),
      String(control.counts.pass),
      String(control.counts.fail),
      String(control.counts.excepted),
      String(control.counts.not_applicable),
      String(control.counts.error),
      `${control.coverage.covered} of ${control.coverage.days}`,
    ]),
    { size: 8, caption: "Controls" },
  );
  writer.paragraph(
    "A control is effective when every resource passed, was excepted or was not applicable, on every day of the period; deficient when any resource failed; incomplete when a resource could not be read or a day of the period has no complete snapshot.",
    style("Helvetica-Oblique", 8, MUTED),
    0,
    10,
  );
  writer.heading("Scope and evidence store", 3);
  const { store } = pkg;
  writer.fields([
    ...coverFields(pkg).slice(5, 9),
    ["Store location", store.location],
    ["Versioning", store.versioning ?? (store.kind === "local" ? "local folder (no versioning)" : "unknown")],
    ["Object Lock", objectLockText(store.objectLock) || "not reported"],
    [
      "Encryption",
      store.encryption
        ? `${store.encryption.algorithm}${store.encryption.kmsKeyId ? ` with ${store.encryption.kmsKeyId}` : ""}`
        : "not reported",
    ],
    [
      "Public access block",
      store.publicAccessBlock
        ? Object.entries(store.publicAccessBlock)
            .map(([key, on]) => `${key} ${on ? "on" : "OFF"}`)
            .join(", ")
        : "not reported",
    ],
    ["TLS enforced", store.tlsEnforced === undefined ? "not reported" : store.tlsEnforced ? "yes" : "NO"],
    ...(store.warnings.length > 0 ? [["Store warnings", store.warnings.join("; ")] as [string, string]] : []),
  ]);
  if (pkg.notes.length > 0) {
    writer.heading("Notes", 3);
    for (const note of pkg.notes) writer.paragraph(`- ${note}`, style("Helvetica", 9));
  }
}

function coverage(writer: PdfWriter, pkg: EvidencePackage): void {
  writer.newPage();
  writer.heading("2 Coverage of the period", 1);
  const { period } = pkg;
  writer.paragraph(
    `${pkg.coverage.covered} of the ${period.days} days from ${period.start} to ${period.through} have a complete snapshot.` +
      (pkg.coverage.missing.length > 0
        ? ` ${pkg.coverage.missing.length} days have none: ${dayRanges(pkg.coverage.missing)}. Gaps are shown as they are, never filled.`
        : " There are no gaps.") +
      (period.through < period.end
        ? ` Days after ${period.through} up to the end of the period (${period.end}) are still to come.`
        : ""),
    style("Helvetica", 9.5),
    0,
    10,
  );
  coverageCalendar(
    writer,
    period,
    dayStates(
      period,
      pkg.coverage.days.filter((day) => day.covered).map((day) => day.day),
    ),
  );
  table(
    writer,
    [
      { header: "Control", share: 0.12 },
      { header: "Days covered", share: 0.14, align: "right" },
      { header: "Days without a complete snapshot", share: 0.74 },
    ],
    pkg.controls.map((control) => [
      control.id,
      `${control.coverage.covered} of ${control.coverage.days}`,
      dayRanges(control.coverage.missing) || "none",
    ]),
    { size: 8, caption: "Coverage by control" },
  );
}

function populations(writer: PdfWriter, pkg: EvidencePackage): void {
  writer.newPage();
  writer.heading("5 Population completeness and API calls", 1);
  writer.paragraph(
    "For each collector, account and region of the latest snapshot: how many resources were enumerated, whether pagination finished, and how many resources could not be read (error items).",
    style("Helvetica", 9),
  );
  table(
    writer,
    [
      { header: "Collector", share: 0.27 },
      { header: "Account", share: 0.15 },
      { header: "Region", share: 0.13 },
      { header: "Enumerated", share: 0.12, align: "right" },
      { header: "Pagination complete", share: 0.13 },
      { header: "Errors", share: 0.09, align: "right" },
      { header: "Duration", share: 0.11, align: "right" },
    ],
    pkg.populations.map((row) => [
      row.collector,
      row.account,
      row.region,
      String(row.enumerated),
      row.paginationComplete ? "yes" : { text: "NO", color: STATUS_COLORS.fail, bold: true },
      String(row.errors),
      `${(row.durationMs / 1000).toFixed(1)} s`,
    ]),
    { size: 7.5, caption: "Population completeness" },
  );
  writer.heading("API calls of this run", 3);
  table(
    writer,
    [
      { header: "Operation", share: 0.55 },
      { header: "Calls", share: 0.15, align: "right" },
      { header: "Failures", share: 0.15, align: "right" },
      { header: "Throttled", share: 0.15, align: "right" },
    ],
    pkg.calls.map((call) => [
      call.operation,
      String(call.calls),
      String(call.failures),
      String(call.throttles),
    ]),
    { size: 7.5, caption: "API calls" },
  );
}

function appendix(writer: PdfWriter, pkg: EvidencePackage): void {
  writer.newPage();
  writer.heading("Appendix A Snapshot files and hashes", 1);
  writer.paragraph(integrityNote(), style("Helvetica", 9));
  snapshotFilesTable(writer, pkg);
}

export function layoutReport(writer: PdfWriter, pkg: EvidencePackage): void {
  cover(writer, pkg);
  writer.reserveContents(6 + pkg.controls.length);
  summary(writer, pkg);
  coverage(writer, pkg);
  pkg.controls.forEach((control, index) => {
    writer.newPage();
    if (index === 0) writer.heading("3 Controls", 1);
    controlSection(writer, pkg, control);
  });
  writer.newPage();
  writer.heading("4 Exceptions", 1);
  writer.paragraph(
    "Approved exceptions from controls.yaml. An expired exception no longer applies: the resources it matched are judged again and reported as they are.",
    style("Helvetica", 9),
  );
  exceptionsTable(writer, pkg.exceptions);
  populations(writer, pkg);
  accessReviewSection(writer, pkg);
  appendix(writer, pkg);
  writer.finish();
}

/** The whole report in memory; for the benchmark and tests. Packages use the streaming renderer below. */
export function renderPdf(pkg: EvidencePackage): Promise<Buffer> {
  const writer = reportWriter(pkg);
  return produce(writer, () => layoutReport(writer, pkg), collect);
}

export const pdfRenderer: Renderer = {
  format: "pdf",
  async render(pkg, target) {
    const writer = reportWriter(pkg);
    await produceInto(writer, () => layoutReport(writer, pkg), target.openSync("report.pdf"));
  },
};
