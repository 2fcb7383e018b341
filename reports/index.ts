// The renderers, one per output format; evidence.json is always written.
import { drataRenderer } from "./drata.js";
import { jsonRenderer } from "./json.js";
import { oscalRenderer } from "./oscal.js";
import { pdfRenderer } from "./pdf.js";
import type { Format, Renderer } from "./renderer.js";
import { vantaRenderer } from "./vanta.js";

export const RENDERERS: readonly Renderer[] = [
  jsonRenderer,
  pdfRenderer,
  oscalRenderer,
  vantaRenderer,
  drataRenderer,
];

export function renderersFor(formats: readonly Format[]): Renderer[] {
  return RENDERERS.filter((renderer) => renderer.format === "json" || formats.includes(renderer.format));
}
