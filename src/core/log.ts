// The run's event log as collectors and the application see it; src/cli/log.ts writes it (JSON lines or terminal).

export type Level = "debug" | "info" | "warn" | "error";

export interface Logger {
  event(level: Level, event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}
