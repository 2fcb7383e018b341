// The renderers that only stream the package's items, one at a time, and hold nothing else: what
// src/package/render-beside.ts renders on a worker thread. The worker loads this module, not index.ts (and pdfkit).
import { accessReviewCsvRenderer } from "./access-review-csv.js";
import { jsonRenderer } from "./json.js";
import type { Renderer } from "./renderer.js";

export const ITEM_STREAMS: readonly Renderer[] = [jsonRenderer, accessReviewCsvRenderer];
