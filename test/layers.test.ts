// The walls between layers are lint rules: a wrong-way import fails `npm test`, and these cases prove each wall stands.
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const eslint = new ESLint();

/** Whether lint refuses `source` as the file at `filePath` for an import rule (ESLint's, or typescript-eslint's). */
async function refused(filePath: string, source: string): Promise<boolean> {
  const [result] = await eslint.lintText(source, { filePath });
  return (result?.messages ?? []).some((message) => message.ruleId === "no-restricted-imports" || message.ruleId === "@typescript-eslint/no-restricted-imports");
}

const bare = (specifier: string) => `import "${specifier}";\n`;

describe("layer walls", () => {
  it.each([
    ["src/core/model.ts", bare("../aws/clients.js"), true],
    ["src/core/model.ts", bare("../../collectors/index.js"), true],
    ["src/core/model.ts", bare("../../reports/pdf.js"), true],
    ["src/core/model.ts", bare("./period.js"), false],
    ["collectors/kms-key-rotation.ts", bare("../src/aws/clients.js"), true],
    ["collectors/kms-key-rotation.ts", bare("../src/package/history.js"), true],
    ["collectors/kms-key-rotation.ts", bare("../reports/pdf.js"), true],
    ["collectors/kms-key-rotation.ts", bare("../src/core/model.js"), false],
    ["reports/pdf.ts", bare("../src/package/history.js"), true],
    ["reports/pdf.ts", bare("../collectors/index.js"), true],
    ["reports/pdf.ts", bare("@aws-sdk/client-s3"), true],
    ["reports/pdf.ts", bare("../src/core/package-model.js"), false],
    ["reports/pdf.ts", bare("../src/core/sdk.js"), true],
    ["collectors/kms-key-rotation.ts", bare("../src/core/sdk.js"), false],
    ["src/store/preflight.ts", bare("../../collectors/tls-in-transit.judge.js"), true],
    // The SDK's values load through src/core/sdk.ts (require: it says why); its types import as usual.
    ["collectors/kms-key-rotation.ts", 'import { DescribeKeyCommand } from "@aws-sdk/client-kms";\nexport const x = DescribeKeyCommand;\n', true],
    ["collectors/kms-key-rotation.ts", 'import type { KeyMetadata } from "@aws-sdk/client-kms";\nexport type X = KeyMetadata;\n', false],
    ["src/aws/clients.ts", 'import { NodeHttpHandler } from "@smithy/node-http-handler";\nexport const x = NodeHttpHandler;\n', true],
    ["src/store/s3.ts", 'import { type S3Client } from "@aws-sdk/client-s3";\nexport type X = S3Client;\n', false],
  ])("%s: %s is refused: %s", async (file, source, expected) => {
    expect(await refused(file, source)).toBe(expected);
  });
});
