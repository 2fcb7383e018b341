// The renderers, one per output format; evidence.json and access-review.csv are always written.
import { accessReviewCsvRenderer } from "./access-review-csv.js";
import { drataRenderer } from "./drata.js";
import { jsonRenderer } from "./json.js";
import { oscalRenderer } from "./oscal.js";
import { pdfRenderer } from "./pdf.js";
import { ALWAYS_WRITTEN, type Format, type Renderer } from "./renderer.js";
import { vantaRenderer } from "./vanta.js";

export const RENDERERS: readonly Renderer[] = [
  jsonRenderer,
  pdfRenderer,
  oscalRenderer,
  vantaRenderer,
  drataRenderer,
  accessReviewCsvRenderer,
];

export function renderersFor(formats: readonly Format[]): Renderer[] {
  return RENDERERS.filter((renderer) => ALWAYS_WRITTEN.includes(renderer.format) || formats.includes(renderer.format));
}
