// The walls between layers are lint rules: a wrong-way import fails `npm test`, and these cases prove each wall stands.
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const eslint = new ESLint();

async function restricted(filePath: string, specifier: string): Promise<boolean> {
  const [result] = await eslint.lintText(`import "${specifier}";\n`, { filePath });
  return (result?.messages ?? []).some((message) => message.ruleId === "no-restricted-imports");
}

describe("layer walls", () => {
  it.each([
    ["src/core/model.ts", "../aws/clients.js", true],
    ["src/core/model.ts", "../../collectors/index.js", true],
    ["src/core/model.ts", "../../reports/pdf.js", true],
    ["src/core/model.ts", "./period.js", false],
    ["collectors/kms-key-rotation.ts", "../src/aws/clients.js", true],
    ["collectors/kms-key-rotation.ts", "../src/package/history.js", true],
    ["collectors/kms-key-rotation.ts", "../reports/pdf.js", true],
    ["collectors/kms-key-rotation.ts", "../src/core/model.js", false],
    ["reports/pdf.ts", "../src/package/history.js", true],
    ["reports/pdf.ts", "../collectors/index.js", true],
    ["reports/pdf.ts", "@aws-sdk/client-s3", true],
    ["reports/pdf.ts", "../src/core/package-model.js", false],
    ["src/store/preflight.ts", "../../collectors/tls-in-transit.judge.js", true],
  ])("%s importing %s is restricted: %s", async (file, specifier, expected) => {
    expect(await restricted(file, specifier)).toBe(expected);
  });
});
