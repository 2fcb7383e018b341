// One PDF per control, for the Vanta and Drata uploads: the package's cover facts, the control section, the
// exceptions of its collectors, its own coverage calendar and the hashes of the snapshot files behind it.
import { packagePrefix } from "../src/core/store-layout.js";
import type { ControlResult, EvidencePackage } from "../src/core/package-model.js";
import { coverageCalendar, dayStates } from "./pdf-calendar.js";
import { controlSection, exceptionsTable, snapshotFilesTable } from "./pdf-control-section.js";
import { collect, MUTED, produce, produceInto, STATUS_COLORS, style, type PdfWriter } from "./pdf-layout.js";
import type { SyncFile } from "./renderer.js";
import { coverFields, reportWriter } from "./pdf-cover.js";

/** The file name a control's PDF has inside vanta/ and drata/: the control id, made safe for any file system. */
export const controlFileName = (control: { id: string }) =>
  `${control.id.replace(/[^A-Za-z0-9._-]+/g, "_")}.pdf`;

/** A control's PDF as one Buffer (tests; the platform renderers write it to a file with writeControlPdf). */
export function renderControlPdf(pkg: EvidencePackage, control: ControlResult): Promise<Buffer> {
  const writer = reportWriter(pkg, `SOC 2 evidence ${control.id}`);
  return produce(writer, () => layoutControl(writer, pkg, control), collect);
}

/** Lays a control's PDF out straight into `file`: none of it waits in memory (a control of 15,000 resources is ~600 pages). */
export function writeControlPdf(pkg: EvidencePackage, control: ControlResult, file: SyncFile): Promise<void> {
  const writer = reportWriter(pkg, `SOC 2 evidence ${control.id}`);
  return produceInto(writer, () => layoutControl(writer, pkg, control), file);
}

function layoutControl(writer: PdfWriter, pkg: EvidencePackage, control: ControlResult): void {
  const collectors = new Set(control.collectors.map((collector) => collector.id));
  writer.newPage();
  writer.y = 100;
  writer.paragraph(`SOC 2 evidence: ${control.id} ${control.title}`, style("Helvetica-Bold", 20), 0, 4, "Title");
  writer.paragraph(`${pkg.organization} - ${pkg.period.label}`, style("Helvetica", 13, MUTED), 0, 14);
  writer.badge(
    writer.left,
    writer.y,
    `${control.id}: ${control.status.toUpperCase()}`,
    STATUS_COLORS[control.status] ?? MUTED,
    10,
  );
  writer.y += 32;
  writer.fields(coverFields(pkg, `"Snapshot files and hashes" at the end of this document`), 120, 9);
  writer.paragraph(
    `This document is one control of the package; report.pdf covers every control and evidence.json holds every item. Package folder: ${packagePrefix(pkg.period.label, pkg.runId)}.`,
    style("Helvetica-Oblique", 8.5, MUTED),
  );

  writer.newPage();
  controlSection(writer, pkg, control, 1);

  writer.newPage();
  writer.heading(`Coverage of ${control.id}`, 1);
  writer.paragraph(
    `${control.coverage.covered} of ${control.coverage.days} days have a complete snapshot for this control.`,
    style("Helvetica", 9.5),
    0,
    8,
  );
  const missing = new Set(control.coverage.missing);
  coverageCalendar(
    writer,
    pkg.period,
    dayStates(
      pkg.period,
      pkg.coverage.days.map((day) => day.day).filter((day) => !missing.has(day)),
    ),
  );
  writer.heading("Exceptions for this control's collectors", 2);
  exceptionsTable(
    writer,
    pkg.exceptions.filter((exception) => collectors.has(exception.collector)),
  );
  writer.heading("Snapshot files and hashes", 2);
  snapshotFilesTable(
    writer,
    pkg,
    (key) =>
      key.endsWith("/snapshot.json") ||
      collectors.has(key.slice(key.lastIndexOf("/") + 1).replace(/\.jsonl$/, "")),
  );
  writer.finish();
}
