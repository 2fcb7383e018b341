// evidence.json: the whole package, machine-readable, streamed item by item (schemas/evidence.schema.json).
import { itemLines } from "../src/core/package-items.js";
import type { EvidencePackage } from "../src/core/package-model.js";
import type { Renderer } from "./renderer.js";

function* evidenceJson(pkg: EvidencePackage): Generator<string> {
  const { items, ...head } = pkg;
  const opening = JSON.stringify(head, null, 2);
  yield `${opening.slice(0, -2)},\n  "items": [`;
  let first = true;
  for (const line of itemLines(items)) {
    yield `${first ? "" : ","}\n    ${line}`;
    first = false;
  }
  yield `${items.length > 0 ? "\n  " : ""}]\n}\n`;
}

export const jsonRenderer: Renderer = {
  format: "json",
  render: (pkg, target) => target.writeStream("evidence.json", evidenceJson(pkg)),
};
