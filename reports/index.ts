// The renderers, one per output format; evidence.json and access-review.csv are always written.
import { drataRenderer } from "./drata.js";
import { ITEM_STREAMS } from "./item-streams.js";
import { oscalRenderer } from "./oscal.js";
import { pdfRenderer } from "./pdf.js";
import { ALWAYS_WRITTEN, type Format, type Renderer } from "./renderer.js";
import { vantaRenderer } from "./vanta.js";

/**
 * In the order they render. Each file goes to the store while the next renders (src/package/write.ts), and only the
 * last one's upload has nothing to overlap: so report.pdf, the longest to render and small beside evidence.json and
 * access-review.csv, comes last.
 */
export const RENDERERS: readonly Renderer[] = [
  ...ITEM_STREAMS, // evidence.json, access-review.csv
  oscalRenderer,
  vantaRenderer,
  drataRenderer,
  pdfRenderer,
];

export { ITEM_STREAMS };

export function renderersFor(formats: readonly Format[]): Renderer[] {
  return RENDERERS.filter((renderer) => ALWAYS_WRITTEN.includes(renderer.format) || formats.includes(renderer.format));
}
