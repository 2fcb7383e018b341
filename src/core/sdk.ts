// The AWS SDK's packages, loaded with require() rather than import: the one way shipped code loads them.
//
// Each client is one CommonJS file of up to 1 MB (dist-cjs/index.js, no "type" in its package.json). Imported from an
// ES module, Node first detects the file's format by parsing it, then lexes all of it for its export names
// (cjs-module-lexer), and only then runs it; require() only runs it. Loading the 11 clients, the credential providers,
// @smithy/core/retry and @smithy/node-http-handler, three times each: 451-547 ms by import and 229-282 ms by require
// on Node 20.20; 349-418 ms and 250-266 ms on Node 22.23. The CLI loads them all before its first call.
//
// Types still come from `import type`, which the compiler erases; this module names each package once, so a
// package's value and its declared type cannot drift apart.
import { createRequire } from "node:module";

interface Packages {
  "@aws-sdk/client-accessanalyzer": typeof import("@aws-sdk/client-accessanalyzer");
  "@aws-sdk/client-cloudtrail": typeof import("@aws-sdk/client-cloudtrail");
  "@aws-sdk/client-ecs": typeof import("@aws-sdk/client-ecs");
  "@aws-sdk/client-elastic-load-balancing-v2": typeof import("@aws-sdk/client-elastic-load-balancing-v2");
  "@aws-sdk/client-eventbridge": typeof import("@aws-sdk/client-eventbridge");
  "@aws-sdk/client-iam": typeof import("@aws-sdk/client-iam");
  "@aws-sdk/client-kms": typeof import("@aws-sdk/client-kms");
  "@aws-sdk/client-organizations": typeof import("@aws-sdk/client-organizations");
  "@aws-sdk/client-s3": typeof import("@aws-sdk/client-s3");
  "@aws-sdk/client-secrets-manager": typeof import("@aws-sdk/client-secrets-manager");
  "@aws-sdk/client-sts": typeof import("@aws-sdk/client-sts");
  "@aws-sdk/credential-providers": typeof import("@aws-sdk/credential-providers");
  "@smithy/core/retry": typeof import("@smithy/core/retry");
  "@smithy/node-http-handler": typeof import("@smithy/node-http-handler");
}

const load = createRequire(import.meta.url);

/** One SDK package, as `import * as pkg` would give it (the same module instance every time). */
export const sdk = <P extends keyof Packages>(name: P): Packages[P] => load(name) as Packages[P];
