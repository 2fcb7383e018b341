// The renderers, one per output format; evidence.json is always written.
import { jsonRenderer } from "./json.js";
import type { Format, Renderer } from "./renderer.js";

export const RENDERERS: readonly Renderer[] = [jsonRenderer];

export function renderersFor(formats: readonly Format[]): Renderer[] {
  return RENDERERS.filter((renderer) => renderer.format === "json" || formats.includes(renderer.format));
}
