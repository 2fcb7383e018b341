// What the Vanta and Drata outputs share: per-control PDFs laid out once, upload file names, the renewal of the next
// period, and a link back to the package.
import { packagePrefix } from "../src/core/store-layout.js";
import { createHash } from "node:crypto";
import type { ControlResult, EvidencePackage } from "../src/core/package-model.js";
import { controlFileName, writeControlPdf } from "./platform-pdf.js";
import type { RenderTarget } from "./renderer.js";

/** A field the vendor's published documentation does not settle, with what was sent and why. */
export interface UnconfirmedField {
  field: string;
  note: string;
}

export interface ControlFile {
  control: ControlResult;
  /** Path inside vanta/ or drata/. */
  file: string;
  /** The name the file is uploaded under: unique per control, period and run, so a re-upload can be recognised. */
  uploadName: string;
  size: number;
  sha256: string;
}

/** Per package, where its control PDFs were first written and to which target: a second platform copies them. */
const written = new WeakMap<EvidencePackage, { target: RenderTarget; folder: string; files: Promise<ControlFile[]> }>();

/**
 * Each control's PDF in `folder` (vanta or drata), hashed as it is written. Laid out once per package and target: the
 * other platform's renderer copies the files. One control after another, each straight into its file: laid out at
 * once into Buffers, the large estate's control PDFs all waited in memory together until both platforms had run.
 */
export async function controlFiles(pkg: EvidencePackage, target: RenderTarget, folder: string): Promise<ControlFile[]> {
  const first = written.get(pkg);
  if (first && first.target === target) {
    const files = await first.files;
    if (first.folder !== folder) for (const { file } of files) await target.copy(`${first.folder}/${file}`, `${folder}/${file}`);
    return files;
  }
  const files = (async () => {
    const done: ControlFile[] = [];
    for (const control of pkg.controls) {
      const file = controlFileName(control);
      const hash = createHash("sha256");
      let size = 0;
      const out = target.openSync(`${folder}/${file}`);
      await writeControlPdf(pkg, control, {
        write(chunk) {
          hash.update(chunk);
          size += chunk.length;
          out.write(chunk);
        },
        close: () => out.close(),
        discard: () => out.discard(),
      });
      done.push({ control, file, uploadName: uploadName(pkg, file), size, sha256: hash.digest("hex") });
    }
    return done;
  })();
  written.set(pkg, { target, folder, files });
  return files;
}

export const uploadName = (pkg: EvidencePackage, file: string) =>
  `soc2-evidence_${file.replace(/\.pdf$/, "")}_${pkg.period.label}_${pkg.runId}.pdf`.replace(
    /[^A-Za-z0-9._-]+/g,
    "_",
  );

/** When the evidence was collected: the newest snapshot's finish (not the upload time), else the package time. */
export const collectedAt = (pkg: EvidencePackage) => pkg.snapshots.at(-1)?.finishedAt ?? pkg.generatedAt;

export type RenewalSchedule =
  "ONE_MONTH" | "TWO_MONTHS" | "THREE_MONTHS" | "SIX_MONTHS" | "ONE_YEAR" | "CUSTOM";
const SCHEDULES: Record<number, RenewalSchedule> = {
  1: "ONE_MONTH",
  2: "TWO_MONTHS",
  3: "THREE_MONTHS",
  6: "SIX_MONTHS",
  12: "ONE_YEAR",
};

/** The evidence is renewed with the next period of the same length: its schedule and its last day. */
export function nextPeriod(period: { start: string; end: string }): {
  schedule: RenewalSchedule;
  months?: number;
  end: string;
} {
  const start = new Date(`${period.start}T00:00:00Z`);
  const end = new Date(`${period.end}T00:00:00Z`);
  const dayAfter = new Date(end.getTime() + 86_400_000);
  if (start.getUTCDate() === 1 && dayAfter.getUTCDate() === 1) {
    const months =
      (end.getUTCFullYear() - start.getUTCFullYear()) * 12 + end.getUTCMonth() - start.getUTCMonth() + 1;
    const nextEnd = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth() + months + 1, 0));
    return { schedule: SCHEDULES[months] ?? "CUSTOM", months, end: nextEnd.toISOString().slice(0, 10) };
  }
  const length = end.getTime() - start.getTime() + 86_400_000;
  return { schedule: "CUSTOM", end: new Date(end.getTime() + length).toISOString().slice(0, 10) };
}

/** Where the package's evidence.json sits inside the store (the object every synced resource links to). */
export const evidenceKey = (pkg: EvidencePackage) => `${packagePrefix(pkg.period.label, pkg.runId)}evidence.json`;

/**
 * An HTTPS link to the package's evidence.json: the S3 console page of the object for an S3 store. A local store
 * has no HTTPS address, so undefined: Vanta resources need one ("This must be a HTTPS URL", connectors-v1.json).
 */
export function packageUrl(pkg: EvidencePackage): string | undefined {
  const { store } = pkg;
  if (store.kind !== "s3" || !store.bucket) return undefined;
  const prefix = store.location.replace(/^s3:\/\/[^/]+\/?/, "");
  const region = store.region ? `region=${encodeURIComponent(store.region)}&` : "";
  return `https://s3.console.aws.amazon.com/s3/object/${encodeURIComponent(store.bucket)}?${region}prefix=${encodeURIComponent(`${prefix}${evidenceKey(pkg)}`)}`;
}

/**
 * `text` cut to at most `max` code points (what JSON Schema maxLength counts), ending with `tail` when cut, so a
 * reader knows where the full text is. Never splits a surrogate pair.
 */
export function cut(text: string, max: number, tail: string): string {
  const points = Array.from(text);
  if (points.length <= max) return text;
  const end = ` … ${tail}`;
  return points.slice(0, Math.max(0, max - Array.from(end).length)).join("") + end;
}
