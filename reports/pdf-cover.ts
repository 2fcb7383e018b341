// The cover facts every PDF of a package opens with: organization, period, generation, tool, run, scope, caller,
// store, coverage, and where the file hashes are.
import type { EvidencePackage } from "../src/core/package-model.js";
import { dayRanges } from "./pdf-calendar.js";
import { MUTED, PdfWriter, STATUS_COLORS, style } from "./pdf-layout.js";

export const integrityNote = (where = "Appendix A") =>
  `File hashes: see manifest.json, appendix. The SHA-256 and store version of every package file, this document included, are in manifest.json, which is written after this document; the snapshot files this package was built from, whose hashes are known now, are listed in ${where}.`;

export function reportWriter(pkg: EvidencePackage, title = "SOC 2 Type II evidence package"): PdfWriter {
  return new PdfWriter({
    title: `${title}: ${pkg.organization} ${pkg.period.label}`,
    subject: `Evidence for ${pkg.period.start} to ${pkg.period.end}, through ${pkg.period.through}; run ${pkg.runId}`,
    author: `${pkg.tool.name} ${pkg.tool.version}`,
    created: new Date(pkg.generatedAt),
    runningHeader: `${pkg.organization} - SOC 2 evidence ${pkg.period.label} (${pkg.period.start} to ${pkg.period.end}) - run ${pkg.runId}`,
    identifier: pkg.runId,
    coverage: `${pkg.period.start}/${pkg.period.end}`,
    keywords: `SOC 2; ${pkg.period.label}; ${pkg.runId}`,
  });
}

export function periodText(pkg: EvidencePackage): string {
  const { period } = pkg;
  const through =
    period.through < period.end ? `; evidence through ${period.through}, ${period.days} days elapsed` : "";
  return `${period.label}: ${period.start} to ${period.end} (UTC)${through}`;
}

export function objectLockText(lock: EvidencePackage["store"]["objectLock"]): string {
  if (!lock) return "";
  if (!lock.enabled) return "Object Lock off";
  const retention = lock.days
    ? `${lock.days} days`
    : lock.years
      ? `${lock.years} years`
      : "no default retention";
  return `Object Lock on, ${lock.mode ?? "no"} mode, ${retention}`;
}

/** Cover fields shared by report.pdf and the per-control PDFs. */
export function coverFields(pkg: EvidencePackage, hashesAt?: string): [string, string][] {
  const { scope, store } = pkg;
  const lock = objectLockText(store.objectLock);
  return [
    ["Organization", pkg.organization],
    ["Period", periodText(pkg)],
    ["Generated", `${pkg.generatedAt} (UTC)`],
    ["Tool", `${pkg.tool.name} ${pkg.tool.version}`],
    ["Run ID", pkg.runId],
    ["Accounts in scope", scope.accounts.join(", ") || "none"],
    ["Regions in scope", scope.regions.join(", ") || "none"],
    ...(scope.skippedAccounts.length > 0
      ? [
          [
            "Accounts skipped",
            scope.skippedAccounts.map((skip) => `${skip.account} (${skip.reason})`).join(", "),
          ] as [string, string],
        ]
      : []),
    ["Caller identity", `${scope.caller.arn} (account ${scope.caller.account})`],
    [
      "Evidence store",
      [store.location, store.versioning ? `versioning ${store.versioning}` : "", lock]
        .filter(Boolean)
        .join("; "),
    ],
    [
      "Coverage",
      `${pkg.coverage.covered} of ${pkg.period.days} days have a complete snapshot${pkg.coverage.missing.length > 0 ? `; no snapshot on ${dayRanges(pkg.coverage.missing)}` : ""}`,
    ],
    ["Integrity", integrityNote(hashesAt)],
  ];
}

export function cover(writer: PdfWriter, pkg: EvidencePackage): void {
  writer.newPage();
  writer.y = 120;
  writer.paragraph("SOC 2 Type II evidence package", style("Helvetica-Bold", 24), 0, 4);
  writer.paragraph(`${pkg.organization} - ${pkg.period.label}`, style("Helvetica", 15, MUTED), 0, 18);
  const { controls } = pkg.summary;
  writer.badgeLine(
    `OVERALL: ${pkg.summary.status.toUpperCase()}`,
    STATUS_COLORS[pkg.summary.status] ?? MUTED,
    `${controls.effective} effective, ${controls.deficient} deficient, ${controls.incomplete} incomplete of ${pkg.controls.length} controls`,
    11,
  );
  writer.y += 16;
  writer.fields(coverFields(pkg), 120, 9.5);
}
