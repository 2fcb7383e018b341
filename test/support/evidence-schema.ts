// Validates evidence.json against schemas/evidence.schema.json; every test that writes a package should call it.
import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

// ajv-formats is CommonJS: under NodeNext its default export arrives as the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) {
    const schema = JSON.parse(
      readFileSync(new URL("../../schemas/evidence.schema.json", import.meta.url), "utf8"),
    ) as object;
    const ajv = new Ajv({ allErrors: true });
    addFormats(ajv);
    compiled = ajv.compile(schema);
  }
  return compiled;
}

/** Every schema violation as "path: message"; empty when the document is valid. */
export function validateEvidenceJson(document: unknown): string[] {
  const validate = validator();
  if (validate(document)) return [];
  return (validate.errors ?? []).map((error) => {
    const extra =
      error.keyword === "additionalProperties" ? ` (${String(error.params.additionalProperty)})` : "";
    return `${error.instancePath || "/"}: ${error.message ?? error.keyword}${extra}`;
  });
}
