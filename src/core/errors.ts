// Named failures with their exit codes (SPEC section 3): 2 for bad usage or config, 3 for a run that could not complete.

export class UsageError extends Error {
  override name = "UsageError";
  readonly exitCode = 2;
}

export class ConfigError extends Error {
  override name = "ConfigError";
  readonly exitCode = 2;
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(message);
  }
}

export class PeriodError extends Error {
  override name = "PeriodError";
  readonly exitCode = 2;
}

export class StoreError extends Error {
  override name = "StoreError";
  readonly exitCode = 3;
}

export class RunError extends Error {
  override name = "RunError";
  readonly exitCode = 3;
}

export function exitCodeOf(error: unknown): number {
  if (error && typeof error === "object" && "exitCode" in error && typeof error.exitCode === "number") {
    return error.exitCode;
  }
  return 3;
}
