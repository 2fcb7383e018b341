// controls.yaml as the rest of the tool sees it: validated, defaults applied (SPEC section 4).

import type { BoundCollector } from "../core/collector.js";
import type { PlatformControls } from "../core/package-model.js";

export interface CollectorUse {
  use: string;
  /** Parameters with the collector's defaults filled in. */
  with: Record<string, unknown>;
  /** The collector bound to exactly these parameters: the typed plan the runner executes. */
  collector: BoundCollector;
}

export interface ControlConfig {
  id: string;
  title: string;
  description?: string;
  collectors: CollectorUse[];
  /** The platforms' own controls this control's evidence is linked to by `publish`: Vanta control ids, Drata codes. */
  platforms?: PlatformControls;
}

export type { PlatformControls } from "../core/package-model.js";

export interface ExceptionConfig {
  collector: string;
  /** ARN glob: `*` matches any run of characters, `?` one character. */
  resource: string;
  reason: string;
  approvedBy: string;
  ticket?: string;
  /** Last day the exception applies, YYYY-MM-DD (UTC). */
  expires: string;
  /** `all`: deliberately covers every resource of the collector (refused otherwise); the reason says why. */
  scope?: "all";
  /** Where it was declared, for warnings about exceptions that match nothing. */
  location: string;
}

export interface StoreConfig {
  bucket?: string;
  prefix: string;
  retainDays?: number;
  signingKey?: string;
}

export type AccountScope = "current" | "organization" | string[];

export interface ControlsConfig {
  version: 1;
  organization: string;
  scope: { accounts: AccountScope; assumeRole?: string; regions: string[] };
  store: StoreConfig;
  schedule?: string;
  fiscalYearStartMonth?: number;
  controls: ControlConfig[];
  exceptions: ExceptionConfig[];
  /** Share (0-1] of a collector's items one wildcard exception may cover without `scope: all`; default 0.5. */
  maxExceptionShare?: number;
}

export interface Problem {
  severity: "error" | "warning";
  code: string;
  /** Key path, e.g. controls[1].collectors[0].use */
  path: string;
  line: number;
  col: number;
  message: string;
}
