import js from "@eslint/js";
import tseslint from "typescript-eslint";

// The walls of the house (STYLE.md, README "Layout"): imports point down, application -> collectors/reports -> core.
// @cloud-copilot/* is AGPL-3.0: a test oracle only (collectors/iam-evaluation.ts says why), never in shipped code.
const AGPL = { group: ["@cloud-copilot/*"], message: "@cloud-copilot/* is AGPL-3.0: use it in test/ only." };
const wall = (message, group) => ({ "no-restricted-imports": ["error", { patterns: [{ group, message }, AGPL] }] });

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "evidence/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": "off",
    },
  },
  {
    files: ["**/*.ts", "**/*.js"],
    ignores: ["test/**"],
    rules: { "no-restricted-imports": ["error", { patterns: [AGPL] }] },
  },
  {
    // Values from the SDK come through src/core/sdk.ts (require, not import: it says why); types are erased.
    files: ["src/**/*.ts", "collectors/**/*.ts", "reports/**/*.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": ["error", {
        patterns: [{ group: ["@aws-sdk/*", "@smithy/*"], allowTypeImports: true, message: "Load an SDK package with sdk() from src/core/sdk.ts; import only its types." }],
      }],
    },
  },
  {
    files: ["src/core/**/*.ts"],
    rules: wall("src/core is the contract: it imports nothing outside src/core (node builtins and SDK types only; sdk.ts loads an SDK package for whoever asks).", ["../*", "!./*"]),
  },
  {
    files: ["collectors/**/*.ts"],
    rules: wall("A collector imports only src/core (and the AWS SDK): the application wires it, never the other way round.", [
      "../src/*",
      "!../src/core",
      "../reports/*",
    ]),
  },
  {
    files: ["reports/**/*.ts"],
    rules: wall("A renderer imports only src/core (and pdfkit): it never calls AWS or reads the store.", ["../src/*", "!../src/core", "../src/core/sdk*", "../collectors/*", "@aws-sdk/*"]),
  },
  {
    files: ["src/store/**/*.ts"],
    rules: wall("The store knows nothing about SOC 2: no collectors, no reports.", ["../../collectors/*", "../../reports/*"]),
  },
);
